package resolvers_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestMoneyIdempotentRetry(t *testing.T) {
	m := newFundsEnv(t, envConfig{})
	before := m.balance(t)
	key := newKey()

	first, r := m.allocate(t, m.tok, allocateQ, "allocateCustomerFunds", m.cust, "10", key)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	m.resetStats(t)
	// the same key and arguments: the first outcome, no code needed, no upstream call
	r = m.query(t, m.tok, allocateQ, fundsVars(m.cust, "10", key, "", ""))
	if len(r.Errors) > 0 || !contains(r.Data["allocateCustomerFunds"], first.TransferID) {
		t.Fatalf("replay: %s %+v", r.Data["allocateCustomerFunds"], r.Errors)
	}
	if n := m.stats(t)["UpdateCustomerAccountAmount"]; n != 0 {
		t.Fatalf("replay called upstream %d times", n)
	}
	// same key, other arguments
	r = m.query(t, m.tok, allocateQ, fundsVars(m.cust, "11", key, "", ""))
	if !hasCode(r, "IDEMPOTENCY_CONFLICT") {
		t.Fatalf("conflict: %+v", r.Errors)
	}
	if got := m.balance(t); !got.Equal(before.Add(decimal.NewFromInt(10))) {
		t.Fatalf("balance %s -> %s, want +10 once", before, got)
	}
	// keys are per principal: another user's same key is its own
	other := MustToken(t, principalWith(m.tier1.ID, "bob"))
	r = m.query(t, other, allocateQ, fundsVars(m.cust, "10", key, "", ""))
	if !hasCode(r, "VERIFICATION_REQUIRED") {
		t.Fatalf("other principal's key: %+v", r.Errors)
	}
	// a failed verification releases the key: retry with the same key works
	key2 := newKey()
	in := map[string]any{"customerId": m.cust, "amount": "2"}
	id, code := m.challenge(t, m.tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	if r := m.query(t, m.tok, allocateQ, fundsVars(m.cust, "2", key2, id, wrong(code))); !hasCode(r, "VERIFICATION_FAILED") {
		t.Fatalf("wrong: %+v", r.Errors)
	}
	if r := m.query(t, m.tok, allocateQ, fundsVars(m.cust, "2", key2, id, code)); len(r.Errors) > 0 {
		t.Fatalf("same key after a failed verification: %+v", r.Errors)
	}
	// invalid key
	if r := m.query(t, m.tok, allocateQ, fundsVars(m.cust, "2", "has space", "", "")); !hasCode(r, "BAD_USER_INPUT") {
		t.Fatalf("bad key: %+v", r.Errors)
	}
}

// Concurrent duplicates (same key, same code) apply once: the one request
// holding the key moves, the others are told at once to retry with
// retryAfter, and their retry replays the first outcome.
func TestMoneyConcurrentDuplicates(t *testing.T) {
	m := newFundsEnv(t, envConfig{})
	before := m.balance(t)
	in := map[string]any{"customerId": m.cust, "amount": "4.5"}
	id, code := m.challenge(t, m.tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	key := newKey()
	m.fault(t, map[string]any{"operation": "UpdateCustomerAccountAmount", "latency_ms": 200})
	m.resetStats(t)
	start := time.Now()
	results := m.queryParallel(t, 10, m.tok, allocateQ, func(int) map[string]any { return fundsVars(m.cust, "4.5", key, id, code) })
	tid, busy := "", 0
	for _, r := range results {
		if len(r.Errors) > 0 {
			if !hasCode(r, "IDEMPOTENCY_IN_PROGRESS") || r.Errors[0].Extensions["retryAfter"] == nil {
				t.Fatalf("duplicate: %+v", r.Errors)
			}
			busy++
			continue
		}
		var p fundsPayload
		mustUnmarshal(t, r.Data["allocateCustomerFunds"], &p)
		tid = p.TransferID
	}
	if busy != 9 || tid == "" {
		t.Fatalf("%d told to retry, transfer %q; want 9 and one transfer", busy, tid)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("duplicates waited for the holder")
	}
	var again fundsPayload
	r := m.query(t, m.tok, allocateQ, fundsVars(m.cust, "4.5", key, id, code))
	mustUnmarshal(t, r.Data["allocateCustomerFunds"], &again)
	if len(r.Errors) > 0 || again.TransferID != tid {
		t.Fatalf("retry: %+v %+v, want the replay of %s", again, r.Errors, tid)
	}
	if n := m.stats(t)["UpdateCustomerAccountAmount"]; n != 1 {
		t.Fatalf("upstream called %d times", n)
	}
	if got := m.balance(t); !got.Equal(before.Add(decimal.RequireFromString("4.5"))) {
		t.Fatalf("balance %s -> %s", before, got)
	}
}
