package gateway

import "time"

// RecurringTx keeps recurring series, saved cards and scheduled operations.
type RecurringTx interface {
	// InsertPayExtras keeps what a payment asked beyond the charge until its outcome is known.
	InsertPayExtras(orderID int64, x *PayExtras) error
	PayExtras(orderID int64) (*PayExtras, error) // ErrNoRows when the payment asked nothing
	// UpdatePayExtras records what the payer chose on the payment page: the saved card paid
	// with (UsedToken) and the consent to save a new one (SaveCard).
	UpdatePayExtras(orderID int64, x *PayExtras) error

	InsertSeries(s *Series) error
	UpdateSeries(s *Series) error
	SeriesByOrder(orderID int64) (*Series, error) // by the initial order; ErrNoRows when absent
	// SeriesWindowsEnded lists Activated series whose soft-decline window ended at or before now.
	SeriesWindowsEnded(now time.Time) ([]*Series, error)

	InsertRecurringCharge(c *RecurringCharge) error
	// RecurringOrder reads any order by its id (a charge's, from its link); ErrNoRows when absent.
	RecurringOrder(orderID int64) (*Order, error)
	RecurringCharge(orderID int64) (*RecurringCharge, error) // ErrNoRows for any other order

	InsertSavedCard(c *SavedCard) error
	UpdateSavedCard(c *SavedCard) error
	SavedCard(merchantID, token string) (*SavedCard, error)             // active only; ErrNoRows
	SavedCards(merchantID, customerNumber string) ([]*SavedCard, error) // active only, oldest first

	InsertSchedule(s *Schedule) error
	UpdateSchedule(s *Schedule) error
	Schedule(merchantID string, id int64) (*Schedule, error) // ErrNoRows
	Schedules(merchantID string, seriesOrderID int64, skip, take int) ([]*Schedule, error)
	SchedulesOfSeries(seriesOrderID int64) ([]*Schedule, error)
	// NextDueSchedule is the Active schedule with the earliest next run at or before now
	// (ties by id) that has no charge in flight; ErrNoRows when none is due.
	NextDueSchedule(now time.Time) (*Schedule, error)
	// SchedulesInFlight lists schedules whose claimed charge has not been settled yet.
	SchedulesInFlight() ([]*Schedule, error)
}

// SeriesState is where a recurring series stands.
type SeriesState string

const (
	SeriesActivated SeriesState = "Activated"
	SeriesStopped   SeriesState = "Stopped"
	// SeriesError: the payer consented, but the card could not be bound for recurring
	// charges (the issuer refused); rp and schedules on it are refused (10/210).
	SeriesError SeriesState = "Error"
)

// Series is the recurring consent given with an approved payment (the initial order): the
// card of that order may be charged again by the merchant within these limits.
type Series struct {
	OrderID    int64 // the initial order
	MerchantID string
	Currency   string
	MinAmount  Amount    // 0: no lower bound
	MaxAmount  Amount    // 0: no upper bound
	PeriodDays int       // recurringperiod as the client sent it (kept, not enforced)
	MaxDate    time.Time // zero: none; charges are refused from this instant on
	State      SeriesState
	StopReason string
	Retry      RetryState
	// MITAttempts counts merchant-initiated attempts since the last approval; it is handed
	// to the processor with each charge (card networks limit retries per approval).
	MITAttempts int
	Created     time.Time
	Updated     time.Time
}

// RecurringCharge links a merchant-initiated charge (an rp or a scheduled occurrence) to
// its series, written with the In Process order so that its outcome, even one settled after
// a crash, is applied to the series and the schedule.
type RecurringCharge struct {
	OrderID       int64
	SeriesOrderID int64
	ScheduleID    int64 // 0 for rp
	Occurrence    int   // the schedule's occurrence number (n of <operation>-<n>)
	MITAttempt    int   // the series' MIT attempt number this charge was
}

// SavedCard is a card saved for a merchant's customer (card on file), named by a token.
type SavedCard struct {
	ID             int64
	Token          string // upper-case UUID
	MerchantID     string
	CustomerNumber string
	OrderID        int64 // the payment that saved it
	Card           Card
	Active         bool // false once removed
	Created        time.Time
	Updated        time.Time
}

// ScheduleState is a scheduled operation's state.
type ScheduleState string

const (
	ScheduleActive   ScheduleState = "Active"
	ScheduleInactive ScheduleState = "Inactive"
	ScheduleStopped  ScheduleState = "Stopped"  // its series was stopped (retry rules, hard decline)
	ScheduleFinished ScheduleState = "Finished" // no occurrence left before its end date
)

// Schedule is a scheduled operation: a plan of charges on a recurring series.
type Schedule struct {
	ID            int64
	MerchantID    string
	SeriesOrderID int64
	BillNumber    string // of the initial order, as the client named it
	Amount        Amount
	Currency      string
	Description   string
	Plan          Plan
	RetryCount    int // retries of a declined occurrence
	RetryPeriod   time.Duration
	State         ScheduleState

	NextK    int       // plan index of the next occurrence
	NextN    int       // occurrence number of the next (1-based, never reused)
	Retry    int       // retries already made for occurrence NextN
	NextRun  time.Time // when the next attempt is due
	InFlight int64     // the order of a claimed charge not yet settled, 0 when none
	Attempts int       // charge attempts made, in total
	LastCode string    // responsecode of the last attempt
	Created  time.Time
	Updated  time.Time
}
