package web

import (
	"regexp"
	"strings"

	"soapgate/gateway"
)

// This file puts into the page's language what the gateway and the deliverer write in
// English: request errors and their details, operation outcomes and messages, and delivery
// errors. In English the original text is shown; in Russian nothing English is (a parameter's
// wire name, a code or an HTTP status number are not prose and stay as they are).

func init() {
	for k, v := range messageTexts {
		texts[k] = v
	}
}

var messageTexts = map[string][2]string{
	"err.other":        {"Запрос отклонён.", "The request was refused."},
	"err.param":        {"Параметр", "Parameter"},
	"err.item":         {"позиция", "item"},
	"err.field":        {"поле", "field"},
	"pay.mm":           {"ММ", "MM"},
	"mon.void":         {"Отменить платёж целиком", "Void the whole payment"},
	"mon.void.hint":    {"Двухстадийный платёж отменяется только целиком. Чтобы оставить часть, сначала подтвердите её.", "A two-stage payment is voided whole. To keep a part, confirm it first."},
	"mon.release":      {"Отменить неподтверждённый остаток", "Release the unconfirmed rest"},
	"mon.release.hint": {"Неподтверждённый остаток освобождается целиком; подтверждённое остаётся списанным.", "The unconfirmed rest is released whole; what was confirmed stays charged."},
	"mon.notesbad":     {"Уведомления не удалось прочитать.", "The notifications could not be read."},
}

// cardFieldTexts explain in Russian a card field the form could not take (5/110), by
// parameter; English shows the gateway's message, which names the field.
var cardFieldTexts = map[string][2]string{
	"cardnumber":  {"Номер карты должен содержать от 13 до 19 цифр.", ""},
	"expiremonth": {"Месяц — число от 1 до 12.", ""},
	"expireyear":  {"Год — две или четыре цифры.", ""},
	"cvc2":        {"CVC2 — 3 или 4 цифры.", ""},
	"cardholder":  {"Проверьте имя владельца карты.", ""},
}

// moreErrorTexts extend errorTexts with the codes the monitor's actions can meet.
var moreErrorTexts = map[string][2]string{
	"5/143":  {"Номер платежа (billnumber) не указан или неверен.", "The billnumber is missing or not valid."},
	"10/210": {"Рекуррентный платёж невозможен.", "The recurring payment is not possible."},
	"10/211": {"Расписание невозможно.", "The schedule is not possible."},
}

func init() {
	for k, v := range moreErrorTexts {
		errorTexts[k] = v
	}
}

// paramName finds the request parameter an error detail names ("expiremonth must be 1 to
// 12", "parameter orderamount is given twice", "card data (cvc2) must not ..."), or "".
var paramName = regexp.MustCompile(`^(?:parameter |card data \()?([a-z][a-z0-9_]*)\b`)

// itemOf finds the line and field a list parameter's detail names ("chequeitems item 2: tax
// is missing" → 2, tax).
var itemOf = regexp.MustCompile(`^[a-z][a-z0-9_]* item (\d+)(?:: ([a-z][a-z0-9_]*)\b)?`)

// errParam is the parameter a request error names, for the page: its wire name and, for a
// list, the line and the field in it.
type errParam struct{ Name, Item, Field string }

func (p errParam) String(lang string) string {
	s := p.Name
	if p.Item != "" {
		s += ", " + text(lang, "err.item") + " " + p.Item
	}
	if p.Field != "" {
		s += ", " + text(lang, "err.field") + " " + p.Field
	}
	return s
}

func paramOf(detail string) string {
	m := paramName.FindStringSubmatch(detail)
	if m == nil || m[1] == "the" || m[1] == "a" || m[1] == "an" {
		return ""
	}
	return m[1]
}

// explain returns the explanation of a request error in lang and, separately, its detail:
// in English the gateway's own message; in Russian "Параметр: name" when it names one.
func explain(lang string, e *gateway.Error) (explanation, detail string) {
	explanation, detail, param := explainParam(lang, e)
	if param.Name != "" {
		detail = text(lang, "err.param") + ": " + param.String(lang)
	}
	return explanation, detail
}

// explainParam is explain with the parameter apart, for pages that mark it up as code.
func explainParam(lang string, e *gateway.Error) (explanation, detail string, param errParam) {
	code := itoa(e.First) + "/" + itoa(e.Second)
	explanation = e.Message
	if t, ok := errorTexts[code]; ok {
		explanation = pick(t, lang)
	} else if lang != langEN {
		explanation = text(lang, "err.other")
	}
	if lang == langEN {
		return explanation, e.Message, param
	}
	if p := paramOf(e.Message); p != "" && e.First == 5 {
		param.Name = p
		if m := itemOf.FindStringSubmatch(e.Message); m != nil {
			param.Item, param.Field = m[1], m[2]
		}
	}
	return explanation, "", param
}

// cardError is the message above the card form for a field it could not take.
func cardError(lang string, e *gateway.Error) string {
	if lang == langEN {
		return e.Message
	}
	if t, ok := cardFieldTexts[paramOf(e.Message)]; ok {
		return pick(t, lang)
	}
	expl, detail := explain(lang, e)
	if detail != "" {
		return expl + " " + detail
	}
	return expl
}

var opStateLabels = map[gateway.OpState][2]string{
	gateway.OpSuccess:   {"Успешно", "Success"},
	gateway.OpFailed:    {"Не выполнена", "Failed"},
	gateway.OpInProcess: {"В обработке", "In Process"},
}

// opMessages say in Russian what the processor's responsecode means.
var opMessages = map[string]string{
	"AS000": "Одобрено", "AS100": "Отклонено", "AS101": "Неверный номер карты", "AS102": "Недостаточно средств",
	"AS104": "Срок действия карты истёк", "AS105": "Превышен лимит", "AS107": "Ошибка данных",
	"AS108": "Подозрение на мошенничество", "AS109": "Превышено число операций", "AS110": "Требуется 3-D Secure",
	"AS200": "Повтор", "AS300": "В обработке", "AS400": "Платёж не найден", "AS998": "Системная ошибка",
}

// OpState names an operation's outcome.
func (v *view) OpState(s gateway.OpState) string {
	if l, ok := opStateLabels[s]; ok {
		return pick(l, v.Lang)
	}
	return string(s)
}

// OpMessage is an operation's message: the processor's text in English, its meaning by
// responsecode in Russian.
func (v *view) OpMessage(op *gateway.Operation) string {
	if v.Lang == langEN || op.Message == "" {
		return op.Message
	}
	if strings.HasPrefix(op.Message, "Timeout") {
		return "Время на оплату истекло"
	}
	if m, ok := opMessages[op.ResponseCode]; ok {
		return m
	}
	return "—"
}

// AttemptError says why a delivery attempt did not succeed.
func (v *view) AttemptError(s string) string {
	if v.Lang == langEN || s == "" {
		return s
	}
	l := strings.ToLower(s)
	switch {
	case strings.HasPrefix(s, "HTTP "):
		code, _, _ := strings.Cut(strings.TrimPrefix(s, "HTTP "), " ")
		return "ответ HTTP " + code
	case s == "SOAP Fault":
		return "магазин ответил ошибкой SOAP"
	case strings.HasPrefix(s, "refused with "):
		return "магазин отказал: коды " + strings.TrimPrefix(s, "refused with ")
	case strings.Contains(l, "not a pushpaymentresult"):
		return "ответ не является подтверждением pushpaymentresult"
	case strings.Contains(l, "acknowledgement echoes"):
		return "подтверждение не совпадает с уведомлением (billnumber, packetdate)"
	case strings.Contains(l, "no notification url"):
		return "у магазина больше не настроен адрес уведомлений"
	case strings.Contains(l, "timeout") || strings.Contains(l, "deadline exceeded"):
		return "нет ответа вовремя"
	case strings.Contains(l, "connection refused"):
		return "соединение отклонено"
	case strings.Contains(l, "no such host"):
		return "адрес не найден"
	case strings.Contains(l, "tls") || strings.Contains(l, "certificate") || strings.Contains(l, "x509"):
		return "ошибка TLS"
	case strings.Contains(l, "eof") || strings.Contains(l, "reset"):
		return "соединение прервано"
	}
	return "ошибка соединения"
}
