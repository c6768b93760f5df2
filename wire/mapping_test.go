package wire_test

import (
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
	"soapgate/signer"
	"soapgate/wire"
)

const keysDir = "../fixtures/keys"

var (
	created  = time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("MSK", 3*3600))
	merchant = &gateway.Merchant{ID: "700001", Secret: "demo-secret", ResponseSecurity: "both"}
)

func testOrder() *gateway.Order {
	return &gateway.Order{
		ID: 7, BillNumber: "1234567890123456", MerchantID: "700001", OrderNumber: "A-1",
		Amount: 10050, Currency: "RUB", Comment: "gift",
		Customer: gateway.Customer{FirstName: "Ivan", LastName: "Ivanov", MiddleName: "Petrovich",
			Email: "ivan@example.com", MobilePhone: "+7900", IPAddress: "10.0.0.1"},
		State: "Approved", TestMode: true,
		Card:    gateway.Card{Bin: "411111", Last4: "1111", Brand: "VISA", ExpMonth: "12", ExpYear: "2030", Holder: "IVAN IVANOV"},
		Created: created,
	}
}

func testOp() *gateway.Operation {
	return &gateway.Operation{ID: 42, OrderID: 7, Seq: 2, Type: gateway.OpCancel, State: gateway.OpSuccess,
		Amount: 2500, Currency: "RUB", ResponseCode: "AS000", Message: "Approved", CustomerMessage: "ok",
		Recommendation: "none", ApprovalCode: "123456", IPAddress: "10.0.0.2", Created: created.Add(time.Hour)}
}

func mapping(t testing.TB) (wire.Mapping, *rsa.PublicKey) {
	t.Helper()
	key, err := signer.LoadPrivateKey(filepath.Join(keysDir, "gateway.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := signer.LoadCertificate(filepath.Join(keysDir, "gateway.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return wire.Mapping{Signer: signer.New(key), Acquirer: processor.Test{}}, cert.PublicKey.(*rsa.PublicKey)
}

func TestMapping_Order(t *testing.T) {
	mp, _ := mapping(t)
	f := mp.Order(merchant, testOrder())
	for n, want := range map[wire.Name]string{
		wire.MerchantID: "700001", wire.OrderNumber: "A-1", wire.BillNumber: "1234567890123456",
		wire.TestMode: "1", wire.OrderComment: "gift", wire.OrderAmount: "100.50", wire.OrderCurrency: "RUB",
		wire.FirstName: "Ivan", wire.LastName: "Ivanov", wire.MiddleName: "Petrovich", wire.Email: "ivan@example.com",
		wire.OrderDate: "04.03.2026 02:06:07", wire.OrderState: "Approved",
		// Operation fields stay empty in an order's fields.
		wire.Amount: "", wire.OperationType: "", wire.IssueBank: "", wire.Signature: "", wire.Checkvalue: "",
	} {
		if got := f[n]; got != want {
			t.Errorf("%s = %q, want %q", n, got, want)
		}
	}
	o := testOrder()
	o.TestMode = false
	if got, want := mp.Order(merchant, o)[wire.TestMode], "0"; got != want {
		t.Errorf("testmode = %q, want %q", got, want)
	}
}

func TestMapping_Operation(t *testing.T) {
	mp, _ := mapping(t)
	f := mp.Operation(testOrder(), testOp())
	for n, want := range map[wire.Name]string{
		wire.BillNumber: "1234567890123456.2", wire.OperationType: "300", wire.OperationState: "Success",
		wire.Amount: "25.00", wire.Currency: "RUB", wire.Rate: "1", wire.MeanTypeName: "VISA",
		wire.MeanNumber: "411111******1111", wire.CardHolder: "IVAN IVANOV", wire.CardExpirationDate: "12/30",
		wire.IssueBank: processor.TestIssuer, wire.BankCountry: processor.TestIssuerCountry,
		wire.IPAddress: "10.0.0.2", wire.ResponseCode: "AS000", wire.Message: "Approved",
		wire.CustomerMessage: "ok", wire.Recommendation: "none", wire.ApprovalCode: "123456",
		wire.ProtocolTypeName: wire.ProtocolNet, wire.ProcessingName: processor.TestProcessingName,
		wire.OperationDate: "04.03.2026 03:06:07", wire.SlipNo: "42",
		// Order fields are not an operation's.
		wire.OrderNumber: "", wire.OrderAmount: "", wire.MerchantID: "",
	} {
		if got := f[n]; got != want {
			t.Errorf("%s = %q, want %q", n, got, want)
		}
	}

	t.Run("zero Mapping", func(t *testing.T) {
		f := wire.Mapping{}.Operation(testOrder(), testOp())
		for _, n := range []wire.Name{wire.IssueBank, wire.BankCountry, wire.ProcessingName} {
			if got := f[n]; got != "" {
				t.Errorf("%s = %q, want empty without an acquirer", n, got)
			}
		}
	})
	t.Run("no card", func(t *testing.T) {
		o := testOrder()
		o.Card = gateway.Card{}
		f := mp.Operation(o, testOp())
		for _, n := range []wire.Name{wire.IssueBank, wire.BankCountry, wire.MeanNumber, wire.CardExpirationDate} {
			if got := f[n]; got != "" {
				t.Errorf("%s = %q, want empty without a card", n, got)
			}
		}
	})
}

func TestMapping_Reply(t *testing.T) {
	mp, _ := mapping(t)
	r := &gateway.Reply{Order: testOrder(), Op: testOp(), Token: "TOK", RecurringState: "Activated", CustomerNumber: "C-1"}
	f := mp.Reply(merchant, r)
	for n, want := range map[wire.Name]string{
		// The order's fields…
		wire.MerchantID: "700001", wire.OrderNumber: "A-1", wire.OrderAmount: "100.50", wire.OrderCurrency: "RUB",
		wire.OrderState: "Approved", wire.FirstName: "Ivan",
		// …then the operation's over them.
		wire.BillNumber: "1234567890123456.2", wire.Amount: "25.00", wire.Currency: "RUB", wire.OperationType: "300",
		wire.IssueBank: processor.TestIssuer, wire.IPAddress: "10.0.0.2",
		wire.Token: "TOK", wire.RecurringState: "Activated", wire.CustomerNumber: "C-1",
	} {
		if got := f[n]; got != want {
			t.Errorf("%s = %q, want %q", n, got, want)
		}
	}
	// One mapping: the reply's issuer is the operation's.
	if got, want := f[wire.IssueBank], mp.Operation(r.Order, r.Op)[wire.IssueBank]; got != want {
		t.Errorf("issuebank = %q in the reply, %q in the operation", got, want)
	}
}

func TestMapping_Issuer(t *testing.T) {
	mp, _ := mapping(t)
	if bank, country := mp.Issuer(testOrder().Card); bank != processor.TestIssuer || country != processor.TestIssuerCountry {
		t.Errorf("Issuer = %q, %q", bank, country)
	}
	if bank, country := mp.Issuer(gateway.Card{}); bank != "" || country != "" {
		t.Errorf("Issuer(no card) = %q, %q, want empty", bank, country)
	}
	if bank, country := (wire.Mapping{}).Issuer(testOrder().Card); bank != "" || country != "" {
		t.Errorf("zero Mapping Issuer = %q, %q, want empty", bank, country)
	}
}

func TestCustomerOf(t *testing.T) {
	got := wire.CustomerOf(testOrder())
	want := wire.Customer{"Ivan", "Ivanov", "Petrovich", "ivan@example.com", "10.0.0.1"}
	if got != want {
		t.Errorf("CustomerOf = %v, want %v", got, want)
	}
	if got, want := wire.CustomerKeys, [5]string{"firstname", "lastname", "middlename", "email", "ipaddress"}; got != want {
		t.Errorf("CustomerKeys = %v, want %v", got, want)
	}
}

func TestMapping_Seal(t *testing.T) {
	mp, pub := mapping(t)
	r := &gateway.Reply{Order: testOrder(), Op: testOp()}
	verify := func(t *testing.T, x, sig string) {
		t.Helper()
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			t.Fatalf("signature is not BASE64: %v", err)
		}
		sum := md5.Sum([]byte(x))
		if err := rsa.VerifyPKCS1v15(pub, crypto.MD5, sum[:], raw); err != nil {
			t.Errorf("signature over %q does not verify with gateway.crt: %v", x, err)
		}
	}
	for _, tc := range []struct {
		security string
		cv, sig  bool
	}{
		{"md5", true, false},
		{"rsa", false, true},
		{"both", true, true},
	} {
		t.Run(tc.security, func(t *testing.T) {
			m := &gateway.Merchant{ID: "700001", Secret: "demo-secret", ResponseSecurity: tc.security}
			for _, xc := range []struct {
				name string
				x    wire.X
				want string
			}{
				{"ReplyX", wire.ReplyX, "700001A-125.00RUBApproved"},
				{"OrderX", wire.OrderX, "700001A-1100.50RUBApproved"},
			} {
				f := mp.Reply(m, r)
				f[wire.Checkvalue], f[wire.Signature] = "stale", "stale"
				if err := mp.Seal(m, &f, xc.x, "01.01.2026 00:00:00"); err != nil {
					t.Fatal(err)
				}
				if got, want := f[wire.PacketDate], "01.01.2026 00:00:00"; got != want {
					t.Errorf("packetdate = %q, want %q", got, want)
				}
				wantCV := ""
				if tc.cv {
					wantCV = signer.Checkvalue("demo-secret", xc.want)
				}
				if got := f[wire.Checkvalue]; got != wantCV {
					t.Errorf("%s checkvalue = %q, want %q", xc.name, got, wantCV)
				}
				if tc.sig {
					verify(t, xc.want, f[wire.Signature])
				} else if got := f[wire.Signature]; got != "" {
					t.Errorf("%s signature = %q, want none", xc.name, got)
				}
			}
		})
	}
	t.Run("no signer", func(t *testing.T) {
		f := wire.Mapping{}.Reply(merchant, r)
		if err := (wire.Mapping{}).Seal(merchant, &f, wire.ReplyX, "p"); err != nil {
			t.Fatal(err)
		}
		if f[wire.Signature] != "" || f[wire.Checkvalue] == "" {
			t.Errorf("signature %q, checkvalue %q: want only a checkvalue", f[wire.Signature], f[wire.Checkvalue])
		}
	})
	t.Run("checkvalue formula", func(t *testing.T) {
		// UPPER(MD5(UPPER(MD5hex(secret) + MD5hex(X)))), computed by hand.
		f := mp.Order(merchant, testOrder())
		if err := mp.Seal(merchant, &f, wire.OrderX, ""); err != nil {
			t.Fatal(err)
		}
		if got, want := f[wire.Checkvalue], handCheckvalue("demo-secret", "700001A-1100.50RUBApproved"); got != want {
			t.Errorf("checkvalue = %q, want %q", got, want)
		}
	})
}
