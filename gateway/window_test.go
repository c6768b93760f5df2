package gateway_test

import (
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
)

// TestParseWindow checks the date window of orderstate and orderresult: the last three days
// by default, each field replacing its part of that default, the end inclusive to the minute,
// and 5/110 naming a field that is not a number in its range or a day its month lacks.
func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 30, 45, 0, time.UTC)
	d := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name     string
		params   map[string]string
		from, to string // "2006-01-02 15:04"
		err      string // a field the error must name
	}{
		{"default: the last three days to the minute", nil, "2026-11-29 10:30", "2026-12-02 10:31", ""},
		{"start day only", map[string]string{"startday": "1"}, "2026-11-01 10:30", "2026-12-02 10:31", ""},
		{"a whole start", map[string]string{"startyear": "2025", "startmonth": "1", "startday": "2", "starthour": "3", "startmin": "4"},
			"2025-01-02 03:04", "2026-12-02 10:31", ""},
		{"an end is inclusive to its minute", map[string]string{"endyear": "2026", "endmonth": "11", "endday": "30", "endhour": "23", "endmin": "59"},
			"2026-11-29 10:30", "2026-12-01 00:00", ""},
		{"spaces around a number", map[string]string{"starthour": " 0 ", "startmin": "0"}, "2026-11-29 00:00", "2026-12-02 10:31", ""},
		{"blank fields keep the default", map[string]string{"startyear": "  ", "endmin": ""}, "2026-11-29 10:30", "2026-12-02 10:31", ""},
		{"lowest year", map[string]string{"startyear": "1970"}, "1970-11-29 10:30", "2026-12-02 10:31", ""},
		{"not a number", map[string]string{"startmonth": "May"}, "", "", "startmonth"},
		{"month 13", map[string]string{"endmonth": "13"}, "", "", "endmonth"},
		{"day 0", map[string]string{"startday": "0"}, "", "", "startday"},
		{"day 32", map[string]string{"endday": "32"}, "", "", "endday"},
		{"hour 24", map[string]string{"starthour": "24"}, "", "", "starthour"},
		{"minute 60", map[string]string{"endmin": "60"}, "", "", "endmin"},
		{"negative minute", map[string]string{"startmin": "-1"}, "", "", "startmin"},
		{"year before 1970", map[string]string{"endyear": "1969"}, "", "", "endyear"},
		{"year of five digits", map[string]string{"startyear": "10000"}, "", "", "startyear"},
		{"a decimal", map[string]string{"endhour": "1.5"}, "", "", "endhour"},
		{"31 April", map[string]string{"startyear": "2026", "startmonth": "4", "startday": "31"}, "", "", "startday"},
		{"29 February of a common year", map[string]string{"endyear": "2026", "endmonth": "2", "endday": "29"}, "", "", "endday"},
		{"29 February of a leap year", map[string]string{"startyear": "2024", "startmonth": "2", "startday": "29", "starthour": "0", "startmin": "0"},
			"2024-02-29 00:00", "2026-12-02 10:31", ""},
		{"day 31 against the default month of 30 days", map[string]string{"startday": "31"}, "", "", "startday"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := gateway.ParseWindow(func(name string) string { return tc.params[name] }, now)
			if tc.err != "" {
				if codes(err) != "5/110" || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%v, want 5/110 naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !w.From.Equal(d(tc.from)) || !w.To.Equal(d(tc.to)) {
				t.Fatalf("window [%s, %s), want [%s, %s)", w.From, w.To, tc.from, tc.to)
			}
		})
	}
}

func TestWindow_Contains(t *testing.T) {
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	w := gateway.Window{From: from, To: from.Add(time.Hour)}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{from.Add(-time.Millisecond), false},
		{from, true},
		{from.Add(59 * time.Minute), true},
		{from.Add(time.Hour - time.Millisecond), true},
		{from.Add(time.Hour), false},
	} {
		if got := w.Contains(tc.at); got != tc.want {
			t.Errorf("Contains(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}
