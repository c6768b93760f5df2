package notify

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// ack is what a merchant's reply says.
type ack struct {
	fault              bool // a SOAP Fault
	found              bool // a pushpaymentresult element was there
	first, second      string
	billNumber, packet string
}

// parseAck reads a merchant's reply: a pushpaymentresult element (bare for POST, inside
// PushPaymentResultResponse for SOAP) or a SOAP Fault. Hostile replies are bounded by the
// caller; DTDs are refused.
func parseAck(body []byte) (ack, error) {
	var a ack
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	var path []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return a, err
		}
		switch t := tok.(type) {
		case xml.Directive:
			return a, errors.New("DTD in reply")
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			path = append(path, name)
			switch name {
			case "fault":
				a.fault = true
			case "pushpaymentresult":
				a.found = true
				for _, at := range t.Attr {
					switch strings.ToLower(at.Name.Local) {
					case "firstcode":
						a.first = strings.TrimSpace(at.Value)
					case "secondcode":
						a.second = strings.TrimSpace(at.Value)
					}
				}
			}
		case xml.CharData:
			if len(path) >= 2 && path[len(path)-2] == "order" && contains(path, "pushpaymentresult") {
				switch path[len(path)-1] {
				case "billnumber":
					a.billNumber += strings.TrimSpace(string(t))
				case "packetdate":
					a.packet += strings.TrimSpace(string(t))
				}
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
	return a, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
