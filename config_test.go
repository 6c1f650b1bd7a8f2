package main

import "testing"

func TestParseGOGC(t *testing.T) {
	for _, c := range []struct {
		flag, env string
		want      int
		bad       bool
	}{
		{"", "", defaultGOGC, false},
		{"", "150", 0, false}, // GOGC set: the runtime's setting stands
		{"200", "150", 200, false},
		{"25", "", 25, false},
		{"10000", "", 10000, false},
		{"24", "", 0, true},
		{"off", "", 0, true},
		{"x", "", 0, true},
	} {
		got, err := parseGOGC(c.flag, c.env)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("parseGOGC(%q, %q) = %d, %v; want %d (error %v)", c.flag, c.env, got, err, c.want, c.bad)
		}
	}
	if _, err := parseConfig([]string{"--gogc", "7"}, func(string) string { return "" }, nil); err == nil {
		t.Fatal("--gogc 7 accepted")
	}
}
