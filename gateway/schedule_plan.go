package gateway

import (
	"strconv"
	"strings"
	"time"
)

// PeriodType is a schedule's period unit.
type PeriodType string

const (
	PeriodDay   PeriodType = "Day"
	PeriodWeek  PeriodType = "Week"
	PeriodMonth PeriodType = "Month"
)

// ParsePeriodType reads Day, Week or Month in any letter case.
func ParsePeriodType(s string) (PeriodType, bool) {
	for _, p := range []PeriodType{PeriodDay, PeriodWeek, PeriodMonth} {
		if strings.EqualFold(strings.TrimSpace(s), string(p)) {
			return p, true
		}
	}
	return "", false
}

// Plan is when a schedule's occurrences fall: Start, then every Length Units, not after End.
type Plan struct {
	Start  time.Time
	Length int
	Unit   PeriodType
	End    time.Time // zero: open-ended
}

// At is the time of occurrence k (0-based) of the plan. Each is computed from Start, so that
// months do not drift: a plan starting on the 31st charges on the last day of shorter months
// and on the 31st again when the month has one.
func (p Plan) At(k int) time.Time {
	switch p.Unit {
	case PeriodWeek:
		return p.Start.AddDate(0, 0, 7*k*p.Length)
	case PeriodMonth:
		return addMonthsClamped(p.Start, k*p.Length)
	}
	return p.Start.AddDate(0, 0, k*p.Length)
}

// Within reports whether occurrence time t is inside the plan's end date.
func (p Plan) Within(t time.Time) bool { return p.End.IsZero() || !t.After(p.End) }

// FirstFrom is the index of the first occurrence at or after t, not below from.
func (p Plan) FirstFrom(t time.Time, from int) int {
	k := from
	// Jump close for long gaps, then step: At is monotonic in k.
	if p.Length > 0 && t.After(p.At(k)) {
		days := int(t.Sub(p.At(k)).Hours() / 24)
		step := p.Length
		switch p.Unit {
		case PeriodWeek:
			step *= 7
		case PeriodMonth:
			step *= 31
		}
		if skip := days/step - 1; skip > 0 {
			k += skip
		}
	}
	for p.At(k).Before(t) {
		k++
	}
	return k
}

func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// ParseDateTime reads DD.MM.YYYY HH:MM:SS (GMT); a bare DD.MM.YYYY means its midnight.
func ParseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(DateLayout, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("02.01.2006", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseCount reads a small non-negative integer parameter; empty gives def.
func parseCount(name, s string, def, max int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, Invalid(CodeParam, "%s must be a whole number from 0 to %d", name, max)
	}
	return n, nil
}
