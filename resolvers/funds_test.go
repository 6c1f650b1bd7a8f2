package resolvers_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
)

const allocateQ = `mutation($in: CustomerFundsInput!, $key: String!, $v: VerificationInput) {
  allocateCustomerFunds(input: $in, idempotencyKey: $key, verification: $v) {
    transferId customerId amount { amount currency } customerBalance { available { amount } } partnerFunds { accountType amount { amount } } reconciled
  }
}`

const reclaimQ = `mutation($in: CustomerFundsInput!, $key: String!, $v: VerificationInput) {
  reclaimCustomerFunds(input: $in, idempotencyKey: $key, verification: $v) {
    transferId customerId amount { amount currency } customerBalance { available { amount } } reconciled
  }
}`

type fundsPayload struct {
	TransferID      string `json:"transferId"`
	CustomerID      string `json:"customerId"`
	CustomerBalance struct {
		Available struct{ Amount string } `json:"available"`
	} `json:"customerBalance"`
	Reconciled bool `json:"reconciled"`
}

func balanceOf(tb testing.TB, c *gateway.Client, s gateway.Scope, id string) decimal.Decimal {
	tb.Helper()
	bs, err := c.CustomerBalances(context.Background(), s, []string{id})
	if err != nil {
		tb.Fatal(err)
	}
	return bs[id].Available.Amount
}

// fundsEnv is where most funds tests start: a money env, the tier-1's
// token, its first resale customer, and an independent client on the
// sandbox to read that customer's balance and adjust records.
type fundsEnv struct {
	*env
	tok, cust string
	up        *gateway.Client
	scope     gateway.Scope
}

func newFundsEnv(tb testing.TB, cfg envConfig) *fundsEnv {
	tb.Helper()
	m := newMoneyEnv(tb, cfg)
	f := &fundsEnv{env: m, tok: m.tier1Token(tb), cust: m.resaleCustomer(tb, m.tier1.ID, 0)}
	f.up = m.upstream(tb)
	f.scope = gateway.Scope{Account: m.tier1.ID}
	return f
}

// balance is the customer's available balance, as the sandbox has it.
func (f *fundsEnv) balance(tb testing.TB) decimal.Decimal {
	tb.Helper()
	return balanceOf(tb, f.up, f.scope, f.cust)
}

// adjustCount is the number of the customer's adjust records.
func (f *fundsEnv) adjustCount(tb testing.TB) int {
	tb.Helper()
	l, err := f.up.AdjustRecords(context.Background(), f.scope, f.cust, gateway.Window{Limit: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return l.Total
}

// allocate runs the whole flow of allocateCustomerFunds or
// reclaimCustomerFunds (field, with its mutation q): code, then the mutation.
func (e *env) allocate(tb testing.TB, token, q, field, customer, amount, key string) (fundsPayload, gqlResponse) {
	tb.Helper()
	op := map[string]string{"allocateCustomerFunds": "ALLOCATE_CUSTOMER_FUNDS", "reclaimCustomerFunds": "RECLAIM_CUSTOMER_FUNDS"}[field]
	var p fundsPayload
	r := e.sensitive(tb, token, q, field, op, map[string]any{"customerId": customer, "amount": amount}, key, &p)
	return p, r
}

func TestMoneyAllocateAndReclaimCustomerFunds(t *testing.T) {
	m := newFundsEnv(t, envConfig{})
	before := m.balance(t)
	records := m.adjustCount(t)

	p, r := m.allocate(t, m.tok, allocateQ, "allocateCustomerFunds", m.cust, "100.25", newKey())
	if len(r.Errors) > 0 {
		t.Fatalf("allocate: %+v", r.Errors)
	}
	if p.TransferID == "" || p.CustomerID != m.cust || p.Reconciled {
		t.Fatalf("payload %+v", p)
	}
	after := m.balance(t)
	if !after.Equal(before.Add(decimal.RequireFromString("100.25"))) {
		t.Fatalf("balance %s -> %s, want +100.25", before, after)
	}
	if p.CustomerBalance.Available.Amount != after.String() {
		t.Fatalf("payload balance %s, sandbox %s", p.CustomerBalance.Available.Amount, after)
	}
	if n := m.adjustCount(t); n != records+1 {
		t.Fatalf("adjust records %d -> %d", records, n)
	}

	p, r = m.allocate(t, m.tok, reclaimQ, "reclaimCustomerFunds", m.cust, "0.25", newKey())
	if len(r.Errors) > 0 {
		t.Fatalf("reclaim: %+v", r.Errors)
	}
	if got := m.balance(t); !got.Equal(after.Sub(decimal.RequireFromString("0.25"))) || p.TransferID == "" {
		t.Fatalf("after reclaim %s (payload %+v)", got, p)
	}
}
