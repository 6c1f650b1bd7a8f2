package sandbox

import "testing"

// ShowcaseResources gives each showcase customer that many main resources
// (for the gateway's batching tests); the default stays 3.
func TestShowcaseResources(t *testing.T) {
	for _, tc := range []struct{ opt, want int }{{0, 3}, {100, 100}} {
		sb, err := New(Options{Seed: 7, Customers: 20, ShowcaseResources: tc.opt})
		if err != nil {
			t.Fatal(err)
		}
		m := sb.Manifest("http://x")
		st := sb.state
		st.mu.Lock()
		main := 0
		for _, r := range st.resByCustomer[m.Customers[0].ID] {
			if r.IsMain {
				main++
			}
		}
		st.mu.Unlock()
		if main != tc.want {
			t.Errorf("ShowcaseResources %d: %d main resources, want %d", tc.opt, main, tc.want)
		}
	}
}
