package obs_test

import (
	"context"
	"log/slog"
	"testing"

	"soapgate/obs"
)

func TestMerchant(t *testing.T) {
	for in, want := range map[string]string{"700001": "700001", "": "", "demo_password1": "(invalid)",
		"70 0001": "(invalid)", "123456789012345678901234567890123": "(invalid)"} {
		if got := obs.Merchant(in); got != want {
			t.Errorf("Merchant(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRequest_OutsideTheAccessLog: handlers called without the access log (unit tests)
// record nothing and log on the fallback.
func TestRequest_OutsideTheAccessLog(t *testing.T) {
	ctx := context.Background()
	req := obs.From(ctx)
	req.SetService("orderstate") // nil-safe
	req.SetCodes(10, 100)
	req.SetMerchant("700001")
	fallback := slog.New(slog.DiscardHandler)
	if obs.Logger(ctx, fallback) != fallback || obs.ID(ctx) != "" {
		t.Fatal("outside the access log: not the fallback logger, or an id")
	}
	r := &obs.Request{ID: "abc", Base: fallback}
	ctx = obs.With(ctx, r)
	obs.From(ctx).SetCodes(5, 108)
	obs.From(ctx).SetService("silentpay")
	if svc, _, first, second, ok := r.Snapshot(); svc != "silentpay" || first != 5 || second != 108 || !ok {
		t.Fatalf("snapshot: %s %d/%d %v", svc, first, second, ok)
	}
	if obs.ID(ctx) != "abc" || obs.Logger(ctx, nil) == nil {
		t.Fatal("inside: no id or logger")
	}
}
