package wire

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Kind is what a generated struct field holds on the wire.
type Kind int

const (
	Text Kind = iota // a string child element
	Attr             // a string attribute
	Elem             // a pointer to a struct: one child element
	List             // a slice of pointers to structs: repeated child elements
)

// XMLField is one field of a type gowsdl generated, as encoding/xml tags describe it.
type XMLField struct {
	Index int
	Name  string // element or attribute name
	Kind  Kind
	Type  reflect.Type // the struct type of an Elem or List
}

// XMLFields lists a generated struct's wire fields in declaration order: the WSDL's sequence.
// XMLName and ",any" catch-alls are left out.
func XMLFields(t reflect.Type) ([]XMLField, error) {
	var out []XMLField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("xml")
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Name == "XMLName" || strings.Contains(opts, "any") || name == "" || name == "-" {
			continue
		}
		f := XMLField{Index: i, Name: name}
		switch {
		case sf.Type.Kind() == reflect.String && strings.Contains(opts, "attr"):
			f.Kind = Attr
		case sf.Type.Kind() == reflect.String:
			f.Kind = Text
		case sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Struct:
			f.Kind, f.Type = Elem, sf.Type.Elem()
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.Pointer &&
			sf.Type.Elem().Elem().Kind() == reflect.Struct:
			f.Kind, f.Type = List, sf.Type.Elem().Elem()
		default:
			return nil, fmt.Errorf("%s.%s: a %s is not a wire field soapgate can write (keep WSDL fields xsd:string)", t, sf.Name, sf.Type)
		}
		out = append(out, f)
	}
	return out, nil
}

// plan is how Fields fill one generated type: each text field's index and wire Name.
type plan struct {
	index []int
	name  []Name
}

var plans sync.Map // reflect.Type → *plan

// Check reports whether every text field of the generated struct type t has a value in the
// mapping; the server checks each type it answers with when it starts, and a test fails
// when a WSDL gains a field the mapping cannot fill.
func Check(t reflect.Type) error {
	_, err := planOf(t)
	return err
}

func planOf(t reflect.Type) (*plan, error) {
	if p, ok := plans.Load(t); ok {
		return p.(*plan), nil
	}
	fields, err := XMLFields(t)
	if err != nil {
		return nil, err
	}
	p := &plan{}
	for _, f := range fields {
		if f.Kind != Text {
			continue
		}
		n, ok := Lookup(f.Name)
		if !ok {
			return nil, fmt.Errorf("%s: the WSDL declares %q, which package wire does not map", t, f.Name)
		}
		p.index, p.name = append(p.index, f.Index), append(p.name, n)
	}
	plans.Store(t, p)
	return p, nil
}

// Project copies the values of f into the text fields of *dst, a type gowsdl generated
// (orderstate.Order, notification.Operation, ...). It panics when the type has a field the
// mapping does not know; Check finds those first.
func Project[T any](dst *T, f *Fields) *T {
	p, err := planOf(reflect.TypeFor[T]())
	if err != nil {
		panic(err)
	}
	v := reflect.ValueOf(dst).Elem()
	for i, idx := range p.index {
		v.Field(idx).SetString(f[p.name[i]])
	}
	return dst
}
