package resolvers_test

import (
	"context"
	"maps"
	"testing"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
	"partnergraph/sandbox"
)

const payOnBehalfOrdersQ = `query($id: ID!, $f: OrderFilter) { node(id: $id) { ... on Customer { orders(first: 50, filter: $f) {
  totalCount pageInfo { hasNextPage } edges { node { orderId status officialAmount { amount } payOnBehalf { requested payingPartnerId } } } } } } }`

type pobOrders struct {
	Orders struct {
		TotalCount int
		PageInfo   struct{ HasNextPage bool }
		Edges      []struct {
			Node struct {
				OrderID, Status string
				OfficialAmount  struct{ Amount string }
				PayOnBehalf     struct {
					Requested       bool
					PayingPartnerID *string
				}
			}
		}
	}
}

func (e *env) payOnBehalfOrders(t *testing.T, tok string, cu sandbox.ManifestCustomer, filter map[string]any) pobOrders {
	t.Helper()
	var out pobOrders
	mustData(t, e.query(t, tok, payOnBehalfOrdersQ, map[string]any{"id": e.gidOf(cu), "f": filter}), "node", &out)
	return out
}

// The order a customer asked its partner to pay is marked on every orders
// list and found with the filter (read by the gateway from the customer's
// orders, one call per 100); only the paying partner finds it "addressed to
// me"; the customer cannot pay it; its partner pays it from its own balance.
func TestPayOnBehalf(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	ptok := e.providerToken(t)
	cu := e.showcase(t, e.provider.ID)

	all := e.payOnBehalfOrders(t, ptok, cu, nil)
	var requested []string
	for _, ed := range all.Orders.Edges {
		if ed.Node.PayOnBehalf.Requested {
			requested = append(requested, ed.Node.OrderID)
			if p := ed.Node.PayOnBehalf.PayingPartnerID; p == nil || *p != e.provider.ID || ed.Node.Status != "PENDING_PAYMENT" {
				t.Fatalf("pay-on-behalf order %+v", ed.Node)
			}
		} else if ed.Node.PayOnBehalf.PayingPartnerID != nil {
			t.Fatalf("ordinary order %+v", ed.Node)
		}
	}
	if len(requested) != 1 || all.Orders.TotalCount <= 1 {
		t.Fatalf("%d pay-on-behalf orders among %d", len(requested), all.Orders.TotalCount)
	}
	orderID := requested[0]
	for _, f := range []string{"REQUESTED", "ADDRESSED_TO_ME"} {
		e.resetStats(t)
		got := e.payOnBehalfOrders(t, ptok, cu, map[string]any{"payOnBehalf": f})
		if got.Orders.TotalCount != 1 || len(got.Orders.Edges) != 1 || got.Orders.Edges[0].Node.OrderID != orderID || got.Orders.PageInfo.HasNextPage {
			t.Fatalf("%s: %+v", f, got)
		}
		// node(id:) reads the customer, the filter its orders 100 per call.
		if s := e.stats(t); !maps.Equal(s, map[string]int{"ListSubCustomers": 1, "ListCustomerOrders": ceilDiv(all.Orders.TotalCount, 100)}) {
			t.Fatalf("%s: upstream calls %v", f, s)
		}
	}
	// The other filters still apply upstream.
	if got := e.payOnBehalfOrders(t, ptok, cu, map[string]any{"payOnBehalf": "REQUESTED", "status": "COMPLETED"}); got.Orders.TotalCount != 0 {
		t.Fatalf("completed pay-on-behalf orders %+v", got)
	}

	// The customer sees its request, addressed to its partner, not to itself,
	// and may not pay it.
	ctok := e.customerToken(t, cu)
	if got := e.payOnBehalfOrders(t, ctok, cu, map[string]any{"payOnBehalf": "REQUESTED"}); got.Orders.TotalCount != 1 {
		t.Fatalf("customer, requested: %+v", got)
	}
	if got := e.payOnBehalfOrders(t, ctok, cu, map[string]any{"payOnBehalf": "ADDRESSED_TO_ME"}); got.Orders.TotalCount != 0 {
		t.Fatalf("customer, addressed to it: %+v", got)
	}
	in := map[string]any{"customer": target(cu), "orderId": orderID}
	e.resetStats(t)
	wantError(t, e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": in}), "BAD_USER_INPUT", "")
	if n := e.stats(t)["PayOrders"]; n != 0 {
		t.Fatalf("PayOrders %d, want 0", n)
	}

	// The partner pays it: from its balance, not the customer's.
	up := e.upstream(t)
	ctx := context.Background()
	ps := gateway.Scope{Account: e.provider.ID}
	balance := func() (partner, customer decimal.Decimal) {
		fs, err := up.Funds(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.AccountType == gateway.AccountBalance {
				partner = f.Amount.Amount
			}
		}
		bs, err := up.CustomerBalances(ctx, ps, []string{cu.ID})
		if err != nil {
			t.Fatal(err)
		}
		return partner, bs[cu.ID].Available.Amount
	}
	p0, c0 := balance()
	var paid struct {
		Order struct {
			OrderID, Status     string
			AmountAfterDiscount struct{ Amount string }
			PayOnBehalf         *struct{ Requested bool }
		}
	}
	r := e.sensitive(t, ptok, `mutation($in: PayOrderInput!, $key: String!, $v: VerificationInput) { payOrder(input: $in, idempotencyKey: $key, verification: $v) {
	  order { orderId status amountAfterDiscount { amount } payOnBehalf { requested } } } }`, "payOrder", "PAY_ORDER", in, newKey(), &paid)
	if len(r.Errors) > 0 || paid.Order.Status != "COMPLETED" || paid.Order.PayOnBehalf == nil || !paid.Order.PayOnBehalf.Requested {
		t.Fatalf("paid %+v %+v", paid, r.Errors)
	}
	p1, c1 := balance()
	due := decimal.RequireFromString(paid.Order.AmountAfterDiscount.Amount)
	if !c1.Equal(c0) || !p0.Sub(p1).Equal(due) || !due.IsPositive() {
		t.Fatalf("partner %s → %s, customer %s → %s, due %s", p0, p1, c0, c1, due)
	}
}

// A tier-1 reads its reseller's customer's request (addressed to the
// reseller, not to the tier-1); the reseller finds it addressed to itself.
func TestPayOnBehalfAddressedToReseller(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.reseller.ID)
	for tok, want := range map[string][2]int{e.tier1Token(t): {1, 0}, e.resellerToken(t): {1, 1}} {
		req := e.payOnBehalfOrders(t, tok, cu, map[string]any{"payOnBehalf": "REQUESTED"})
		mine := e.payOnBehalfOrders(t, tok, cu, map[string]any{"payOnBehalf": "ADDRESSED_TO_ME"})
		if req.Orders.TotalCount != want[0] || mine.Orders.TotalCount != want[1] {
			t.Fatalf("requested %d, addressed to me %d; want %v", req.Orders.TotalCount, mine.Orders.TotalCount, want)
		}
		if p := req.Orders.Edges[0].Node.PayOnBehalf.PayingPartnerID; p == nil || *p != e.reseller.ID {
			t.Fatalf("paying partner %v, want the reseller", p)
		}
	}
}
