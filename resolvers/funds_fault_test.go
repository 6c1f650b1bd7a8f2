package resolvers_test

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
)

// The upstream applies the allocation but the reply is lost: the gateway
// reconciles against the adjust records, answers success once, and a retry
// with the same key does not apply again.
func TestMoneyFaultDropAfterApplying(t *testing.T) {
	m := newFundsEnv(t, envConfig{})
	before := m.balance(t)
	records := m.adjustCount(t)
	m.fault(t, map[string]any{"operation": "UpdateCustomerAccountAmount", "drop": true, "after": true, "count": 1})
	key := newKey()
	p, r := m.allocate(t, m.tok, allocateQ, "allocateCustomerFunds", m.cust, "33.33", key)
	if len(r.Errors) > 0 {
		t.Fatalf("drop after applying: %+v", r.Errors)
	}
	if !p.Reconciled || p.TransferID == "" {
		t.Fatalf("payload %+v: want reconciled with the record's trans id", p)
	}
	want := before.Add(decimal.RequireFromString("33.33"))
	if got := m.balance(t); !got.Equal(want) {
		t.Fatalf("balance %s, want %s", got, want)
	}
	// retry with the same key: replay, no second application
	m.resetStats(t)
	r = m.query(t, m.tok, allocateQ, fundsVars(m.cust, "33.33", key, "", ""))
	if len(r.Errors) > 0 || !contains(r.Data["allocateCustomerFunds"], p.TransferID) {
		t.Fatalf("retry: %s %+v", r.Data["allocateCustomerFunds"], r.Errors)
	}
	if got := m.balance(t); !got.Equal(want) {
		t.Fatalf("balance after retry %s, want %s", got, want)
	}
	if n := m.adjustCount(t); n != records+1 {
		t.Fatalf("adjust records %d -> %d, want one more", records, n)
	}
	if n := m.stats(t)["UpdateCustomerAccountAmount"]; n != 0 {
		t.Fatalf("retry called the upstream %d times", n)
	}
	// the audit log says it was reconciled
	found := false
	for _, e := range m.auditEntries(t) {
		if e["event"] == "mutation.reconciled" && e["idempotency_key"] == key {
			found = true
		}
	}
	if !found {
		t.Fatal("no mutation.reconciled audit entry")
	}
}

// The connection drops before the upstream applies anything: a clear
// UPSTREAM_UNAVAILABLE saying nothing was applied, and the key is released
// so a retry (with a new code) is safe and applies once.
func TestMoneyFaultDropBeforeApplying(t *testing.T) {
	m := newFundsEnv(t, envConfig{})
	before := m.balance(t)
	for _, f := range []map[string]any{
		{"operation": "UpdateCustomerAccountAmount", "drop": true, "count": 1},
		{"operation": "UpdateCustomerAccountAmount", "status": 503, "count": 1},
	} {
		m.fault(t, f)
		key := newKey()
		_, r := m.allocate(t, m.tok, allocateQ, "allocateCustomerFunds", m.cust, "8", key)
		if !hasCode(r, "UPSTREAM_UNAVAILABLE") || !strings.Contains(r.Errors[0].Message, "not applied") {
			t.Fatalf("%v: %+v %s %v", f, r.Errors, r.Data["allocateCustomerFunds"], m.stats(t))
		}
		if got := m.balance(t); !got.Equal(before) {
			t.Fatalf("%v: balance moved %s -> %s", f, before, got)
		}
		p, r := m.allocate(t, m.tok, allocateQ, "allocateCustomerFunds", m.cust, "8", key)
		if len(r.Errors) > 0 || p.Reconciled {
			t.Fatalf("%v: retry with the same key: %+v %+v", f, p, r.Errors)
		}
		before = before.Add(decimal.NewFromInt(8))
		if got := m.balance(t); !got.Equal(before) {
			t.Fatalf("%v: balance %s, want %s", f, got, before)
		}
	}
}

func TestMoneyFaultCouponsDropAfterApplying(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	q := m.quotaOf(t, gateway.Scope{Account: m.tier1.ID})
	custs := []string{m.resaleCustomer(t, m.tier1.ID, 0), m.resaleCustomer(t, m.tier1.ID, 1)}
	m.fault(t, map[string]any{"operation": "CreatePartnerCoupons", "drop": true, "after": true, "count": 1})
	p, r := m.issueCoupons(t, tok, q.ID, custs, "5", "spring promo", newKey())
	if len(r.Errors) > 0 {
		t.Fatalf("%+v", r.Errors)
	}
	if !p.Reconciled || len(p.IssuedCouponIds) != 2 {
		t.Fatalf("payload %+v", p)
	}
	want := q.Balance.Amount.Sub(decimal.NewFromInt(10))
	if got := m.quotaOf(t, gateway.Scope{Account: m.tier1.ID}).Balance.Amount; !got.Equal(want) {
		t.Fatalf("quota balance %s, want %s", got, want)
	}
}
