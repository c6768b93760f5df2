package gateway_test

import (
	"context"
	"go/build"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"soapgate/gateway"
	"soapgate/processor"
	"soapgate/store"
)

func newGateway(t *testing.T) (*gateway.Gateway, *gateway.Merchant) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := &gateway.Merchant{ID: "1", Login: "l", Password: "p", Currency: "RUB", TestMode: true}
	return &gateway.Gateway{Store: db, Processor: processor.Test{}, Clock: gateway.RealClock{}, Merchants: gateway.NewMerchants([]*gateway.Merchant{m})}, m
}

var visa = gateway.CardData{Number: "4111111111111111", ExpMonth: "12", ExpYear: "2030", CVC: "123", Holder: "A B"}

func codes(err error) string {
	if err == nil {
		return "ok"
	}
	e := gateway.AsError(err)
	return strings.TrimSpace(strings.SplitN(e.Error(), ":", 2)[0])
}

// TestGateway_StateMachine walks each transition of the state table with its amounts.
func TestGateway_StateMachine(t *testing.T) {
	ctx := context.Background()
	type step struct {
		op, amount string // op: confirm | cancel | cancel:<extid>
		want       string // resulting state or error codes
		captured   gateway.Amount
		refunded   gateway.Amount
	}
	for _, tc := range []struct {
		name  string
		delay string
		steps []step
	}{
		{"two-stage full confirm then refund", "1", []step{
			{"confirm", "", "Approved", 10000, 0},
			{"confirm", "", "Approved", 10000, 0}, // repeat answers, charges nothing
			{"cancel", "30.00", "PartialCanceled", 10000, 3000},
			{"cancel", "", "Canceled", 10000, 10000},
			{"cancel", "", "Canceled", 10000, 10000},
			{"cancel", "0.01", "10/203", 10000, 10000},
		}},
		{"partial confirms", "1", []step{
			{"confirm", "25.00", "PartialDelayed", 2500, 0},
			{"confirm", "75.01", "10/203", 2500, 0},
			{"confirm", "75.00", "Approved", 10000, 0},
			{"confirm", "1.00", "Approved", 10000, 0},
		}},
		{"release the unconfirmed rest", "1", []step{
			{"confirm", "40.00", "PartialDelayed", 4000, 0},
			{"cancel", "10.00", "10/202", 4000, 0},
			{"cancel", "", "Approved", 4000, 0},
			{"confirm", "1.00", "Approved", 4000, 0}, // answers the earlier confirm
			{"cancel", "", "Canceled", 4000, 4000},
		}},
		{"void", "1", []step{
			{"cancel", "50.00", "10/202", 0, 0},
			{"cancel", "100.00", "Canceled", 0, 0},
			{"confirm", "", "10/202", 0, 0},
		}},
		{"one-stage refunds with externalrefundid", "0", []step{
			{"confirm", "", "10/202", 10000, 0},
			{"cancel:r1", "10.00", "PartialCanceled", 10000, 1000},
			{"cancel:r1", "10.00", "PartialCanceled", 10000, 1000},
			{"cancel:r2", "10.00", "PartialCanceled", 10000, 2000},
			{"cancel:r3", "80.01", "10/203", 10000, 2000},
			{"cancel:r3", "80.00", "Canceled", 10000, 10000},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, m := newGateway(t)
			r, err := g.Pay(ctx, m, gateway.PayRequest{OrderNumber: "o", Amount: "100", TwoStage: tc.delay, Card: visa})
			if err != nil {
				t.Fatal(err)
			}
			bill := r.Order.BillNumber
			for i, s := range tc.steps {
				cur := ""
				if s.amount != "" {
					cur = "RUB"
				}
				req := gateway.AmountRequest{BillNumber: bill, Amount: s.amount, Currency: cur}
				var rep *gateway.Reply
				if s.op == "confirm" {
					rep, err = g.Confirm(ctx, m, req)
				} else {
					ext := strings.TrimPrefix(strings.TrimPrefix(s.op, "cancel"), ":")
					rep, err = g.Cancel(ctx, m, gateway.CancelRequest{AmountRequest: req, ExternalRefundID: ext})
				}
				got := codes(err)
				if err == nil {
					got = string(rep.Order.State)
				}
				if got != s.want {
					t.Fatalf("step %d %s %s: %s, want %s", i, s.op, s.amount, got, s.want)
				}
				details, _ := g.OrderResult(ctx, m, gateway.ResultQuery{BillNumber: bill})
				o := details[0].Order
				if o.Captured != s.captured || o.Refunded != s.refunded {
					t.Fatalf("step %d: captured %v refunded %v, want %v %v", i, o.Captured, o.Refunded, s.captured, s.refunded)
				}
			}
		})
	}
}

func TestGateway_DuplicateOrderNumber(t *testing.T) {
	ctx := context.Background()
	g, m := newGateway(t)
	decl := visa
	decl.Number = "4000000000000002"
	if r, err := g.Pay(ctx, m, gateway.PayRequest{OrderNumber: "d", Amount: "1", Card: decl}); err != nil || r.Order.State != gateway.StateDeclined {
		t.Fatalf("decline: %v %v", r, err)
	}
	if _, err := g.Pay(ctx, m, gateway.PayRequest{OrderNumber: "d", Amount: "1", Card: visa}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Pay(ctx, m, gateway.PayRequest{OrderNumber: "d", Amount: "1", Card: visa}); codes(err) != "10/204" {
		t.Fatalf("third attempt: %v", err)
	}
}

func TestMerchants_Authenticate(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("secret-pw"), bcrypt.MinCost)
	r := gateway.NewMerchants([]*gateway.Merchant{
		{ID: "1", Login: "plain", Password: "pw"},
		{ID: "2", Login: "hashed", Password: string(hash)},
	})
	for _, tc := range []struct{ id, login, pw, want string }{
		{"1", "plain", "pw", "ok"},
		{"1", "plain", "pw2", "10/100"},
		{"1", "Plain", "pw", "10/100"},
		{"2", "hashed", "secret-pw", "ok"},
		{"2", "hashed", "secret-pw", "ok"}, // from the cache
		{"2", "hashed", string(hash), "10/100"},
		{"3", "plain", "pw", "10/100"},
		{"", "plain", "pw", "5/100"},
		{"1", "", "pw", "5/101"},
		{"1", "plain", "", "5/102"},
	} {
		_, err := r.Authenticate(tc.id, tc.login, tc.pw)
		if got := codes(err); got != tc.want {
			t.Errorf("%s/%s/%s: %s, want %s", tc.id, tc.login, tc.pw, got, tc.want)
		}
	}
}

// TestImports keeps the domain free of adapters: gateway imports no other package of the module.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "soapgate/") {
			t.Errorf("gateway imports %s", imp)
		}
	}
}
