package server

import (
	"fmt"
	"reflect"
	"strings"

	"soapgate/wire"
)

// elemPlan is how one generated type is written: its element's fields in WSDL order, and for
// the response's own type its name and namespace. Plans are made once, when the service
// table is built, from the types gowsdl generated (WSDL-first: no second list of fields).
type elemPlan struct {
	typ    reflect.Type
	name   string // local name (the root's from XMLName)
	ns     string // the root's namespace
	fields []wire.XMLField
	child  map[int]*elemPlan // plans of Elem and List fields, by field index
	codes  bool              // carries the firstcode, secondcode and count attributes
	id     bool              // declares an Id attribute: the payload an XML-DSig signature refers to
	sealed bool              // has a checkvalue: an order, which JSON gives checkdata and customer
}

func planElem(t reflect.Type, name string) (*elemPlan, error) {
	fields, err := wire.XMLFields(t)
	if err != nil {
		return nil, err
	}
	p := &elemPlan{typ: t, name: name, fields: fields, child: map[int]*elemPlan{}}
	if f, ok := t.FieldByName("XMLName"); ok {
		space, local, _ := strings.Cut(f.Tag.Get("xml"), " ")
		p.ns, p.name = space, local
	}
	for _, f := range fields {
		switch f.Kind {
		case wire.Attr:
			p.codes = p.codes || f.Name == "firstcode"
			p.id = p.id || f.Name == "Id"
		case wire.Text:
			p.sealed = p.sealed || f.Name == "checkvalue"
		case wire.Elem, wire.List:
			if p.child[f.Index], err = planElem(f.Type, f.Name); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// respPlan is the layout of one response type, as every format needs it.
type respPlan struct {
	root    *elemPlan
	carrier []int     // field indexes from the root to the element with the codes (orderresult: its inner element)
	records []int     // field indexes from the carrier to the repeated records; empty: the carrier is the one record
	record  *elemPlan // the plan of one record: an order, a scheduled operation, or the carrier itself
}

func planResponse(t reflect.Type) (*respPlan, error) {
	root, err := planElem(t, "")
	if err != nil {
		return nil, err
	}
	rp := &respPlan{root: root}
	carrier := root
	if !root.codes {
		for _, f := range root.fields {
			if c := root.child[f.Index]; f.Kind == wire.Elem && c.codes {
				rp.carrier, carrier = []int{f.Index}, c
			}
		}
		if carrier == root {
			return nil, fmt.Errorf("%s: no element carries firstcode and secondcode", t)
		}
	}
	rp.record = carrier
	for _, f := range carrier.fields {
		c := carrier.child[f.Index]
		switch f.Kind {
		case wire.List:
			rp.records, rp.record = []int{f.Index}, c
		case wire.Elem: // a wrapper such as charge's orders
			for _, g := range c.fields {
				if g.Kind == wire.List {
					rp.records, rp.record = []int{f.Index, g.Index}, c.child[g.Index]
				}
			}
		}
		if len(rp.records) > 0 {
			break
		}
	}
	// Orders and their operations are filled by wire.Project: every field the WSDL declares
	// must be one the mapping knows.
	if rp.record.sealed {
		if err := wire.Check(rp.record.typ); err != nil {
			return nil, err
		}
		for _, c := range rp.record.child {
			if err := wire.Check(c.typ); err != nil {
				return nil, err
			}
		}
	}
	return rp, nil
}

// follow walks field indexes through pointers; it returns an invalid Value at a nil pointer.
func follow(v reflect.Value, path []int) reflect.Value {
	for _, i := range path {
		if !v.IsValid() {
			return v
		}
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				return reflect.Value{}
			}
			f = f.Elem()
		}
		v = f
	}
	return v
}

// recordsOf returns the records of a response value (a struct, not a pointer).
func (rp *respPlan) recordsOf(v reflect.Value) []reflect.Value {
	c := follow(v, rp.carrier)
	if !c.IsValid() {
		return nil
	}
	if len(rp.records) == 0 {
		return []reflect.Value{c}
	}
	last := rp.records[len(rp.records)-1]
	holder := follow(c, rp.records[:len(rp.records)-1])
	if !holder.IsValid() {
		return nil
	}
	list := holder.Field(last)
	out := make([]reflect.Value, 0, list.Len())
	for i := 0; i < list.Len(); i++ {
		if e := list.Index(i); !e.IsNil() {
			out = append(out, e.Elem())
		}
	}
	return out
}
