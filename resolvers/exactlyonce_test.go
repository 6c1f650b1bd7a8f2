package resolvers_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
)

// retryUntilDone sends a guarded mutation with one key until it answers
// data, retrying without a new code after a retryable failure (the key's
// code already approved it), at most 20 times. It runs on goroutines:
// failures are reported with Errorf.
func retryUntilDone(tb testing.TB, e *env, tok, q, field string, vars map[string]any, retries *atomic.Int32) (gqlResponse, bool) {
	for i := range 20 {
		r := e.query(tb, tok, q, vars)
		if len(r.Errors) == 0 {
			retries.Add(int32(i))
			return r, true
		}
		switch r.Errors[0].Extensions["code"] {
		case "UPSTREAM_UNAVAILABLE":
		case "IDEMPOTENCY_IN_PROGRESS", "OUTCOME_UNKNOWN":
			wait, _ := r.Errors[0].Extensions["retryAfter"].(float64)
			time.Sleep(time.Duration(min(wait, 3)*float64(time.Second)) + 20*time.Millisecond)
		default:
			tb.Errorf("%s: %+v", field, r.Errors)
			return r, false
		}
		delete(vars, "v") // retries need no new code
	}
	tb.Errorf("%s: no success after 20 attempts", field)
	return gqlResponse{}, false
}

// clerks are n principals of one partner: each has its own live code.
func clerks(tb testing.TB, partnerID string, n int) []string {
	toks := make([]string, n)
	for i := range toks {
		toks[i] = MustToken(tb, principalWith(partnerID, fmt.Sprintf("clerk-%02d", i)))
	}
	return toks
}

// adjustIDs are the customer's allocation records of amount, by id.
func adjustIDs(tb testing.TB, up *gateway.Client, s gateway.Scope, customer, amount string) map[string]bool {
	tb.Helper()
	l, err := up.AdjustRecords(context.Background(), s, customer, gateway.Window{Limit: 100})
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range l.Records {
		if r.OperationType == "SOURCE_OPERATION_BEADJUST" && r.Amount != nil && r.Amount.Amount.Equal(decimal.RequireFromString(amount)) {
			out[r.TransID] = true
		}
	}
	return out
}

// Forty concurrent identical allocations with forty keys, a fifth of the
// calls failing (before applying, or applied with the answer lost), each
// retried with its key until it succeeds: forty upstream records, forty
// different transfer ids, each key naming its own record.
func TestExactlyOnceConcurrentIdenticalMoves(t *testing.T) {
	f := newFundsEnv(t, envConfig{})
	const n = 40
	before := adjustIDs(t, f.up, f.scope, f.cust, "5")
	balance := f.balance(t)
	in := map[string]any{"customerId": f.cust, "amount": "5.00"}
	toks := clerks(t, f.tier1.ID, n)
	vars := make([]map[string]any, n)
	for i := range vars {
		id, code := f.challenge(t, toks[i], "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
		vars[i] = fundsVars(f.cust, "5.00", newKey(), id, code)
	}
	f.fault(t,
		map[string]any{"operation": "UpdateCustomerAccountAmount", "error_rate": 0.1, "drop": true, "after": true},
		map[string]any{"operation": "UpdateCustomerAccountAmount", "error_rate": 0.1, "status": 503})
	transfers := make([]string, n)
	var retries atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, ok := retryUntilDone(t, f.env, toks[i], allocateQ, "allocateCustomerFunds", vars[i], &retries)
			if !ok {
				return
			}
			var p fundsPayload
			mustUnmarshal(t, r.Data["allocateCustomerFunds"], &p)
			transfers[i] = p.TransferID
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	after := adjustIDs(t, f.up, f.scope, f.cust, "5")
	var added []string
	for id := range after {
		if !before[id] {
			added = append(added, id)
		}
	}
	sort.Strings(added)
	got := append([]string(nil), transfers...)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(added, ",") {
		t.Fatalf("the %d keys name %v, the upstream has %d new records %v", n, got, len(added), added)
	}
	if want := balance.Add(decimal.RequireFromString("200")); !f.balance(t).Equal(want) {
		t.Fatalf("balance %s, want %s", f.balance(t), want)
	}
	if retries.Load() == 0 {
		t.Fatal("no request needed a retry: the injected faults did not fire")
	}
}

// Forty concurrent identical coupon issues with forty keys under faults:
// forty coupons, one per key.
func TestExactlyOnceConcurrentCouponIssues(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	s := gateway.Scope{Account: m.tier1.ID}
	quota := m.quotaOf(t, s).ID
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	before := m.couponsOf(t, s, cust, "7")
	const n = 40
	in := map[string]any{"quotaId": quota, "customerIds": []string{cust}, "faceValue": "7.00"}
	toks := clerks(t, m.tier1.ID, n)
	vars := make([]map[string]any, n)
	for i := range vars {
		id, code := m.challenge(t, toks[i], "ISSUE_COUPONS", "issueCoupons", in)
		vars[i] = map[string]any{"in": in, "key": newKey(), "v": map[string]any{"challengeId": id, "code": code}}
	}
	m.fault(t,
		map[string]any{"operation": "CreatePartnerCoupons", "error_rate": 0.1, "drop": true, "after": true},
		map[string]any{"operation": "CreatePartnerCoupons", "error_rate": 0.1, "status": 503})
	m.resetStats(t)
	coupons := make([]string, n)
	var retries atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, ok := retryUntilDone(t, m, toks[i], issueCouponsQ, "issueCoupons", vars[i], &retries)
			if !ok {
				return
			}
			var p struct{ IssuedCouponIds []string }
			mustUnmarshal(t, r.Data["issueCoupons"], &p)
			if len(p.IssuedCouponIds) == 1 {
				coupons[i] = p.IssuedCouponIds[0]
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[string]bool{}
	for _, c := range coupons {
		if c == "" || seen[c] {
			t.Fatalf("coupons per key: %v", coupons)
		}
		seen[c] = true
	}
	after := m.couponsOf(t, s, cust, "7")
	var added []string
	for c := range after {
		if !before[c] {
			added = append(added, c)
		}
	}
	if len(added) != n {
		t.Fatalf("%d new coupons of 7.00, want %d", len(added), n)
	}
	for _, c := range added {
		if !seen[c] {
			t.Fatalf("coupon %s belongs to no key", c)
		}
	}
	if calls := m.stats(t)["CreatePartnerCoupons"]; calls > n+n/2 || retries.Load() == 0 {
		t.Fatalf("%d calls and %d retries for %d coupons", calls, retries.Load(), n)
	}
}

// An identical move made earlier with another key is never claimed by a
// later key whose own call was not applied: the later key moves again.
func TestExactlyOnceEarlierIdenticalMoveIsNotClaimed(t *testing.T) {
	f := newFundsEnv(t, envConfig{})
	in := map[string]any{"customerId": f.cust, "amount": "22.22"}
	id, code := f.challenge(t, f.tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	r := f.query(t, f.tok, allocateQ, fundsVars(f.cust, "22.22", newKey(), id, code))
	var first fundsPayload
	mustUnmarshal(t, r.Data["allocateCustomerFunds"], &first)
	if len(r.Errors) > 0 || first.TransferID == "" {
		t.Fatalf("K1: %+v", r.Errors)
	}
	f.fault(t, map[string]any{"operation": "UpdateCustomerAccountAmount", "drop": true, "count": 1})
	id, code = f.challenge(t, f.tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
	k2 := fundsVars(f.cust, "22.22", newKey(), id, code)
	r = f.query(t, f.tok, allocateQ, k2)
	if !hasCode(r, "UPSTREAM_UNAVAILABLE") || !strings.Contains(r.Errors[0].Message, "not applied") {
		t.Fatalf("K2 dropped: %+v", r.Errors)
	}
	delete(k2, "v")
	r = f.query(t, f.tok, allocateQ, k2)
	var second fundsPayload
	mustUnmarshal(t, r.Data["allocateCustomerFunds"], &second)
	if len(r.Errors) > 0 || second.TransferID == "" || second.TransferID == first.TransferID || second.Reconciled {
		t.Fatalf("K2 retry: %+v %+v (K1 was %s)", second, r.Errors, first.TransferID)
	}
	if ids := adjustIDs(t, f.up, f.scope, f.cust, "22.22"); !ids[first.TransferID] || !ids[second.TransferID] {
		t.Fatalf("records %v", ids)
	}
}

// couponsOf are the customer's coupons of face value face, by id.
func (e *env) couponsOf(tb testing.TB, s gateway.Scope, customer, face string) map[string]bool {
	tb.Helper()
	out := map[string]bool{}
	for off := 0; ; off += 100 {
		l, err := e.upstream(tb).IssuedCoupons(context.Background(), s, customer, gateway.Window{Offset: off, Limit: 100})
		if err != nil {
			tb.Fatal(err)
		}
		for _, c := range l.Coupons {
			if c.FaceValue != nil && c.FaceValue.Amount.Equal(decimal.RequireFromString(face)) {
				out[c.ID] = true
			}
		}
		if len(l.Coupons) < 100 {
			return out
		}
	}
}
