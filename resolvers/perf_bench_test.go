package resolvers_test

import (
	"syscall"
	"testing"
	"time"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const resellersQuery = `{ resellers(first: 50) { totalCount edges { node { id resellerId name
  funds { accountType amount { amount currency } } couponQuotas { quotaId balance { amount } } } } } }`

// BenchmarkListPages runs the list pages of the read path and reports the
// process CPU per query next to ns/op: wall time on a shared 2-core box
// moves ±30 % from run to run, CPU time much less. The CPU includes the
// in-process sandbox, which is the same for every gateway change.
func BenchmarkListPages(b *testing.B) {
	e := newEnv(b, envConfig{Sandbox: sandbox.Options{Customers: 600}})
	tok := MustToken(b, identity.Principal{Subject: "b", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	for _, bc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"Customers100", customersQuery, map[string]any{"n": 100}},
		{"Resellers50", resellersQuery, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e.resetStats(b)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime(b)
			for i := 0; i < b.N; i++ {
				if r := e.query(b, tok, bc.query, bc.vars); len(r.Errors) > 0 {
					b.Fatal(r.Errors)
				}
			}
			cpu := cpuTime(b) - cpu0
			b.StopTimer()
			total := 0
			for _, n := range e.stats(b) {
				total += n
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(total)/float64(b.N), "upstream-calls/op")
		})
	}
}
