package gateway

import (
	"errors"
	"fmt"
)

// Error is a failure the client can act on. First and Second are the protocol's
// firstcode/secondcode; Message is English and safe to show (no secrets, no internals).
type Error struct {
	First, Second int
	Message       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d/%d: %s", e.First, e.Second, e.Message) }

// Errorf builds an *Error.
func Errorf(first, second int, format string, args ...any) *Error {
	return &Error{First: first, Second: second, Message: fmt.Sprintf(format, args...)}
}

// Codes of the protocol's error table, named for what they mean.
var (
	ErrMalformed      = &Error{1, 1, "malformed request"}
	ErrInternal       = &Error{2, 1, "internal error"}
	ErrAuth           = &Error{10, 100, "authentication failed"}
	ErrNotFound       = &Error{10, 201, "order not found"}
	ErrState          = &Error{10, 202, "operation not allowed in the order's current state"}
	ErrAmountExceeds  = &Error{10, 203, "amount exceeds what is left for this operation"}
	ErrDuplicateOrder = &Error{10, 204, "ordernumber already has an Approved, Delayed or In Process payment"}
)

// Invalid returns the 5/nnn error for a bad parameter.
func Invalid(second int, format string, args ...any) *Error {
	return Errorf(5, second, format, args...)
}

// Secondcodes of firstcode 5.
const (
	CodeMerchantID  = 100
	CodeLogin       = 101
	CodePassword    = 102
	CodeOrderNumber = 107
	CodeAmount      = 108
	CodeCurrency    = 109
	CodeParam       = 110
	CodeBillNumber  = 143
	CodeSignature   = 150
	CodeCheckvalue  = 158
)

// AsError returns err as an *Error; anything else is internal and its details stay in the logs.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal
}

// ErrNoRows is returned by stores when a looked-up row does not exist.
var ErrNoRows = errors.New("not found")
