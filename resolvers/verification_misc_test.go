package resolvers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/verify"
	"partnergraph/internal/testredis"
)

func TestMoneyAuditLogQuery(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	key := newKey()
	if _, r := m.allocate(t, tok, allocateQ, "allocateCustomerFunds", cust, "1", key); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	const q = `query($after: String) { viewer { partner { auditLog(first: 2, after: $after) { edges { cursor node { event operation outcome principal idempotencyKey argsDigest } } pageInfo { hasNextPage endCursor } } } } }`
	r := m.query(t, tok, q, nil)
	s := string(r.Data["viewer"])
	if len(r.Errors) > 0 || !strings.Contains(s, `"event":"mutation.applied"`) || !strings.Contains(s, key) || !strings.Contains(s, `"hasNextPage":true`) {
		t.Fatalf("audit page: %s %+v", s, r.Errors)
	}
	end := s[strings.Index(s, `"endCursor":"`)+len(`"endCursor":"`):]
	end = end[:strings.Index(end, `"`)]
	r = m.query(t, tok, q, map[string]any{"after": end})
	if !strings.Contains(string(r.Data["viewer"]), "challenge.") {
		t.Fatalf("second page: %s %+v", r.Data["viewer"], r.Errors)
	}
	// another partner sees none of it
	r = m.query(t, m.providerToken(t), q, nil)
	if strings.Contains(string(r.Data["viewer"]), key) || strings.Contains(string(r.Data["viewer"]), "mutation.applied") {
		t.Fatalf("provider sees the tier-1's audit: %s", r.Data["viewer"])
	}
}

// The same attacks against the Redis stores shared by instances.
func TestMoneyRedisStores(t *testing.T) {
	rc := testredis.Start(t)
	m := newFundsEnv(t, envConfig{VerifyStore: verify.NewRedisStore(rc, verify.DefaultRedisPrefix), Idem: idempotency.NewRedisStore(rc, idempotency.Options{})})
	before := m.balance(t)
	in := map[string]any{"customerId": m.cust, "amount": "2"}
	id, code := m.challenge(t, m.tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	m.resetStats(t)
	results := m.queryParallel(t, 8, m.tok, allocateQ, func(int) map[string]any { return fundsVars(m.cust, "2", newKey(), id, code) })
	ok := 0
	for _, r := range results {
		if len(r.Errors) == 0 {
			ok++
		}
	}
	if ok != 1 || m.stats(t)["UpdateCustomerAccountAmount"] != 1 {
		t.Fatalf("%d successes, %d upstream calls", ok, m.stats(t)["UpdateCustomerAccountAmount"])
	}
	// replay through Redis
	key := newKey()
	if _, r := m.allocate(t, m.tok, allocateQ, "allocateCustomerFunds", m.cust, "3", key); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if r := m.query(t, m.tok, allocateQ, fundsVars(m.cust, "3", key, "", "")); len(r.Errors) > 0 {
		t.Fatalf("replay: %+v", r.Errors)
	}
	if got := m.balance(t); !got.Equal(before.Add(decimal.NewFromInt(5))) {
		t.Fatalf("balance %s -> %s, want +5", before, got)
	}
}

// Every failure takes at least the configured floor, whichever check failed.
func TestMoneyUniformFailureTiming(t *testing.T) {
	const floor = 150 * time.Millisecond
	m := newMoneyEnv(t, envConfig{Verify: func(c *verify.Config) { c.FailureFloor = floor; c.PrincipalMaxFailures = 100 }})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	in := map[string]any{"customerId": cust, "amount": "1"}
	id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	for name, v := range map[string]map[string]any{
		"wrong code":     fundsVars(cust, "1", newKey(), id, wrong(code)),
		"unknown id":     fundsVars(cust, "1", newKey(), "nope", code),
		"other argument": fundsVars(cust, "2", newKey(), id, code),
	} {
		start := time.Now()
		r := m.query(t, tok, allocateQ, v)
		if d := time.Since(start); !hasCode(r, "VERIFICATION_FAILED") || d < floor {
			t.Errorf("%s: %v after %v (floor %v)", name, r.codes(), d, floor)
		}
	}
}

// The upstream is slower than the call timeout and applies late: the first
// answer is OUTCOME_UNKNOWN and the key keeps the call's attempt; a retry
// before the call's deadline is told to wait; after it, a retry with the
// same key and no new code settles the attempt first and finds the move
// instead of calling again.
func TestMoneyFaultTimeoutReconcilesOnRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 5s call timeout")
	}
	m := newFundsEnv(t, envConfig{})
	before := m.balance(t)
	// The gateway stops waiting at 5s (CallTimeout); the sandbox applies at
	// 5.5s, before the SDK's own HTTP timeout (6s) would abort the request.
	m.fault(t, map[string]any{"operation": "UpdateCustomerAccountAmount", "latency_ms": 5500, "count": 1})
	key := newKey()
	_, r := m.allocate(t, m.tok, allocateQ, "allocateCustomerFunds", m.cust, "6.5", key)
	if !hasCode(r, "OUTCOME_UNKNOWN") || !strings.Contains(r.Errors[0].Message, "same idempotencyKey") {
		t.Fatalf("timeout: %+v", r.Errors)
	}
	// The call's deadline is 5s + 5s after it started: until then a retry
	// is told when to come back.
	r = m.query(t, m.tok, allocateQ, fundsVars(m.cust, "6.5", key, "", ""))
	if !hasCode(r, "IDEMPOTENCY_IN_PROGRESS") || r.Errors[0].Extensions["retryAfter"] == nil {
		t.Fatalf("retry before the deadline: %+v", r.Errors)
	}
	wait := time.Duration(r.Errors[0].Extensions["retryAfter"].(float64)) * time.Second
	if wait > 6*time.Second {
		t.Fatalf("retryAfter %s", wait)
	}
	time.Sleep(wait)
	m.resetStats(t)
	// No new code: the first one approved this key and these arguments.
	r = m.query(t, m.tok, allocateQ, fundsVars(m.cust, "6.5", key, "", ""))
	var p fundsPayload
	if len(r.Errors) == 0 {
		mustUnmarshal(t, r.Data["allocateCustomerFunds"], &p)
	}
	if len(r.Errors) > 0 || !p.Reconciled {
		t.Fatalf("retry after the lease: %+v %+v", p, r.Errors)
	}
	if n := m.stats(t)["UpdateCustomerAccountAmount"]; n != 0 {
		t.Fatalf("retry called the upstream %d times", n)
	}
	if got := m.balance(t); !got.Equal(before.Add(decimal.RequireFromString("6.5"))) {
		t.Fatalf("balance %s -> %s, want +6.5 once", before, got)
	}
}

// A tier-2 reseller moves its own funds to its own customer (through the
// tier-1's keys + indirect_partner_id) and reads its own audit entries.
func TestMoneyResellerOwnCustomer(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	rtok := m.resellerToken(t)
	cust := m.resaleCustomer(t, m.reseller.ID, 0)
	up := m.upstream(t)
	s := gateway.Scope{Account: m.tier1.ID, Indirect: m.reseller.ID}
	before := balanceOf(t, up, s, cust)
	key := newKey()
	if _, r := m.allocate(t, rtok, allocateQ, "allocateCustomerFunds", cust, "9.99", key); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if got := balanceOf(t, up, s, cust); !got.Equal(before.Add(decimal.RequireFromString("9.99"))) {
		t.Fatalf("balance %s -> %s", before, got)
	}
	// the tier-1's own customer is not the reseller's
	id, code := m.challenge(t, rtok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", map[string]any{"customerId": m.resaleCustomer(t, m.tier1.ID, 0), "amount": "1"})
	if r := m.query(t, rtok, allocateQ, fundsVars(m.resaleCustomer(t, m.tier1.ID, 0), "1", newKey(), id, code)); !hasCode(r, "NOT_FOUND") {
		t.Fatalf("tier-1's customer: %+v", r.Errors)
	}
	const q = `{ viewer { reseller { auditLog(first: 50) { edges { node { event idempotencyKey } } } } } }`
	if r := m.query(t, rtok, q, nil); !strings.Contains(string(r.Data["viewer"]), key) {
		t.Fatalf("reseller audit: %s %+v", r.Data["viewer"], r.Errors)
	}
	// the tier-1 looking at its reseller does not get the reseller's log
	const tq = `{ resellers(first: 10) { edges { node { resellerId auditLog(first: 50) { edges { node { event } } } } } } }`
	if r := m.query(t, m.tier1Token(t), tq, nil); strings.Contains(string(r.Data["resellers"]), "mutation.applied") {
		t.Fatalf("tier-1 reads the reseller's audit: %s", r.Data["resellers"])
	}
}
