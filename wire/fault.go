package wire

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"soapgate/gateway"
)

// JSONFault writes the JSON error of docs/protocol.md#47-errors,
// {"fault":{"faultcode":5,"faultstring":108,"detail":"..."}}, and returns its HTTP status:
// 401 for 10/100, 500 for firstcode 2, 400 for every other error (Assist's PHP SDK raises on
// them and takes any 200 for success).
func JSONFault(b *bytes.Buffer, e *gateway.Error) int {
	b.WriteString(`{"fault":{"faultcode":` + strconv.Itoa(e.First) + `,"faultstring":` + strconv.Itoa(e.Second) + `,"detail":`)
	detail, _ := json.Marshal(e.Message) // a string always marshals
	b.Write(detail)
	b.WriteString("}}")
	switch {
	case e.First == 10 && e.Second == 100:
		return http.StatusUnauthorized
	case e.First == 2:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}
