package gateway

// Funds: the partner's fund accounts and their change records, the
// customers' balances, and the moves of funds to and from customers and
// resellers with their adjust records.
//
// A funds move is not idempotent upstream and takes no idempotency key, so
// each is made at most once and, when its call ends without an answer,
// established from the upstream's records (reconcile.go). The resolvers
// put verification and idempotency keys in front of the moves.

import (
	"context"
	"slices"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// MaxBalanceBatch is how many customer_infos one
// ListCustomersBalancesDetail call takes (BSS documentation).
const MaxBalanceBatch = 100

// Fund account types (account_type).
const (
	AccountBalance     = 1 // cash
	AccountCredit      = 2 // credit line
	AccountBonus       = 5
	AccountDeposit     = 7
	AccountAllocatable = 8 // designated for allocation to customers
)

// Balance types of the account-change records.
const (
	BalanceDebit  = "BALANCE_TYPE_DEBIT"
	BalanceCredit = "BALANCE_TYPE_CREDIT"
)

// Fund is one account of ListPartnerBalances. The upstream sends float64
// amounts; they are converted once, here, rounded to 2 decimal places.
type Fund struct {
	AccountID        string
	AccountType      int
	Amount           Money
	DesignatedAmount *Money
	CreditAmount     *Money
	Memo             string
}

// CustomerBalance is a customer's available amount and debt.
type CustomerBalance struct {
	CustomerID string
	Available  Money
	Debt       Money
}

// AccountChangeRecord is one change of a partner account.
type AccountChangeRecord struct {
	ID, TradeType, TradeTime, TradeID string
	Change, BalanceAfter              *Money
	CustomerID, AccountName           string
}

// AccountChangeRecordList is one page of account change records.
type AccountChangeRecordList struct {
	Records []AccountChangeRecord
	Total   int
}

// AdjustRecord is one allocation to or reclaim from a customer.
type AdjustRecord struct {
	TransID, CustomerID, CustomerName, OperationType string
	Amount                                           *Money
	OperationTime, Memo                              string
}

// AdjustRecordList is one page of adjust records.
type AdjustRecordList struct {
	Records []AdjustRecord
	Total   int
}

// Transfer is the outcome of a funds move.
type Transfer struct {
	// ID is the upstream's transfer_id (allocations) or trans_id (reclaims).
	ID string
	// Amount is what moved, in the partner account's currency.
	Amount Money
	// Reconciled is set when ID comes from the upstream's records, after the
	// call itself ended without an answer.
	Reconciled bool
}

func fundFrom(b model.AccountBalanceV2) Fund {
	cur := b.Currency
	if cur == "" {
		cur = defaultCurrency
	}
	f := Fund{AccountID: b.AccountId, AccountType: int(b.AccountType), Amount: floatMoney(b.Amount, cur), Memo: str(b.Memo)}
	if b.DesignatedAmount != nil {
		f.DesignatedAmount = ptr(floatMoney(*b.DesignatedAmount, cur))
	}
	if b.CreditAmount != nil {
		f.CreditAmount = ptr(floatMoney(*b.CreditAmount, cur))
	}
	return f
}

func customerBalanceFrom(b model.CustomerBalancesV2) CustomerBalance {
	cur := currency(b.Currency)
	cb := CustomerBalance{CustomerID: b.CustomerId, Available: Money{Currency: cur}, Debt: Money{Currency: cur}}
	if b.Amount != nil {
		cb.Available.Amount = *b.Amount
	}
	if b.DebtAmount != nil {
		cb.Debt.Amount = *b.DebtAmount
	}
	return cb
}

// accountChangeFrom converts a record; the currency is the list's.
func accountChangeFrom(r model.AccountChangeRecord, cur string) AccountChangeRecord {
	return AccountChangeRecord{
		ID: str(r.AccountChangeId), TradeType: str(r.TradeDetailType), TradeTime: str(r.TradeTime), TradeID: str(r.TradeId),
		Change: strMoney(r.ChangeAmount, cur), BalanceAfter: strMoney(r.BalanceAfterChange, cur),
		CustomerID: str(r.CustomerId), AccountName: str(r.AccountName),
	}
}

func adjustRecordFrom(r model.AdjustRecordV3) AdjustRecord {
	return AdjustRecord{
		TransID: str(r.TransId), CustomerID: str(r.CustomerId), CustomerName: str(r.CustomerName), OperationType: str(r.OperationType),
		Amount: strMoney(r.Amount, currency(r.Currency)), OperationTime: str(r.OperationTime), Memo: str(r.Memo),
	}
}

// Funds reads the funds of the scope's partner (ListPartnerBalances; one
// partner per call, the upstream has no batch form).
func (c *Client) Funds(ctx context.Context, s Scope) ([]Fund, error) {
	req := &model.ListPartnerBalancesRequest{IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerBalances", (*bss.BssClient).ListPartnerBalances, req)
	if err != nil {
		return nil, err
	}
	return convert(resp.AccountBalances, fundFrom), nil
}

// CustomerBalances reads the balances of ids, MaxBalanceBatch per call
// (ListCustomersBalancesDetail). Customers without a balance are absent.
func (c *Client) CustomerBalances(ctx context.Context, s Scope, ids []string) (map[string]CustomerBalance, error) {
	out := make(map[string]CustomerBalance, len(ids))
	for chunk := range slices.Chunk(ids, MaxBalanceBatch) {
		infos := make([]model.CustomerInfoV2, len(chunk))
		for i, id := range chunk {
			infos[i] = model.CustomerInfoV2{CustomerId: id}
		}
		req := &model.ListCustomersBalancesDetailRequest{Body: &model.QueryCustomersBalancesReq{CustomerInfos: infos, IndirectPartnerId: optStr(s.Indirect)}}
		resp, err := call(ctx, c, s, "ListCustomersBalancesDetail", (*bss.BssClient).ListCustomersBalancesDetail, req)
		if err != nil {
			return nil, err
		}
		for _, b := range rows(resp.CustomerBalances) {
			out[b.CustomerId] = customerBalanceFrom(b)
		}
	}
	return out, nil
}

// AccountChangeRecords lists changes of the scope partner's account
// (ListPartnerAccountChangeRecords). balanceType is BALANCE_TYPE_DEBIT or
// BALANCE_TYPE_CREDIT.
func (c *Client) AccountChangeRecords(ctx context.Context, s Scope, balanceType string, p Window) (AccountChangeRecordList, error) {
	off, lim := page(p)
	req := &model.ListPartnerAccountChangeRecordsRequest{BalanceType: balanceType, Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	return c.accountChanges(ctx, s, req)
}

// accountChanges reads the account change records req asks for: a page of
// AccountChangeRecords, or the records that reconcile a reseller funds move.
func (c *Client) accountChanges(ctx context.Context, s Scope, req *model.ListPartnerAccountChangeRecordsRequest) (AccountChangeRecordList, error) {
	resp, err := call(ctx, c, s, "ListPartnerAccountChangeRecords", (*bss.BssClient).ListPartnerAccountChangeRecords, req)
	if err != nil {
		return AccountChangeRecordList{}, err
	}
	cur := currency(resp.Currency)
	return AccountChangeRecordList{
		Records: convert(resp.Records, func(r model.AccountChangeRecord) AccountChangeRecord { return accountChangeFrom(r, cur) }),
		Total:   i32(resp.TotalCount),
	}, nil
}

// AdjustRecords lists allocations and reclaims (ListPartnerAdjustRecords).
func (c *Client) AdjustRecords(ctx context.Context, s Scope, customerID string, p Window) (AdjustRecordList, error) {
	off, lim := page(p)
	req := &model.ListPartnerAdjustRecordsRequest{CustomerId: optStr(customerID), Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	return c.adjustRecords(ctx, s, req)
}

// adjustRecords reads the adjust records req asks for: a page of
// AdjustRecords, or the records that reconcile a customer funds move.
func (c *Client) adjustRecords(ctx context.Context, s Scope, req *model.ListPartnerAdjustRecordsRequest) (AdjustRecordList, error) {
	resp, err := call(ctx, c, s, "ListPartnerAdjustRecords", (*bss.BssClient).ListPartnerAdjustRecords, req)
	if err != nil {
		return AdjustRecordList{}, err
	}
	return AdjustRecordList{Records: convert(resp.Records, adjustRecordFrom), Total: i32(resp.TotalCount)}, nil
}

// Adjust record operation types and account change trade types of the
// funds moves, as the reconciliation looks them up.
const (
	adjustAllocated = "SOURCE_OPERATION_BEADJUST"
	adjustReclaimed = "SOURCE_OPERATION_BERETRIEVE"
	tradeAdjust     = "ADJUST"
	tradeRetrieve   = "RETRIEVE"
)

// transferSpec is the moveSpec of a funds move op of amount to target,
// serialised on lock and looked for with find.
func transferSpec(op, lock, target string, amount decimal.Decimal, find finder[string]) moveSpec[string, Transfer] {
	moved := Money{Amount: amount, Currency: defaultCurrency}
	return moveSpec[string, Transfer]{op: op, lock: lock, targets: []string{target}, find: find,
		answer: func(found map[string]string) Transfer {
			return Transfer{ID: found[target], Amount: moved, Reconciled: true}
		},
		claims: func(t Transfer) []string { return []string{t.ID} },
	}
}

// transfer is the answer of a funds move that answered with id.
func transfer(id *string, amount decimal.Decimal) Transfer {
	return Transfer{ID: str(id), Amount: Money{Amount: amount, Currency: defaultCurrency}}
}

// AllocateCustomerFunds moves amount from the scope's partner (a tier-1
// acting for a reseller: from the reseller) to a resale customer
// (UpdateCustomerAccountAmount), at most once for l's key.
func (c *Client) AllocateCustomerFunds(ctx context.Context, s Scope, customerID string, amount decimal.Decimal, l Ledger) (Transfer, error) {
	req := &model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: customerID, Amount: &amount, IndirectPartnerId: optStr(s.Indirect)}}
	spec := transferSpec("UpdateCustomerAccountAmount", "funds:customer:"+customerID, customerID, amount, c.findAdjust(s, customerID, amount, adjustAllocated))
	return move(ctx, c, s, l, spec, (*bss.BssClient).UpdateCustomerAccountAmount, req,
		func(r *model.UpdateCustomerAccountAmountResponse) Transfer { return transfer(r.TransferId, amount) })
}

// ReclaimCustomerFunds moves amount from a resale customer back to the
// scope's partner (ReclaimToPartnerAccount), at most once for l's key.
func (c *Client) ReclaimCustomerFunds(ctx context.Context, s Scope, customerID string, amount decimal.Decimal, l Ledger) (Transfer, error) {
	req := &model.ReclaimToPartnerAccountRequest{Body: &model.ReclaimToPartnerAccountBalancesReq{CustomerId: customerID, Amount: &amount, IndirectPartnerId: optStr(s.Indirect)}}
	spec := transferSpec("ReclaimToPartnerAccount", "funds:customer:"+customerID, customerID, amount, c.findAdjust(s, customerID, amount, adjustReclaimed))
	return move(ctx, c, s, l, spec, (*bss.BssClient).ReclaimToPartnerAccount, req,
		func(r *model.ReclaimToPartnerAccountResponse) Transfer { return transfer(r.TransId, amount) })
}

// AllocateResellerFunds moves amount from a tier-1 to its tier-2 reseller
// (UpdateIndirectPartnerAccount), at most once for l's key; the call is
// the tier-1's own, whatever reseller s acts for.
func (c *Client) AllocateResellerFunds(ctx context.Context, s Scope, resellerID string, amount decimal.Decimal, l Ledger) (Transfer, error) {
	s.Indirect = ""
	req := &model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: resellerID, Amount: &amount}}
	spec := transferSpec("UpdateIndirectPartnerAccount", "funds:reseller:"+resellerID, resellerID, amount, c.findResellerChange(s, resellerID, amount, tradeAdjust))
	return move(ctx, c, s, l, spec, (*bss.BssClient).UpdateIndirectPartnerAccount, req,
		func(r *model.UpdateIndirectPartnerAccountResponse) Transfer { return transfer(r.TransferId, amount) })
}

// ReclaimResellerFunds moves amount from a tier-2 reseller back to its
// tier-1 (ReclaimIndirectPartnerAccount), at most once for l's key; the
// call is the tier-1's own.
func (c *Client) ReclaimResellerFunds(ctx context.Context, s Scope, resellerID string, amount decimal.Decimal, l Ledger) (Transfer, error) {
	s.Indirect = ""
	req := &model.ReclaimIndirectPartnerAccountRequest{Body: &model.ReclaimIndirectPartnerAccountReq{IndirectPartnerId: resellerID, Amount: &amount}}
	spec := transferSpec("ReclaimIndirectPartnerAccount", "funds:reseller:"+resellerID, resellerID, amount, c.findResellerChange(s, resellerID, amount, tradeRetrieve))
	return move(ctx, c, s, l, spec, (*bss.BssClient).ReclaimIndirectPartnerAccount, req,
		func(r *model.ReclaimIndirectPartnerAccountResponse) Transfer { return transfer(r.TransId, amount) })
}
