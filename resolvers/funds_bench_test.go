package resolvers_test

import (
	"testing"

	"partnergraph/guard/verify"
)

// BenchmarkMoneyAllocateVerified is one full guarded allocation through
// HTTP: requestVerificationCode, read the code from /dev/outbox, then
// allocateCustomerFunds (memory stores, sandbox upstream on loopback).
func BenchmarkMoneyAllocateVerified(b *testing.B) {
	m := newMoneyEnv(b, envConfig{Verify: func(c *verify.Config) { c.GlobalSendsPerMinute, c.PerPrincipalSendsPerHour = -1, -1 }})
	tok := m.tier1Token(b)
	cust := m.resaleCustomer(b, m.tier1.ID, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, r := m.allocate(b, tok, allocateQ, "allocateCustomerFunds", cust, "0.01", newKey()); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}

// BenchmarkMoneyReplay is a replayed idempotency key: no verification, no
// upstream call.
func BenchmarkMoneyReplay(b *testing.B) {
	m := newMoneyEnv(b, envConfig{})
	tok := m.tier1Token(b)
	cust := m.resaleCustomer(b, m.tier1.ID, 0)
	key := newKey()
	if _, r := m.allocate(b, tok, allocateQ, "allocateCustomerFunds", cust, "0.01", key); len(r.Errors) > 0 {
		b.Fatal(r.Errors)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := m.query(b, tok, allocateQ, fundsVars(cust, "0.01", key, "", "")); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}
