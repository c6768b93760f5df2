package web

import (
	"strings"

	"soapgate/gateway"
)

// Languages: Russian by default, English on request (Language=EN, or the monitor's switch).
const (
	langRU = "RU"
	langEN = "EN"
)

func normLang(s string) string {
	if strings.EqualFold(strings.TrimSpace(s), langEN) {
		return langEN
	}
	return langRU
}

// texts holds every page text: key → {Russian, English}.
var texts = map[string][2]string{
	"pay.title":         {"Оплата заказа", "Order payment"},
	"pay.shop":          {"Магазин", "Shop"},
	"pay.order":         {"Номер заказа", "Order number"},
	"pay.bill":          {"Номер платежа", "Payment number"},
	"pay.amount":        {"К оплате", "Amount due"},
	"pay.comment":       {"Комментарий", "Comment"},
	"pay.card":          {"Данные карты", "Card details"},
	"pay.number":        {"Номер карты", "Card number"},
	"pay.expiry":        {"Срок действия", "Expiry date"},
	"pay.month":         {"Месяц (ММ)", "Month (MM)"},
	"pay.year":          {"Год (ГГГГ)", "Year (YYYY)"},
	"pay.cvc":           {"CVC2 / CVV2", "CVC2 / CVV2"},
	"pay.cvc.hint":      {"3 или 4 цифры на обороте карты", "3 or 4 digits on the back of the card"},
	"pay.holder":        {"Имя владельца, как на карте", "Cardholder name, as on the card"},
	"pay.submit":        {"Оплатить", "Pay"},
	"pay.secure":        {"Данные карты передаются по защищённому соединению и не сохраняются.", "Card details are sent over a secure connection and are never stored."},
	"pay.test":          {"Тестовый режим: деньги не списываются.", "Test mode: no money is charged."},
	"pay.testcards":     {"Тестовые карты: 4111 1111 1111 1111 — успех, 4000 0000 0000 0002 — отказ, 4000 0000 0000 3063 — 3-D Secure (код 1234).", "Test cards: 4111 1111 1111 1111 approves, 4000 0000 0000 0002 declines, 4000 0000 0000 3063 asks for 3-D Secure (code 1234)."},
	"pay.expires":       {"Оплатите до", "Pay before"},
	"pay.luhn":          {"Похоже, в номере карты опечатка.", "This card number looks mistyped."},
	"pay.cardbad":       {"Проверьте данные карты", "Please check the card details"},
	"3ds.title":         {"Подтверждение платежа", "Confirm the payment"},
	"3ds.issuer":        {"Страница банка-эмитента (3-D Secure, имитация)", "Card issuer's page (3-D Secure, simulated)"},
	"3ds.text":          {"Введите одноразовый код подтверждения, отправленный банком. В тестовом режиме код — 1234.", "Enter the one-time code your bank sent you. In test mode the code is 1234."},
	"3ds.code":          {"Код подтверждения", "Confirmation code"},
	"3ds.card":          {"Карта", "Card"},
	"3ds.submit":        {"Подтвердить", "Confirm"},
	"res.title":         {"Результат оплаты", "Payment result"},
	"res.state":         {"Статус", "State"},
	"res.processing":    {"Платёж обрабатывается. Страница обновится сама.", "The payment is being processed. This page refreshes by itself."},
	"res.refresh":       {"Обновить", "Refresh"},
	"res.close":         {"Можно закрыть эту страницу и вернуться в магазин.", "You may close this page and return to the shop."},
	"err.title":         {"Платёж невозможен", "The payment cannot be made"},
	"err.code":          {"Код ошибки", "Error code"},
	"err.back":          {"Вернитесь в магазин и попробуйте снова.", "Go back to the shop and try again."},
	"err.notfound":      {"Страница не найдена", "Page not found"},
	"mon.title":         {"Монитор заказов", "Order monitor"},
	"mon.signin":        {"Вход для магазина", "Merchant sign-in"},
	"mon.login":         {"Логин", "Login"},
	"mon.password":      {"Пароль", "Password"},
	"mon.enter":         {"Войти", "Sign in"},
	"mon.signout":       {"Выйти", "Sign out"},
	"mon.badlogin":      {"Неверный логин или пароль.", "Wrong login or password."},
	"mon.slow":          {"Слишком много неудачных попыток. Повторите через несколько секунд.", "Too many failed attempts. Try again in a few seconds."},
	"mon.orders":        {"Заказы", "Orders"},
	"mon.from":          {"С даты", "From"},
	"mon.to":            {"По дату", "To"},
	"mon.state":         {"Статус", "State"},
	"mon.any":           {"Любой", "Any"},
	"mon.apply":         {"Показать", "Apply"},
	"mon.reset":         {"Сбросить", "Reset"},
	"mon.csv":           {"Выгрузить CSV", "Export CSV"},
	"mon.prev":          {"← Предыдущие", "← Previous"},
	"mon.next":          {"Следующие →", "Next →"},
	"mon.date":          {"Дата (GMT)", "Date (GMT)"},
	"mon.cardcol":       {"Карта", "Card"},
	"mon.none":          {"Заказов не найдено.", "No orders found."},
	"mon.page":          {"Страница", "Page"},
	"mon.order":         {"Заказ", "Order"},
	"mon.back":          {"← Все заказы", "← All orders"},
	"mon.fields":        {"Сведения", "Details"},
	"mon.customer":      {"Покупатель", "Customer"},
	"mon.captured":      {"Списано", "Captured"},
	"mon.refunded":      {"Возвращено", "Refunded"},
	"mon.twostage":      {"Двухстадийный", "Two-stage"},
	"mon.yes":           {"да", "yes"},
	"mon.no":            {"нет", "no"},
	"mon.ops":           {"Операции", "Operations"},
	"mon.optype":        {"Тип", "Type"},
	"mon.opstate":       {"Результат", "Outcome"},
	"mon.code":          {"Код ответа", "Response code"},
	"mon.message":       {"Сообщение", "Message"},
	"mon.notes":         {"Уведомления", "Notifications"},
	"mon.nonotes":       {"Уведомлений нет.", "No notifications."},
	"mon.event":         {"Событие", "Event"},
	"mon.attempts":      {"Попытки доставки", "Delivery attempts"},
	"mon.http":          {"HTTP", "HTTP"},
	"mon.outcome":       {"Итог", "Outcome"},
	"mon.replay":        {"Отправить снова", "Send again"},
	"mon.actions":       {"Действия", "Actions"},
	"mon.confirm":       {"Подтвердить списание", "Confirm (capture)"},
	"mon.cancel":        {"Отменить / вернуть", "Cancel / refund"},
	"mon.amount.opt":    {"Сумма (пусто — всё оставшееся)", "Amount (empty: all that is left)"},
	"mon.left.confirm":  {"Можно подтвердить", "Left to confirm"},
	"mon.left.cancel":   {"Можно вернуть", "Left to refund"},
	"mon.done":          {"Готово", "Done"},
	"mon.failed":        {"Не выполнено", "Not done"},
	"mon.replayed":      {"Уведомление поставлено в очередь на отправку.", "The notification is queued for delivery."},
	"mon.lang":          {"English", "Русский"},
	"mon.amount":        {"Сумма", "Amount"},
	"mon.currency":      {"Валюта", "Currency"},
	"mon.total":         {"Показано", "Shown"},
	"buyer.mobilephone": {"Мобильный телефон", "Mobile phone"},
	"buyer.homephone":   {"Домашний телефон", "Home phone"},
	"buyer.workphone":   {"Рабочий телефон", "Work phone"},
	"buyer.fax":         {"Факс", "Fax"},
	"buyer.country":     {"Страна", "Country"},
	"buyer.state":       {"Регион", "State"},
	"buyer.city":        {"Город", "City"},
	"buyer.zip":         {"Индекс", "Zip"},
	"buyer.address":     {"Адрес", "Address"},
	"rcpt.title":        {"Фискальные чеки", "Fiscal receipts"},
	"rcpt.none":         {"Чеков нет.", "No receipts."},
	"rcpt.sale":         {"Приход", "Sale"},
	"rcpt.refund":       {"Возврат прихода", "Refund"},
	"rcpt.number":       {"ФД №", "Fiscal document no."},
	"rcpt.sign":         {"ФПД", "Fiscal sign"},
	"rcpt.time":         {"Время (GMT)", "Time (GMT)"},
	"rcpt.taxation":     {"СНО", "Taxation system"},
	"rcpt.name":         {"Предмет расчёта", "Item"},
	"rcpt.price":        {"Цена", "Price"},
	"rcpt.qty":          {"Кол-во", "Quantity"},
	"rcpt.tax":          {"НДС", "VAT"},
	"rcpt.fpmode":       {"Способ расчёта", "Payment method"},
	"rcpt.op":           {"Операция", "Operation"},
	"mon.repeat":        {"Эта форма уже была отправлена: повтор ничего не изменил.", "This form was sent already: the repeat changed nothing."},
}

// Texts of issue 11 (unconfirmed two-stage expiry, One Click), kept in a block of their own.
func init() {
	for k, v := range map[string][2]string{
		"mon.expires":      {"автоотмена", "voided on"},
		"mon.expires.long": {"Будет отменён, если не подтвердить до", "Voided unless confirmed by"},
		"oc.saved":         {"Сохранённые карты", "Saved cards"},
		"oc.expired":       {"срок действия истёк", "expired"},
		"oc.cvconly":       {"Для оплаты сохранённой картой введите только CVC2 ниже.", "To pay with a saved card, enter only its CVC2 below."},
		"oc.new":           {"Оплатить новой картой", "Pay with a new card"},
		"oc.remember":      {"Сохранить карту для следующих покупок в этом магазине", "Save this card for future payments in this shop"},
	} {
		texts[k] = v
	}
}

// stateLabels are the badges' texts; the protocol's own names stay in data-state.
var stateLabels = map[gateway.State][2]string{
	gateway.StateInProcess:       {"В процессе", "In process"},
	gateway.StateDelayed:         {"Ожидает подтверждения", "Delayed: awaiting confirmation"},
	gateway.StateApproved:        {"Оплачен", "Approved"},
	gateway.StatePartialDelayed:  {"Подтверждён частично", "Partly confirmed"},
	gateway.StateCanceled:        {"Отменён", "Canceled"},
	gateway.StatePartialCanceled: {"Возвращён частично", "Partly refunded"},
	gateway.StateDeclined:        {"Отклонён", "Declined"},
	gateway.StateTimeout:         {"Срок оплаты истёк", "Timed out"},
}

var opTypeLabels = map[gateway.OpType][2]string{
	gateway.OpPayment: {"Оплата", "Payment"}, gateway.OpConfirm: {"Подтверждение", "Confirm"},
	gateway.OpCancel: {"Отмена / возврат", "Cancel / refund"}, gateway.OpRecurring: {"Рекуррентный платёж", "Recurring payment"},
}

// noteLabels name notification events, states and attempt outcomes.
var noteLabels = map[string][2]string{
	"payment": {"Оплата", "Payment"}, "charge": {"Подтверждение", "Confirm"}, "cancel": {"Отмена / возврат", "Cancel / refund"},
	"recurring": {"Рекуррентный платёж", "Recurring payment"},
	"pending":   {"ожидает отправки", "pending"}, "delivered": {"доставлено", "delivered"},
	"rejected": {"отклонено магазином", "rejected"}, "failed": {"не доставлено", "failed"},
	"retry": {"повтор", "retry"},
}

// customerTexts explain a payment's responsecode to the customer.
var customerTexts = map[string][2]string{
	"AS000": {"Платёж выполнен успешно.", "The payment was successful."},
	"AS100": {"Платёж отклонён банком. Обратитесь в банк или используйте другую карту.", "The bank declined the payment. Contact your bank or use another card."},
	"AS101": {"Неверный номер карты.", "The card number is not valid."},
	"AS102": {"Недостаточно средств на карте.", "Not enough money on the card."},
	"AS104": {"Срок действия карты истёк.", "The card has expired."},
	"AS105": {"Превышен лимит карты.", "The card's limit is exceeded."},
	"AS109": {"Слишком много операций по карте. Попробуйте позже.", "Too many operations with this card. Try again later."},
}

// errorTexts explain request errors by firstcode/secondcode.
var errorTexts = map[string][2]string{
	"1/1":    {"Запрос не удалось разобрать.", "The request could not be read."},
	"2/1":    {"Внутренняя ошибка платёжного шлюза. Попробуйте позже.", "An internal error occurred. Please try again later."},
	"5/100":  {"Не указан или неверен идентификатор магазина (Merchant_ID).", "The shop identifier (Merchant_ID) is missing or malformed."},
	"5/101":  {"Не указан логин.", "The login is missing."},
	"5/102":  {"Не указан пароль.", "The password is missing."},
	"5/107":  {"Номер заказа не указан или длиннее 128 символов.", "The order number is missing or longer than 128 characters."},
	"5/108":  {"Сумма заказа не указана или указана неверно.", "The order amount is missing or not valid."},
	"5/109":  {"Валюта заказа неверна или не разрешена.", "The order currency is not valid or not allowed."},
	"5/110":  {"Неверный параметр запроса.", "A request parameter is not valid."},
	"5/150":  {"Подпись запроса (Signature) отсутствует или неверна.", "The request Signature is missing or not valid."},
	"5/158":  {"Контрольное значение (CheckValue) неверно.", "The request CheckValue is not valid."},
	"10/100": {"Магазин не найден или не прошёл проверку подлинности.", "The shop is unknown or its authentication failed."},
	"10/201": {"Заказ не найден.", "The order was not found."},
	"10/202": {"Операция невозможна в текущем статусе заказа.", "The operation is not allowed in the order's current state."},
	"10/203": {"Сумма больше, чем осталось для этой операции.", "The amount exceeds what is left for this operation."},
	"10/204": {"По этому номеру заказа уже есть платёж.", "This order number already has a payment."},
}

func pick(v [2]string, lang string) string {
	if lang == langEN {
		return v[1]
	}
	return v[0]
}

func text(lang, key string) string {
	if v, ok := texts[key]; ok {
		return pick(v, lang)
	}
	return key
}

func stateLabel(lang string, s gateway.State) string {
	if v, ok := stateLabels[s]; ok {
		return pick(v, lang)
	}
	return string(s)
}

// symbols are the signs written with amounts; other currencies show their ISO code.
var symbols = map[string]string{"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£", "KZT": "₸", "UAH": "₴", "CNY": "¥", "TRY": "₺", "GEL": "₾", "AMD": "֏", "AZN": "₼"}

// money formats an amount for people: 1 234,50 ₽ in Russian, $1,234.50 or 1,234.50 RUB in English.
func money(a gateway.Amount, currency, lang string) string {
	s := a.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	sep, dec := ",", "."
	if lang != langEN {
		sep, dec = "\u00a0", ","
	}
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	num := b.String() + dec + frac
	if neg {
		num = "−" + num
	}
	if currency == "" {
		return num
	}
	sym, ok := symbols[currency]
	switch {
	case lang != langEN && ok:
		return num + "\u00a0" + sym
	case lang == langEN && ok && (currency == "USD" || currency == "GBP" || currency == "EUR"):
		return sym + num
	}
	return num + "\u00a0" + currency
}
