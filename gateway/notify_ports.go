package gateway

// OutboxTx writes and reads the notification outbox (result notifications to merchants).
type OutboxTx interface{}
