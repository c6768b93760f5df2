package gateway

import "time"

// DateLayout is the protocol's DD.MM.YYYY HH:MM:SS, always GMT.
const DateLayout = "02.01.2006 15:04:05"

// FormatDate writes t in DateLayout, GMT; the zero time is empty.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(DateLayout)
}
