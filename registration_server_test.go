package main

import (
	"io"
	"testing"
	"time"
)

// --sandbox-review-delay sets how long sandbox real-name reviews
// take; it must be a positive duration.
func TestSandboxReviewDelayFlag(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseConfig(nil, env(nil), io.Discard)
	if err != nil || c.sandboxReviewDelay != 30*time.Second {
		t.Fatalf("default: %v %v", c, err)
	}
	c, err = parseConfig([]string{"--sandbox-review-delay", "5s"}, env(nil), io.Discard)
	if err != nil || c.sandboxReviewDelay != 5*time.Second {
		t.Fatalf("flag: %v %v", c, err)
	}
	c, err = parseConfig(nil, env(map[string]string{"PARTNERGRAPH_SANDBOX_REVIEW_DELAY": "2s"}), io.Discard)
	if err != nil || c.sandboxReviewDelay != 2*time.Second {
		t.Fatalf("env: %v %v", c, err)
	}
	for _, bad := range []string{"0s", "-1s", "soon"} {
		if _, err := parseConfig([]string{"--sandbox-review-delay", bad}, env(nil), io.Discard); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}
