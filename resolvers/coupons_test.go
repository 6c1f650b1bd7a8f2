package resolvers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"partnergraph/gateway"
)

const issueCouponsQ = `mutation($in: IssueCouponsInput!, $key: String!, $v: VerificationInput) {
  issueCoupons(input: $in, idempotencyKey: $key, verification: $v) {
    results { id ok createdId errorCode errorMessage } issuedCouponIds quotaBalance { amount } reconciled
  }
}`

const reclaimCouponsQ = `mutation($in: ReclaimCouponsInput!, $key: String!, $v: VerificationInput) {
  reclaimCoupons(input: $in, idempotencyKey: $key, verification: $v) { results { id ok errorCode } reconciled }
}`

type itemResult struct {
	ID        string `json:"id"`
	OK        bool   `json:"ok"`
	CreatedID string `json:"createdId"`
	ErrorCode string `json:"errorCode"`
}

type couponsPayload struct {
	Results         []itemResult `json:"results"`
	IssuedCouponIds []string     `json:"issuedCouponIds"`
	QuotaBalance    *struct{ Amount string }
	Reconciled      bool `json:"reconciled"`
}

// quotaOf returns the first active quota of a scope with its balance.
func (e *env) quotaOf(tb testing.TB, s gateway.Scope) gateway.Quota {
	tb.Helper()
	l, err := e.upstream(tb).CouponQuotas(context.Background(), s, nil, gateway.Window{Limit: 100})
	if err != nil {
		tb.Fatal(err)
	}
	for _, q := range l.Quotas {
		if q.Status != nil && *q.Status == 0 && q.Balance != nil && q.Balance.Amount.GreaterThan(decimal.NewFromInt(100)) {
			return q
		}
	}
	tb.Fatal("no active quota")
	return gateway.Quota{}
}

func (e *env) issueCoupons(tb testing.TB, tok, quota string, custs []string, face, remark, key string) (couponsPayload, gqlResponse) {
	var p couponsPayload
	r := e.sensitive(tb, tok, issueCouponsQ, "issueCoupons", "ISSUE_COUPONS", map[string]any{"quotaId": quota, "customerIds": custs, "faceValue": face, "remark": remark}, key, &p)
	return p, r
}

func TestMoneyIssueAndReclaimCoupons(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	s := gateway.Scope{Account: m.tier1.ID}
	q := m.quotaOf(t, s)
	mine := m.resaleCustomer(t, m.tier1.ID, 0)
	notMine := m.resaleCustomer(t, m.provider.ID, 0)
	p, r := m.issueCoupons(t, tok, q.ID, []string{mine, notMine}, "12.5", "for the launch", newKey())
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if len(p.Results) != 2 || !p.Results[0].OK || p.Results[0].CreatedID == "" || p.Results[1].OK || p.Results[1].ErrorCode != "CBC.99000035" {
		t.Fatalf("per-customer results %+v", p.Results)
	}
	if len(p.IssuedCouponIds) != 1 || p.IssuedCouponIds[0] != p.Results[0].CreatedID {
		t.Fatalf("issued ids %v", p.IssuedCouponIds)
	}
	want := q.Balance.Amount.Sub(decimal.RequireFromString("12.5"))
	if got := m.quotaOf(t, s).Balance.Amount; !got.Equal(want) || p.QuotaBalance == nil || p.QuotaBalance.Amount != want.String() {
		t.Fatalf("quota balance %s (payload %+v), want %s", got, p.QuotaBalance, want)
	}

	// remark: visible to the issuer only
	const couponsQ = `query { customers(first: 100) { edges { node { customerId issuedCoupons(first: 100) { edges { node { couponId remark } } } } } } }`
	r = m.query(t, tok, couponsQ, nil)
	if !strings.Contains(string(r.Data["customers"]), `"remark":"for the launch"`) {
		t.Fatalf("issuer does not see its remark: %+v", r.Errors)
	}
	ctok := MustToken(t, customerPrincipal(m.tier1.ID, mine))
	r = m.query(t, ctok, couponsQ, nil)
	if strings.Contains(string(r.Data["customers"]), "for the launch") {
		t.Fatalf("customer sees the remark: %s", r.Data["customers"])
	}

	// reclaim it, and one that is not ours
	var rp couponsPayload
	r = m.sensitive(t, tok, reclaimCouponsQ, "reclaimCoupons", "RECLAIM_COUPONS", map[string]any{"couponIds": []string{p.IssuedCouponIds[0], "CP-nope"}}, newKey(), &rp)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if len(rp.Results) != 2 || !rp.Results[0].OK || rp.Results[1].OK {
		t.Fatalf("reclaim results %+v", rp.Results)
	}
	if got := m.quotaOf(t, s).Balance.Amount; !got.Equal(q.Balance.Amount) {
		t.Fatalf("quota after reclaim %s, want %s", got, q.Balance.Amount)
	}
}

const issueQuotasQ = `mutation($in: IssueCouponQuotasInput!, $key: String!, $v: VerificationInput) {
  issueCouponQuotas(input: $in, idempotencyKey: $key, verification: $v) { results { id ok createdId errorCode } quotaBalance { amount } reconciled }
}`

const reclaimQuotasQ = `mutation($in: ReclaimCouponQuotasInput!, $key: String!, $v: VerificationInput) {
  reclaimCouponQuotas(input: $in, idempotencyKey: $key, verification: $v) { results { id ok errorCode } reconciled }
}`

const resellerFundsQ = `mutation($in: ResellerFundsInput!, $key: String!, $v: VerificationInput) {
  %s(input: $in, idempotencyKey: $key, verification: $v) { transferId resellerId resellerFunds { accountType amount { amount } } partnerFunds { accountType amount { amount } } reconciled }
}`

func resellerBalance(tb testing.TB, c *gateway.Client, tier1, reseller string) decimal.Decimal {
	tb.Helper()
	fs, err := c.Funds(context.Background(), gateway.Scope{Account: tier1, Indirect: reseller})
	if err != nil {
		tb.Fatal(err)
	}
	sum := decimal.Zero
	for _, f := range fs {
		if f.AccountType == 1 {
			sum = sum.Add(f.Amount.Amount)
		}
	}
	return sum
}

func TestMoneyResellerFundsAndQuotas(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	up := m.upstream(t)
	before := resellerBalance(t, up, m.tier1.ID, m.reseller.ID)

	var p struct {
		TransferID string `json:"transferId"`
		Reconciled bool
	}
	r := m.sensitive(t, tok, strings.Replace(resellerFundsQ, "%s", "allocateResellerFunds", 1), "allocateResellerFunds", "ALLOCATE_RESELLER_FUNDS",
		map[string]any{"resellerId": m.reseller.ID, "amount": "50"}, newKey(), &p)
	if len(r.Errors) > 0 || p.TransferID == "" {
		t.Fatalf("allocate reseller: %+v %+v", p, r.Errors)
	}
	if got := resellerBalance(t, up, m.tier1.ID, m.reseller.ID); !got.Equal(before.Add(decimal.NewFromInt(50))) {
		t.Fatalf("reseller balance %s -> %s", before, got)
	}
	// drop after applying on the reclaim: reconciled from the account change records
	m.fault(t, map[string]any{"operation": "ReclaimIndirectPartnerAccount", "drop": true, "after": true, "count": 1})
	r = m.sensitive(t, tok, strings.Replace(resellerFundsQ, "%s", "reclaimResellerFunds", 1), "reclaimResellerFunds", "RECLAIM_RESELLER_FUNDS",
		map[string]any{"resellerId": m.reseller.ID, "amount": "20"}, newKey(), &p)
	if len(r.Errors) > 0 || !p.Reconciled || p.TransferID == "" {
		t.Fatalf("reclaim reseller (dropped): %+v %+v", p, r.Errors)
	}
	if got := resellerBalance(t, up, m.tier1.ID, m.reseller.ID); !got.Equal(before.Add(decimal.NewFromInt(30))) {
		t.Fatalf("reseller balance %s -> %s, want +30", before, got)
	}

	// tier-1 only
	rtok := m.resellerToken(t)
	r = m.query(t, rtok, strings.Replace(resellerFundsQ, "%s", "allocateResellerFunds", 1), map[string]any{"in": map[string]any{"resellerId": m.reseller.ID, "amount": "1"}, "key": newKey()})
	if !hasCode(r, "FORBIDDEN") && !hasCode(r, "VERIFICATION_REQUIRED") {
		t.Fatalf("reseller moving reseller funds: %+v", r.Errors)
	}

	// quotas: issue a child quota to the reseller, then reclaim it
	s := gateway.Scope{Account: m.tier1.ID}
	q := m.quotaOf(t, s)
	var qp struct {
		Results      []itemResult             `json:"results"`
		QuotaBalance *struct{ Amount string } `json:"quotaBalance"`
	}
	r = m.sensitive(t, tok, issueQuotasQ, "issueCouponQuotas", "ISSUE_COUPON_QUOTAS", map[string]any{"quotaId": q.ID, "resellerIds": []string{m.reseller.ID}, "amount": "25"}, newKey(), &qp)
	if len(r.Errors) > 0 || len(qp.Results) != 1 || !qp.Results[0].OK || qp.Results[0].CreatedID == "" {
		t.Fatalf("issue quota: %+v %+v", qp, r.Errors)
	}
	want := q.Balance.Amount.Sub(decimal.NewFromInt(25))
	if qp.QuotaBalance == nil || qp.QuotaBalance.Amount != want.String() {
		t.Fatalf("quota balance %+v, want %s", qp.QuotaBalance, want)
	}
	child := qp.Results[0].CreatedID
	r = m.sensitive(t, tok, reclaimQuotasQ, "reclaimCouponQuotas", "RECLAIM_COUPON_QUOTAS", map[string]any{"quotaIds": []string{child, "QU-nope"}, "remark": "end of campaign"}, newKey(), &qp)
	if len(r.Errors) > 0 || len(qp.Results) != 2 || !qp.Results[0].OK || qp.Results[1].OK || qp.Results[1].ErrorCode != "CBC.99000012" {
		t.Fatalf("reclaim quota: %+v %+v", qp, r.Errors)
	}
	if got := m.quotaOf(t, s).Balance.Amount; !got.Equal(q.Balance.Amount) {
		t.Fatalf("parent quota %s, want %s", got, q.Balance.Amount)
	}
}

func TestMoneyInputValidationAndAccess(t *testing.T) {
	m := newMoneyEnv(t, envConfig{})
	tok := m.tier1Token(t)
	m.query(t, tok, `mutation { setVerificationEnabled(input: {enabled: true}) { enabled } }`, nil)
	for name, tc := range map[string]struct {
		tok, cust, amount, want string
	}{
		"Zero":        {tok, m.resaleCustomer(t, m.tier1.ID, 0), "0", "BAD_USER_INPUT"},
		"Negative":    {tok, m.resaleCustomer(t, m.tier1.ID, 0), "-5", "BAD_USER_INPUT"},
		"ThreeDp":     {tok, m.resaleCustomer(t, m.tier1.ID, 0), "1.005", "BAD_USER_INPUT"},
		"NotMine":     {tok, m.resaleCustomer(t, m.provider.ID, 0), "1", "NOT_FOUND"},
		"Consultant":  {tok, m.consultantCustomer(t, m.tier1.ID), "1", "BAD_USER_INPUT"},
		"CustomerTok": {MustToken(t, customerPrincipal(m.tier1.ID, m.resaleCustomer(t, m.tier1.ID, 0))), m.resaleCustomer(t, m.tier1.ID, 0), "1", "FORBIDDEN"},
	} {
		t.Run(name, func(t *testing.T) {
			in := map[string]any{"customerId": tc.cust, "amount": tc.amount}
			var r gqlResponse
			if tc.want == "BAD_USER_INPUT" && name != "Consultant" {
				// no code is even sent for an invalid amount
				r = m.query(t, tc.tok, requestCodeQ, map[string]any{"ch": "EMAIL", "op": "ALLOCATE_CUSTOMER_FUNDS", "in": map[string]any{"allocateCustomerFunds": in}})
			} else if tc.want == "FORBIDDEN" {
				r = m.query(t, tc.tok, allocateQ, fundsVars(tc.cust, tc.amount, newKey(), "", ""))
			} else {
				id, code := m.challenge(t, tc.tok, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)
				r = m.query(t, tc.tok, allocateQ, fundsVars(tc.cust, tc.amount, newKey(), id, code))
			}
			if !hasCode(r, tc.want) {
				b, _ := json.Marshal(r.Errors)
				t.Fatalf("want %s, got %s", tc.want, b)
			}
		})
	}
}
