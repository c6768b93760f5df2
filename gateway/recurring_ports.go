package gateway

// RecurringTx keeps recurring series, saved cards and scheduled operations.
type RecurringTx interface{}
