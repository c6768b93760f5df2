package notify_test

import (
	"strings"
	"testing"

	"soapgate/gateway"
)

// TestDeliverer_RunDue_Acknowledgement: the shapes of reply a merchant may send, and how
// the deliverer reads each: delivered, rejected (not retried) or retried.
func TestDeliverer_RunDue_Acknowledgement(t *testing.T) {
	for _, tc := range []struct {
		name     string
		protocol string
		reply    string // B and P stand for the billnumber and packetdate sent
		outcome  string
		state    gateway.NotificationState
	}{
		{"bare", "post",
			`<pushpaymentresult firstcode="0" secondcode="0"><order><billnumber>B</billnumber><packetdate>P</packetdate></order></pushpaymentresult>`,
			"delivered", gateway.NotifyDelivered},
		{"soap response", "soap",
			soapEnvelope(`<ws:PushPaymentResultResponse xmlns:ws="http://www.paysecure.ru/ws/"><pushpaymentresult firstcode="0" secondcode="0"><order><billnumber>B</billnumber><packetdate>P</packetdate></order></pushpaymentresult></ws:PushPaymentResultResponse>`),
			"delivered", gateway.NotifyDelivered},
		{"mixed case and spaces", "post",
			`<?xml version="1.0"?><!-- ok --><PushPaymentResult FirstCode=" 0 " SecondCode="0"><Order><BillNumber> B </BillNumber><PacketDate>P</PacketDate></Order></PushPaymentResult>`,
			"delivered", gateway.NotifyDelivered},
		{"namespaced", "soap",
			soapEnvelope(`<r:PushPaymentResultResponse xmlns:r="http://www.paysecure.ru/ws/"><r:pushpaymentresult firstcode="0" secondcode="0"><r:order><r:billnumber>B</r:billnumber><r:packetdate>P</r:packetdate></r:order></r:pushpaymentresult></r:PushPaymentResultResponse>`),
			"delivered", gateway.NotifyDelivered},
		{"no echo", "post", `<pushpaymentresult firstcode="0" secondcode="0"/>`, "retry", gateway.NotifyPending},
		{"echo outside order", "post",
			`<pushpaymentresult firstcode="0" secondcode="0"><billnumber>B</billnumber><order><packetdate>P</packetdate></order></pushpaymentresult>`,
			"retry", gateway.NotifyPending},
		{"echo of another packet", "post",
			`<pushpaymentresult firstcode="0" secondcode="0"><order><billnumber>B</billnumber><packetdate>01.01.2020 00:00:00</packetdate></order></pushpaymentresult>`,
			"retry", gateway.NotifyPending},
		{"truncated", "post", `<pushpaymentresult firstcode="0" secondcode="0"><order><billnumber>B`, "retry", gateway.NotifyPending},
		{"refused with an echo", "soap",
			soapEnvelope(`<PushPaymentResultResponse><pushpaymentresult firstcode="7" secondcode="0"><order><billnumber>B</billnumber><packetdate>P</packetdate></order></pushpaymentresult></PushPaymentResultResponse>`),
			"rejected", gateway.NotifyRejected},
		{"fault beside an ack", "soap",
			soapEnvelope(soapFault + `<pushpaymentresult firstcode="0" secondcode="0"><order><billnumber>B</billnumber><packetdate>P</packetdate></order></pushpaymentresult>`),
			"rejected", gateway.NotifyRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMerchantServer(t)
			m.setReply(func(_ int, r request) (int, string) {
				return 200, strings.NewReplacer(">B<", ">"+r.Fields["billnumber"]+"<", "> B <", "> "+r.Fields["billnumber"]+" <",
					">P<", ">"+r.Fields["packetdate"]+"<").Replace(tc.reply)
			})
			f := newFixture(t, tc.protocol, m.URL)
			id := f.payment()
			f.runDue()
			if got, want := f.lastAttempt(id).Outcome, tc.outcome; got != want {
				t.Errorf("outcome = %q, want %q (%+v)", got, want, f.lastAttempt(id))
			}
			if got, want := f.notification(id).State, tc.state; got != want {
				t.Errorf("state = %s, want %s", got, want)
			}
		})
	}
}
