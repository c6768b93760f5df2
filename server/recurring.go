package server

import (
	"context"

	"soapgate/gateway"
)

// rp and tokenpay: charges on a stored card, answered like charge and silentpay.

func (s *Server) recurrent(ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error) {
	// X is taken over the new ordernumber, amount and currency (contract section 5).
	if err := guard(c, m, "amount", "currency"); err != nil {
		return nil, err
	}
	return s.opReply(m, packet)(s.Gateway.Recurrent(ctx, m, gateway.RecurringPayRequest{
		BillNumber: c.get("billnumber"), OrderNumber: c.get("ordernumber"), Amount: c.get("amount"),
		Currency: c.get("currency"), Comment: c.get("ordercomment"), IPAddress: clientIP(c.r),
	}))
}

func (s *Server) tokenPay(ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error) {
	if err := guard(c, m, "orderamount", "ordercurrency"); err != nil {
		return nil, err
	}
	ip := c.get("clientip")
	if ip == "" {
		ip = clientIP(c.r)
	}
	return s.opReply(m, packet)(s.Gateway.TokenPay(ctx, m, gateway.TokenPayRequest{
		OrderNumber: c.get("ordernumber"), Amount: c.get("orderamount"), Currency: c.get("ordercurrency"),
		Comment: c.get("ordercomment"), TwoStage: c.get("delay"),
		Customer: gateway.Customer{FirstName: c.get("firstname"), LastName: c.get("lastname"), MiddleName: c.get("middlename"),
			Email: c.get("email"), MobilePhone: c.get("mobilephone"), IPAddress: ip},
		TokenType: c.get("tokentype"), PaymentToken: c.get("paymenttoken"),
		Token: c.get("token"), CustomerNumber: c.get("customernumber"),
	}))
}
