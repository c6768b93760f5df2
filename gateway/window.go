package gateway

import (
	"strconv"
	"strings"
	"time"
)

// DefaultWindow is how far back orderstate and orderresult look without a date window (Assist).
const DefaultWindow = 72 * time.Hour

// ParseWindow reads the GMT date-window parameters startyear … endmin. Each given field
// replaces that part of the default window, which is the last three days up to now; the end
// is inclusive to the minute. A field that is not a number, or a day the month does not have
// (31 April, 29 February of a common year), is 5/110 naming it.
func ParseWindow(get func(name string) string, now time.Time) (Window, error) {
	start, err := windowEdge("start", get, now.Add(-DefaultWindow).Truncate(time.Minute))
	if err != nil {
		return Window{}, err
	}
	end, err := windowEdge("end", get, now.Truncate(time.Minute))
	if err != nil {
		return Window{}, err
	}
	return Window{From: start, To: end.Add(time.Minute)}, nil
}

// windowFields are the parameter names of each edge, spelt out once: building them per
// request cost ten string allocations on every orderstate.
var windowFields = map[string][5]string{
	"start": {"startyear", "startmonth", "startday", "starthour", "startmin"},
	"end":   {"endyear", "endmonth", "endday", "endhour", "endmin"},
}

func windowEdge(prefix string, get func(string) string, def time.Time) (time.Time, error) {
	parts := [5]int{def.Year(), int(def.Month()), def.Day(), def.Hour(), def.Minute()}
	limits := [5][2]int{{1970, 9999}, {1, 12}, {1, 31}, {0, 23}, {0, 59}}
	for i, name := range windowFields[prefix] {
		v := strings.TrimSpace(get(name))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < limits[i][0] || n > limits[i][1] {
			return time.Time{}, Invalid(CodeParam, "%s is not a valid number", name)
		}
		parts[i] = n
	}
	t := time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], parts[4], 0, 0, time.UTC)
	if t.Day() != parts[2] { // time.Date rolls 31.04 over to 01.05; a client meant neither
		return time.Time{}, Invalid(CodeParam, "%s %d is not a day of %04d-%02d", windowFields[prefix][2], parts[2], parts[0], parts[1])
	}
	return t, nil
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && t.Before(w.To) }
