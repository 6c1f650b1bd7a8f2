package resolvers_test

import (
	"context"
	"encoding/json"
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

func adjustCount(tb testing.TB, c *gateway.Client, s gateway.Scope, id string) int {
	tb.Helper()
	l, err := c.AdjustRecords(context.Background(), s, id, gateway.Page{Limit: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return l.Total
}

// allocate runs the whole flow: code, then the mutation.
func (m *moneyEnv) allocate(tb testing.TB, token, q, field, customer, amount, key string) (fundsPayload, gqlResponse) {
	tb.Helper()
	member := map[string]string{"allocateCustomerFunds": "allocateCustomerFunds", "reclaimCustomerFunds": "reclaimCustomerFunds"}[field]
	op := map[string]string{"allocateCustomerFunds": "ALLOCATE_CUSTOMER_FUNDS", "reclaimCustomerFunds": "RECLAIM_CUSTOMER_FUNDS"}[field]
	in := map[string]any{"customerId": customer, "amount": amount}
	id, code := m.challenge(tb, token, op, member, in)
	r := m.query(tb, token, q, map[string]any{"in": in, "key": key, "v": map[string]any{"challengeId": id, "code": code}})
	var p fundsPayload
	if len(r.Errors) == 0 {
		_ = json.Unmarshal(r.Data[field], &p)
	}
	return p, r
}

func TestMoneyAllocateAndReclaimCustomerFunds(t *testing.T) {
	m := mustMoneyEnv(t, moneyOpts{})
	tok := m.tier1Token(t)
	cust := m.resaleCustomer(t, m.tier1.ID, 0)
	up := m.upstream(t)
	s := gateway.Scope{Account: m.tier1.ID}
	before := balanceOf(t, up, s, cust)
	records := adjustCount(t, up, s, cust)

	p, r := m.allocate(t, tok, allocateQ, "allocateCustomerFunds", cust, "100.25", newKey())
	if len(r.Errors) > 0 {
		t.Fatalf("allocate: %+v", r.Errors)
	}
	if p.TransferID == "" || p.CustomerID != cust || p.Reconciled {
		t.Fatalf("payload %+v", p)
	}
	after := balanceOf(t, up, s, cust)
	if !after.Equal(before.Add(decimal.RequireFromString("100.25"))) {
		t.Fatalf("balance %s -> %s, want +100.25", before, after)
	}
	if p.CustomerBalance.Available.Amount != after.String() {
		t.Fatalf("payload balance %s, sandbox %s", p.CustomerBalance.Available.Amount, after)
	}
	if n := adjustCount(t, up, s, cust); n != records+1 {
		t.Fatalf("adjust records %d -> %d", records, n)
	}

	p, r = m.allocate(t, tok, reclaimQ, "reclaimCustomerFunds", cust, "0.25", newKey())
	if len(r.Errors) > 0 {
		t.Fatalf("reclaim: %+v", r.Errors)
	}
	if got := balanceOf(t, up, s, cust); !got.Equal(after.Sub(decimal.RequireFromString("0.25"))) || p.TransferID == "" {
		t.Fatalf("after reclaim %s (payload %+v)", got, p)
	}
}
