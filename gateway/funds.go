package gateway

import (
	"context"
	"time"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
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

// Funds reads the funds of the scope's partner (ListPartnerBalances; one
// partner per call, the upstream has no batch form).
func (c *Client) Funds(ctx context.Context, s Scope) ([]Fund, error) {
	req := &model.ListPartnerBalancesRequest{IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerBalances", func(cl *bss.BssClient) (*model.ListPartnerBalancesResponse, error) {
		return cl.ListPartnerBalances(req)
	})
	if err != nil {
		return nil, err
	}
	var out []Fund
	if resp.AccountBalances != nil {
		for _, b := range *resp.AccountBalances {
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
			out = append(out, f)
		}
	}
	return out, nil
}

// MaxBalanceBatch is how many customer_infos one
// ListCustomersBalancesDetail call takes (BSS documentation).
const MaxBalanceBatch = 100

// CustomerBalance is a customer's available amount and debt.
type CustomerBalance struct {
	CustomerID string
	Available  Money
	Debt       Money
}

// CustomerBalances reads the balances of ids, MaxBalanceBatch per call
// (ListCustomersBalancesDetail). Customers without a balance are absent.
func (c *Client) CustomerBalances(ctx context.Context, s Scope, ids []string) (map[string]CustomerBalance, error) {
	out := make(map[string]CustomerBalance, len(ids))
	for start := 0; start < len(ids); start += MaxBalanceBatch {
		chunk := ids[start:min(start+MaxBalanceBatch, len(ids))]
		infos := make([]model.CustomerInfoV2, len(chunk))
		for i, id := range chunk {
			infos[i] = model.CustomerInfoV2{CustomerId: id}
		}
		req := &model.ListCustomersBalancesDetailRequest{Body: &model.QueryCustomersBalancesReq{CustomerInfos: infos, IndirectPartnerId: optStr(s.Indirect)}}
		resp, err := call(ctx, c, s, "ListCustomersBalancesDetail", func(cl *bss.BssClient) (*model.ListCustomersBalancesDetailResponse, error) {
			return cl.ListCustomersBalancesDetail(req)
		})
		if err != nil {
			return nil, err
		}
		if resp.CustomerBalances == nil {
			continue
		}
		for _, b := range *resp.CustomerBalances {
			cur := currency(b.Currency)
			cb := CustomerBalance{CustomerID: b.CustomerId, Available: Money{Currency: cur}, Debt: Money{Currency: cur}}
			if b.Amount != nil {
				cb.Available.Amount = *b.Amount
			}
			if b.DebtAmount != nil {
				cb.Debt.Amount = *b.DebtAmount
			}
			out[b.CustomerId] = cb
		}
	}
	return out, nil
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

// AccountChangeRecords lists changes of the scope partner's account
// (ListPartnerAccountChangeRecords). balanceType is BALANCE_TYPE_DEBIT or
// BALANCE_TYPE_CREDIT.
func (c *Client) AccountChangeRecords(ctx context.Context, s Scope, balanceType string, p Page) (AccountChangeRecordList, error) {
	off, lim := page(p)
	req := &model.ListPartnerAccountChangeRecordsRequest{BalanceType: balanceType, Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerAccountChangeRecords", func(cl *bss.BssClient) (*model.ListPartnerAccountChangeRecordsResponse, error) {
		return cl.ListPartnerAccountChangeRecords(req)
	})
	if err != nil {
		return AccountChangeRecordList{}, err
	}
	cur := currency(resp.Currency)
	out := AccountChangeRecordList{Total: i32(resp.TotalCount)}
	if resp.Records != nil {
		for _, r := range *resp.Records {
			out.Records = append(out.Records, AccountChangeRecord{
				ID: str(r.AccountChangeId), TradeType: str(r.TradeDetailType), TradeTime: str(r.TradeTime), TradeID: str(r.TradeId),
				Change: strMoney(r.ChangeAmount, cur), BalanceAfter: strMoney(r.BalanceAfterChange, cur),
				CustomerID: str(r.CustomerId), AccountName: str(r.AccountName),
			})
		}
	}
	return out, nil
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

// AdjustRecords lists allocations and reclaims (ListPartnerAdjustRecords).
func (c *Client) AdjustRecords(ctx context.Context, s Scope, customerID string, p Page) (AdjustRecordList, error) {
	off, lim := page(p)
	req := &model.ListPartnerAdjustRecordsRequest{CustomerId: optStr(customerID), Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerAdjustRecords", func(cl *bss.BssClient) (*model.ListPartnerAdjustRecordsResponse, error) {
		return cl.ListPartnerAdjustRecords(req)
	})
	if err != nil {
		return AdjustRecordList{}, err
	}
	out := AdjustRecordList{Total: i32(resp.TotalCount)}
	if resp.Records != nil {
		for _, r := range *resp.Records {
			out.Records = append(out.Records, AdjustRecord{
				TransID: str(r.TransId), CustomerID: str(r.CustomerId), CustomerName: str(r.CustomerName), OperationType: str(r.OperationType),
				Amount: strMoney(r.Amount, currency(r.Currency)), OperationTime: str(r.OperationTime), Memo: str(r.Memo),
			})
		}
	}
	return out, nil
}

// Transfer is the outcome of a funds move.
type Transfer struct {
	// ID is the upstream's transfer_id (allocations) or trans_id (reclaims).
	ID string
	// Reconciled is set when ID comes from the upstream's records, after the
	// call itself ended without an answer.
	Reconciled bool
}

// AllocateCustomerFunds moves amount from the scope's partner (a tier-1
// acting for a reseller: from the reseller) to a resale customer
// (UpdateCustomerAccountAmount).
func (c *Client) AllocateCustomerFunds(ctx context.Context, s Scope, customerID string, amount decimal.Decimal, o MoveOpts) (Transfer, error) {
	return c.customerMove(ctx, s, customerID, amount, true, o)
}

// ReclaimCustomerFunds moves amount from a resale customer back to the
// scope's partner (ReclaimToPartnerAccount).
func (c *Client) ReclaimCustomerFunds(ctx context.Context, s Scope, customerID string, amount decimal.Decimal, o MoveOpts) (Transfer, error) {
	return c.customerMove(ctx, s, customerID, amount, false, o)
}

func (c *Client) customerMove(ctx context.Context, s Scope, customerID string, amount decimal.Decimal, allocate bool, o MoveOpts) (Transfer, error) {
	find := func(ctx context.Context, since time.Time, exclude map[string]bool) (Transfer, bool, []string, error) {
		return c.findAdjust(ctx, s, customerID, amount, allocate, since, exclude)
	}
	do := func(ctx context.Context) (Transfer, error) {
		if allocate {
			req := &model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: customerID, Amount: &amount, IndirectPartnerId: optStr(s.Indirect)}}
			resp, err := call(ctx, c, s, "UpdateCustomerAccountAmount", func(cl *bss.BssClient) (*model.UpdateCustomerAccountAmountResponse, error) {
				return cl.UpdateCustomerAccountAmount(req)
			})
			if err != nil {
				return Transfer{}, err
			}
			return Transfer{ID: str(resp.TransferId)}, nil
		}
		req := &model.ReclaimToPartnerAccountRequest{Body: &model.ReclaimToPartnerAccountBalancesReq{CustomerId: customerID, Amount: &amount, IndirectPartnerId: optStr(s.Indirect)}}
		resp, err := call(ctx, c, s, "ReclaimToPartnerAccount", func(cl *bss.BssClient) (*model.ReclaimToPartnerAccountResponse, error) {
			return cl.ReclaimToPartnerAccount(req)
		})
		if err != nil {
			return Transfer{}, err
		}
		return Transfer{ID: str(resp.TransId)}, nil
	}
	return moveOnce(ctx, c, o, find, do)
}

// AllocateResellerFunds moves amount from a tier-1 to its tier-2 reseller
// (UpdateIndirectPartnerAccount); s is the tier-1's own scope.
func (c *Client) AllocateResellerFunds(ctx context.Context, s Scope, resellerID string, amount decimal.Decimal, o MoveOpts) (Transfer, error) {
	return c.resellerMove(ctx, s, resellerID, amount, true, o)
}

// ReclaimResellerFunds moves amount from a tier-2 reseller back to its
// tier-1 (ReclaimIndirectPartnerAccount).
func (c *Client) ReclaimResellerFunds(ctx context.Context, s Scope, resellerID string, amount decimal.Decimal, o MoveOpts) (Transfer, error) {
	return c.resellerMove(ctx, s, resellerID, amount, false, o)
}

func (c *Client) resellerMove(ctx context.Context, s Scope, resellerID string, amount decimal.Decimal, allocate bool, o MoveOpts) (Transfer, error) {
	s.Indirect = ""
	find := func(ctx context.Context, since time.Time, exclude map[string]bool) (Transfer, bool, []string, error) {
		return c.findResellerChange(ctx, s, resellerID, amount, allocate, since, exclude)
	}
	do := func(ctx context.Context) (Transfer, error) {
		if allocate {
			req := &model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: resellerID, Amount: &amount}}
			resp, err := call(ctx, c, s, "UpdateIndirectPartnerAccount", func(cl *bss.BssClient) (*model.UpdateIndirectPartnerAccountResponse, error) {
				return cl.UpdateIndirectPartnerAccount(req)
			})
			if err != nil {
				return Transfer{}, err
			}
			return Transfer{ID: str(resp.TransferId)}, nil
		}
		req := &model.ReclaimIndirectPartnerAccountRequest{Body: &model.ReclaimIndirectPartnerAccountReq{IndirectPartnerId: resellerID, Amount: &amount}}
		resp, err := call(ctx, c, s, "ReclaimIndirectPartnerAccount", func(cl *bss.BssClient) (*model.ReclaimIndirectPartnerAccountResponse, error) {
			return cl.ReclaimIndirectPartnerAccount(req)
		})
		if err != nil {
			return Transfer{}, err
		}
		return Transfer{ID: str(resp.TransId)}, nil
	}
	return moveOnce(ctx, c, o, find, do)
}
