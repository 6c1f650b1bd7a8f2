package resolvers

// Fund moves: the mutations run inside guarded (verification.go). Each
// checks the caller owns the ids it names, makes one upstream move (the
// gateway reconciles when the call ends without an answer) and reads the
// new state back. Reading the new state is best effort: once money moved, a
// failed read leaves the state field null rather than turning a success
// into an error.

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/verify"
	"partnergraph/identity"
)

// The fund moves as sensitive operations.
var (
	allocateCustomerFunds = customerFundsOp(model.SensitiveOperationAllocateCustomerFunds)
	reclaimCustomerFunds  = customerFundsOp(model.SensitiveOperationReclaimCustomerFunds)
	allocateResellerFunds = resellerFundsOp(model.SensitiveOperationAllocateResellerFunds)
	reclaimResellerFunds  = resellerFundsOp(model.SensitiveOperationReclaimResellerFunds)
)

func customerFundsOp(op model.SensitiveOperation) sensitive[model.CustomerFundsInput, model.CustomerFundsPayload] {
	return sensitive[model.CustomerFundsInput, model.CustomerFundsPayload]{
		op:       op,
		reseller: func(in *model.CustomerFundsInput) string { return deref(in.ResellerID) },
		validate: func(in *model.CustomerFundsInput, now time.Time) error {
			if in.CustomerID == "" {
				return badInput("customerId is required")
			}
			return validAmount("amount", in.Amount)
		},
		describe: func(in *model.CustomerFundsInput) verify.Details {
			d := verify.Details{Amount: in.Amount.StringFixed(2) + " CNY", Target: "customer " + in.CustomerID}
			if id := deref(in.ResellerID); id != "" {
				d.Target += " of reseller " + id
			}
			return d
		},
		reconciled: func(p *model.CustomerFundsPayload) bool { return p.Reconciled },
	}
}

func resellerFundsOp(op model.SensitiveOperation) sensitive[model.ResellerFundsInput, model.ResellerFundsPayload] {
	return sensitive[model.ResellerFundsInput, model.ResellerFundsPayload]{
		op:       op,
		tier1:    true,
		reseller: func(in *model.ResellerFundsInput) string { return in.ResellerID },
		validate: func(in *model.ResellerFundsInput, now time.Time) error {
			if in.ResellerID == "" {
				return badInput("resellerId is required")
			}
			return validAmount("amount", in.Amount)
		},
		describe: func(in *model.ResellerFundsInput) verify.Details {
			return verify.Details{Amount: in.Amount.StringFixed(2) + " CNY", Target: "reseller " + in.ResellerID}
		},
		reconciled: func(p *model.ResellerFundsPayload) bool { return p.Reconciled },
	}
}

// validAmount: greater than 0, at most 2 decimals.
func validAmount(field string, d decimal.Decimal) error {
	if !d.IsPositive() {
		return badInput("%s must be greater than 0", field)
	}
	if !d.Equal(d.Round(2)) {
		return badInput("%s may have at most 2 decimals", field)
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

// moneyScope is the caller's own scope for moving money, quotas and
// coupons (partners and resellers).
func (r *Resolver) moneyScope(ctx context.Context) (*identity.Principal, gateway.Scope, error) {
	p, err := moneyPrincipal(ctx)
	if err != nil {
		return nil, gateway.Scope{}, err
	}
	s, err := r.homeScope(ctx, p)
	return p, s, err
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
	l, err := r.upstream.ListCustomers(ctx, s, gateway.CustomerQuery{Window: gateway.Window{Limit: 1}, CustomerID: id})
	if err != nil {
		return err
	}
	for _, c := range l.Customers {
		if c.ID == id {
			if c.AssociationType != gateway.AssociationResale {
				return badInput("funds can only be moved for RESALE customers")
			}
			return nil
		}
	}
	return apierr.NotFound("customer")
}

// customerFundsMove is an upstream move of a customer's funds: an
// allocation or a reclaim.
type customerFundsMove func(ctx context.Context, s gateway.Scope, customerID string, amount decimal.Decimal, l gateway.Ledger) (gateway.Transfer, error)

// moveCustomerFunds moves in.Amount to or from a customer of the caller
// (of one of its resellers with in.ResellerID, for a tier-1).
func (r *Resolver) moveCustomerFunds(ctx context.Context, in model.CustomerFundsInput, move customerFundsMove, l gateway.Ledger) (*model.CustomerFundsPayload, error) {
	p, s, err := r.moneyScope(ctx)
	if err != nil {
		return nil, err
	}
	if id := deref(in.ResellerID); id != "" {
		if !r.isTier1(p) {
			return nil, forbidden("resellerId")
		}
		if s, err = r.resellerScope(ctx, id, s.Account); err != nil {
			return nil, err
		}
	}
	if err := r.ownResaleCustomer(ctx, s, in.CustomerID); err != nil {
		return nil, err
	}
	t, err := move(ctx, s, in.CustomerID, in.Amount, l)
	if err != nil {
		return nil, err
	}
	out := &model.CustomerFundsPayload{TransferID: t.ID, CustomerID: in.CustomerID, Amount: &model.Money{Amount: in.Amount, Currency: "CNY"}, Reconciled: t.Reconciled}
	if bs, err := r.upstream.CustomerBalances(ctx, s, []string{in.CustomerID}); err == nil {
		if b, ok := bs[in.CustomerID]; ok {
			out.CustomerBalance = customerBalance(&b)
			out.Amount.Currency = b.Available.Currency
		}
	}
	if fs, err := r.upstream.Funds(ctx, s); err == nil {
		out.PartnerFunds = funds(fs)
	}
	return out, nil
}

// resellerFundsMove is an upstream move of a reseller's funds.
type resellerFundsMove func(ctx context.Context, s gateway.Scope, resellerID string, amount decimal.Decimal, l gateway.Ledger) (gateway.Transfer, error)

// moveResellerFunds moves in.Amount between a tier-1 and its reseller.
func (r *Resolver) moveResellerFunds(ctx context.Context, in model.ResellerFundsInput, move resellerFundsMove, l gateway.Ledger) (*model.ResellerFundsPayload, error) {
	p, err := r.tier1Principal(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := r.resellerScope(ctx, in.ResellerID, p.PartnerID)
	if err != nil {
		return nil, err
	}
	t1 := gateway.Scope{Account: p.PartnerID}
	t, err := move(ctx, t1, in.ResellerID, in.Amount, l)
	if err != nil {
		return nil, err
	}
	out := &model.ResellerFundsPayload{TransferID: t.ID, ResellerID: in.ResellerID, Amount: &model.Money{Amount: in.Amount, Currency: "CNY"}, Reconciled: t.Reconciled}
	if fs, err := r.upstream.Funds(ctx, rs); err == nil {
		out.ResellerFunds = funds(fs)
	}
	if fs, err := r.upstream.Funds(ctx, t1); err == nil {
		out.PartnerFunds = funds(fs)
	}
	return out, nil
}

var accountTypes = map[int]model.AccountType{
	gateway.AccountBalance: model.AccountTypeBalance, gateway.AccountCredit: model.AccountTypeCredit, gateway.AccountBonus: model.AccountTypeBonus,
	gateway.AccountDeposit: model.AccountTypeDeposit, gateway.AccountAllocatable: model.AccountTypeAllocatable,
}

func funds(fs []gateway.Fund) []*model.Fund {
	out := make([]*model.Fund, len(fs))
	for i, f := range fs {
		t, ok := accountTypes[f.AccountType]
		if !ok {
			t = model.AccountTypeOther
		}
		out[i] = &model.Fund{AccountID: f.AccountID, AccountType: t, Amount: money(f.Amount), DesignatedAmount: optMoney(f.DesignatedAmount), CreditAmount: optMoney(f.CreditAmount), Memo: opt(f.Memo)}
	}
	return out
}

// customerBalance converts a balance with one allocation.
func customerBalance(b *gateway.CustomerBalance) *model.CustomerBalance {
	blk := &struct {
		m               model.CustomerBalance
		available, debt model.Money
	}{available: model.Money{Amount: b.Available.Amount, Currency: b.Available.Currency}, debt: model.Money{Amount: b.Debt.Amount, Currency: b.Debt.Currency}}
	blk.m = model.CustomerBalance{Available: &blk.available, Debt: &blk.debt}
	return &blk.m
}

// accountChangeRecords pages the account changes of the partner (or
// reseller) of s.
func (r *Resolver) accountChangeRecords(ctx context.Context, s gateway.Scope, balanceType *model.BalanceType, first *int, after *string) (*model.AccountChangeRecordConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	upstreamType := gateway.BalanceDebit
	if balanceType != nil && *balanceType == model.BalanceTypeCredit {
		upstreamType = gateway.BalanceCredit
	}
	l, err := r.upstream.AccountChangeRecords(ctx, s, upstreamType, p)
	if err != nil {
		return nil, err
	}
	conn := &model.AccountChangeRecordConnection{Edges: make([]*model.AccountChangeRecordEdge, len(l.Records)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Records), l.Total)}
	for i, rec := range l.Records {
		conn.Edges[i] = &model.AccountChangeRecordEdge{Cursor: cursor(p.Offset + i), Node: &model.AccountChangeRecord{
			ID: rec.ID, TradeType: opt(rec.TradeType), TradeTime: opt(rec.TradeTime), TradeID: opt(rec.TradeID),
			Change: optMoney(rec.Change), BalanceAfter: optMoney(rec.BalanceAfter), CustomerID: opt(rec.CustomerID), AccountName: opt(rec.AccountName),
		}}
	}
	return conn, nil
}

// adjustRecords pages the allocations and reclaims of the partner (or
// reseller) of s.
func (r *Resolver) adjustRecords(ctx context.Context, s gateway.Scope, customerID *string, first *int, after *string) (*model.AdjustRecordConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	cid, err := filterID("customerId", customerID)
	if err != nil {
		return nil, err
	}
	l, err := r.upstream.AdjustRecords(ctx, s, cid, p)
	if err != nil {
		return nil, err
	}
	conn := &model.AdjustRecordConnection{Edges: make([]*model.AdjustRecordEdge, len(l.Records)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Records), l.Total)}
	for i, rec := range l.Records {
		conn.Edges[i] = &model.AdjustRecordEdge{Cursor: cursor(p.Offset + i), Node: &model.AdjustRecord{
			TransID: opt(rec.TransID), CustomerID: opt(rec.CustomerID), CustomerName: opt(rec.CustomerName), OperationType: opt(rec.OperationType),
			Amount: optMoney(rec.Amount), OperationTime: opt(rec.OperationTime), Memo: opt(rec.Memo),
		}}
	}
	return conn, nil
}
