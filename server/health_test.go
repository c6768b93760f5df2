package server

import "testing"

func TestBuildInfo_String(t *testing.T) {
	for _, tc := range []struct {
		in   BuildInfo
		want string
	}{
		{BuildInfo{Version: "(devel)", Go: "go1.26.8"}, "soapgate (devel) go1.26.8"},
		{BuildInfo{Version: "v1.2.0", Revision: "f7af507", Time: "2026-12-02T04:00:00Z", Go: "go1.26.8"},
			"soapgate v1.2.0 revision f7af507 built from 2026-12-02T04:00:00Z go1.26.8"},
		{BuildInfo{Version: "(devel)", Revision: "f7af507", Modified: true, Go: "go1.26.8"},
			"soapgate (devel) revision f7af507 (modified) go1.26.8"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
