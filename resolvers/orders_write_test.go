package resolvers_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"partnergraph/sandbox"
)

const payOrderM = `mutation($in: PayOrderInput!, $key: String!, $v: VerificationInput) {
  payOrder(input: $in, idempotencyKey: $key, verification: $v) { order { id orderId status couponAmount { amount } discountAmount { amount } amountAfterDiscount { amount } paidAt } }
}`

const cancelOrderM = `mutation($in: CancelOrderInput!) { cancelOrder(input: $in) { order { orderId status } } }`

type pendingOrder struct {
	OrderID          string
	OfficialAmount   struct{ Amount string }
	AvailableCoupons []struct {
		CouponID string
		Cash     bool
	}
	AvailableDiscounts []struct{ DiscountID string }
}

// pendingOrders lists a customer's pending orders as the given caller.
func (e *env) pendingOrders(t *testing.T, token, gid string) []pendingOrder {
	t.Helper()
	var n struct {
		Orders struct{ Edges []struct{ Node pendingOrder } }
	}
	mustData(t, e.query(t, token, `query($id: ID!) { node(id: $id) { ... on Customer { orders(filter: { status: PENDING_PAYMENT }) { edges { node {
	  orderId officialAmount { amount } availableCoupons { couponId cash } availableDiscounts { discountId } } } } } } }`, map[string]any{"id": gid}), "node", &n)
	out := make([]pendingOrder, len(n.Orders.Edges))
	for i, ed := range n.Orders.Edges {
		out[i] = ed.Node
	}
	return out
}

func target(cu sandbox.ManifestCustomer) map[string]any { return map[string]any{"customerId": cu.ID} }

func TestCommercePayAndCancel(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.tier1.ID)
	gid := customerGID(e.tier1.ID, "", cu.ID)
	ctok := e.customerToken(t, cu)
	orders := e.pendingOrders(t, ctok, gid)
	if len(orders) != 2 || len(orders[0].AvailableDiscounts) == 0 || len(orders[0].AvailableCoupons) == 0 {
		t.Fatalf("pending orders %+v", orders)
	}
	o := orders[0]

	// Coupon rules before any upstream call: at most 3, none twice.
	e.resetStats(t)
	r := e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": o.OrderID, "couponIds": []string{"a", "b", "c", "d"}}})
	wantError(t, r, "BAD_USER_INPUT", "")
	r = e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": o.OrderID, "couponIds": []string{"a", "a"}}})
	wantError(t, r, "BAD_USER_INPUT", "")
	if s := e.stats(t); len(s) != 0 {
		t.Fatalf("upstream calls %v, want none", s)
	}
	// A coupon or discount the order does not offer: BAD_USER_INPUT, no payment attempted.
	r = e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": o.OrderID, "couponIds": []string{"CPNOTOFFERED"}}})
	wantError(t, r, "BAD_USER_INPUT", "")
	r = e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": o.OrderID, "discountId": "DSNOTOFFERED"}})
	wantError(t, r, "BAD_USER_INPUT", "")
	if n := e.stats(t)["PayOrders"]; n != 0 {
		t.Fatalf("PayOrders calls = %d, want 0", n)
	}

	// The customer pays its own order with a voucher and a discount: no
	// verification code (codes go to partners).
	var p struct {
		Order struct {
			OrderID, Status                                   string
			CouponAmount, DiscountAmount, AmountAfterDiscount struct{ Amount string }
			PaidAt                                            *string
		}
	}
	in := map[string]any{"customer": target(cu), "orderId": o.OrderID, "couponIds": []string{o.AvailableCoupons[0].CouponID}, "discountId": o.AvailableDiscounts[0].DiscountID}
	mustData(t, e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": in}), "payOrder", &p)
	if p.Order.Status != "COMPLETED" || p.Order.PaidAt == nil || p.Order.DiscountAmount.Amount == "0" || p.Order.CouponAmount.Amount == "0" {
		t.Fatalf("paid order %+v", p.Order)
	}
	official, _ := decimal.NewFromString(o.OfficialAmount.Amount)
	after, _ := decimal.NewFromString(p.Order.AmountAfterDiscount.Amount)
	disc, _ := decimal.NewFromString(p.Order.DiscountAmount.Amount)
	if !official.Sub(disc).Equal(after) {
		t.Fatalf("official %s - discount %s != after %s", official, disc, after)
	}

	// Status rules: a paid order can be neither paid nor cancelled, and no
	// upstream write is attempted.
	e.resetStats(t)
	r = e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": o.OrderID}})
	wantError(t, r, "BAD_USER_INPUT", "")
	r = e.query(t, ctok, cancelOrderM, map[string]any{"in": map[string]any{"customer": target(cu), "orderId": o.OrderID}})
	wantError(t, r, "BAD_USER_INPUT", "")
	if s := e.calls(t, "PayOrders", "CancelCustomerOrder"); s["PayOrders"]+s["CancelCustomerOrder"] != 0 {
		t.Fatalf("writes %v, want none", s)
	}

	// Cancel the other pending order; cancelling it again is refused.
	var cp struct {
		Order struct{ OrderID, Status string }
	}
	mustData(t, e.query(t, ctok, cancelOrderM, map[string]any{"in": map[string]any{"customer": target(cu), "orderId": orders[1].OrderID}}), "cancelOrder", &cp)
	if cp.Order.Status != "CANCELLED" {
		t.Fatalf("cancelled order %+v", cp.Order)
	}
	r = e.query(t, ctok, cancelOrderM, map[string]any{"in": map[string]any{"customer": target(cu), "orderId": orders[1].OrderID}})
	wantError(t, r, "BAD_USER_INPUT", "")

	// Unknown order, someone else's customer: NOT_FOUND.
	r = e.query(t, ctok, cancelOrderM, map[string]any{"in": map[string]any{"customer": target(cu), "orderId": "CSNOSUCHORDER"}})
	wantError(t, r, "NOT_FOUND", "")
	other := e.showcase(t, e.provider.ID)
	r = e.query(t, e.tier1Token(t), cancelOrderM, map[string]any{"in": map[string]any{"customer": target(other), "orderId": "x"}})
	wantError(t, r, "NOT_FOUND", "")
}

// A partner paying for its resale customer needs a verification code; the
// idempotency key replays the first answer.
func TestCommercePartnerPays(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.tier1.ID)
	tok := e.tier1Token(t)
	orders := e.pendingOrders(t, tok, customerGID(e.tier1.ID, "", cu.ID))
	in := map[string]any{"customer": target(cu), "orderId": orders[0].OrderID}

	key := newKey()
	r := e.query(t, tok, payOrderM, map[string]any{"key": key, "in": in})
	wantError(t, r, "VERIFICATION_REQUIRED", "")

	id, code := e.challenge(t, tok, "PAY_ORDER", "payOrder", in)
	e.resetStats(t)
	v := map[string]any{"challengeId": id, "code": code}
	var p struct {
		Order struct{ OrderID, Status string }
	}
	mustData(t, e.query(t, tok, payOrderM, map[string]any{"key": key, "in": in, "v": v}), "payOrder", &p)
	if p.Order.Status != "COMPLETED" || e.stats(t)["PayOrders"] != 1 {
		t.Fatalf("partner payment %+v, PayOrders %d", p.Order, e.stats(t)["PayOrders"])
	}
	// A replay with the same key answers the stored payload without a call.
	e.resetStats(t)
	var again struct {
		Order struct{ OrderID, Status string }
	}
	mustData(t, e.query(t, tok, payOrderM, map[string]any{"key": key, "in": in, "v": v}), "payOrder", &again)
	if again.Order != p.Order || e.stats(t)["PayOrders"] != 0 {
		t.Fatalf("replay %+v, PayOrders %d", again.Order, e.stats(t)["PayOrders"])
	}

	// Consultant-sale customers pay their own orders: partners are refused.
	for _, c := range e.manifest.Customers {
		if c.AssociationType == "1" && c.PartnerID == e.tier1.ID {
			r := e.query(t, tok, cancelOrderM, map[string]any{"in": map[string]any{"customer": target(c), "orderId": "x"}})
			wantError(t, r, "BAD_USER_INPUT", "")
			break
		}
	}
}

// A consultant-sale customer (no partner funds: balance 0) paying its own
// order meets the upstream's insufficient-balance refusal.
func TestCommerceInsufficientBalance(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	for _, cu := range e.manifest.Customers {
		if cu.AssociationType != "1" {
			continue
		}
		ctok := e.customerToken(t, cu)
		orders := e.pendingOrders(t, ctok, e.gidOf(cu))
		if len(orders) == 0 {
			continue
		}
		r := e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": orders[0].OrderID}})
		ge := wantError(t, r, "UPSTREAM_ERROR", "")
		if ge.Extensions["upstreamCode"] != "CBC.99005003" || ge.Message != "insufficient balance" {
			t.Fatalf("error %+v", ge)
		}
		// Nothing changed: the order is still pending.
		if n := len(e.pendingOrders(t, ctok, e.gidOf(cu))); n != len(orders) {
			t.Fatalf("pending orders %d -> %d", len(orders), n)
		}
		return
	}
	t.Fatal("no consultant-sale customer with a pending order in the manifest")
}

// A cash coupon (issued from the provider's cash quota, limited to ec2 and
// ebs) cannot be combined with a discount: refused before PayOrders. Alone
// it pays.
func TestCommerceCashCouponRule(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.provider.ID)
	tok := e.providerToken(t)
	var v struct {
		Partner struct {
			CouponQuotas struct {
				Edges []struct {
					Node struct{ QuotaID, QuotaType string }
				}
			}
		}
	}
	mustData(t, e.query(t, tok, `{ viewer { partner { couponQuotas { edges { node { quotaId quotaType } } } } } }`, nil), "viewer", &v)
	quota := ""
	for _, ed := range v.Partner.CouponQuotas.Edges {
		if ed.Node.QuotaType == "CASH" {
			quota = ed.Node.QuotaID
		}
	}
	if quota == "" {
		t.Fatalf("no cash quota: %+v", v)
	}
	in := map[string]any{"quotaId": quota, "customerIds": []string{cu.ID}, "faceValue": "10"}
	id, code := e.challenge(t, tok, "ISSUE_COUPONS", "issueCoupons", in)
	r := e.query(t, tok, `mutation($in: IssueCouponsInput!, $key: String!, $v: VerificationInput) { issueCoupons(input: $in, idempotencyKey: $key, verification: $v) { issuedCouponIds } }`,
		map[string]any{"in": in, "key": newKey(), "v": map[string]any{"challengeId": id, "code": code}})
	if len(r.Errors) > 0 {
		t.Fatalf("issueCoupons: %+v", r.Errors)
	}

	ctok := e.customerToken(t, cu)
	var o *pendingOrder
	cash := ""
	for _, po := range e.pendingOrders(t, ctok, e.gidOf(cu)) {
		for _, c := range po.AvailableCoupons {
			if c.Cash && len(po.AvailableDiscounts) > 0 {
				po := po
				o, cash = &po, c.CouponID
			}
		}
	}
	if o == nil {
		t.Fatal("no pending ec2 order offering the cash coupon and a discount")
	}
	e.resetStats(t)
	r = e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": o.OrderID, "couponIds": []string{cash}, "discountId": o.AvailableDiscounts[0].DiscountID}})
	wantError(t, r, "BAD_USER_INPUT", "")
	if n := e.stats(t)["PayOrders"]; n != 0 {
		t.Fatalf("PayOrders calls = %d, want 0", n)
	}
	var p struct {
		Order struct {
			Status       string
			CouponAmount struct{ Amount string }
		}
	}
	mustData(t, e.query(t, ctok, payOrderM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "orderId": o.OrderID, "couponIds": []string{cash}}}), "payOrder", &p)
	if p.Order.Status != "COMPLETED" || p.Order.CouponAmount.Amount != "10" {
		t.Fatalf("paid with the cash coupon: %+v", p.Order)
	}
}
