package web

import (
	"context"

	"soapgate/gateway"
	"soapgate/obs"
)

// buyerField is one buyer field the order page shows (#buyer-<name>).
type buyerField struct{ Name, Label, Value string }

// buyerFields lists the order's buyer fields that were sent, in the order of the protocol.
func buyerFields(lang string, c gateway.Customer) []buyerField {
	var out []buyerField
	for _, f := range []struct{ name, v string }{
		{"mobilephone", c.MobilePhone}, {"homephone", c.HomePhone}, {"workphone", c.WorkPhone}, {"fax", c.Fax},
		{"country", c.Country}, {"state", c.State}, {"city", c.City}, {"zip", c.Zip}, {"address", c.Address},
	} {
		if f.v != "" {
			out = append(out, buyerField{f.name, text(lang, "buyer."+f.name), f.v})
		}
	}
	return out
}

// receiptView is one receipt as the order page shows it in #receipt.
type receiptView struct {
	*gateway.Receipt
	Operation string // the extended billnumber of the operation it records
}

// orderReceipts reads the order's receipts for the page; a failure is logged and shown as
// none, so that the page still serves the order's money actions.
func (h *Handler) orderReceipts(ctx context.Context, m *gateway.Merchant, o *gateway.Order) []receiptView {
	list, err := h.Pages.Gateway.OrderReceipts(ctx, m, o.BillNumber)
	if err != nil {
		obs.Logger(ctx, h.Logger).Error("monitor: receipts", "billnumber", o.BillNumber, "err", err)
		return nil
	}
	out := make([]receiptView, len(list))
	for i, r := range list {
		out[i] = receiptView{r, o.BillNumber + "." + itoa(r.OpSeq)}
	}
	return out
}
