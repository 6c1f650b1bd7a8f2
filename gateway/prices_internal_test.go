package gateway

import "testing"

// A refusal names a product only as a whole word: the gateway's own ids
// are fixed-width, and p001 is never found inside p0010 or xp001.
func TestNamesID(t *testing.T) {
	for msg, want := range map[string]bool{
		"the product of product_infos id p001 was not found": true,
		"product_infos id p001: resource_size is required":   true,
		"p001":          true,
		"id p0010 bad":  false,
		"id xp001 bad":  false,
		"id p001x bad":  false,
		"(p001)":        true,
		"no id at all.": false,
	} {
		if got := namesID(msg, "p001"); got != want {
			t.Errorf("%q: got %v, want %v", msg, got, want)
		}
	}
}
