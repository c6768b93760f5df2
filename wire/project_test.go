package wire_test

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"

	"soapgate/generated/charge"
	"soapgate/generated/notification"
	"soapgate/generated/orderresult"
	"soapgate/generated/orderstate"
	"soapgate/generated/rp"
	"soapgate/generated/silentpay"
	"soapgate/generated/tokenpay"
	"soapgate/generated/wscancel"
	"soapgate/wire"
)

// sample has one field of each kind, and the fields XMLFields leaves out.
type sample struct {
	XMLName xml.Name `xml:"urn:x sample"`
	Text    string   `xml:"text,omitempty"`
	Attr    string   `xml:"attr,attr,omitempty"`
	Child   *inner   `xml:"child,omitempty"`
	Items   []*inner `xml:"item,omitempty"`
	Any     []string `xml:",any"`
	Skip    string   `xml:"-"`
	NoTag   string
}

type inner struct {
	Value string `xml:"value"`
}

func TestXMLFields(t *testing.T) {
	fields, err := wire.XMLFields(reflect.TypeFor[sample]())
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.XMLField{
		{Index: 1, Name: "text", Kind: wire.Text},
		{Index: 2, Name: "attr", Kind: wire.Attr},
		{Index: 3, Name: "child", Kind: wire.Elem, Type: reflect.TypeFor[inner]()},
		{Index: 4, Name: "item", Kind: wire.List, Type: reflect.TypeFor[inner]()},
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("XMLFields\n got %+v\nwant %+v", fields, want)
	}

	t.Run("unsupported type", func(t *testing.T) {
		type bad struct {
			Amount int `xml:"amount"`
		}
		_, err := wire.XMLFields(reflect.TypeFor[bad]())
		if err == nil || !strings.Contains(err.Error(), "Amount") {
			t.Errorf("err = %v, want one naming the field", err)
		}
		if err := wire.Check(reflect.TypeFor[bad]()); err == nil {
			t.Errorf("Check accepted a non-string field")
		}
	})
	t.Run("generated order keeps the WSDL order", func(t *testing.T) {
		typ := reflect.TypeFor[orderstate.Order]()
		fields, err := wire.XMLFields(typ)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(fields), typ.NumField(); got != want {
			t.Fatalf("fields = %d, want %d", got, want)
		}
		for i, f := range fields {
			if got, want := f.Index, i; got != want {
				t.Errorf("field %d index = %d", i, got)
			}
			if tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("xml"), ","); f.Name != tag {
				t.Errorf("field %d = %q, want %q", i, f.Name, tag)
			}
		}
	})
}

func TestCheck(t *testing.T) {
	type unknown struct {
		Ordernumber string `xml:"ordernumber"`
		Loyalty     string `xml:"loyaltypoints"`
	}
	err := wire.Check(reflect.TypeFor[unknown]())
	if err == nil || !strings.Contains(err.Error(), "loyaltypoints") {
		t.Errorf("Check = %v, want an error naming loyaltypoints", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Project into a type with an unknown field did not panic")
		}
	}()
	var f wire.Fields
	wire.Project(new(unknown), &f)
}

// filled has every wire field set to its own name.
func filled() *wire.Fields {
	var f wire.Fields
	for n := wire.MerchantID; n <= wire.Checkvalue; n++ {
		f[n] = "v:" + n.String()
	}
	return &f
}

// checkProjected checks that each text field of v holds the value of its wire name.
func checkProjected(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	fields, err := wire.XMLFields(rv.Type())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fields {
		if f.Kind != wire.Text {
			continue
		}
		n++
		if got, want := rv.Field(f.Index).String(), "v:"+f.Name; got != want {
			t.Errorf("%s.%s = %q, want %q", rv.Type(), f.Name, got, want)
		}
	}
	if n == 0 {
		t.Errorf("%s has no text fields", rv.Type())
	}
}

func TestProject(t *testing.T) {
	f := filled()
	for _, tc := range []struct {
		name string
		typ  reflect.Type
		v    any
	}{
		{"orderstate", reflect.TypeFor[orderstate.Order](), wire.Project(new(orderstate.Order), f)},
		{"orderresult", reflect.TypeFor[orderresult.Order](), wire.Project(new(orderresult.Order), f)},
		{"orderresult operation", reflect.TypeFor[orderresult.Operation](), wire.Project(new(orderresult.Operation), f)},
		{"charge", reflect.TypeFor[charge.Order](), wire.Project(new(charge.Order), f)},
		{"wscancel", reflect.TypeFor[wscancel.Order](), wire.Project(new(wscancel.Order), f)},
		{"silentpay", reflect.TypeFor[silentpay.Order](), wire.Project(new(silentpay.Order), f)},
		{"rp", reflect.TypeFor[rp.Order](), wire.Project(new(rp.Order), f)},
		{"tokenpay", reflect.TypeFor[tokenpay.Order](), wire.Project(new(tokenpay.Order), f)},
		{"notification", reflect.TypeFor[notification.Order](), wire.Project(new(notification.Order), f)},
		{"notification operation", reflect.TypeFor[notification.Operation](), wire.Project(new(notification.Operation), f)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := wire.Check(tc.typ); err != nil {
				t.Fatalf("Check: %v", err)
			}
			checkProjected(t, tc.v)
		})
	}
	t.Run("leaves other fields alone", func(t *testing.T) {
		o := &orderresult.Order{Operation: []*orderresult.Operation{{Billnumber: "keep"}}}
		wire.Project(o, filled())
		if got, want := o.Operation[0].Billnumber, "keep"; got != want {
			t.Errorf("operation billnumber = %q, want %q", got, want)
		}
	})
	t.Run("empty fields stay empty", func(t *testing.T) {
		var f wire.Fields
		o := wire.Project(&silentpay.Order{Ordernumber: "stale"}, &f)
		if o.Ordernumber != "" {
			t.Errorf("ordernumber = %q, want it overwritten with empty", o.Ordernumber)
		}
	})
}
