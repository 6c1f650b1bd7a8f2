package resolvers_test

import (
	"testing"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

// BenchmarkCustomersPage measures a page of 100 customers with balance and
// new-customer tag through the whole gateway against the in-process
// sandbox; it reports upstream calls per query next to ns/op.
func BenchmarkCustomersPage(b *testing.B) {
	e := newEnv(b, envConfig{Sandbox: sandbox.Options{Customers: 600}})
	tok := MustToken(b, identity.Principal{Subject: "b", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	vars := map[string]any{"n": 100}
	e.resetStats(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.query(b, tok, customersQuery, vars); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
	b.StopTimer()
	total := 0
	for _, n := range e.stats(b) {
		total += n
	}
	b.ReportMetric(float64(total)/float64(b.N), "upstream-calls/op")
}
