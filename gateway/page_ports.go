package gateway

// PageTx keeps what the payment page needs beside an order (its page id, return URLs).
type PageTx interface{}
