package resolvers_test

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"partnergraph/sandbox"
)

type resJSON struct {
	ID, ResourceID, ExpirePolicy, Status string
	IsMain, AutoRenew                    bool
	ExpiresAt                            string
	Children                             []struct{ ResourceID string }
}

// mainResources lists the customer's main resources with their children.
func (e *env) mainResources(t *testing.T, token, gid string) []resJSON {
	t.Helper()
	var n struct {
		Resources struct{ Edges []struct{ Node resJSON } }
	}
	mustData(t, e.query(t, token, `query($id: ID!) { node(id: $id) { ... on Customer { resources(first: 100, filter: { onlyMain: true }) { edges { node {
	  id resourceId expirePolicy status isMain autoRenew expiresAt children { resourceId } } } } } } }`, map[string]any{"id": gid}), "node", &n)
	out := make([]resJSON, len(n.Resources.Edges))
	for i, ed := range n.Resources.Edges {
		out[i] = ed.Node
	}
	return out
}

const renewM = `mutation($in: RenewResourcesInput!, $key: String!, $v: VerificationInput) {
  renewResources(input: $in, idempotencyKey: $key, verification: $v) { orders { orderId status type officialAmount { amount } } failures { resourceId code message } }
}`

const createRenewalM = `mutation($in: RenewResourcesInput!) {
  createRenewalOrder(input: $in) { orders { orderId status type officialAmount { amount } } failures { resourceId code message } }
}`

type ordersPayload struct {
	Orders []struct {
		OrderID, Status, Type string
		OfficialAmount        struct{ Amount string }
	}
	Failures []struct{ ResourceID, Code, Message string }
}

func TestCommerceRenew(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.tier1.ID)
	gid := e.gidOf(cu)
	ctok := e.customerToken(t, cu)
	rs := e.mainResources(t, ctok, gid)
	if len(rs) != 3 || len(rs[0].Children) == 0 {
		t.Fatalf("main resources %+v", rs)
	}
	month := map[string]any{"type": "MONTH", "count": 1}

	// Quote first.
	var q struct {
		RenewalQuote struct {
			Items []struct {
				ResourceID string
				Amount     struct{ Amount string }
			}
			OfficialAmount struct{ Amount string }
			Discounts      []struct {
				DiscountID string
				Best       bool
			}
			Failures []struct{ ResourceID, Code string }
		}
	}
	mustData(t, e.query(t, ctok, `query($id: ID!, $ids: [String!]!, $p: PeriodInput!) { node(id: $id) { ... on Customer { renewalQuote(resourceIds: $ids, period: $p) {
	  items { resourceId amount { amount } } officialAmount { amount } discounts { discountId best } failures { resourceId code } } } } }`,
		map[string]any{"id": gid, "ids": []string{rs[0].ResourceID, "RSNOSUCH"}, "p": month}), "node", &q)
	if len(q.RenewalQuote.Items) != 1 || len(q.RenewalQuote.Failures) != 1 || q.RenewalQuote.Failures[0].Code != "CBC.30050009" || len(q.RenewalQuote.Discounts) != 1 {
		t.Fatalf("quote %+v", q.RenewalQuote)
	}

	// What upstream does not allow is refused before any call: a child
	// resource, more than 10 resources, a bad period.
	e.resetStats(t)
	r := e.query(t, ctok, renewM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "resourceIds": []string{rs[0].Children[0].ResourceID}, "period": month}})
	wantError(t, r, "BAD_USER_INPUT", "")
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("RS%02d", i)
	}
	r = e.query(t, ctok, renewM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "resourceIds": eleven, "period": month}})
	wantError(t, r, "BAD_USER_INPUT", "")
	r = e.query(t, ctok, renewM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "resourceIds": []string{rs[0].ResourceID}, "period": map[string]any{"type": "YEAR", "count": 4}}})
	wantError(t, r, "BAD_USER_INPUT", "")
	if n := e.stats(t)["RenewalResources"]; n != 0 {
		t.Fatalf("RenewalResources calls = %d, want 0", n)
	}

	// An unpaid renewal order; a second renewal of the same resource fails
	// per item (the resource is in an unpaid order), next to an unknown id.
	var po ordersPayload
	mustData(t, e.query(t, ctok, createRenewalM, map[string]any{"in": map[string]any{"customer": target(cu), "resourceIds": []string{rs[0].ResourceID}, "period": month}}), "createRenewalOrder", &po)
	if len(po.Orders) != 1 || po.Orders[0].Status != "PENDING_PAYMENT" || po.Orders[0].Type != "RENEWAL" || po.Orders[0].OfficialAmount.Amount != q.RenewalQuote.Items[0].Amount.Amount {
		t.Fatalf("renewal order %+v, quote %+v", po, q.RenewalQuote.Items)
	}
	var pr ordersPayload
	mustData(t, e.query(t, ctok, renewM, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "resourceIds": []string{rs[0].ResourceID, rs[1].ResourceID, "RSNOSUCH"}, "period": month}}), "renewResources", &pr)
	codes := map[string]string{}
	for _, f := range pr.Failures {
		codes[f.ResourceID] = f.Code
	}
	if len(pr.Orders) != 1 || pr.Orders[0].Status != "COMPLETED" || codes[rs[0].ResourceID] != "CBC.30050010" || codes["RSNOSUCH"] != "CBC.30050009" {
		t.Fatalf("renewal with failures %+v", pr)
	}
	after := e.mainResources(t, ctok, gid)
	for _, x := range after {
		if x.ResourceID == rs[1].ResourceID && x.ExpiresAt <= rs[1].ExpiresAt {
			t.Fatalf("expiry not extended: %s -> %s", rs[1].ExpiresAt, x.ExpiresAt)
		}
	}

	// The partner renewing (and paying) for its resale customer needs a code.
	tok := e.tier1Token(t)
	in := map[string]any{"customer": target(cu), "resourceIds": []string{rs[2].ResourceID}, "period": month}
	r = e.query(t, tok, renewM, map[string]any{"key": newKey(), "in": in})
	wantError(t, r, "VERIFICATION_REQUIRED", "")
	id, code := e.challenge(t, tok, "RENEW_RESOURCES", "renewResources", in)
	mustData(t, e.query(t, tok, renewM, map[string]any{"key": newKey(), "in": in, "v": map[string]any{"challengeId": id, "code": code}}), "renewResources", &pr)
	if len(pr.Orders) != 1 || pr.Orders[0].Status != "COMPLETED" {
		t.Fatalf("partner renewal %+v", pr)
	}
}

func TestCommerceAutoRenewAndOnDemand(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.reseller.ID) // a reseller's customer, through the tier-1
	gid := e.gidOf(cu)
	tok := e.tier1Token(t)
	tgt := map[string]any{"customerId": cu.ID, "resellerId": e.reseller.ID}
	rs := e.mainResources(t, tok, gid)
	if len(rs) == 0 {
		t.Fatal("no resources")
	}
	m := `mutation($in: SetAutoRenewInput!) { setAutoRenew(input: $in) { resources { resourceId autoRenew expirePolicy } failures { code } } }`
	var p struct {
		Resources []struct {
			ResourceID, ExpirePolicy string
			AutoRenew                bool
		}
		Failures []struct{ ResourceID, Code string }
	}
	mustData(t, e.query(t, tok, m, map[string]any{"in": map[string]any{"customer": tgt, "resourceId": rs[0].ResourceID, "enabled": true, "periodType": "YEAR", "times": 2}}), "setAutoRenew", &p)
	if len(p.Resources) != 1 || !p.Resources[0].AutoRenew || p.Resources[0].ExpirePolicy != "AUTO_RENEW" {
		t.Fatalf("auto-renew on: %+v", p)
	}
	mustData(t, e.query(t, tok, m, map[string]any{"in": map[string]any{"customer": tgt, "resourceId": rs[0].ResourceID, "enabled": false}}), "setAutoRenew", &p)
	if p.Resources[0].AutoRenew || p.Resources[0].ExpirePolicy != "GRACE_PERIOD" {
		t.Fatalf("auto-renew off: %+v", p)
	}
	r := e.query(t, tok, m, map[string]any{"in": map[string]any{"customer": tgt, "resourceId": rs[0].Children[0].ResourceID, "enabled": true}})
	wantError(t, r, "BAD_USER_INPUT", "")
	r = e.query(t, tok, m, map[string]any{"in": map[string]any{"customer": tgt, "resourceId": rs[0].ResourceID, "enabled": true, "times": 100}})
	wantError(t, r, "BAD_USER_INPUT", "")
	// Without resellerId the tier-1 does not reach the reseller's customer.
	r = e.query(t, tok, m, map[string]any{"in": map[string]any{"customer": map[string]any{"customerId": cu.ID}, "resourceId": rs[0].ResourceID, "enabled": true}})
	wantError(t, r, "NOT_FOUND", "")

	sw := `mutation($in: SwitchToOnDemandInput!) { switchToOnDemandAtExpiry(input: $in) { resources { resourceId expirePolicy } failures { resourceId code } } }`
	mustData(t, e.query(t, tok, sw, map[string]any{"in": map[string]any{"customer": tgt, "resourceIds": []string{rs[0].ResourceID, "RSNOSUCH"}, "enabled": true}}), "switchToOnDemandAtExpiry", &p)
	if len(p.Resources) != 1 || p.Resources[0].ExpirePolicy != "TO_ON_DEMAND" || len(p.Failures) != 1 || p.Failures[0].Code != "CBC.30050009" {
		t.Fatalf("switch: %+v", p)
	}
	mustData(t, e.query(t, tok, sw, map[string]any{"in": map[string]any{"customer": tgt, "resourceIds": []string{rs[0].ResourceID}, "enabled": false}}), "switchToOnDemandAtExpiry", &p)
	if p.Resources[0].ExpirePolicy != "GRACE_PERIOD" {
		t.Fatalf("switch cancelled: %+v", p)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("RS%03d", i)
	}
	r = e.query(t, tok, sw, map[string]any{"in": map[string]any{"customer": tgt, "resourceIds": many, "enabled": true}})
	wantError(t, r, "BAD_USER_INPUT", "")
}

func TestCommerceUnsubscribe(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.provider.ID)
	gid := e.gidOf(cu)
	tok := e.providerToken(t)
	rs := e.mainResources(t, tok, gid)
	if len(rs) < 2 {
		t.Fatalf("resources %+v", rs)
	}
	var pv struct {
		RefundPreview struct {
			Items []struct {
				ResourceID    string
				RemainingDays string
				Amount        struct{ Amount string }
			}
			Total    struct{ Amount string }
			Failures []struct{ ResourceID, Code string }
		}
	}
	mustData(t, e.query(t, tok, `query($id: ID!, $ids: [String!]!) { node(id: $id) { ... on Customer { refundPreview(resourceIds: $ids) {
	  items { resourceId remainingDays amount { amount } } total { amount } failures { resourceId code } } } } }`,
		map[string]any{"id": gid, "ids": []string{rs[0].ResourceID, rs[0].Children[0].ResourceID}}), "node", &pv)
	if len(pv.RefundPreview.Items) != 1 || len(pv.RefundPreview.Failures) != 1 || pv.RefundPreview.Failures[0].Code != "CBC.30050007" || pv.RefundPreview.Total.Amount == "0" {
		t.Fatalf("preview %+v", pv.RefundPreview)
	}

	m := `mutation($in: UnsubscribeResourcesInput!, $key: String!, $v: VerificationInput) {
	  unsubscribeResources(input: $in, idempotencyKey: $key, verification: $v) { orders { id orderId type status officialAmount { amount } } failures { resourceId code } } }`
	in := map[string]any{"customer": target(cu), "resourceIds": []string{rs[0].ResourceID, "RSNOSUCH"}, "reasonType": 1, "reason": "no longer needed"}
	r := e.query(t, tok, m, map[string]any{"key": newKey(), "in": in})
	wantError(t, r, "VERIFICATION_REQUIRED", "")
	r = e.query(t, tok, m, map[string]any{"key": newKey(), "in": map[string]any{"customer": target(cu), "resourceIds": []string{rs[0].Children[0].ResourceID}}})
	if r.codes()[0] != "VERIFICATION_REQUIRED" && r.codes()[0] != "BAD_USER_INPUT" {
		t.Fatalf("child: %+v", r.Errors)
	}
	id, code := e.challenge(t, tok, "UNSUBSCRIBE_RESOURCES", "unsubscribeResources", in)
	var p struct {
		Orders []struct {
			ID, OrderID, Type, Status string
			OfficialAmount            struct{ Amount string }
		}
		Failures []struct{ ResourceID, Code string }
	}
	mustData(t, e.query(t, tok, m, map[string]any{"key": newKey(), "in": in, "v": map[string]any{"challengeId": id, "code": code}}), "unsubscribeResources", &p)
	if len(p.Orders) != 1 || p.Orders[0].Type != "UNSUBSCRIBE" || len(p.Failures) != 1 || p.Failures[0].Code != "CBC.30050009" {
		t.Fatalf("unsubscribe %+v", p)
	}
	// The refund order's refund lines match the preview (pro rata, to the fen
	// per line).
	var o struct {
		Refunds []struct{ Amount struct{ Amount string } }
	}
	mustData(t, e.query(t, tok, `query($id: ID!) { node(id: $id) { ... on Order { refunds { amount { amount } } } } }`, map[string]any{"id": p.Orders[0].ID}), "node", &o)
	sum := decimal.Zero
	for _, l := range o.Refunds {
		a, _ := decimal.NewFromString(l.Amount.Amount)
		sum = sum.Add(a)
	}
	want, _ := decimal.NewFromString(pv.RefundPreview.Total.Amount)
	if len(o.Refunds) != 1+len(rs[0].Children) || sum.Sub(want).Abs().GreaterThan(decimal.New(5, -2)) {
		t.Fatalf("refunds %+v (sum %s), preview %s", o.Refunds, sum, want)
	}
	t.Logf("refund preview %s, refunded %s", want, sum)
	after := e.mainResources(t, tok, gid)
	for _, x := range after {
		if x.ResourceID == rs[0].ResourceID && x.Status != "CLOSED" {
			t.Fatalf("unsubscribed resource %+v", x)
		}
	}
}
