package resolvers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"partnergraph/gateway"
)

const reclaimAmountsQ = `mutation($in: ReclaimCouponsInput!, $key: String!, $v: VerificationInput) {
  reclaimCoupons(input: $in, idempotencyKey: $key, verification: $v) { results { id ok errorCode amount { amount currency } } }
}`

type recordNode struct {
	ID, OperationType string
	CouponID          *string
	Amount            *struct{ Amount, Currency string }
	Succeeded         bool
	Remark            *string
}

type recordConn struct {
	TotalCount int
	Edges      []struct{ Node recordNode }
}

type couponNode struct {
	CouponID   string
	Status     int
	CouponType int
	FaceValue  struct{ Amount string }
	Records    *recordConn
}

type couponConn struct {
	TotalCount int
	Edges      []struct{ Node couponNode }
}

const recordFields = `id operationType couponId amount { amount currency } succeeded remark`

// A reseller issues and reclaims a coupon: the reclaim reports the amount
// it took back; the coupon's records and the reseller's coupon records show
// both operations to the reseller (with its remark) and to its tier-1
// (without it); customers see no records.
func TestCouponRecordsAndReclaimAmount(t *testing.T) {
	e := newMoneyEnv(t, envConfig{})
	rtok := e.resellerToken(t)
	rs := gateway.Scope{Account: e.tier1.ID, Indirect: e.reseller.ID}
	cust := e.resaleCustomer(t, e.reseller.ID, 0)
	p, r := e.issueCoupons(t, rtok, e.quotaOf(t, rs).ID, []string{cust}, "12.5", "reseller launch", newKey())
	if len(r.Errors) > 0 || len(p.IssuedCouponIds) != 1 {
		t.Fatalf("issue: %+v %+v", p, r.Errors)
	}
	coupon := p.IssuedCouponIds[0]

	var rp struct {
		Results []struct {
			ID     string
			OK     bool
			Amount *struct{ Amount, Currency string }
		}
	}
	r = e.sensitive(t, rtok, reclaimAmountsQ, "reclaimCoupons", "RECLAIM_COUPONS", map[string]any{"couponIds": []string{coupon, "CP-nope"}}, newKey(), &rp)
	if len(r.Errors) > 0 || len(rp.Results) != 2 {
		t.Fatalf("reclaim: %+v %+v", rp, r.Errors)
	}
	if a := rp.Results[0].Amount; !rp.Results[0].OK || a == nil || a.Amount != "12.5" || a.Currency != "CNY" {
		t.Fatalf("reclaimed %+v", rp.Results[0])
	}
	if rp.Results[1].OK || rp.Results[1].Amount != nil {
		t.Fatalf("refused %+v", rp.Results[1])
	}

	couponQ := `query($id: String!) { viewer { reseller { issuedCoupons(filter: { couponId: $id }) { totalCount edges { node { couponId status
	  records { totalCount edges { node { ` + recordFields + ` } } } } } }
	  couponRecords(filter: { couponIds: [$id] }) { totalCount edges { node { ` + recordFields + ` } } } } } }`
	var v struct {
		Reseller struct {
			IssuedCoupons couponConn
			CouponRecords recordConn
		}
	}
	mustData(t, e.query(t, rtok, couponQ, map[string]any{"id": coupon}), "viewer", &v)
	cs := v.Reseller.IssuedCoupons
	if cs.TotalCount != 1 || cs.Edges[0].Node.Status != 5 || cs.Edges[0].Node.Records == nil {
		t.Fatalf("reseller's coupon %+v", cs)
	}
	for name, rc := range map[string]recordConn{"Coupon.records": *cs.Edges[0].Node.Records, "Reseller.couponRecords": v.Reseller.CouponRecords} {
		ops := map[string]recordNode{}
		for _, ed := range rc.Edges {
			ops[ed.Node.OperationType] = ed.Node
		}
		issue, reclaim := ops["ISSUE"], ops["MANUAL_RECLAIM"]
		if rc.TotalCount != 2 || issue.Amount == nil || issue.Amount.Amount != "12.5" || issue.Remark == nil || *issue.Remark != "reseller launch" ||
			reclaim.Amount == nil || reclaim.Amount.Amount != "12.5" || !reclaim.Succeeded {
			t.Fatalf("%s as the reseller: %+v", name, rc)
		}
	}

	// The tier-1 reads the same through its reseller, without the remark.
	tierQ := `query($id: String!) { resellers(first: 10) { edges { node { resellerId
	  issuedCoupons(filter: { couponId: $id }) { totalCount edges { node { records { totalCount edges { node { ` + recordFields + ` } } } } } }
	  couponRecords(filter: { couponIds: [$id] }) { totalCount } } } } }`
	var rl struct {
		Edges []struct {
			Node struct {
				ResellerID    string
				IssuedCoupons couponConn
				CouponRecords recordConn
			}
		}
	}
	mustData(t, e.query(t, e.tier1Token(t), tierQ, map[string]any{"id": coupon}), "resellers", &rl)
	found := false
	for _, ed := range rl.Edges {
		if ed.Node.ResellerID != e.reseller.ID {
			continue
		}
		found = true
		recs := ed.Node.IssuedCoupons.Edges[0].Node.Records
		if ed.Node.CouponRecords.TotalCount != 2 || recs == nil || recs.TotalCount != 2 {
			t.Fatalf("tier-1's view %+v", ed.Node)
		}
		for _, r := range recs.Edges {
			if r.Node.Remark != nil {
				t.Fatalf("the tier-1 sees its reseller's remark: %+v", r.Node)
			}
		}
	}
	if !found {
		t.Fatal("the reseller is not listed")
	}

	// The customer sees its coupon, not its records.
	r = e.query(t, MustToken(t, customerPrincipal(e.reseller.ID, cust)), `{ viewer { customer { issuedCoupons(first: 100) { edges { node { couponId records { totalCount } } } } } } }`, nil)
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data["viewer"]), coupon) || strings.Contains(string(r.Data["viewer"]), `"totalCount"`) {
		t.Fatalf("customer: %s %+v", r.Data["viewer"], r.Errors)
	}
}

// Partner.issuedCoupons and Partner.couponRecords apply the upstream's
// filters; bad filters are refused before any call.
func TestIssuedCouponFilters(t *testing.T) {
	e := newEnv(t, envConfig{})
	tok := e.tier1Token(t)
	list := func(filter map[string]any) couponConn {
		var v struct {
			Partner struct{ IssuedCoupons couponConn }
		}
		mustData(t, e.query(t, tok, `query($f: IssuedCouponFilter) { viewer { partner { issuedCoupons(first: 100, filter: $f) { totalCount
		  edges { node { couponId status couponType faceValue { amount } } } } } } }`, map[string]any{"f": filter}), "viewer", &v)
		return v.Partner.IssuedCoupons
	}
	all := list(nil)
	if all.TotalCount == 0 {
		t.Fatal("the tier-1 has issued no coupons")
	}
	for filter, want := range map[string]func(couponNode) bool{
		"USABLE":  func(c couponNode) bool { return c.Status == 2 },
		"EXPIRED": func(c couponNode) bool { return c.Status == 4 },
	} {
		got := list(map[string]any{"status": filter})
		for _, ed := range got.Edges {
			if !want(ed.Node) {
				t.Fatalf("%s: %+v", filter, ed.Node)
			}
		}
		if filter == "USABLE" && got.TotalCount == 0 {
			t.Fatal("no usable coupon")
		}
	}
	first := all.Edges[0].Node
	if got := list(map[string]any{"couponId": first.CouponID, "type": map[int]string{1: "VOUCHER", 4: "CASH"}[first.CouponType]}); got.TotalCount != 1 || got.Edges[0].Node.CouponID != first.CouponID {
		t.Fatalf("by id: %+v", got)
	}
	if got := list(map[string]any{"createdFrom": "2999-01-01T00:00:00Z"}); got.TotalCount != 0 {
		t.Fatalf("created in the future: %+v", got)
	}

	records := func(filter map[string]any) recordConn {
		var v struct {
			Partner struct{ CouponRecords recordConn }
		}
		mustData(t, e.query(t, tok, `query($f: CouponRecordFilter) { viewer { partner { couponRecords(first: 100, filter: $f) { totalCount
		  edges { node { `+recordFields+` } } } } } }`, map[string]any{"f": filter}), "viewer", &v)
		return v.Partner.CouponRecords
	}
	issues := records(map[string]any{"operationTypes": []string{"ISSUE"}, "succeeded": true})
	if issues.TotalCount < all.TotalCount {
		t.Fatalf("%d issue records for %d coupons", issues.TotalCount, all.TotalCount)
	}
	for _, ed := range issues.Edges {
		if ed.Node.OperationType != "ISSUE" || !ed.Node.Succeeded || ed.Node.Amount == nil {
			t.Fatalf("issue record %+v", ed.Node)
		}
	}
	closed := records(map[string]any{"operationTypes": []string{"EXPIRY_RECLAIM", "MANUAL_RECLAIM"}})
	if closed.TotalCount == 0 {
		t.Fatal("the seed's closed coupons have no records")
	}
	for _, ed := range closed.Edges {
		if ed.Node.OperationType != "EXPIRY_RECLAIM" && ed.Node.OperationType != "MANUAL_RECLAIM" {
			t.Fatalf("closing record %+v", ed.Node)
		}
	}

	e.resetStats(t)
	many := make([]string, 101)
	for i := range many {
		many[i] = "c" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	for _, q := range []string{
		`{ viewer { partner { issuedCoupons(filter: { createdFrom: "yesterday" }) { totalCount } } } }`,
		`{ viewer { partner { issuedCoupons(filter: { effectiveFrom: "2026-02-01T00:00:00Z", effectiveTo: "2026-01-01T00:00:00Z" }) { totalCount } } } }`,
		`{ viewer { partner { issuedCoupons(filter: { customerId: "` + strings.Repeat("x", 129) + `" }) { totalCount } } } }`,
		`{ viewer { partner { couponRecords(filter: { couponIds: ` + jsonList(many) + ` }) { totalCount } } } }`,
		`{ viewer { partner { couponRecords(filter: { couponIds: ["a", "a"] }) { totalCount } } } }`,
	} {
		if r := e.query(t, tok, q, nil); !hasCode(r, "BAD_USER_INPUT") {
			t.Errorf("%s: %+v", q, r.Errors)
		}
	}
	if s := e.stats(t); len(s) != 0 {
		t.Fatalf("upstream calls %v, want none", s)
	}
}

func jsonList(v []string) string {
	b, _ := json.Marshal(v)
	return string(b)
}
