package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The page scenario measures payment-page payments per second: what a customer's browser
// does for one payment, as one unit — POST /pay/order.cfm (303 to the order's page), GET the
// page for its one-time form token, POST the card form (303 to URL_RETURN_OK with
// ordernumber and billnumber). Latency is that of the whole flow; req/s counts payments.
const (
	orderCFMPath = "/pay/order.cfm"
	pageReturnOK = "http://shop.invalid/ok"
)

var pageTokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// runPage runs the page scenario beside silentpay.
func runPage(cfg config, runID string, counter *atomic.Int64) result {
	// The flow answers with redirects that the client must see, not follow.
	base := newClient(cfg.conc, cfg.timeout)
	client := &http.Client{Transport: base.Transport, Timeout: cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	prefix := "bench-pg-" + runID + "-"
	pay := func(ctx context.Context, i int64) error {
		return pagePayment(ctx, client, cfg.url, prefix+strconv.FormatInt(i, 10))
	}
	if cfg.warmup > 0 {
		driveFlow("page", pay, cfg.conc, cfg.warmup, counter)
	}
	s := startRSSSampler(cfg.pid, 50*time.Millisecond)
	var r result
	measureCPU(&r, cfg.pid, func() { r = driveFlow("page", pay, cfg.conc, cfg.dur, counter) })
	r.PeakRSSKiB = s.stop()
	r.Note = "one payment = order.cfm → GET page → card submit → 303 to URL_RETURN_OK (3 requests)"
	return r
}

// driveFlow runs flow with conc workers for dur, like drive does for one request.
func driveFlow(name string, flow func(context.Context, int64) error, conc int, dur time.Duration, counter *atomic.Int64) result {
	res := result{Name: name}
	var errs errSamples
	var ok, bad atomic.Int64
	lats := make([][]time.Duration, conc)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := flow(context.Background(), counter.Add(1))
				lats[w] = append(lats[w], time.Since(t0))
				if err != nil {
					bad.Add(1)
					errs.add(err.Error())
					continue
				}
				ok.Add(1)
			}
		}(w)
	}
	wg.Wait()
	res.collect(time.Since(start), ok.Load(), bad.Load(), lats, &errs)
	return res
}

// pagePayment is one customer paying on the payment page with the approving test card.
func pagePayment(ctx context.Context, client *http.Client, base, orderNumber string) error {
	form := url.Values{"Merchant_ID": {merchantID}, "OrderNumber": {orderNumber}, "OrderAmount": {"10.00"},
		"OrderCurrency": {"RUB"}, "URL_RETURN_OK": {pageReturnOK}, "URL_RETURN_NO": {"http://shop.invalid/no"}}
	status, loc, _, err := pageCall(ctx, client, "POST", base+orderCFMPath, form)
	if err != nil {
		return err
	}
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/pay/order/") {
		return fmt.Errorf("order.cfm: HTTP %d, Location %q", status, loc)
	}
	status, _, body, err := pageCall(ctx, client, "GET", base+loc, nil)
	if err != nil {
		return err
	}
	m := pageTokenRE.FindSubmatch(body)
	if status != http.StatusOK || m == nil {
		return fmt.Errorf("payment page: HTTP %d without a form token: %s", status, snippet(body))
	}
	card := url.Values{"token": {string(m[1])}, "CardNumber": {cardNumber}, "ExpireMonth": {"12"},
		"ExpireYear": {"2030"}, "CVC2": {"123"}, "Cardholder": {"BENCH TESTER"}}
	status, back, body, err := pageCall(ctx, client, "POST", base+loc, card)
	if err != nil {
		return err
	}
	if status != http.StatusSeeOther || !strings.HasPrefix(back, pageReturnOK+"?ordernumber="+url.QueryEscape(orderNumber)+"&") {
		return fmt.Errorf("card submit: HTTP %d, Location %q: %s", status, back, snippet(body))
	}
	return nil
}

func pageCall(ctx context.Context, client *http.Client, method, target string, form url.Values) (int, string, []byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, "", nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), b, err
}
