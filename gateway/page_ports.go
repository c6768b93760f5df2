package gateway

import "time"

// PageTx keeps what the payment page needs beside an order (its page id, return URLs, the
// one-time form token, a card waiting for 3-D Secure) and lists orders for the order monitor.
type PageTx interface {
	InsertPage(p *Page) error
	PageByID(id string) (*Page, error)        // ErrNoRows when absent
	PageByOrder(orderID int64) (*Page, error) // ErrNoRows when absent
	UpdatePage(p *Page) error                 // stage, form token, pending card
	// DuePages returns up to limit pages still waiting for a card (stage card or 3ds) whose
	// expiry is not after now, oldest first.
	DuePages(now time.Time, limit int) ([]*Page, error)
	// MonitorOrders lists a merchant's orders matching q, newest first.
	MonitorOrders(merchantID string, q OrderQuery) ([]*Order, error)
}

// OrderQuery selects orders for the order monitor. Zero fields do not filter.
type OrderQuery struct {
	From, To    time.Time // created in [From, To)
	State       State
	OrderNumber string
	// Keyset paging: orders older than Before, or newer than After (the list stays newest
	// first either way). A page costs the same however deep it is, unlike an offset.
	Before, After *OrderKey
	Offset        int // old page-number links without a key; prefer Before
	Limit         int
}

// OrderKey is an order's place in the monitor's newest-first order: (Created, ID).
type OrderKey struct {
	Created time.Time
	ID      int64
}

// KeyOf is o's place in the monitor's order.
func KeyOf(o *Order) *OrderKey { return &OrderKey{Created: o.Created, ID: o.ID} }
