package server

import (
	"bytes"
	"net/http"

	"soapgate/gateway"
)

// tokensShape only names the JSON fault's service; token answers are written by writeTokens.
var tokensShape = &shape{name: "token"}

// tokensHandler serves token.cfm (list a customer's saved cards) and rem_token.cfm (remove
// one, answering the remaining list). They speak JSON only, whatever the request's body: a
// top-level array on success, {"fault":{…}} on error (contract section 5).
func (s *Server) tokensHandler(remove bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		c, ok := s.readCall(w, r)
		if !ok {
			return
		}
		c.soap, c.format = false, formatJSON
		if c.err != nil {
			s.write(w, c.call, tokensShape, nil, c.err)
			return
		}
		m, err := s.Gateway.Merchants.Authenticate(c.get("merchant_id"), c.get("login"), c.get("password"))
		if err != nil {
			s.write(w, c.call, tokensShape, nil, err)
			return
		}
		q := gateway.TokenQuery{CustomerNumber: c.get("customernumber"), Token: c.get("token")}
		var cards []*gateway.SavedCard
		if remove {
			cards, err = s.Gateway.RemoveToken(r.Context(), m, q)
		} else {
			cards, err = s.Gateway.Tokens(r.Context(), m, q)
		}
		if err != nil {
			s.write(w, c.call, tokensShape, nil, err)
			return
		}
		writeTokens(w, cards, s.Gateway.Clock.Now().Year()*100+int(s.Gateway.Clock.Now().Month()))
	}
}

// writeTokens writes the cards as Assist's oneclick API does: token, post (last four), bin,
// brand, bank, expire (MM.YYYY), active ("0" once the card has expired) and needCVC ("0": a
// customer-initiated payment with a saved card needs no CVC here).
func writeTokens(w http.ResponseWriter, cards []*gateway.SavedCard, yearMonth int) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, c := range cards {
		if i > 0 {
			b.WriteByte(',')
		}
		k := c.Card
		active := "1"
		if atoiSafe(k.ExpYear)*100+atoiSafe(k.ExpMonth) < yearMonth {
			active = "0"
		}
		jsonFlat(&b, []kv{{"token", c.Token}, {"post", k.Last4}, {"bin", k.Bin}, {"brand", k.Brand},
			{"bank", issueBank}, {"expire", k.ExpMonth + "." + k.ExpYear}, {"active", active}, {"needCVC", "0"}})
	}
	b.WriteByte(']')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func atoiSafe(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}
