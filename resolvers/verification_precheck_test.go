package resolvers_test

import (
	"testing"
)

// A caller must never spend a code, a send or an attempt on an operation
// it can never perform: role rules are decided before requestVerificationCode
// sends anything and before @verified asks for a code.
func TestSensitiveRoleCheckedBeforeCodes(t *testing.T) {
	e := newMoneyEnv(t, envConfig{})
	reseller2 := ""
	for _, p := range e.manifest.Partners {
		if p.Kind == "tier2" && p.ID != e.reseller.ID {
			reseller2 = p.ID
		}
	}
	resellerFunds := map[string]any{"resellerId": e.reseller.ID, "amount": "1"}
	actForOther := map[string]any{"customerId": e.customersOf(reseller2)[0].ID, "amount": "1", "resellerId": reseller2}

	cases := map[string]struct {
		token, op, member string
		input             map[string]any
		want              string // "" = a code is sent
	}{
		"ResellerOnTier1Operation":  {e.resellerToken(t), "ALLOCATE_RESELLER_FUNDS", "allocateResellerFunds", resellerFunds, "FORBIDDEN"},
		"ProviderOnTier1Operation":  {e.providerToken(t), "ALLOCATE_RESELLER_FUNDS", "allocateResellerFunds", resellerFunds, "FORBIDDEN"},
		"ResellerActingForAnother":  {e.resellerToken(t), "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", actForOther, "FORBIDDEN"},
		"ProviderQuotaToReseller":   {e.providerToken(t), "ISSUE_COUPON_QUOTAS", "issueCouponQuotas", map[string]any{"quotaId": "q", "resellerIds": []string{e.reseller.ID}, "amount": "1"}, "FORBIDDEN"},
		"Tier1OnTier1Operation":     {e.tier1Token(t), "ALLOCATE_RESELLER_FUNDS", "allocateResellerFunds", resellerFunds, ""},
		"Tier1ActingForItsReseller": {e.tier1Token(t), "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", actForOther, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e.verifyClock.Advance(2 * 60e9) // past the resend cooldown
			before := len(e.outbox.Messages(""))
			r := e.query(t, tc.token, requestCodeQ, map[string]any{"ch": "EMAIL", "op": tc.op, "in": map[string]any{tc.member: tc.input}})
			sent := len(e.outbox.Messages("")) - before
			if tc.want == "" {
				if len(r.Errors) > 0 || sent != 1 {
					t.Fatalf("got %+v and %d messages, want a code sent", r.Errors, sent)
				}
				return
			}
			wantError(t, r, tc.want, "")
			if sent != 0 {
				t.Fatalf("%d codes sent for a refused operation", sent)
			}
		})
	}

	// The guarded mutation refuses the role before asking for a code.
	r := e.query(t, e.resellerToken(t), `mutation($in: ResellerFundsInput!) {
		allocateResellerFunds(input: $in, idempotencyKey: "role-first") { transferId } }`, map[string]any{"in": resellerFunds})
	wantError(t, r, "FORBIDDEN", "")
}
