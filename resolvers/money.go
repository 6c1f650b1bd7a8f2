package resolvers

// ---- Money and vouchers (issue 4) ----
//
// The mutations behind @verified (money_guard.go): the directive has already
// reserved the idempotency key and checked the verification code when these
// run. Each validates its input, checks the caller owns the ids it names,
// makes one upstream move (the gateway reconciles when the call ends without
// an answer) and reads the new state back (balances, quota balance). Reading
// the new state is best effort: once money moved, a failed read leaves the
// state field null rather than turning a success into an error.

import (
	"context"

	"github.com/shopspring/decimal"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/identity"
)

// MoneyUpstream moves funds, coupon quotas and coupons (issue 4).
type MoneyUpstream interface {
	AllocateCustomerFunds(ctx context.Context, s gateway.Scope, customerID string, amount decimal.Decimal, o gateway.MoveOpts) (gateway.Transfer, error)
	ReclaimCustomerFunds(ctx context.Context, s gateway.Scope, customerID string, amount decimal.Decimal, o gateway.MoveOpts) (gateway.Transfer, error)
	AllocateResellerFunds(ctx context.Context, s gateway.Scope, resellerID string, amount decimal.Decimal, o gateway.MoveOpts) (gateway.Transfer, error)
	ReclaimResellerFunds(ctx context.Context, s gateway.Scope, resellerID string, amount decimal.Decimal, o gateway.MoveOpts) (gateway.Transfer, error)
	IssueCouponQuotas(ctx context.Context, s gateway.Scope, quotaID string, resellerIDs []string, amount decimal.Decimal, o gateway.MoveOpts) (gateway.BatchResult, error)
	ReclaimCouponQuotas(ctx context.Context, s gateway.Scope, quotaIDs []string, remark string, o gateway.MoveOpts) (gateway.BatchResult, error)
	IssueCoupons(ctx context.Context, s gateway.Scope, in gateway.CouponIssue, o gateway.MoveOpts) (gateway.BatchResult, error)
	ReclaimCoupons(ctx context.Context, s gateway.Scope, couponIDs []string, o gateway.MoveOpts) (gateway.BatchResult, error)
}

// maxBatch is the upstream's limit for one batch move.
const maxBatch = 100

func moneyBadInput(format string, args ...any) error {
	return apierr.Errorf(apierr.CodeBadUserInput, format, args...)
}

// validAmount: greater than 0, at most 2 decimals.
func validAmount(field string, d decimal.Decimal) error {
	if !d.IsPositive() {
		return moneyBadInput("%s must be greater than 0", field)
	}
	if !d.Equal(d.Round(2)) {
		return moneyBadInput("%s may have at most 2 decimals", field)
	}
	return nil
}

func validIDs(field string, ids []string) error {
	if len(ids) == 0 || len(ids) > maxBatch {
		return moneyBadInput("%s must hold 1 to %d ids", field, maxBatch)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" {
			return moneyBadInput("%s must not hold empty ids", field)
		}
		if seen[id] {
			return moneyBadInput("%s holds %q twice", field, id)
		}
		seen[id] = true
	}
	return nil
}

// validateSensitive checks what can be checked without the upstream; both
// requestVerificationCode (no code is sent for an invalid input) and the
// mutations call it.
func validateSensitive(in any) error {
	switch v := in.(type) {
	case *model.CustomerFundsInput:
		if v.CustomerID == "" {
			return moneyBadInput("customerId is required")
		}
		return validAmount("amount", v.Amount)
	case *model.ResellerFundsInput:
		if v.ResellerID == "" {
			return moneyBadInput("resellerId is required")
		}
		return validAmount("amount", v.Amount)
	case *model.IssueCouponQuotasInput:
		if v.QuotaID == "" {
			return moneyBadInput("quotaId is required")
		}
		if err := validIDs("resellerIds", v.ResellerIds); err != nil {
			return err
		}
		return validAmount("amount", v.Amount)
	case *model.ReclaimCouponQuotasInput:
		return validIDs("quotaIds", v.QuotaIds)
	case *model.IssueCouponsInput:
		if v.QuotaID == "" {
			return moneyBadInput("quotaId is required")
		}
		if err := validIDs("customerIds", v.CustomerIds); err != nil {
			return err
		}
		return validAmount("faceValue", v.FaceValue)
	case *model.ReclaimCouponsInput:
		return validIDs("couponIds", v.CouponIds)
	}
	return nil
}

// moneyPrincipal admits partners and resellers (customers do not move
// partner money).
func moneyPrincipal(ctx context.Context) (*identity.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role == identity.RoleCustomer {
		return nil, forbidden("moving funds, quotas and coupons")
	}
	return p, nil
}

// tier1Principal admits tier-1 partners only.
func (r *Resolver) tier1Principal(ctx context.Context) (*identity.Principal, error) {
	p, err := moneyPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if !r.isTier1(p) {
		return nil, forbidden("this tier-1 operation")
	}
	return p, nil
}

// ownResaleCustomer checks that id is a customer under s and a RESALE one
// (the upstream moves no funds for consultant-sale customers).
func (r *Resolver) ownResaleCustomer(ctx context.Context, s gateway.Scope, id string) error {
	l, err := r.Up.ListCustomers(ctx, s, gateway.CustomerQuery{Page: gateway.Page{Limit: 1}, CustomerID: id})
	if err != nil {
		return err
	}
	for _, c := range l.Customers {
		if c.ID == id {
			if c.AssociationType != "2" {
				return moneyBadInput("funds can only be moved for RESALE customers")
			}
			return nil
		}
	}
	return apierr.NotFound("customer")
}

func (r *Resolver) moveCustomerFunds(ctx context.Context, allocate bool, in model.CustomerFundsInput) (*model.CustomerFundsPayload, error) {
	p, err := moneyPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateSensitive(&in); err != nil {
		return nil, err
	}
	s, err := r.homeScope(ctx, p)
	if err != nil {
		return nil, err
	}
	if in.ResellerID != nil && *in.ResellerID != "" {
		if !r.isTier1(p) {
			return nil, forbidden("resellerId")
		}
		if s, err = r.resellerScope(ctx, *in.ResellerID, s.Account); err != nil {
			return nil, err
		}
	}
	if err := r.ownResaleCustomer(ctx, s, in.CustomerID); err != nil {
		return nil, err
	}
	move := r.Up.ReclaimCustomerFunds
	if allocate {
		move = r.Up.AllocateCustomerFunds
	}
	t, err := move(ctx, s, in.CustomerID, in.Amount, moveOpts(ctx))
	if err != nil {
		return nil, err
	}
	out := &model.CustomerFundsPayload{TransferID: t.ID, CustomerID: in.CustomerID, Amount: &model.Money{Amount: in.Amount, Currency: "CNY"}, Reconciled: t.Reconciled}
	if bs, err := r.Up.CustomerBalances(ctx, s, []string{in.CustomerID}); err == nil {
		if b, ok := bs[in.CustomerID]; ok {
			out.CustomerBalance = &model.CustomerBalance{Available: money(b.Available), Debt: money(b.Debt)}
			out.Amount.Currency = b.Available.Currency
		}
	}
	if fs, err := r.Up.Funds(ctx, s); err == nil {
		out.PartnerFunds = funds(fs)
	}
	return out, nil
}

func (r *Resolver) moveResellerFunds(ctx context.Context, allocate bool, in model.ResellerFundsInput) (*model.ResellerFundsPayload, error) {
	p, err := r.tier1Principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateSensitive(&in); err != nil {
		return nil, err
	}
	rs, err := r.resellerScope(ctx, in.ResellerID, p.PartnerID)
	if err != nil {
		return nil, err
	}
	t1 := gateway.Scope{Account: p.PartnerID}
	move := r.Up.ReclaimResellerFunds
	if allocate {
		move = r.Up.AllocateResellerFunds
	}
	t, err := move(ctx, t1, in.ResellerID, in.Amount, moveOpts(ctx))
	if err != nil {
		return nil, err
	}
	out := &model.ResellerFundsPayload{TransferID: t.ID, ResellerID: in.ResellerID, Amount: &model.Money{Amount: in.Amount, Currency: "CNY"}, Reconciled: t.Reconciled}
	if fs, err := r.Up.Funds(ctx, rs); err == nil {
		out.ResellerFunds = funds(fs)
	}
	if fs, err := r.Up.Funds(ctx, t1); err == nil {
		out.PartnerFunds = funds(fs)
	}
	return out, nil
}

func items(b gateway.BatchResult) []*model.ItemResult {
	out := make([]*model.ItemResult, len(b.Items))
	for i, it := range b.Items {
		out[i] = &model.ItemResult{ID: it.ID, Ok: it.OK, CreatedID: opt(it.CreatedID), ErrorCode: opt(it.ErrorCode), ErrorMessage: opt(it.ErrorMessage)}
	}
	return out
}

// quotaBalance reads one quota's balance after a move (best effort).
func (r *Resolver) quotaBalance(ctx context.Context, s gateway.Scope, quotaID string) *model.Money {
	l, err := r.Up.CouponQuotas(ctx, s, []string{quotaID}, gateway.Page{Limit: 1})
	if err != nil {
		return nil
	}
	for _, q := range l.Quotas {
		if q.ID == quotaID {
			return optMoney(q.Balance)
		}
	}
	return nil
}

func (r *Resolver) issueCoupons(ctx context.Context, in model.IssueCouponsInput) (*model.CouponsPayload, error) {
	p, err := moneyPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateSensitive(&in); err != nil {
		return nil, err
	}
	s, err := r.homeScope(ctx, p)
	if err != nil {
		return nil, err
	}
	ci := gateway.CouponIssue{QuotaID: in.QuotaID, CustomerIDs: in.CustomerIds, FaceValue: in.FaceValue}
	if in.ValidFrom != nil {
		ci.ValidFrom = *in.ValidFrom
	}
	if in.ExpireTime != nil {
		ci.ExpireTime = *in.ExpireTime
	}
	if in.Remark != nil {
		ci.Memo = *in.Remark
	}
	// Customers that are not the caller's come back as failed items
	// (CBC.99000035 inside the 200 body), never as a silent success.
	b, err := r.Up.IssueCoupons(ctx, s, ci, moveOpts(ctx))
	if err != nil {
		return nil, err
	}
	out := &model.CouponsPayload{Results: items(b), IssuedCouponIds: []string{}, QuotaBalance: r.quotaBalance(ctx, s, in.QuotaID), Reconciled: b.Reconciled}
	for _, it := range b.Items {
		if it.OK && it.CreatedID != "" {
			out.IssuedCouponIds = append(out.IssuedCouponIds, it.CreatedID)
		}
	}
	return out, nil
}
