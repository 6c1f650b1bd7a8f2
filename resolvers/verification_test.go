package resolvers_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"partnergraph/guard/verify"
)

func fundsVars(cust, amount, key, id, code string) map[string]any {
	v := map[string]any{"in": map[string]any{"customerId": cust, "amount": amount}, "key": key}
	if id != "" || code != "" {
		v["v"] = map[string]any{"challengeId": id, "code": code}
	}
	return v
}

func wrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestMoneyVerificationFailures(t *testing.T) {
	// the principal lock has its own test; here each failure mode alone
	m := newMoneyEnv(t, envConfig{Verify: func(c *verify.Config) { c.PrincipalMaxFailures = 100 }})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	other := m.resaleCustomer(t, m.tier1.ID, 1)
	in := map[string]any{"customerId": cust, "amount": "100"}

	t.Run("NoCode", func(t *testing.T) {
		r := m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), "", ""))
		if !hasCode(r, "VERIFICATION_REQUIRED") {
			t.Fatalf("got %+v", r.Errors)
		}
	})
	t.Run("WrongCode", func(t *testing.T) {
		id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		r := m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), id, wrong(code)))
		if !hasCode(r, "VERIFICATION_FAILED") || r.Errors[0].Message != "verification failed" {
			t.Fatalf("got %+v", r.Errors)
		}
		// the right code still works afterwards (1 of 5 attempts used)
		r = m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), id, code))
		if len(r.Errors) > 0 {
			t.Fatalf("right code after one wrong: %+v", r.Errors)
		}
	})
	t.Run("Used", func(t *testing.T) {
		id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		if r := m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), id, code)); len(r.Errors) > 0 {
			t.Fatalf("first use: %+v", r.Errors)
		}
		r := m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), id, code))
		if !hasCode(r, "VERIFICATION_FAILED") {
			t.Fatalf("second use: %+v", r.Errors)
		}
	})
	// A code for 100 to cust, used once it expired, or with anything else.
	for _, c := range []struct {
		name, what      string
		expire          bool
		q, cust, amount string
		otherPrincipal  bool
	}{
		{name: "Expired", what: "expired", expire: true, q: allocateQ, cust: cust, amount: "100"},
		{name: "OtherAmount", what: "1000 with a code for 100", q: allocateQ, cust: cust, amount: "1000"},
		{name: "OtherCustomer", what: "customer B with a code for A", q: allocateQ, cust: other, amount: "100"},
		{name: "OtherOperation", what: "reclaim with an allocate code", q: reclaimQ, cust: cust, amount: "100"},
		{name: "OtherPrincipal", what: "another user of the same partner", q: allocateQ, cust: cust, amount: "100", otherPrincipal: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
			if c.expire {
				m.verifyClock.Advance(5*time.Minute + time.Second)
			}
			as := tok
			if c.otherPrincipal {
				as = MustToken(t, principalWith(m.tier1.ID, "mallory"))
			}
			r := m.query(t, as, c.q, fundsVars(c.cust, c.amount, newKey(), id, code))
			if !hasCode(r, "VERIFICATION_FAILED") {
				t.Fatalf("%s: %+v", c.what, r.Errors)
			}
		})
	}
	t.Run("NewCodeCancelsOld", func(t *testing.T) {
		id1, code1 := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		r := m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), id1, code1))
		if !hasCode(r, "VERIFICATION_FAILED") {
			t.Fatalf("cancelled code: %+v", r.Errors)
		}
	})
	t.Run("FiveAttempts", func(t *testing.T) {
		id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		for i := 0; i < 5; i++ {
			if r := m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), id, wrong(code))); !hasCode(r, "VERIFICATION_FAILED") {
				t.Fatalf("attempt %d: %+v", i, r.Errors)
			}
		}
		r := m.query(t, tok, allocateQ, fundsVars(cust, "100", newKey(), id, code))
		if !hasCode(r, "VERIFICATION_FAILED") {
			t.Fatalf("right code after 5 wrong ones must fail: %+v", r.Errors)
		}
	})
	t.Run("InvalidInputSendsNoCode", func(t *testing.T) {
		r := m.query(t, tok, requestCodeQ, map[string]any{"ch": "EMAIL", "op": "ALLOCATE_CUSTOMER_FUNDS", "in": map[string]any{"allocateCustomerFunds": map[string]any{"customerId": cust, "amount": "1.001"}}})
		if !hasCode(r, "BAD_USER_INPUT") {
			t.Fatalf("3 decimals: %+v", r.Errors)
		}
		r = m.query(t, tok, requestCodeQ, map[string]any{"ch": "EMAIL", "op": "RECLAIM_CUSTOMER_FUNDS", "in": map[string]any{"allocateCustomerFunds": in}})
		if !hasCode(r, "BAD_USER_INPUT") {
			t.Fatalf("member of another operation: %+v", r.Errors)
		}
	})
	t.Run("MessageSaysWhat", func(t *testing.T) {
		m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		_, summary := m.lastCode(t, "alice@tier1.example")
		if !strings.Contains(summary, "100.00 CNY") || !strings.Contains(summary, cust) {
			t.Fatalf("summary %q must name amount and target", summary)
		}
	})
	t.Run("ChallengeShape", func(t *testing.T) {
		m.verifyClock.Advance(2 * time.Millisecond)
		r := m.query(t, tok, requestCodeQ, map[string]any{"ch": "SMS", "op": "ALLOCATE_CUSTOMER_FUNDS", "in": map[string]any{"allocateCustomerFunds": in}})
		var c struct{ ID, Channel, MaskedDestination, ExpiresAt, ResendAfter string }
		_ = json.Unmarshal(r.Data["requestVerificationCode"], &c)
		if c.Channel != "SMS" || strings.Contains(c.MaskedDestination, "13800001111") || c.ExpiresAt == "" || c.ResendAfter == "" {
			t.Fatalf("challenge %+v (%+v)", c, r.Errors)
		}
	})
	// codes never reach the audit log
	for _, e := range m.auditEntries(t) {
		b, _ := json.Marshal(e)
		for _, msg := range m.outbox.Messages("") {
			if mm := codeRE.FindStringSubmatch(msg.Text); mm != nil && strings.Contains(string(b), `"`+mm[1]+`"`) {
				t.Fatalf("audit entry holds a code: %s", b)
			}
		}
	}
}

// The principal lock: failures across challenges lock the principal.
func TestMoneyPrincipalLock(t *testing.T) {
	m := newMoneyEnv(t, envConfig{Verify: func(c *verify.Config) { c.PrincipalMaxFailures = 3 }})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	in := map[string]any{"customerId": cust, "amount": "1"}
	for i := 0; i < 3; i++ {
		id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		m.query(t, tok, allocateQ, fundsVars(cust, "1", newKey(), id, wrong(code)))
	}
	r := m.query(t, tok, requestCodeQ, map[string]any{"ch": "EMAIL", "op": "ALLOCATE_CUSTOMER_FUNDS", "in": map[string]any{"allocateCustomerFunds": in}})
	if len(r.Errors) == 0 {
		// the engine may still send; the code must not work while locked
		code, _ := m.lastCodeAny(t)
		var c struct{ ID string }
		_ = json.Unmarshal(r.Data["requestVerificationCode"], &c)
		if r := m.query(t, tok, allocateQ, fundsVars(cust, "1", newKey(), c.ID, code)); !hasCode(r, "VERIFICATION_FAILED") {
			t.Fatalf("locked principal verified: %+v", r.Errors)
		}
	} else if !hasCode(r, "RATE_LIMITED") {
		t.Fatalf("locked principal: %+v", r.Errors)
	}
}

func TestMoneySendLimits(t *testing.T) {
	m := newMoneyEnv(t, envConfig{Verify: func(c *verify.Config) { c.ResendCooldown = time.Minute }})
	tok := m.tier1Token(t)
	in := map[string]any{"allocateCustomerFunds": map[string]any{"customerId": m.resaleCustomer(t, m.tier1.ID, 0), "amount": "1"}}
	v := map[string]any{"ch": "EMAIL", "op": "ALLOCATE_CUSTOMER_FUNDS", "in": in}
	if r := m.query(t, tok, requestCodeQ, v); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	r := m.query(t, tok, requestCodeQ, v)
	if !hasCode(r, "RATE_LIMITED") {
		t.Fatalf("second code within the cooldown: %+v", r.Errors)
	}
	ra, ok := r.Errors[0].Extensions["retryAfter"].(float64)
	if !ok || ra < 1 || ra > 60 {
		t.Fatalf("retryAfter %v", r.Errors[0].Extensions)
	}
}

func TestMoneyAliasAndBatchAttacks(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	in := map[string]any{"customerId": cust, "amount": "5"}
	id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)

	// 50 aliased copies, each with another guess: refused before execution
	var b strings.Builder
	b.WriteString("mutation($in: CustomerFundsInput!) {")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, ` a%d: allocateCustomerFunds(input: $in, idempotencyKey: "k%d", verification: {challengeId: %q, code: "%06d"}) { transferId }`, i, i, id, i)
	}
	b.WriteString("}")
	m.resetStats(t)
	r := m.query(t, tok, b.String(), map[string]any{"in": in})
	if !hasCode(r, "BAD_USER_INPUT") || len(r.Data["a0"]) > 0 && string(r.Data["a0"]) != "null" {
		t.Fatalf("50 aliases: %+v", r.Errors)
	}
	if n := m.stats(t)["UpdateCustomerAccountAmount"]; n != 0 {
		t.Fatalf("upstream called %d times", n)
	}
	// two different sensitive fields in one operation: refused too
	r = m.query(t, tok, `mutation($in: CustomerFundsInput!) {
	  a: allocateCustomerFunds(input: $in, idempotencyKey: "x1") { transferId }
	  b: reclaimCustomerFunds(input: $in, idempotencyKey: "x2") { transferId } }`, map[string]any{"in": in})
	if !hasCode(r, "BAD_USER_INPUT") {
		t.Fatalf("two sensitive fields: %+v", r.Errors)
	}
	// hidden in fragments: still counted
	r = m.query(t, tok, `mutation($in: CustomerFundsInput!) { ...A ... on Mutation { b: allocateCustomerFunds(input: $in, idempotencyKey: "x4") { transferId } } }
	  fragment A on Mutation { a: allocateCustomerFunds(input: $in, idempotencyKey: "x3") { transferId } }`, map[string]any{"in": in})
	if !hasCode(r, "BAD_USER_INPUT") {
		t.Fatalf("fragments: %+v", r.Errors)
	}
	// a JSON array batch is not accepted by the transport
	body := `[{"query":"mutation { a: requestVerificationCode(channel: EMAIL, operation: ALLOCATE_CUSTOMER_FUNDS, input: {}) { id } }"},{"query":"{ viewer { role } }"}]`
	resp, raw := httpDo(t, "POST", m.gw.URL+"/graphql", "application/json", "", tok, body)
	if status := resp.StatusCode; status < 400 || !strings.Contains(raw, "errors") {
		t.Fatalf("array batch: %d %s", status, raw)
	}
	// the code is still alive (no attempt was spent by the refused requests)
	if r := m.query(t, tok, allocateQ, fundsVars(cust, "5", newKey(), id, code)); len(r.Errors) > 0 {
		t.Fatalf("code after refused attacks: %+v", r.Errors)
	}
}

// Attempts are counted per field execution, across requests: 5 separate
// requests with wrong codes kill the challenge even if sent in parallel.
func TestMoneyParallelWrongCodes(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	in := map[string]any{"customerId": cust, "amount": "5"}
	id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	m.queryParallel(t, 20, tok, allocateQ, func(i int) map[string]any {
		guess := fmt.Sprintf("%06d", i)
		if guess == code {
			guess = "999999"
		}
		return fundsVars(cust, "5", newKey(), id, guess)
	})
	if r := m.query(t, tok, allocateQ, fundsVars(cust, "5", newKey(), id, code)); !hasCode(r, "VERIFICATION_FAILED") {
		t.Fatalf("challenge must be dead after 20 parallel wrong codes: %+v", r.Errors)
	}
}

// Two parallel submissions of one valid code (different idempotency keys):
// exactly one success, one upstream call.
func TestMoneyParallelSameCode(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	in := map[string]any{"customerId": cust, "amount": "7"}
	id, code := m.challenge(t, tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	m.resetStats(t)
	results := m.queryParallel(t, 8, tok, allocateQ, func(int) map[string]any { return fundsVars(cust, "7", newKey(), id, code) })
	ok := 0
	for _, r := range results {
		if len(r.Errors) == 0 {
			ok++
		} else if !hasCode(r, "VERIFICATION_FAILED") {
			t.Errorf("unexpected %+v", r.Errors)
		}
	}
	if ok != 1 {
		t.Fatalf("%d successes, want 1", ok)
	}
	if n := m.stats(t)["UpdateCustomerAccountAmount"]; n != 1 {
		t.Fatalf("upstream called %d times", n)
	}
}

func TestMoneyVerificationSetting(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	const setQ = `mutation($in: SetVerificationEnabledInput!, $v: VerificationInput) { setVerificationEnabled(input: $in, verification: $v) { enabled } }`
	const getQ = `{ viewer { partner { verification { enabled } } } }`
	if r := m.query(t, tok, getQ, nil); !strings.Contains(string(r.Data["viewer"]), `"enabled":true`) {
		t.Fatalf("default: %s %+v", r.Data["viewer"], r.Errors)
	}
	// turning it off is itself guarded
	if r := m.query(t, tok, setQ, map[string]any{"in": map[string]any{"enabled": false}}); !hasCode(r, "VERIFICATION_REQUIRED") {
		t.Fatalf("unguarded off: %+v", r.Errors)
	}
	id, code := m.challenge(t, tok, "SET_VERIFICATION_ENABLED", "setVerificationEnabled", map[string]any{"enabled": false})
	if r := m.query(t, tok, setQ, map[string]any{"in": map[string]any{"enabled": false}, "v": map[string]any{"challengeId": id, "code": code}}); len(r.Errors) > 0 {
		t.Fatalf("off: %+v", r.Errors)
	}
	// now money moves without a code
	if r := m.query(t, tok, allocateQ, fundsVars(cust, "3", newKey(), "", "")); len(r.Errors) > 0 {
		t.Fatalf("with verification off: %+v", r.Errors)
	}
	if r := m.query(t, tok, getQ, nil); !strings.Contains(string(r.Data["viewer"]), `"enabled":false`) {
		t.Fatalf("after off: %s", r.Data["viewer"])
	}
	// other partners are unaffected
	ptok := m.providerToken(t)
	pc := m.resaleCustomer(t, m.provider.ID, 0)
	if r := m.query(t, ptok, allocateQ, fundsVars(pc, "3", newKey(), "", "")); !hasCode(r, "VERIFICATION_REQUIRED") {
		t.Fatalf("provider: %+v", r.Errors)
	}
	if r := m.query(t, tok, setQ, map[string]any{"in": map[string]any{"enabled": true}}); len(r.Errors) > 0 {
		t.Fatalf("back on: %+v", r.Errors)
	}
	if r := m.query(t, tok, allocateQ, fundsVars(cust, "3", newKey(), "", "")); !hasCode(r, "VERIFICATION_REQUIRED") {
		t.Fatalf("after on: %+v", r.Errors)
	}
}
