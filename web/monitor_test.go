package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestMonitor_SignInAndOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.get("/monitor/")
	if home.Status != 200 {
		t.Fatalf("home: %d", home.Status)
	}
	checkHeaders(t, home, true)
	for _, name := range []string{"login", "password", "csrf"} {
		if input(home.Body, name) == "" {
			t.Errorf("sign-in form has no input %s", name)
		}
	}
	if !hasID(home.Body, "signin") || !strings.Contains(input(home.Body, "password"), `type="password"`) {
		t.Error("no #signin button or a plain-text password input")
	}
	csrf := home.cookie("sg_csrf")
	for _, flag := range []string{"Path=/monitor/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(csrf, flag) {
			t.Errorf("sign-in CSRF cookie %q lacks %s", csrf, flag)
		}
	}
	if strings.Contains(csrf, "Secure") {
		t.Errorf("CSRF cookie %q is Secure over plain HTTP", csrf)
	}
	// The same form token while the cookie lives (a reload keeps working).
	if again := b.get("/monitor/"); inputValue(t, again.Body, "csrf") != inputValue(t, home.Body, "csrf") || again.cookie("sg_csrf") != "" {
		t.Error("a reload of the sign-in page changed its token")
	}

	t.Run("signed out", func(t *testing.T) {
		for _, p := range []string{"/monitor/orders", "/monitor/orders.csv", "/monitor/orders/1234567890123456"} {
			if res := b.get(p); res.Status != http.StatusSeeOther || res.Location() != "/monitor/" {
				t.Errorf("%s: %d %q", p, res.Status, res.Location())
			}
		}
		if res := b.post("/monitor/signout", url.Values{"csrf": {"x"}}); res.Status != http.StatusForbidden {
			t.Errorf("sign-out without a session: %d", res.Status)
		}
	})
	t.Run("without the form's token", func(t *testing.T) {
		for _, form := range []url.Values{
			{"login": {"demo_login"}, "password": {"demo_password1"}},
			{"login": {"demo_login"}, "password": {"demo_password1"}, "csrf": {"forged-token-forged-token-forged-x"}},
		} {
			res := b.post("/monitor/signin", form)
			if res.Status != http.StatusForbidden || !strings.HasPrefix(innerText(t, res.Body, "error"), "403 ") || res.cookie("sg_monitor") != "" {
				t.Fatalf("sign-in without CSRF: %d %q", res.Status, res.cookie("sg_monitor"))
			}
		}
		// A client with no sign-in cookie at all.
		res := e.browser().post("/monitor/signin", url.Values{"csrf": {inputValue(t, home.Body, "csrf")}, "login": {"demo_login"}, "password": {"demo_password1"}})
		if res.Status != http.StatusForbidden {
			t.Fatalf("sign-in without the cookie: %d", res.Status)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		res := b.signIn("demo_login", "wrong")
		if res.Status != http.StatusUnauthorized || !hasID(res.Body, "signin-error") || inputValue(t, res.Body, "login") != "demo_login" {
			t.Fatalf("wrong password: %d\n%s", res.Status, res.Body)
		}
		if strings.Contains(res.Body, `value="wrong"`) || res.cookie("sg_monitor") != "" {
			t.Fatal("the password was echoed or a session given")
		}
	})
	var list page
	t.Run("sign in", func(t *testing.T) {
		res := b.signIn("demo_login", "demo_password1")
		if res.Status != http.StatusSeeOther || res.Location() != "/monitor/orders" {
			t.Fatalf("sign-in: %d %q", res.Status, res.Location())
		}
		session := res.cookie("sg_monitor")
		for _, flag := range []string{"Path=/monitor/", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(session, flag) {
				t.Errorf("session cookie %q lacks %s", session, flag)
			}
		}
		if c := res.cookie("sg_csrf"); !strings.Contains(c, "Max-Age=0") {
			t.Errorf("the sign-in token cookie is not dropped: %q", c)
		}
		if res := b.get("/monitor/"); res.Status != http.StatusSeeOther || res.Location() != "/monitor/orders" {
			t.Errorf("home when signed in: %d %q", res.Status, res.Location())
		}
		list = b.get("/monitor/orders")
		checkHeaders(t, list, true)
		if list.Status != 200 || !hasID(list.Body, "signout") || !strings.Contains(list.Body, "Demo Shop · 700001") {
			t.Fatalf("orders: %d\n%s", list.Status, list.Body)
		}
	})
	t.Run("sign out", func(t *testing.T) {
		if res := b.post("/monitor/signout", url.Values{}); res.Status != http.StatusForbidden {
			t.Fatalf("sign-out without CSRF: %d", res.Status)
		}
		if res := b.post("/monitor/signout", url.Values{"csrf": {"wrong"}}); res.Status != http.StatusForbidden {
			t.Fatalf("sign-out with a wrong token: %d", res.Status)
		}
		res := b.post("/monitor/signout", url.Values{"csrf": {inputValue(t, list.Body, "csrf")}})
		if res.Status != http.StatusSeeOther || res.Location() != "/monitor/" || !strings.Contains(res.cookie("sg_monitor"), "Max-Age=0") {
			t.Fatalf("sign-out: %d %q %q", res.Status, res.Location(), res.cookie("sg_monitor"))
		}
		if res := b.get("/monitor/orders"); res.Status != http.StatusSeeOther {
			t.Fatalf("after sign-out: %d", res.Status)
		}
	})
	t.Run("the other merchant", func(t *testing.T) {
		o := e.browser()
		if res := o.signIn("other_login", "other_password2"); res.Status != http.StatusSeeOther {
			t.Fatalf("other merchant: %d", res.Status)
		}
		if res := o.get("/monitor/orders"); !strings.Contains(res.Body, "Other Shop · 700002") {
			t.Fatal("the other merchant's name is not shown")
		}
		// A login is not a password of another merchant.
		if res := e.browser().signIn("other_login", "demo_password1"); res.Status != http.StatusUnauthorized {
			t.Fatalf("crossed credentials: %d", res.Status)
		}
	})
}

func TestMonitor_SlowsRepeatedFailures(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for i := range 3 {
		if res := b.signIn("demo_login", "wrong"); res.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.Status)
		}
	}
	// From the same address, even the right password waits now.
	res := e.browser().signIn("demo_login", "demo_password1")
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !hasID(res.Body, "signin-error") {
		t.Fatalf("after 3 failures: %d Retry-After=%q", res.Status, res.Header.Get("Retry-After"))
	}
	if res.cookie("sg_monitor") != "" {
		t.Fatal("a slowed-down sign-in got a session")
	}
	for _, empty := range [][2]string{{"", "x"}, {"demo_login", ""}} {
		if res := e.browser().signIn(empty[0], empty[1]); res.Status == http.StatusSeeOther {
			t.Fatalf("empty credentials %q signed in", empty)
		}
	}
}

func TestMonitor_SecureCookies(t *testing.T) {
	t.Run("TLS", func(t *testing.T) {
		e := newEnv(t, withTLS())
		b := e.browser()
		if c := b.get("/monitor/").cookie("sg_csrf"); !strings.Contains(c, "Secure") {
			t.Fatalf("CSRF cookie over TLS %q", c)
		}
		if c := b.signIn("demo_login", "demo_password1").cookie("sg_monitor"); !strings.Contains(c, "Secure") {
			t.Fatalf("session cookie over TLS %q", c)
		}
	})
	t.Run("behind a proxy", func(t *testing.T) {
		e := newEnv(t)
		e.h.SecureCookies = true
		if c := e.browser().get("/monitor/").cookie("sg_csrf"); !strings.Contains(c, "Secure") {
			t.Fatalf("CSRF cookie with SecureCookies %q", c)
		}
	})
}

func TestMonitor_Language(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	if !strings.Contains(b.get("/monitor/").Body, `<html lang="ru">`) {
		t.Fatal("Russian is the default")
	}
	res := b.get("/monitor/lang?to=EN&next=/monitor/")
	if res.Status != http.StatusSeeOther || res.Location() != "/monitor/" {
		t.Fatalf("switch: %d %q", res.Status, res.Location())
	}
	if c := res.cookie("sg_lang"); !strings.HasPrefix(c, "sg_lang=EN") || !strings.Contains(c, "HttpOnly") {
		t.Fatalf("language cookie %q", c)
	}
	home := b.get("/monitor/")
	if !strings.Contains(home.Body, `<html lang="en">`) || !strings.Contains(home.Body, "Merchant sign-in") {
		t.Fatalf("English sign-in:\n%s", home.Body)
	}
	// The switch on a monitor page comes back to the same page, query and all.
	b.signIn("demo_login", "demo_password1")
	here := "/monitor/orders?page=2&state=Delayed"
	m := regexp.MustCompile(`href="([^"]+)"`).FindStringSubmatch(tag(b.get(here).Body, "lang"))
	if m == nil {
		t.Fatal("no #lang switch on the order list")
	}
	if res := b.get(html.UnescapeString(m[1])); res.Location() != here || !strings.HasPrefix(res.cookie("sg_lang"), "sg_lang=RU") {
		t.Fatalf("switch from %s (%s): %d %q", here, m[1], res.Status, res.Location())
	}
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/monitor/\\evil", "/elsewhere", ""} {
		if res := b.get("/monitor/lang?to=RU&next=" + url.QueryEscape(next)); res.Location() != "/monitor/" {
			t.Errorf("next=%q went to %q", next, res.Location())
		}
	}
}

func TestMonitor_NotFound(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, p := range []string{"/monitor/nope", "/monitor/orders/x/y/z"} {
		res := b.get(p)
		if res.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.Status)
		}
		checkHeaders(t, res, true)
	}
}
