package wire

import (
	"net"
	"net/http"
	"strings"

	"soapgate/gateway"
	"soapgate/signer"
)

// Policy is the merchant's request-guard settings, as the signer checks them.
func Policy(m *gateway.Merchant) signer.RequestPolicy {
	return signer.RequestPolicy{Signature: m.RequestSignature, PublicKey: m.PublicKey, Secret: m.Secret, NoSeparator: m.CheckvalueNoSeparator}
}

// Signed names the parameters whose values, after merchant_id, make a request's X
// (docs/protocol.md#511-request-signature-and-checkvalue): ordernumber, orderamount and
// ordercurrency for a payment; ordernumber, amount and currency for rp; billnumber, amount and
// currency for a scheduled operation.
type Signed struct{ Order, Amount, Currency string }

var (
	// PaymentSigned is the X of silentpay, tokenpay, order.cfm and payrequest.cfm.
	PaymentSigned = &Signed{"ordernumber", "orderamount", "ordercurrency"}
	// RecurringSigned is the X of rp: the new ordernumber, amount and currency.
	RecurringSigned = &Signed{"ordernumber", "amount", "currency"}
	// ScheduleSigned is the X of SetScheduledOperation, which creates future charges:
	// Merchant_ID;BillNumber;Amount;Currency, the billnumber being the initial order's.
	ScheduleSigned = &Signed{"billnumber", "amount", "currency"}
)

// Guard checks a request's Signature and Checkvalue per the merchant's policy, before anything
// is written: a missing Signature where required or any bad one is 5/150, a bad Checkvalue
// 5/158. get reads a parameter by its lowercase name, as the client sent it.
func Guard(m *gateway.Merchant, s *Signed, get func(string) string) error {
	if s.Order != "ordernumber" {
		sent := get
		get = func(k string) string {
			if k == "ordernumber" {
				k = s.Order
			}
			return sent(k)
		}
	}
	if code, msg := Policy(m).Check(get, s.Amount, s.Currency); code != 0 {
		return gateway.Invalid(code, "%s", msg)
	}
	return nil
}

// SignatureVerified reports whether a request that passed Guard carried a verified
// Signature (a merchant with request_signature off has none verified).
func SignatureVerified(m *gateway.Merchant, get func(string) string) bool {
	return m.RequestSignature != "off" && get("signature") != ""
}

// BaseURL is the gateway's address for absolute URLs written in an answer: publicURL when
// configured (then neither the Host header a client chooses nor a cache in front of the
// gateway can change it), else the request's own scheme and Host.
func BaseURL(publicURL string, r *http.Request) string {
	if publicURL != "" {
		return strings.TrimSuffix(publicURL, "/")
	}
	if IsHTTPS(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// ClientIP is the address of the client that sent r: the peer, or the client a trusted proxy
// forwarded for (Proxies.Handler rewrites RemoteAddr).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
