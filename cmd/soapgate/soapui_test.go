package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// soapuiProject is fixtures/soapui-project.xml, the SoapUI project integrators import.
const soapuiProject = "../../fixtures/soapui-project.xml"

// soapOperations are the nine SOAP operations the gateway serves.
var soapOperations = []string{"orderstate", "orderresult", "charge", "wscancel", "silentpay", "rp", "tokenpay",
	"SetScheduledOperation", "GetScheduledOperation"}

// soapui runs a SoapUI project the way SoapUI's TestRunner does, for the parts the project
// uses: property expansion (${#Project#p}, ${#TestCase#p}, ${=System.currentTimeMillis()}),
// request steps, property transfers from a response to a test case property, and the
// assertions SOAP Response, (Not) SOAP Fault and XPath Match. Anything else in the project is
// an error, so that the test cannot pass by skipping what it does not understand.
type soapui struct {
	t       *testing.T
	project map[string]string
	millis  int64 // System.currentTimeMillis(), distinct for each expansion
}

func (s *soapui) expand(text string, tc map[string]string) string {
	s.t.Helper()
	return regexp.MustCompile(`\$\{([^}]*)\}`).ReplaceAllStringFunc(text, func(m string) string {
		expr := m[2 : len(m)-1]
		switch {
		case expr == "=System.currentTimeMillis()":
			if now := time.Now().UnixMilli(); now > s.millis {
				s.millis = now
			} else {
				s.millis++
			}
			return strconv.FormatInt(s.millis, 10)
		case strings.HasPrefix(expr, "#Project#"):
			if v, ok := s.project[expr[len("#Project#"):]]; ok {
				return v
			}
		case strings.HasPrefix(expr, "#TestCase#") && tc != nil:
			if v, ok := tc[expr[len("#TestCase#"):]]; ok {
				return v
			}
		}
		s.t.Fatalf("property expansion %s is not defined (or not supported by this runner)", m)
		return ""
	})
}

// send posts a request as SoapUI does and returns the parsed answer.
func (s *soapui) send(endpoint, action, body string) (*etree.Document, string) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml;charset=UTF-8")
	req.Header.Set("SOAPAction", `"`+action+`"`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		s.t.Fatalf("%s answered no XML (%d): %s", endpoint, res.StatusCode, b)
	}
	return doc, string(b)
}

// xpath evaluates the XPath subset the project uses: "declare namespace p='uri';" lines, then
// //p:elem/child/.../@attr (or a final element, whose text is taken). Names without a prefix
// are in no namespace, as the answers' unqualified children are.
func xpath(doc *etree.Document, expr string) (string, bool, error) {
	ns := map[string]string{}
	decl := regexp.MustCompile(`^\s*declare namespace (\w+)\s*=\s*'([^']*)'\s*;`)
	for m := decl.FindStringSubmatch(expr); m != nil; m = decl.FindStringSubmatch(expr) {
		ns[m[1]] = m[2]
		expr = expr[len(m[0]):]
	}
	expr = strings.TrimSpace(expr)
	if !strings.HasPrefix(expr, "//") || strings.ContainsAny(expr, "[]()") {
		return "", false, fmt.Errorf("XPath %q is outside the subset this runner evaluates", expr)
	}
	steps := strings.Split(expr[2:], "/")
	match := func(el *etree.Element, step string) (bool, error) {
		prefix, local, ok := strings.Cut(step, ":")
		if !ok {
			return el.Tag == step && el.NamespaceURI() == "", nil
		}
		if prefix == "*" {
			return el.Tag == local, nil
		}
		uri, known := ns[prefix]
		if !known {
			return false, fmt.Errorf("XPath prefix %s is not declared", prefix)
		}
		return el.Tag == local && el.NamespaceURI() == uri, nil
	}
	var walk func(els []*etree.Element, steps []string) (string, bool, error)
	walk = func(els []*etree.Element, steps []string) (string, bool, error) {
		for _, el := range els {
			ok, err := match(el, steps[0])
			if err != nil {
				return "", false, err
			}
			if !ok {
				continue
			}
			if len(steps) == 1 {
				return el.Text(), true, nil
			}
			if attr, isAttr := strings.CutPrefix(steps[1], "@"); isAttr && len(steps) == 2 {
				if a := el.SelectAttr(attr); a != nil {
					return a.Value, true, nil
				}
				continue
			}
			if v, found, err := walk(el.ChildElements(), steps[1:]); found || err != nil {
				return v, found, err
			}
		}
		return "", false, nil
	}
	// The first step searches the whole document.
	var all []*etree.Element
	var collect func(*etree.Element)
	collect = func(e *etree.Element) {
		all = append(all, e)
		for _, c := range e.ChildElements() {
			collect(c)
		}
	}
	collect(doc.Root())
	return walk(all, steps)
}

func isFault(doc *etree.Document) bool {
	return doc.FindElement("//Body/Fault") != nil
}

// check evaluates a request step's assertions on its answer.
func (s *soapui) check(where string, assertions []*etree.Element, doc *etree.Document, body string, tc map[string]string) {
	s.t.Helper()
	if len(assertions) == 0 {
		s.t.Errorf("%s: no assertions", where)
	}
	for _, a := range assertions {
		typ := a.SelectAttrValue("type", "")
		switch typ {
		case "SOAP Response":
			if doc.FindElement("/Envelope/Body") == nil {
				s.t.Errorf("%s: not a SOAP response:\n%s", where, body)
			}
		case "SOAP Fault Assertion":
			if !isFault(doc) {
				s.t.Errorf("%s: expected a SOAP Fault:\n%s", where, body)
			}
		case "Not SOAP Fault Assertion":
			if isFault(doc) {
				s.t.Errorf("%s: a SOAP Fault:\n%s", where, body)
			}
		case "XPath Match":
			path := a.FindElement("configuration/path").Text()
			want := s.expand(a.FindElement("configuration/content").Text(), tc)
			got, found, err := xpath(doc, path)
			if err != nil {
				s.t.Fatalf("%s: %v", where, err)
			}
			if !found || got != want {
				s.t.Errorf("%s: assertion %q: %s = %q (found %v), want %q\n%s", where, a.SelectAttrValue("name", ""), path, got, found, want, body)
			}
		default:
			s.t.Fatalf("%s: assertion type %q is not supported by this runner", where, typ)
		}
	}
}

func properties(el *etree.Element) map[string]string {
	out := map[string]string{}
	if el == nil {
		return out
	}
	for _, p := range el.SelectElements("property") {
		out[p.FindElement("name").Text()] = p.FindElement("value").Text()
	}
	return out
}

// TestSoapUIProject runs every request of the SoapUI project against the real server: the
// sample request of each interface operation (it must reach its operation: an answer of its
// own or a Fault other than 1/1), then every test case of every test suite, step by step,
// with its property transfers and assertions.
func TestSoapUIProject(t *testing.T) {
	ts := startServer(t)
	doc := etree.NewDocument()
	if err := doc.ReadFromFile(soapuiProject); err != nil {
		t.Fatal(err)
	}
	root := doc.SelectElement("soapui-project")
	s := &soapui{t: t, project: properties(root.SelectElement("properties"))}
	if s.project["endpoint"] != "http://127.0.0.1:8080" {
		t.Errorf("project property endpoint = %q, want the sandbox's http://127.0.0.1:8080", s.project["endpoint"])
	}
	s.project["endpoint"] = ts.URL // as testrunner -Pendpoint=... does

	// Interfaces and their sample requests.
	actions := map[string]string{}
	samples := map[string]bool{}
	for _, iface := range root.SelectElements("interface") {
		for _, op := range iface.SelectElements("operation") {
			name := op.SelectAttrValue("name", "")
			actions[iface.SelectAttrValue("name", "")+"/"+name] = op.SelectAttrValue("action", "")
			for _, call := range op.SelectElements("call") {
				where := iface.SelectAttrValue("name", "") + "/" + name + "/" + call.SelectAttrValue("name", "")
				endpoint := s.expand(call.SelectElement("endpoint").Text(), nil)
				answer, body := s.send(endpoint, op.SelectAttrValue("action", ""), s.expand(call.SelectElement("request").Text(), nil))
				if isFault(answer) {
					if code := faultCodes(t, answer); code == "1/1" {
						t.Errorf("%s: the sample is not understood (1/1):\n%s", where, body)
					}
				} else if el := answer.FindElement("/Envelope/Body/*"); el == nil || !strings.HasSuffix(el.Tag, "Response") && el.Tag != "WSCancelResponseParams" && el.Tag != "PaymentTokenResponseParams" {
					t.Errorf("%s: unexpected answer:\n%s", where, body)
				}
				samples[name] = true
			}
		}
	}
	for _, op := range soapOperations {
		if !samples[op] {
			t.Errorf("the project has no sample request for %s", op)
		}
	}

	// Test suites.
	stepped := map[string]bool{}
	cases := 0
	for _, suite := range root.SelectElements("testSuite") {
		for _, tcEl := range suite.SelectElements("testCase") {
			cases++
			tc := properties(tcEl.SelectElement("properties"))
			answers := map[string]*etree.Document{}
			for _, step := range tcEl.SelectElements("testStep") {
				name, typ := step.SelectAttrValue("name", ""), step.SelectAttrValue("type", "")
				where := suite.SelectAttrValue("name", "") + "/" + tcEl.SelectAttrValue("name", "") + "/" + name
				cfg := step.SelectElement("config")
				switch typ {
				case "request":
					iface, op := cfg.SelectElement("interface").Text(), cfg.SelectElement("operation").Text()
					action, ok := actions[iface+"/"+op]
					if !ok {
						t.Fatalf("%s: no interface operation %s/%s", where, iface, op)
					}
					req := cfg.SelectElement("request")
					answer, body := s.send(s.expand(req.SelectElement("endpoint").Text(), tc), action, s.expand(req.SelectElement("request").Text(), tc))
					answers[name] = answer
					s.check(where, req.SelectElements("assertion"), answer, body, tc)
					stepped[op] = true
				case "transfer":
					for _, tr := range cfg.SelectElements("transfers") {
						src, target := tr.SelectElement("sourceStep").Text(), tr.SelectElement("targetStep").Text()
						if tr.SelectElement("sourceType").Text() != "Response" || target != "#TestCase#" {
							t.Fatalf("%s: only transfers from a response to a test case property are supported", where)
						}
						answer, ok := answers[src]
						if !ok {
							t.Fatalf("%s: source step %q has not run", where, src)
						}
						v, found, err := xpath(answer, tr.SelectElement("sourcePath").Text())
						if err != nil || !found || v == "" {
							t.Fatalf("%s: transfer %s: %v (found %v)", where, tr.SelectElement("name").Text(), err, found)
						}
						tc[tr.SelectElement("targetType").Text()] = v
					}
				default:
					t.Fatalf("%s: test step type %q is not supported by this runner", where, typ)
				}
			}
		}
	}
	if cases == 0 {
		t.Fatal("the project has no test case")
	}
	for _, op := range soapOperations {
		if !stepped[op] {
			t.Errorf("no test step calls %s", op)
		}
	}
}
