package gateway

import (
	"testing"
	"time"
)

func date(s string) time.Time {
	t, ok := ParseDateTime(s)
	if !ok {
		panic(s)
	}
	return t
}

func TestPlan_At(t *testing.T) {
	tests := []struct {
		plan Plan
		k    int
		want string
	}{
		{Plan{Start: date("01.01.2030 10:00:00"), Length: 1, Unit: PeriodDay}, 3, "04.01.2030 10:00:00"},
		{Plan{Start: date("01.01.2030 10:00:00"), Length: 2, Unit: PeriodWeek}, 2, "29.01.2030 10:00:00"},
		{Plan{Start: date("31.01.2030 00:00:00"), Length: 1, Unit: PeriodMonth}, 1, "28.02.2030 00:00:00"},
		{Plan{Start: date("31.01.2030 00:00:00"), Length: 1, Unit: PeriodMonth}, 2, "31.03.2030 00:00:00"},
		{Plan{Start: date("29.02.2032 05:00:00"), Length: 12, Unit: PeriodMonth}, 1, "28.02.2033 05:00:00"},
		{Plan{Start: date("15.11.2030 00:00:00"), Length: 3, Unit: PeriodMonth}, 1, "15.02.2031 00:00:00"},
	}
	for _, tt := range tests {
		if got := FormatDate(tt.plan.At(tt.k)); got != tt.want {
			t.Errorf("%+v At(%d) = %s, want %s", tt.plan, tt.k, got, tt.want)
		}
	}
}

func TestPlan_FirstFrom(t *testing.T) {
	p := Plan{Start: date("01.01.2030 00:00:00"), Length: 1, Unit: PeriodDay}
	for _, tt := range []struct {
		at   string
		from int
		want int
	}{
		{"01.01.2030 00:00:00", 0, 0},
		{"01.01.2030 00:00:01", 0, 1},
		{"10.03.2031 00:00:00", 0, 433},
		{"01.01.2030 00:00:00", 5, 5},
	} {
		if got := p.FirstFrom(date(tt.at), tt.from); got != tt.want {
			t.Errorf("FirstFrom(%s, %d) = %d, want %d", tt.at, tt.from, got, tt.want)
		}
	}
	m := Plan{Start: date("31.01.2030 00:00:00"), Length: 1, Unit: PeriodMonth}
	if got := m.FirstFrom(date("01.01.2035 00:00:00"), 0); FormatDate(m.At(got)) != "31.01.2035 00:00:00" {
		t.Errorf("monthly FirstFrom = %d (%s)", got, FormatDate(m.At(got)))
	}
	if !p.Within(date("05.05.2040 00:00:00")) {
		t.Error("an open-ended plan has no end")
	}
	p.End = date("03.01.2030 00:00:00")
	if !p.Within(p.At(2)) || p.Within(p.At(3)) {
		t.Error("the end date is inclusive")
	}
}
