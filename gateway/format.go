package gateway

import "time"

// DateLayout is the protocol's DD.MM.YYYY HH:MM:SS, always GMT.
const DateLayout = "02.01.2006 15:04:05"

// FormatDate writes t in DateLayout, GMT; the zero time is empty. An answer carries several
// dates, so the fixed layout is written by hand for years 0–9999 (time.Format for the rest,
// which it would write the same way).
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(DateLayout)
	}
	hour, minute, sec := t.Clock()
	var b [len(DateLayout)]byte
	put2(b[0:], day)
	b[2] = '.'
	put2(b[3:], int(month))
	b[5] = '.'
	put2(b[6:], year/100)
	put2(b[8:], year%100)
	b[10] = ' '
	put2(b[11:], hour)
	b[13] = ':'
	put2(b[14:], minute)
	b[16] = ':'
	put2(b[17:], sec)
	return string(b[:])
}

// put2 writes 0 ≤ n < 100 as two digits.
func put2(b []byte, n int) {
	b[0], b[1] = byte('0'+n/10), byte('0'+n%10)
}
