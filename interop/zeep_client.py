#!/usr/bin/python3
"""Interoperability check of soapgate with python zeep (Debian python3-zeep).

Usage: /usr/bin/python3 zeep_client.py BASE_URL ORDERNUMBER_PREFIX
  e.g. /usr/bin/python3 zeep_client.py http://127.0.0.1:8080 zeep-123

Every WSDL is loaded from the server, and every call goes to the soap:address the
WSDL names, so the WSDLs, the address rewriting and the SOAP 1.1 shapes of
CONTRACT.md sections 2-5 are all exercised. Prints a JSON summary on stdout and
exits 1 when anything differs from the contract (each difference is listed under
"failures"), 2 on bad usage.
"""

import hashlib
import json
import re
import sys
import traceback
from urllib.parse import urlsplit

import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.transports import Transport

NS = "http://www.paysecure.ru/ws/"
MERCHANT_ID = "700001"
LOGIN = "demo_login"
PASSWORD = "demo_password1"
SECRET = "demo-secret"
AUTH = {"merchant_id": MERCHANT_ID, "login": LOGIN, "password": PASSWORD}

CARD_OK = "4111111111111111"
CARD_DECLINE = "4000000000000002"

# Field lists of CONTRACT.md section 4 / docs/wire-shapes.md, in contract order.
STATE = ("ordernumber billnumber orderamount ordercurrency orderstate packetdate "
         "signature checkvalue").split()
RESULT = ("ordernumber billnumber testmode ordercomment orderamount ordercurrency "
          "firstname lastname middlename email orderdate orderstate packetdate "
          "signature checkvalue").split()
OPERATION = ("billnumber operationtype operationstate amount currency rate meantypename "
             "meansubtype meannumber cardholder cardexpirationdate issuebank bankcountry "
             "ipaddress responsecode message customermessage recommendation approvalcode "
             "protocoltypename processingname operationdate").split()
OPORDER = ("ordernumber responsecode recommendation message customermessage ordercomment "
           "orderdate amount currency rate meantypename meansubtype meannumber lastname "
           "firstname middlename email issuebank bankcountry approvalcode cardholder "
           "cardexpirationdate protocoltypename testmode orderstate processingname "
           "operationtype billnumber orderamount ordercurrency slipno packetdate signature "
           "checkvalue token recurringstate").split()

SERVICES = {
    # name: (service path, .wsdl path)
    "silentpay": ("/pay/silentpay.cfm", "/pay/silentpay.wsdl"),
    "orderstate": ("/orderstate/orderstate.cfm", "/orderstate/orderstate.wsdl"),
    "orderresult": ("/orderresult/orderresult.cfm", "/orderresult/orderresult.wsdl"),
    "charge": ("/charge/charge.cfm", "/charge/charge.wsdl"),
    "wscancel": ("/cancel/wscancel.cfm", "/cancel/wscancel.wsdl"),
}

BILL_RE = re.compile(r"^\d{16}$")
EXT_BILL_RE = re.compile(r"^(\d{16})\.(\d+)$")


class Abort(Exception):
    """Stops the current scenario after a failure later steps depend on."""


class Run:
    def __init__(self):
        self.failures = []
        self.steps = []
        self.step = "setup"

    def begin(self, name):
        self.step = name
        entry = {"step": name}
        self.steps.append(entry)
        return entry

    def check(self, cond, msg):
        if not cond:
            self.failures.append("[%s] %s" % (self.step, msg))
        return bool(cond)

    def require(self, cond, msg):
        if not self.check(cond, msg):
            raise Abort(msg)

    def eq(self, got, want, what, required=False):
        ok = got == want
        msg = "%s: got %r, want %r" % (what, got, want)
        if required:
            self.require(ok, msg)
        else:
            self.check(ok, msg)
        return ok


R = Run()


def md5hex(s):
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def checkvalue(x):
    """CONTRACT.md 4: UPPER(MD5(UPPER(MD5hex(secret) + MD5hex(X))))."""
    return md5hex((md5hex(SECRET) + md5hex(x)).upper()).upper()


def s(v):
    """zeep gives None for empty elements; compare as strings."""
    return "" if v is None else str(v)


def fault_text(f):
    detail = ""
    if f.detail is not None:
        detail = etree.tostring(f.detail, encoding="unicode")
    return "SOAP Fault code=%r message=%r detail=%s" % (f.code, f.message, detail)


def fault_error(f):
    """Returns (firstcode, secondcode, text) of the ws:error in a Fault's detail."""
    if f.detail is None:
        return None
    el = f.detail.find("{%s}error" % NS)
    if el is None:
        for cand in f.detail.iter():
            if isinstance(cand.tag, str) and etree.QName(cand).localname == "error":
                el = cand
                break
    if el is None:
        return None
    return el.get("firstcode"), el.get("secondcode"), el.text or ""


def field_names(value):
    return [name for name, _ in value._xsd_type.elements]


def attr_names(value):
    return [name for name, _ in value._xsd_type.attributes]


def check_declared(value, expected, what, optional=()):
    """The WSDL declares every field of the contract, in the protocol's order."""
    declared = field_names(value)
    missing = [f for f in expected if f not in declared and f not in optional]
    R.check(not missing, "%s: WSDL does not declare %s (declares %s)" % (what, missing, declared))
    present = [f for f in declared if f in expected]
    want_order = [f for f in expected if f in declared]
    R.check(present == want_order, "%s: fields declared in order %s, contract order is %s"
            % (what, present, want_order))


def check_codes(resp, what, count=None):
    R.check("firstcode" in attr_names(resp) and "secondcode" in attr_names(resp)
            and "count" in attr_names(resp),
            "%s: WSDL does not declare attributes firstcode/secondcode/count (declares %s)"
            % (what, attr_names(resp)))
    R.eq((s(resp.firstcode), s(resp.secondcode)), ("0", "0"), what + " firstcode/secondcode",
         required=True)
    if count is not None:
        R.eq(s(resp["count"]), str(count), what + " count attribute")


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return v
    return [v]


def check_numeric(order, names, what):
    for n in names:
        if n in field_names(order):
            R.check(s(order[n]) != "", "%s: numeric field %s is empty" % (what, n))


def check_op_checkvalue(o, what):
    x = MERCHANT_ID + s(o.ordernumber) + s(o.amount) + s(o.currency) + s(o.orderstate)
    R.eq(s(o.checkvalue), checkvalue(x), what + " checkvalue (X=%r)" % x)


def check_state_checkvalue(o, what):
    x = MERCHANT_ID + s(o.ordernumber) + s(o.orderamount) + s(o.ordercurrency) + s(o.orderstate)
    R.eq(s(o.checkvalue), checkvalue(x), what + " checkvalue (X=%r)" % x)


def load_clients(base):
    transport = Transport(timeout=20, operation_timeout=30)
    transport.session.trust_env = False  # never route the local server through a proxy
    clients = {}
    base_parts = urlsplit(base)
    for name, (path, wsdl_path) in SERVICES.items():
        R.begin("wsdl " + name)
        for url in (base + path + "?wsdl", base + wsdl_path):
            try:
                client = zeep.Client(url, transport=transport)
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                R.check(False, "zeep cannot load %s: %s: %s" % (url, type(e).__name__, e))
                continue
            try:
                client.service  # the default binding must exist
                addr = client.service._binding_options["address"]
            except Exception as e:  # noqa: BLE001
                R.check(False, "%s: no usable service/port: %s" % (url, e))
                continue
            p = urlsplit(addr)
            R.check((p.scheme, p.netloc, p.path) == (base_parts.scheme, base_parts.netloc, path),
                    "%s: soap:address is %r, want %s%s" % (url, addr, base, path))
            if not hasattr(client.service, name):
                R.check(False, "%s: no operation %r (operations: %s)" % (
                    url, name, sorted(client.service._operations)))
                continue
            clients.setdefault(name, client)
    return clients


def ops(clients, name):
    if name not in clients:
        raise Abort("no usable WSDL for " + name)
    return clients[name].service


def call(clients, name, **kw):
    """Calls an operation; an unexpected Fault aborts the scenario with its text."""
    try:
        return getattr(ops(clients, name), name)(**kw)
    except Fault as f:
        R.require(False, "%s(%s) answered %s" % (name, redact(kw), fault_text(f)))


def redact(kw):
    out = dict(kw)
    for k in ("password", "cardnumber", "cvc2"):
        if k in out:
            out[k] = "***"
    return out


def one_order(orders, what):
    R.require(len(orders) >= 1, "%s: no order in the response" % what)
    return orders[-1]


def pay(clients, ordernumber, card, delay):
    resp = call(clients, "silentpay", **AUTH, ordernumber=ordernumber, orderamount="100.00",
                ordercurrency="RUB", ordercomment="zeep interop", delay=delay,
                cardnumber=card, expiremonth="12", expireyear="2030", cvc2="123",
                cardholder="IVAN IVANOV", lastname="Ivanov", firstname="Ivan",
                email="ivan@example.com")
    check_codes(resp, "silentpayResponse", count=1)
    orders = as_list(resp.order)
    o = one_order(orders, "silentpayResponse")
    check_declared(o, OPORDER, "silentpayResponse/order", optional=("token", "recurringstate"))
    check_numeric(o, ("amount", "rate", "testmode", "operationtype", "orderamount"),
                  "silentpay order")
    return o


def orderstate(clients, ordernumber):
    resp = call(clients, "orderstate", **AUTH, ordernumber=ordernumber)
    orders = as_list(resp.order)
    check_codes(resp, "orderstateResponse", count=len(orders))
    o = one_order(orders, "orderstateResponse")
    check_declared(o, STATE, "orderstateResponse/order")
    return o


def charge(clients, billnumber, amount=None):
    kw = dict(billnumber=billnumber, **AUTH)
    if amount is not None:
        kw.update(amount=amount, currency="RUB")
    resp = call(clients, "charge", **kw)
    check_codes(resp, "chargeResponse")
    R.require(resp.orders is not None, "chargeResponse has no <orders>")
    o = one_order(as_list(resp.orders.order), "chargeResponse/orders")
    check_declared(o, OPORDER, "chargeResponse/orders/order", optional=("token", "recurringstate"))
    check_numeric(o, ("amount", "rate", "testmode", "operationtype", "orderamount"), "charge order")
    return o


def cancel(clients, billnumber, amount=None, externalrefundid=None):
    kw = dict(billnumber=billnumber, **AUTH)
    if amount is not None:
        kw.update(amount=amount, currency="RUB")
    if externalrefundid is not None:
        kw.update(externalrefundid=externalrefundid, cancelreason="interop refund")
    resp = call(clients, "wscancel", **kw)
    check_codes(resp, "WSCancelResponseParams")
    o = one_order(as_list(resp.order), "WSCancelResponseParams")
    check_declared(o, OPORDER, "WSCancelResponseParams/order", optional=("token", "recurringstate"))
    check_numeric(o, ("amount", "rate", "testmode", "operationtype", "orderamount"), "cancel order")
    return o


def ext_bill(o, bill, what):
    m = EXT_BILL_RE.match(s(o.billnumber))
    R.require(m is not None and m.group(1) == bill,
              "%s: billnumber %r is not an extended billnumber %s.<n>" % (what, s(o.billnumber), bill))
    return s(o.billnumber)


def scenario_two_stage(clients, prefix):
    on = prefix + "-2s"

    e = R.begin("silentpay two-stage")
    o = pay(clients, on, CARD_OK, "1")
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.ordernumber), on, "ordernumber")
    R.eq(s(o.responsecode), "AS000", "responsecode", required=True)
    R.eq(s(o.orderstate), "Delayed", "orderstate", required=True)
    R.eq(s(o.operationtype), "100", "operationtype")
    R.eq((s(o.amount), s(o.currency)), ("100.00", "RUB"), "amount/currency")
    R.require(re.match(r"^\d{16}\.1$", s(o.billnumber)),
              "billnumber %r is not <16 digits>.1" % s(o.billnumber))
    check_op_checkvalue(o, "silentpay")
    bill = s(o.billnumber)[:-2]
    seen = {s(o.billnumber)}

    e = R.begin("orderstate after payment")
    o = orderstate(clients, on)
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate))
    R.eq(s(o.orderstate), "Delayed", "orderstate")
    R.check(BILL_RE.match(s(o.billnumber)), "billnumber %r is not 16 digits" % s(o.billnumber))
    R.eq(s(o.billnumber), bill, "billnumber")
    R.eq((s(o.orderamount), s(o.ordercurrency)), ("100.00", "RUB"), "orderamount/ordercurrency")
    check_state_checkvalue(o, "orderstate")

    e = R.begin("charge partial 40.00")
    o = charge(clients, bill, "40.00")
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.responsecode), "AS000", "responsecode", required=True)
    R.eq(s(o.orderstate), "PartialDelayed", "orderstate", required=True)
    R.eq(s(o.operationtype), "200", "operationtype")
    R.eq(s(o.amount), "40.00", "amount")
    b = ext_bill(o, bill, "charge partial")
    R.check(b not in seen, "charge reused extended billnumber %s" % b)
    seen.add(b)
    check_op_checkvalue(o, "charge partial")

    e = R.begin("charge rest")
    o = charge(clients, bill)
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.responsecode), "AS000", "responsecode", required=True)
    R.eq(s(o.orderstate), "Approved", "orderstate", required=True)
    R.eq(s(o.operationtype), "200", "operationtype")
    R.eq(s(o.amount), "60.00", "amount (the remainder)")
    rest_bill = ext_bill(o, bill, "charge rest")
    R.check(rest_bill not in seen, "charge reused extended billnumber %s" % rest_bill)
    seen.add(rest_bill)
    check_op_checkvalue(o, "charge rest")

    e = R.begin("charge repeat")
    o = charge(clients, bill)
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.responsecode), "AS000", "responsecode of a repeated charge")
    R.eq(s(o.billnumber), rest_bill, "billnumber of a repeated charge (the earlier reply's)")
    R.eq(s(o.orderstate), "Approved", "orderstate")
    R.eq(s(o.amount), "60.00", "amount of the repeated reply")

    e = R.begin("wscancel partial 10.00")
    o = cancel(clients, bill, amount="10.00")
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.responsecode), "AS000", "responsecode", required=True)
    R.eq(s(o.orderstate), "PartialCanceled", "orderstate", required=True)
    R.eq(s(o.operationtype), "300", "operationtype")
    R.eq(s(o.amount), "10.00", "amount")
    b = ext_bill(o, bill, "wscancel partial")
    R.check(b not in seen, "cancel reused extended billnumber %s" % b)
    seen.add(b)
    check_op_checkvalue(o, "wscancel partial")

    refund_id = prefix + "-refund-1"
    e = R.begin("wscancel externalrefundid first")
    o = cancel(clients, bill, amount="5.00", externalrefundid=refund_id)
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.responsecode), "AS000", "responsecode", required=True)
    R.eq(s(o.orderstate), "PartialCanceled", "orderstate")
    R.eq(s(o.amount), "5.00", "amount")
    refund_bill = ext_bill(o, bill, "wscancel externalrefundid")
    R.check(refund_bill not in seen, "cancel reused extended billnumber %s" % refund_bill)
    seen.add(refund_bill)

    e = R.begin("wscancel externalrefundid repeat")
    o = cancel(clients, bill, amount="5.00", externalrefundid=refund_id)
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.responsecode), "AS000", "responsecode of a repeated externalrefundid")
    R.eq(s(o.billnumber), refund_bill, "billnumber of a repeated externalrefundid (one refund)")
    R.eq(s(o.orderstate), "PartialCanceled", "orderstate")

    e = R.begin("orderresult")
    resp = call(clients, "orderresult", **AUTH, ordernumber=on)
    # zeep unwraps orderresultResponse (one child, no attributes) to its orderresult.
    if "orderresult" in field_names(resp):
        resp = resp.orderresult
    R.require(resp is not None, "orderresultResponse has no <orderresult>")
    orders = as_list(resp.order)
    check_codes(resp, "orderresultResponse/orderresult", count=len(orders))
    mine = [x for x in orders if s(x.billnumber) == bill]
    R.require(len(mine) == 1, "orderresult lists %d orders with billnumber %s (of %d)"
              % (len(mine), bill, len(orders)))
    o = mine[0]
    check_declared(o, RESULT + ["operation"], "orderresultResponse/orderresult/order")
    R.eq(s(o.ordernumber), on, "ordernumber")
    R.eq(s(o.orderstate), "PartialCanceled", "orderstate")
    R.eq((s(o.orderamount), s(o.ordercurrency)), ("100.00", "RUB"), "orderamount/ordercurrency")
    R.eq((s(o.firstname), s(o.lastname), s(o.email)), ("Ivan", "Ivanov", "ivan@example.com"),
         "customer fields")
    R.check(s(o.testmode) in ("0", "1"), "testmode %r is not 0 or 1" % s(o.testmode))
    check_state_checkvalue(o, "orderresult")
    operations = as_list(o.operation)
    R.require(operations, "order has no <operation> elements")
    check_declared(operations[0], OPERATION, "orderresult operation")
    got = sorted((s(op.operationtype), s(op.amount), s(op.operationstate)) for op in operations)
    want = sorted([("100", "100.00", "Success"), ("200", "40.00", "Success"),
                   ("200", "60.00", "Success"), ("300", "10.00", "Success"),
                   ("300", "5.00", "Success")])
    e.update(operations=[list(g) for g in got])
    R.eq(got, want, "operations (operationtype, amount, operationstate)")
    op_bills = sorted(s(op.billnumber) for op in operations)
    R.eq(op_bills, sorted(seen), "operation billnumbers")
    for op in operations:
        check_numeric(op, ("amount", "rate", "operationtype"), "operation " + s(op.billnumber))
    return bill


def scenario_declined(clients, prefix):
    on = prefix + "-decl"
    e = R.begin("silentpay declined")
    o = pay(clients, on, CARD_DECLINE, "0")
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate), responsecode=s(o.responsecode))
    R.eq(s(o.responsecode), "AS100", "responsecode")
    R.eq(s(o.orderstate), "Declined", "orderstate")
    check_op_checkvalue(o, "silentpay declined")

    e = R.begin("orderstate declined")
    o = orderstate(clients, on)
    e.update(billnumber=s(o.billnumber), orderstate=s(o.orderstate))
    R.eq(s(o.orderstate), "Declined", "orderstate")
    R.check(BILL_RE.match(s(o.billnumber)), "billnumber %r is not 16 digits" % s(o.billnumber))


def scenario_wrong_password(clients, prefix):
    e = R.begin("orderstate wrong password")
    try:
        resp = ops(clients, "orderstate").orderstate(
            merchant_id=MERCHANT_ID, login=LOGIN, password="wrong-password",
            ordernumber=prefix + "-2s")
    except Fault as f:
        err = fault_error(f)
        e.update(faultcode=s(f.code), faultstring=s(f.message), error=err)
        R.check(s(f.code).split(":")[-1] == "Client", "faultcode %r, want Client" % s(f.code))
        R.require(err is not None, "Fault detail has no <error>: " + fault_text(f))
        R.eq((err[0], err[1]), ("10", "100"), "detail error firstcode/secondcode")
        return
    R.check(False, "wrong password answered without a Fault: %r" % (resp,))


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base = argv[1].rstrip("/")
    prefix = argv[2]

    summary = {"client": "python-zeep", "zeep_version": zeep.__version__, "base": base,
               "prefix": prefix}
    try:
        clients = load_clients(base)
    except Exception as e:  # noqa: BLE001
        R.check(False, "loading WSDLs: %s: %s" % (type(e).__name__, e))
        clients = {}
    for scenario in (scenario_two_stage, scenario_declined, scenario_wrong_password):
        try:
            scenario(clients, prefix)
        except Abort:
            pass  # already recorded
        except Exception as e:  # noqa: BLE001 - zeep parse errors, transport errors
            R.check(False, "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc()))

    summary["steps"] = R.steps
    summary["failures"] = R.failures
    summary["ok"] = not R.failures
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if R.failures:
        print("zeep interop: %d mismatch(es):" % len(R.failures), file=sys.stderr)
        for f in R.failures:
            print("  - " + f, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
