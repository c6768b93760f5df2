package gateway

// isoToAS maps ISO 8583 decline codes to the protocol's responsecode.
var isoToAS = map[string]string{
	"00": "AS000", "05": "AS100", "14": "AS101", "51": "AS102", "54": "AS104",
	"57": "AS100", "61": "AS105", "65": "AS109",
}

// ResponseCode maps an ISO 8583 code to AS***; unknown declines are AS100.
func ResponseCode(iso string) string {
	if as, ok := isoToAS[iso]; ok {
		return as
	}
	return "AS100"
}

var messages = map[string]string{
	"AS000": "Approved", "AS100": "Declined", "AS101": "Invalid card number",
	"AS102": "Insufficient funds", "AS104": "Expired card", "AS105": "Limit exceeded",
	"AS107": "Data error", "AS108": "Suspected fraud", "AS109": "Operation count limit exceeded",
	"AS110": "3-D Secure authentication required", "AS200": "Repeat", "AS300": "In process",
	"AS400": "No such payment", "AS998": "System error",
}

var customerMessages = map[string]string{
	"AS000": "The payment was successful", "AS100": "The payment was declined by the issuer",
	"AS101": "The card number is not valid", "AS102": "Not enough money on the card",
	"AS104": "The card has expired", "AS105": "The card's limit is exceeded",
	"AS109": "Too many operations with this card",
}

var recommendations = map[string]string{
	"AS100": "Contact your bank or use another card", "AS101": "Check the card number",
	"AS102": "Top up the card or use another card", "AS104": "Use another card",
	"AS105": "Contact your bank or use another card", "AS109": "Try again later",
}
