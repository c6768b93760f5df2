package gateway

import (
	"testing"
	"time"
)

func TestClassifyISO(t *testing.T) {
	for iso, want := range map[string]DeclineClass{
		"00": Approval, "05": SoftDecline, "51": SoftDecline, "61": SoftDecline, "65": SoftDecline,
		"14": HardDecline, "54": HardDecline, "57": HardDecline, "99": SoftDecline,
	} {
		if got := ClassifyISO(iso); got != want {
			t.Errorf("ClassifyISO(%s) = %d, want %d", iso, got, want)
		}
	}
}

// TestRetryState_Apply walks series of attempts on a clock: each step is (days after the
// start, ISO code) and the stop reason expected after it.
func TestRetryState_Apply(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		day  float64
		iso  string
		stop string
	}
	tests := []struct {
		name  string
		steps []step
		fails int
	}{
		{"approval keeps going", []step{{0, "00", ""}, {30, "00", ""}}, 0},
		{"hard decline stops at once", []step{{0, "54", StopHardDecline}}, 1},
		{"hard 14 and 57 too", []step{{0, "51", ""}, {1, "14", StopHardDecline}}, 2},
		{"57", []step{{0, "57", StopHardDecline}}, 1},
		{"three soft declines go on", []step{{0, "51", ""}, {1, "05", ""}, {2, "61", ""}}, 3},
		{"the fourth within 16 days stops", []step{{0, "51", ""}, {1, "05", ""}, {2, "61", ""}, {15.9, "65", StopFourthFail}}, 4},
		{"an approval resets the count", []step{{0, "51", ""}, {1, "51", ""}, {2, "51", ""}, {3, "00", ""},
			{4, "51", ""}, {5, "51", ""}, {6, "51", ""}}, 3},
		{"a late attempt after the window stops", []step{{0, "51", ""}, {16, "51", StopWindowEnded}}, 2},
		{"the window counts from the first failure", []step{{0, "51", ""}, {10, "51", ""}, {15.99, "51", ""}}, 3},
		{"a new window after an approval", []step{{0, "51", ""}, {10, "00", ""}, {20, "51", ""}, {35, "51", ""}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s RetryState
			for i, st := range tt.steps {
				now := t0.Add(time.Duration(st.day * 24 * float64(time.Hour)))
				var stop string
				s, stop = s.Apply(st.iso, now)
				if stop != st.stop {
					t.Fatalf("step %d (%s at day %v): stop %q, want %q", i, st.iso, st.day, stop, st.stop)
				}
			}
			if s.Fails != tt.fails {
				t.Errorf("fails = %d, want %d", s.Fails, tt.fails)
			}
		})
	}
}

func TestRetryState_WindowEnded(t *testing.T) {
	t0 := time.Date(2030, 3, 20, 8, 30, 0, 0, time.UTC)
	s, _ := RetryState{}.Apply("51", t0)
	tests := []struct {
		at   time.Time
		want bool
	}{
		{t0, false},
		{t0.AddDate(0, 0, 16).Add(-time.Second), false},
		{t0.AddDate(0, 0, 16), true},
		{t0.AddDate(0, 1, 0), true},
	}
	for _, tt := range tests {
		if got := s.WindowEnded(tt.at); got != tt.want {
			t.Errorf("WindowEnded(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
	if (RetryState{}).WindowEnded(t0.AddDate(1, 0, 0)) {
		t.Error("a state without failures has no window to end")
	}
	approved, _ := s.Apply("00", t0.Add(time.Hour))
	if !approved.WindowEnd().IsZero() || approved.WindowEnded(t0.AddDate(0, 0, 20)) {
		t.Error("an approval closes the window")
	}
}
