package resolvers_test

import (
	"testing"

	"partnergraph/sandbox"
)

const ordersQ = `query($id: ID!, $f: OrderFilter) { node(id: $id) { ... on Customer {
  orders(first: 50, filter: $f) { totalCount edges { node {
    id orderId customerId status type serviceTypeCode
    officialAmount { amount currency } amountAfterDiscount { amount } couponAmount { amount } discountAmount { amount }
    createdAt paidAt paymentDeadline
    lineItems { id productId productSpec periodType periodCount quantity effectiveAt expiresAt officialAmount { amount } }
    availableCoupons { couponId cash balance { amount } }
    availableDiscounts { discountId discountType ratio amount { amount } }
    resources { resourceId isMain }
  } } }
} } }`

type orderJSON struct {
	ID, OrderID, CustomerID, Status, Type, ServiceTypeCode string
	OfficialAmount                                         struct{ Amount, Currency string }
	AmountAfterDiscount, CouponAmount, DiscountAmount      struct{ Amount string }
	CreatedAt, PaidAt, PaymentDeadline                     *string
	LineItems                                              []struct {
		ID, ProductID, ProductSpec, PeriodType string
		PeriodCount, Quantity                  int
		EffectiveAt, ExpiresAt                 *string
		OfficialAmount                         struct{ Amount string }
	}
	AvailableCoupons []struct {
		CouponID string
		Cash     bool
		Balance  struct{ Amount string }
	}
	AvailableDiscounts []struct {
		DiscountID   string
		DiscountType int
		Ratio        *string
		Amount       *struct{ Amount string }
	}
	Resources []struct {
		ResourceID string
		IsMain     bool
	}
	Refunds []struct {
		ID     string
		Amount struct{ Amount string }
	}
}

type customerOrders struct {
	Orders struct {
		TotalCount int
		Edges      []struct{ Node orderJSON }
	}
}

func TestCommerceOrdersRead(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.tier1.ID)
	gid := customerGID(e.tier1.ID, "", cu.ID)
	tok := e.tier1Token(t)

	e.resetStats(t)
	var c customerOrders
	mustData(t, e.query(t, tok, ordersQ, map[string]any{"id": gid, "f": map[string]any{"status": "PENDING_PAYMENT"}}), "node", &c)
	if len(c.Orders.Edges) != 2 {
		t.Fatalf("pending orders = %d, want the showcase's 2", len(c.Orders.Edges))
	}
	for _, ed := range c.Orders.Edges {
		o := ed.Node
		if o.Status != "PENDING_PAYMENT" || o.Type != "NEW" || o.CustomerID != cu.ID || o.PaymentDeadline == nil {
			t.Fatalf("order %+v", o)
		}
		if o.OfficialAmount.Currency != "CNY" || o.OfficialAmount.Amount == "" || len(o.LineItems) != 1 || o.LineItems[0].PeriodCount < 1 {
			t.Fatalf("order amounts/lines %+v", o)
		}
		if len(o.AvailableDiscounts) != 2 || o.AvailableDiscounts[0].Ratio == nil || o.AvailableDiscounts[0].Amount == nil {
			t.Fatalf("discounts %+v", o.AvailableDiscounts)
		}
		if len(o.AvailableCoupons) == 0 {
			t.Fatalf("the showcase customer has vouchers: %+v", o.AvailableCoupons)
		}
	}
	s := e.calls(t, "KeystoneCreateAgencyToken", "ListOrderDiscounts", "ListCustomerOrders")
	if s["KeystoneCreateAgencyToken"] != 1 || s["ListOrderDiscounts"] != 2 || s["ListCustomerOrders"] != 1 {
		t.Fatalf("calls %v: want one token for the customer-only reads, one list", s)
	}

	// Completed orders: their resources, no coupons/discounts offered.
	mustData(t, e.query(t, tok, ordersQ, map[string]any{"id": gid, "f": map[string]any{"status": "COMPLETED", "type": "NEW"}}), "node", &c)
	if len(c.Orders.Edges) < 3 {
		t.Fatalf("completed orders = %d", len(c.Orders.Edges))
	}
	for _, ed := range c.Orders.Edges {
		if ed.Node.PaidAt == nil || len(ed.Node.Resources) == 0 || len(ed.Node.AvailableCoupons) != 0 || len(ed.Node.AvailableDiscounts) != 0 {
			t.Fatalf("completed order %+v", ed.Node)
		}
	}

	// The order is a Relay node; another partner cannot read it.
	id := c.Orders.Edges[0].Node.ID
	var n struct{ OrderID string }
	mustData(t, e.query(t, tok, `query($id: ID!) { node(id: $id) { ... on Order { orderId } } }`, map[string]any{"id": id}), "node", &n)
	if n.OrderID != c.Orders.Edges[0].Node.OrderID {
		t.Fatalf("node = %+v", n)
	}
	r := e.query(t, e.providerToken(t), `query($id: ID!) { node(id: $id) { ... on Order { orderId } } }`, map[string]any{"id": id})
	wantError(t, r, "NOT_FOUND", "")

	// Bad filters are BAD_USER_INPUT before any call.
	e.resetStats(t)
	r = e.query(t, tok, ordersQ, map[string]any{"id": gid, "f": map[string]any{"createdFrom": "2025-01-01", "createdTo": "2026-06-01"}})
	wantError(t, r, "BAD_USER_INPUT", "")
	if n := e.stats(t)["ListCustomerOrders"]; n != 0 {
		t.Fatalf("ListCustomerOrders calls = %d, want 0", n)
	}
}

// A customer reads its own orders and resources through viewer; a tier-1
// reads a reseller's customer's resources (a customer token with the
// tier-1's agency).
func TestCommerceViewerAndReseller(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.tier1.ID)
	var v struct {
		Customer struct {
			CustomerID string
			Orders     struct{ TotalCount int }
			Resources  struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ResourceID, Status, ExpirePolicy string
						IsMain, AutoRenew                bool
						ExpiresAt                        *string
						Children                         []struct{ ResourceID, ParentResourceID string }
						RenewalQuote                     *struct {
							Amount *struct{ Amount string }
						}
					}
				}
			}
			OnDemandResources struct {
				TotalCount int
				Edges      []struct {
					Node struct{ ResourceID, ServiceTypeCode string }
				}
			}
			ResourcePackages struct {
				Edges []struct {
					Node struct {
						InstanceID string
						Items      []struct {
							FreeResourceID      string
							Remaining, Original string
							Usage               *struct{ Used, Remaining string }
						}
					}
				}
			}
		}
	}
	q := `{ viewer { customer {
	  customerId orders { totalCount }
	  resources(filter: { onlyMain: true }) { totalCount edges { node { resourceId status expirePolicy isMain autoRenew expiresAt
	    children { resourceId parentResourceId } renewalQuote(period: { type: MONTH, count: 1 }) { amount { amount } } } } }
	  onDemandResources { totalCount edges { node { resourceId serviceTypeCode } } }
	  resourcePackages { edges { node { instanceId items { freeResourceId remaining original usage { used remaining } } } } }
	} } }`
	mustData(t, e.query(t, e.customerToken(t, cu), q, nil), "viewer", &v)
	c := v.Customer
	if c.CustomerID != cu.ID || c.Orders.TotalCount < 5 || c.Resources.TotalCount != 3 || c.OnDemandResources.TotalCount != 5 || len(c.ResourcePackages.Edges) != 1 {
		t.Fatalf("viewer customer: %+v", c)
	}
	for _, ed := range c.Resources.Edges {
		n := ed.Node
		if !n.IsMain || n.Status != "IN_USE" || n.RenewalQuote == nil || n.RenewalQuote.Amount == nil {
			t.Fatalf("resource %+v", n)
		}
		for _, ch := range n.Children {
			if ch.ParentResourceID != n.ResourceID {
				t.Fatalf("child %+v of %s", ch, n.ResourceID)
			}
		}
	}
	used := false
	for _, it := range c.ResourcePackages.Edges[0].Node.Items {
		if it.Usage == nil || it.Usage.Remaining != it.Remaining {
			t.Fatalf("item %+v", it)
		}
		used = used || it.Usage.Used != "0"
	}
	if !used {
		t.Fatalf("the showcase package has used free resources: %+v", c.ResourcePackages)
	}

	// Another customer's id through the customer's token: NOT_FOUND.
	other := e.showcase(t, e.provider.ID)
	r := e.query(t, e.customerToken(t, cu), `query($id: ID!) { node(id: $id) { ... on Customer { resources { totalCount } } } }`,
		map[string]any{"id": customerGID(e.provider.ID, "", other.ID)})
	wantError(t, r, "NOT_FOUND", "")

	// The tier-1 reads its reseller's showcase customer's resources.
	rc := e.showcase(t, e.reseller.ID)
	e.resetStats(t)
	var n struct {
		Resources struct {
			TotalCount int
			Edges      []struct {
				Node struct{ ID, ResourceID string }
			}
		}
		ResourcePackages struct{ TotalCount int }
	}
	mustData(t, e.query(t, e.tier1Token(t), `query($id: ID!) { node(id: $id) { ... on Customer { resources { totalCount edges { node { id resourceId } } } resourcePackages { totalCount } } } }`,
		map[string]any{"id": customerGID(e.tier1.ID, e.reseller.ID, rc.ID)}), "node", &n)
	if n.Resources.TotalCount == 0 || n.ResourcePackages.TotalCount != 1 {
		t.Fatalf("reseller's customer: %+v", n)
	}
	if s := e.calls(t, "KeystoneCreateAgencyToken"); s["KeystoneCreateAgencyToken"] != 1 {
		t.Fatalf("token calls %v, want 1 (tier-1 agency into the reseller's customer)", s)
	}
	// Resource nodes resolve for the owner only.
	var rn struct{ ResourceID string }
	mustData(t, e.query(t, e.tier1Token(t), `query($id: ID!) { node(id: $id) { ... on Resource { resourceId } } }`, map[string]any{"id": n.Resources.Edges[0].Node.ID}), "node", &rn)
	if rn.ResourceID != n.Resources.Edges[0].Node.ResourceID {
		t.Fatalf("resource node %+v", rn)
	}
	r = e.query(t, e.providerToken(t), `query($id: ID!) { node(id: $id) { ... on Resource { resourceId } } }`, map[string]any{"id": n.Resources.Edges[0].Node.ID})
	wantError(t, r, "NOT_FOUND", "")
}
