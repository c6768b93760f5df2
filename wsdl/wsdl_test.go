package wsdl_test

import (
	"bytes"
	"encoding/xml"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"soapgate/wsdl"
)

// The field lists of docs/wire-shapes.md, in wire order.
var (
	window    = f("startyear startmonth startday starthour startmin endyear endmonth endday endhour endmin")
	stateF    = f("ordernumber billnumber orderamount ordercurrency orderstate packetdate signature checkvalue")
	resultF   = f("ordernumber billnumber testmode ordercomment orderamount ordercurrency firstname lastname middlename email orderdate orderstate packetdate signature checkvalue")
	operation = f("billnumber operationtype operationstate amount currency rate meantypename meansubtype meannumber cardholder cardexpirationdate issuebank bankcountry ipaddress responsecode message customermessage recommendation approvalcode protocoltypename processingname operationdate")
	oporder   = f("ordernumber responsecode recommendation message customermessage ordercomment orderdate amount currency rate meantypename meansubtype meannumber lastname firstname middlename email issuebank bankcountry approvalcode cardholder cardexpirationdate protocoltypename testmode orderstate processingname operationtype billnumber orderamount ordercurrency slipno packetdate signature checkvalue token recurringstate")
	notifyF   = f("merchant_id ordernumber billnumber testmode ordercomment orderamount ordercurrency amount currency firstname lastname middlename email orderdate orderstate responsecode message approvalcode meantypename meannumber cardholder operationtype operationdate packetdate recurringstate token customernumber checkvalue signature")
	cred      = f("merchant_id login password")
	codes     = f("firstcode secondcode count")
	// errorF is the fault detail ws:error: its text ("_") and the two codes.
	errorF = f("_ firstcode secondcode")
)

func f(s string) []string { return strings.Fields(s) }

func cat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

type service struct {
	file      string
	operation string
	request   string // request element
	response  string // response element
	location  string
	moreOps   []string // further operations of the same binding, after operation
	// types: every element and named type of the schema with its children
	// and attributes in declaration order ("_" is simple content, "any" an
	// xsd:any wildcard).
	types map[string][]string
}

var services = []service{
	{
		file: "orderstate.wsdl", operation: "orderstate", request: "orderstate", response: "orderstateResponse",
		location: "http://127.0.0.1:8080/orderstate/orderstate.cfm",
		types: map[string][]string{
			"orderstate":         cat(cred, f("ordernumber language"), window),
			"orderstateResponse": cat(f("order any"), codes, f("Id")),
			"Order":              stateF,
			"error":              errorF,
		},
	},
	{
		file: "orderresult.wsdl", operation: "orderresult", request: "orderresult", response: "orderresultResponse",
		location: "http://127.0.0.1:8080/orderresult/orderresult.cfm",
		types: map[string][]string{
			"orderresult":         cat(cred, f("ordernumber billnumber language"), window),
			"orderresultResponse": f("orderresult any Id"),
			"Result":              cat(f("order"), codes),
			"Order":               cat(resultF, f("operation")),
			"Operation":           operation,
			"error":               errorF,
		},
	},
	{
		file: "charge.wsdl", operation: "charge", request: "charge", response: "chargeResponse",
		location: "http://127.0.0.1:8080/charge/charge.cfm",
		types: map[string][]string{
			"charge":         cat(f("billnumber"), cred, f("amount currency language")),
			"chargeResponse": cat(f("orders any"), codes, f("Id")),
			"Orders":         f("order"),
			"Order":          oporder,
			"error":          errorF,
		},
	},
	{
		file: "wscancel.wsdl", operation: "wscancel", request: "WSCancelRequestParams", response: "WSCancelResponseParams",
		location: "http://127.0.0.1:8080/cancel/wscancel.cfm",
		types: map[string][]string{
			"WSCancelRequestParams":  cat(f("billnumber"), cred, f("amount currency cancelreason externalrefundid language")),
			"WSCancelResponseParams": cat(f("order any"), codes, f("Id")),
			"Order":                  oporder,
			"error":                  errorF,
		},
	},
	{
		file: "silentpay.wsdl", operation: "silentpay", request: "silentpay", response: "silentpayResponse",
		location: "http://127.0.0.1:8080/pay/silentpay.cfm",
		types: map[string][]string{
			"silentpay": cat(cred, f(`ordernumber orderamount ordercurrency ordercomment delay cardnumber
				expiremonth expireyear cvc2 cardholder lastname firstname middlename email mobilephone
				customernumber recurringindicator recurringminamount recurringmaxamount recurringperiod
				recurringmaxdate checkvalue signature language clientip`+buyerReceipt)),
			"silentpayResponse": cat(f("order any"), codes, f("Id")),
			"Order":             oporder,
			"error":             errorF,
		},
	},
	{
		file: "rp.wsdl", operation: "rp", request: "rp", response: "rpResponse",
		location: "http://127.0.0.1:8080/recurrent/rp.cfm",
		types: map[string][]string{
			"rp":         cat(f("billnumber ordernumber"), cred, f("amount currency ordercomment signature checkvalue language")),
			"rpResponse": cat(f("orders any"), codes, f("Id")),
			"Orders":     f("order"),
			"Order":      oporder,
			"error":      errorF,
		},
	},
	{
		file: "tokenpay.wsdl", operation: "tokenpay", request: "tokenpay", response: "PaymentTokenResponseParams",
		location: "http://127.0.0.1:8080/pay/tokenpay.cfm",
		types: map[string][]string{
			"tokenpay": cat(cred, f(`ordernumber orderamount ordercurrency ordercomment delay lastname firstname
				middlename email mobilephone tokentype paymenttoken token customernumber checkvalue signature language clientip`+buyerReceipt)),
			"PaymentTokenResponseParams": cat(f("order any"), codes, f("Id")),
			"Order":                      oporder,
			"error":                      errorF,
		},
	},
	{
		file: "scheduler.wsdl", operation: "SetScheduledOperation", request: "SetScheduledOperation", response: "SetScheduledOperationResponse",
		moreOps:  []string{"GetScheduledOperation"},
		location: "http://127.0.0.1:8080/scheduler/scheduler.cfm",
		types: map[string][]string{
			"SetScheduledOperation": cat(cred, f(`operation billnumber amount currency description startdate periodlength
				periodtype enddate retrycount retryperiodhours state language`)),
			"SetScheduledOperationResponse": cat(f("operation CronOperationId state"), codes),
			"GetScheduledOperation":         cat(cred, f("operation billnumber skip take language")),
			"GetScheduledOperationResponse": cat(f("scheduledoperation"), codes),
			"ScheduledOperation": f(`operation billnumber amount currency description startdate periodlength periodtype
				enddate state nextrun attempts lastresponsecode`),
			"error": errorF,
		},
	},
	{
		file: "notification.wsdl", operation: "PushPaymentResult", request: "PushPaymentResult", response: "PushPaymentResultResponse",
		location: "http://127.0.0.1:8080/merchant/notify",
		types: map[string][]string{
			"PushPaymentResult":         f("order"),
			"PushPaymentResultResponse": f("pushpaymentresult"),
			"Order":                     cat(notifyF, f("operation any Id")),
			"Operation":                 operation,
			"Ack":                       f("order firstcode secondcode"),
			"AckOrder":                  f("billnumber packetdate"),
			"error":                     errorF,
		},
	},
}

// buyerReceipt are the buyer fields and the fiscal receipt's fields a payment takes (issue 11).
const buyerReceipt = ` address homephone workphone fax country state city zip chequeitems generatereceipt tax
	receiptline fpmode taxationsystem`

// TestFS checks that the embedded files are exactly the WSDLs tested here.
func TestFS(t *testing.T) {
	got, err := fs.Glob(wsdl.FS, "*")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range services {
		want = append(want, s.file)
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("embedded files = %v, want %v", got, want)
	}
}

// TestBinding checks what the toolkits do not print: the address, the
// SOAPAction, the fault and the schema's form defaults.
func TestBinding(t *testing.T) {
	type soapOp struct {
		Name   string `xml:"name,attr"`
		Action struct {
			SOAPAction string `xml:"soapAction,attr"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ operation"`
		Fault struct {
			Name string `xml:"name,attr"`
		} `xml:"fault"`
	}
	type definitions struct {
		TargetNamespace string `xml:"targetNamespace,attr"`
		Schema          struct {
			TargetNamespace    string `xml:"targetNamespace,attr"`
			ElementFormDefault string `xml:"elementFormDefault,attr"`
		} `xml:"types>schema"`
		Bindings []struct {
			Ops []soapOp `xml:"operation"`
		} `xml:"binding"`
		Ports []struct {
			Address struct {
				Location string `xml:"location,attr"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ address"`
		} `xml:"service>port"`
	}
	const tns = "http://www.paysecure.ru/ws/"
	for _, s := range services {
		t.Run(s.file, func(t *testing.T) {
			b, err := wsdl.FS.ReadFile(s.file)
			if err != nil {
				t.Fatal(err)
			}
			var defs definitions
			if err := xml.Unmarshal(b, &defs); err != nil {
				t.Fatal(err)
			}
			if defs.TargetNamespace != tns || defs.Schema.TargetNamespace != tns || defs.Schema.ElementFormDefault != "unqualified" {
				t.Errorf("namespaces: definitions %q, schema %q, elementFormDefault %q", defs.TargetNamespace, defs.Schema.TargetNamespace, defs.Schema.ElementFormDefault)
			}
			if len(defs.Ports) != 1 || defs.Ports[0].Address.Location != s.location {
				t.Errorf("ports = %+v, want one at %s", defs.Ports, s.location)
			}
			names := append([]string{s.operation}, s.moreOps...)
			if len(defs.Bindings) != 1 || len(defs.Bindings[0].Ops) != len(names) {
				t.Fatalf("bindings = %+v, want one with operations %v", defs.Bindings, names)
			}
			for i, op := range defs.Bindings[0].Ops {
				if op.Name != names[i] || op.Action.SOAPAction != tns+names[i] || op.Fault.Name != "error" {
					t.Errorf("binding operation = %+v, want %s with soapAction %s and fault error", op, names[i], tns+names[i])
				}
			}
		})
	}
}

// TestZeep imports each WSDL with python zeep and checks the element and
// type signatures it prints.
func TestZeep(t *testing.T) {
	python := os.Getenv("SOAPGATE_PYTHON") // an interpreter with zeep; Debian's python3-zeep is under /usr/bin
	if python == "" {
		python = "/usr/bin/python3"
	}
	if _, err := exec.LookPath(python); err != nil {
		t.Skipf("%s not found (set SOAPGATE_PYTHON to a python with zeep)", python)
	}
	sig := regexp.MustCompile(`^\s*ns0:(\w+)\((.*)\)\s*$`)
	for _, s := range services {
		t.Run(s.file, func(t *testing.T) {
			out := run(t, python, "-m", "zeep", s.file)
			got := map[string][]string{}
			for _, line := range strings.Split(out, "\n") {
				m := sig.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				var names []string
				for _, p := range strings.Split(m[2], ", ") {
					name, _, ok := strings.Cut(p, ": ")
					switch {
					case !ok:
						name = "_" // simple content: "xsd:string"
					case strings.HasPrefix(name, "_value_"):
						name = "any"
					}
					names = append(names, name)
				}
				got[m[1]] = names
			}
			compare(t, "zeep", s.types, got)
			want := s.operation + "(" + strings.Join(fieldsOf(s.types[s.request]), ": xsd:string, ")
			if !strings.Contains(out, want) {
				t.Errorf("zeep lists no operation %s: want %q in\n%s", s.operation, want, out)
			}
		})
	}
}

// TestPHPSoapClient imports each WSDL with PHP's SoapClient and checks
// __getFunctions and __getTypes.
func TestPHPSoapClient(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php not found")
	}
	const script = `error_reporting(E_ALL);
set_error_handler(function ($no, $msg) { fwrite(STDERR, "PHP warning: $msg\n"); exit(3); });
$c = new SoapClient($argv[1], ['cache_wsdl' => WSDL_CACHE_NONE]);
foreach ($c->__getFunctions() as $fn) echo "function $fn\n";
foreach ($c->__getTypes() as $ty) echo preg_replace('/\s+/', ' ', $ty), "\n";`
	structRE := regexp.MustCompile(`^struct (\w+) \{ (.*)\}$`)
	for _, s := range services {
		t.Run(s.file, func(t *testing.T) {
			out := run(t, php, "-r", script, s.file)
			got := map[string][]string{}
			for _, line := range strings.Split(out, "\n") {
				m := structRE.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				var names []string
				for _, decl := range strings.Split(strings.TrimSpace(m[2]), ";") {
					if fs := strings.Fields(decl); len(fs) == 2 {
						names = append(names, fs[1])
					}
				}
				got[m[1]] = names
			}
			compare(t, "PHP __getTypes", s.types, got)
			want := "function " + s.response + " " + s.operation + "(" + s.request + " $parameters)"
			if !strings.Contains(out, want) {
				t.Errorf("PHP __getFunctions: want %q in\n%s", want, out)
			}
		})
	}
}

// TestGSOAP runs gSOAP's wsdl2h and soapcpp2 over each WSDL and fails on any
// warning.
func TestGSOAP(t *testing.T) {
	wsdl2h, err := exec.LookPath("wsdl2h")
	if err != nil {
		t.Skip("wsdl2h not found (apt-get install gsoap)")
	}
	soapcpp2, err := exec.LookPath("soapcpp2")
	if err != nil {
		t.Skip("soapcpp2 not found (apt-get install gsoap)")
	}
	for _, s := range services {
		t.Run(s.file, func(t *testing.T) {
			dir := t.TempDir()
			abs, err := filepath.Abs(s.file)
			if err != nil {
				t.Fatal(err)
			}
			header := filepath.Join(dir, "service.h")
			out := run(t, wsdl2h, "-o", header, abs)
			out += run(t, soapcpp2, "-C", "-L", "-x", "-d", dir, "-I/usr/share/gsoap/import", header)
			if strings.Contains(strings.ToLower(out), "warning") {
				t.Errorf("gSOAP warned:\n%s", out)
			}
			h, err := os.ReadFile(header)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(h, []byte("schema form:\tunqualified")) {
				t.Errorf("wsdl2h did not read elementFormDefault=unqualified")
			}
		})
	}
}

// fieldsOf drops the simple-content marker.
func fieldsOf(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "_" {
			out = append(out, n)
		}
	}
	return out
}

func compare(t *testing.T, toolkit string, want, got map[string][]string) {
	t.Helper()
	for name, fields := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: no type %s (got %v)", toolkit, name, keys(got))
			continue
		}
		if !reflect.DeepEqual(g, fields) {
			t.Errorf("%s: %s fields\n got %v\nwant %v", toolkit, name, g, fields)
		}
	}
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String()
}
