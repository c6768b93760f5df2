package gateway

import (
	"testing"
	"time"
)

// FuzzApplyScheduleRequest feeds arbitrary plan fields to the scheduler's parser: it must
// never panic, every refusal must be a coded error, and an accepted plan keeps its retries
// inside the 16-day window without overflowing.
func FuzzApplyScheduleRequest(f *testing.F) {
	f.Add("25.00", "RUB", "01.01.2027 10:00:00", "1", "Day", "", "3", "24", "Active")
	f.Add("1", "USD", "31.12.2099 23:59:59", "1000", "Month", "01.01.2100 00:00:00", "1000", "2562048", "Inactive")
	f.Add("-1", "", "", "0", "Year", "x", "-5", "9223372036854775807", "")
	f.Fuzz(func(t *testing.T, amount, currency, start, length, unit, end, retries, period, state string) {
		m := &Merchant{ID: "1", Currency: "RUB"}
		sc := &Schedule{RetryCount: DefaultRetryCount, RetryPeriod: DefaultRetryPeriod}
		err := applyScheduleRequest(sc, ScheduleRequest{BillNumber: "1234567890123456", Amount: amount, Currency: currency,
			Description: "d", StartDate: start, PeriodLength: length, PeriodType: unit, EndDate: end,
			RetryCount: retries, RetryPeriodHours: period, State: state}, m, false)
		if err != nil {
			if AsError(err) == ErrInternal {
				t.Fatalf("uncoded error: %v", err)
			}
			return
		}
		if sc.RetryPeriod <= 0 || sc.RetryPeriod > MaxRetryPeriodHours*time.Hour {
			t.Fatalf("retry period %v out of range", sc.RetryPeriod)
		}
		if total := time.Duration(sc.RetryCount) * sc.RetryPeriod; sc.RetryCount <= MaxRetryCount && total < 0 {
			t.Fatalf("retries overflow: %d × %v", sc.RetryCount, sc.RetryPeriod)
		}
	})
}
