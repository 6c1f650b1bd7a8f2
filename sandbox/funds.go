package sandbox

import (
	"net/http"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// Account funds: ListPartnerBalances, ListCustomersBalancesDetail,
// ShowCustomerAccountBalances (customer), UpdateCustomerAccountAmount,
// ReclaimToPartnerAccount, UpdateIndirectPartnerAccount,
// ReclaimIndirectPartnerAccount, ListPartnerAdjustRecords,
// ListPartnerAccountChangeRecords, ListCustomerAccountChangeRecords
// (customer).
//
// Conventions: a partner acts on its own direct customers; a tier-1 passes
// indirect_partner_id (its own tier-2, else 400 CBC.99000037) to act on that
// reseller's customers, and allocations then come from the tier-2's balance.
// Another partner's (or an unknown) customer: mutations → 400 CBC.99000035,
// record queries → 200 with an empty list, the balances batch → the id is
// simply absent. Consultant-sale ("1") customers cannot be funded: 400
// CBC.0100 (the retired v1.0 API answered CBC.5021). Allocations are capped
// by the partner's amount − designated_amount, reclaims by the customer's
// balance: 400 CBC.99005003. Every movement appends an adjust record and
// account change records on both sides.

func (s *Sandbox) registerFundsRoutes() {
	s.handle(http.MethodGet, "/v2/accounts/partner-accounts/balances", "ListPartnerBalances", callerPartner, s.listPartnerBalances)
	s.handle(http.MethodPost, "/v2/accounts/customer-accounts/balances/batch-query", "ListCustomersBalancesDetail", callerPartner, s.listCustomersBalancesDetail)
	s.handle(http.MethodGet, "/v2/accounts/customer-accounts/balances", "ShowCustomerAccountBalances", callerCustomer, s.showCustomerAccountBalances)
	s.handle(http.MethodPost, "/v2/accounts/partner-accounts/adjust-amount", "UpdateCustomerAccountAmount", callerPartner, s.updateCustomerAccountAmount)
	s.handle(http.MethodPost, "/v2/accounts/partner-accounts/reclaim", "ReclaimToPartnerAccount", callerPartner, s.reclaimToPartnerAccount)
	s.handle(http.MethodPost, "/v2/accounts/partner-accounts/indirect-partner-adjust", "UpdateIndirectPartnerAccount", callerTier1, s.updateIndirectPartnerAccount)
	s.handle(http.MethodPost, "/v2/accounts/partner-accounts/indirect-partner-reclaim", "ReclaimIndirectPartnerAccount", callerTier1, s.reclaimIndirectPartnerAccount)
	s.handle(http.MethodGet, "/v3/accounts/partner-accounts/adjust-records", "ListPartnerAdjustRecords", callerPartner, s.listPartnerAdjustRecords)
	s.handle(http.MethodGet, "/v2/accounts/partner-accounts/account-change-records", "ListPartnerAccountChangeRecords", callerPartner, s.listPartnerAccountChangeRecords)
	s.handle(http.MethodGet, "/v2/accounts/customer-accounts/account-change-records", "ListCustomerAccountChangeRecords", callerCustomer, s.listCustomerAccountChangeRecords)
}

const currencyCNY = "CNY"

func (s *Sandbox) listPartnerBalances(c *call) (any, error) {
	return s.withOwner(c, c.qOpt("indirect_partner_id"), func(st *State, ownerID string) (any, error) {
		p := st.partnerByID[ownerID]
		bal := []model.AccountBalanceV2{
			{AccountId: p.BalanceAccountID, AccountType: 1, Amount: p.Balance.InexactFloat64(), Currency: currencyCNY,
				DesignatedAmount: ptr(p.Designated.InexactFloat64()), CreditAmount: ptr(0.0), MeasureId: 1},
			{AccountId: p.CreditAccountID, AccountType: 2, Amount: p.Credit.InexactFloat64(), Currency: currencyCNY,
				DesignatedAmount: ptr(0.0), CreditAmount: ptr(p.Credit.InexactFloat64()), MeasureId: 1},
		}
		return model.ListPartnerBalancesResponse{AccountBalances: &bal}, nil
	})
}

func (s *Sandbox) listCustomersBalancesDetail(c *call) (any, error) {
	var req model.QueryCustomersBalancesReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.CustomerInfos) < 1 || len(req.CustomerInfos) > 100 {
		return nil, badParam("customer_infos must hold 1 to 100 customers")
	}
	return s.withOwner(c, req.IndirectPartnerId, func(st *State, ownerID string) (any, error) {
		out := make([]model.CustomerBalancesV2, 0, len(req.CustomerInfos))
		for _, ci := range req.CustomerInfos {
			cu := st.customerByID[ci.CustomerId]
			if cu == nil || cu.PartnerID != ownerID {
				continue
			}
			out = append(out, model.CustomerBalancesV2{
				CustomerId: cu.ID, Amount: ptr(cu.Balance), DebtAmount: ptr(cu.Debt),
				Currency: ptr(currencyCNY), MeasureId: ptr(int32(1)),
			})
		}
		return model.ListCustomersBalancesDetailResponse{CustomerBalances: &out}, nil
	})
}

func (s *Sandbox) showCustomerAccountBalances(c *call) (any, error) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	bal := []model.AccountBalanceV3{{
		AccountId: cu.BalanceAccountID, AccountType: 1, Amount: ptr(cu.Balance), Currency: currencyCNY,
		DesignatedAmount: ptr(decimal.Zero), CreditAmount: ptr(decimal.Zero), MeasureId: 1,
	}}
	return model.ShowCustomerAccountBalancesResponse{
		AccountBalances: &bal, DebtAmount: ptr(cu.Debt), MeasureId: ptr(int32(1)), Currency: ptr(currencyCNY),
	}, nil
}

// fundTarget resolves the funding partner and a resale customer it owns.
// Callers hold st.mu.
func (st *State) fundTarget(caller *Partner, indirect *string, customerID string) (*Partner, *Customer, error) {
	ownerID, err := st.visibleOwner(caller, indirect)
	if err != nil {
		return nil, nil, err
	}
	cu := st.customerByID[customerID]
	if customerID == "" {
		return nil, nil, badParam("customer_id is required")
	}
	if cu == nil || cu.PartnerID != ownerID {
		return nil, nil, errf(http.StatusBadRequest, "CBC.99000035", "the customer is not your sub-customer")
	}
	if cu.AssociationType != "2" {
		return nil, nil, badParam("funds cannot be allocated to or reclaimed from a consultant-sale customer")
	}
	return st.partnerByID[ownerID], cu, nil
}

// allocate moves amount from partner p to customer cu (negative: reclaim)
// and records it. Callers hold st.mu and have checked the balances.
func (st *State) allocate(p *Partner, cu *Customer, amount decimal.Decimal) string {
	tid := st.newID("RE")
	op, ptype, ctype, abs := "SOURCE_OPERATION_BEADJUST", "ADJUST", "BEADJUST", amount
	if amount.IsNegative() {
		op, ptype, ctype, abs = "SOURCE_OPERATION_BERETRIEVE", "RETRIEVE", "BERETRIEVE", amount.Neg()
	}
	st.partnerChange(p, amount.Neg(), ptype, tid, cu.ID, cu.AccountName)
	st.customerChange(cu, amount, ctype, tid)
	st.customerChanges[len(st.customerChanges)-1].AccountName = cu.AccountName
	st.adjustRecords = append(st.adjustRecords, &AdjustRecord{
		PartnerID: p.ID, CustomerID: cu.ID, CustomerName: cu.AccountName, OperationType: op,
		Amount: abs, Time: st.now(), TransID: tid, ApplyScene: "partner",
	})
	return tid
}

func allocatable(p *Partner) decimal.Decimal { return p.Balance.Sub(p.Designated) }

func insufficient() *apiError {
	return errf(http.StatusBadRequest, "CBC.99005003", "insufficient balance")
}

func (s *Sandbox) updateCustomerAccountAmount(c *call) (any, error) {
	var req model.AdjustAccountReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	tid, err := s.fundCustomer(c, req.IndirectPartnerId, req.CustomerId, req.Amount, false)
	if err != nil {
		return nil, err
	}
	return model.UpdateCustomerAccountAmountResponse{TransferId: &tid}, nil
}

func (s *Sandbox) reclaimToPartnerAccount(c *call) (any, error) {
	var req model.ReclaimToPartnerAccountBalancesReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	tid, err := s.fundCustomer(c, req.IndirectPartnerId, req.CustomerId, req.Amount, true)
	if err != nil {
		return nil, err
	}
	return model.ReclaimToPartnerAccountResponse{TransId: &tid}, nil
}

// fundCustomer moves amt from the funding partner (see fundTarget) to its
// resale customer, at most the partner's allocatable amount, or with
// reclaim back from the customer, at most its balance. It returns the
// transfer id.
func (s *Sandbox) fundCustomer(c *call, indirect *string, customerID string, amt *decimal.Decimal, reclaim bool) (string, error) {
	amount, err := money("amount", amt)
	if err != nil {
		return "", err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	p, cu, err := st.fundTarget(c.who.Partner, indirect, customerID)
	if err != nil {
		return "", err
	}
	if reclaim {
		if amount.GreaterThan(cu.Balance) {
			return "", insufficient()
		}
		return st.allocate(p, cu, amount.Neg()), nil
	}
	if amount.GreaterThan(allocatable(p)) {
		return "", insufficient()
	}
	return st.allocate(p, cu, amount), nil
}

// reseller resolves a tier-1's own tier-2. Callers hold st.mu.
func (st *State) reseller(t1 *Partner, id string) (*Partner, error) {
	if id == "" {
		return nil, badParam("indirect_partner_id is required")
	}
	ownerID, err := st.visibleOwner(t1, &id)
	if err != nil {
		return nil, err
	}
	return st.partnerByID[ownerID], nil
}

func (s *Sandbox) updateIndirectPartnerAccount(c *call) (any, error) {
	var req model.AdjustToIndirectPartnerReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	tid, err := s.fundReseller(c, req.IndirectPartnerId, req.Amount, false)
	if err != nil {
		return nil, err
	}
	return model.UpdateIndirectPartnerAccountResponse{TransferId: &tid}, nil
}

func (s *Sandbox) reclaimIndirectPartnerAccount(c *call) (any, error) {
	var req model.ReclaimIndirectPartnerAccountReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	tid, err := s.fundReseller(c, req.IndirectPartnerId, req.Amount, true)
	if err != nil {
		return nil, err
	}
	return model.ReclaimIndirectPartnerAccountResponse{TransId: &tid}, nil
}

// fundReseller moves amt from the tier-1 caller to its reseller
// resellerID, or with reclaim back from the reseller, at most the payer's
// allocatable amount, and records it on both sides (the payer's first). It
// returns the transfer id.
func (s *Sandbox) fundReseller(c *call, resellerID string, amt *decimal.Decimal, reclaim bool) (string, error) {
	amount, err := money("amount", amt)
	if err != nil {
		return "", err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	t1 := c.who.Partner
	t2, err := st.reseller(t1, resellerID)
	if err != nil {
		return "", err
	}
	payer := t1
	if reclaim {
		payer = t2
	}
	if amount.GreaterThan(allocatable(payer)) {
		return "", insufficient()
	}
	tid := st.newID("RE")
	if reclaim {
		st.partnerChange(t2, amount.Neg(), "BERETRIEVE", tid, "", "")
		st.partnerChange(t1, amount, "RETRIEVE", tid, t2.ID, t2.AccountName)
	} else {
		st.partnerChange(t1, amount.Neg(), "ADJUST", tid, t2.ID, t2.AccountName)
		st.partnerChange(t2, amount, "BEADJUST", tid, "", "")
	}
	return tid, nil
}

func (s *Sandbox) listPartnerAdjustRecords(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	begin, end, err := c.qTimeRange("operation_time")
	if err != nil {
		return nil, err
	}
	opType := c.q("operation_type")
	switch opType {
	case "", "SOURCE_OPERATION_BEADJUST", "SOURCE_OPERATION_BERETRIEVE", "SOURCE_OPERATION_BEUNBIND":
	default:
		return nil, badParam("operation_type is invalid")
	}
	custID, transID := c.q("customer_id"), c.q("trans_id")
	return s.withOwner(c, c.qOpt("indirect_partner_id"), func(st *State, ownerID string) (any, error) {
		total, recs := newestFirst(st.adjustRecords, func(r *AdjustRecord) bool {
			return r.PartnerID == ownerID && (custID == "" || r.CustomerID == custID) &&
				(opType == "" || r.OperationType == opType) && (transID == "" || r.TransID == transID) &&
				timeIn(r.Time, begin, end)
		}, off, lim)
		out := make([]model.AdjustRecordV3, 0, len(recs))
		for _, r := range recs {
			out = append(out, model.AdjustRecordV3{
				CustomerId: ptr(r.CustomerID), CustomerName: ptr(r.CustomerName), OperationType: ptr(r.OperationType),
				Amount: ptr(r.Amount.StringFixed(2)), Currency: ptr(currencyCNY), ApplyScene: ptr(r.ApplyScene),
				OperationTime: ptr(fmtTime(r.Time)), MeasureId: ptr(int32(1)), TransId: ptr(r.TransID), Memo: ptr(r.Memo),
			})
		}
		return model.ListPartnerAdjustRecordsResponse{Records: &out, TotalCount: ptr(int32(total))}, nil
	})
}

// cst is UTC+8, the zone of the account change records' date filters.
var cst = time.FixedZone("UTC+8", 8*3600)

// dayRange parses YYYY-MM-DD (UTC+8) begin/end filters; end is inclusive.
func dayRange(c *call, beginName, endName string) (time.Time, time.Time, error) {
	var begin, end time.Time
	if v := c.q(beginName); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, cst)
		if err != nil {
			return begin, end, badParam("%s must be YYYY-MM-DD", beginName)
		}
		begin = t
	}
	if v := c.q(endName); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, cst)
		if err != nil {
			return begin, end, badParam("%s must be YYYY-MM-DD", endName)
		}
		end = t.Add(24*time.Hour - time.Nanosecond)
	}
	return begin, end, nil
}

func balanceType(c *call) error {
	switch c.q("balance_type") {
	case "BALANCE_TYPE_DEBIT", "BALANCE_TYPE_CREDIT":
		return nil
	case "":
		return badParam("balance_type is required")
	}
	return badParam("balance_type must be BALANCE_TYPE_DEBIT or BALANCE_TYPE_CREDIT")
}

func inOut(d decimal.Decimal) string {
	if d.IsNegative() {
		return "2"
	}
	return "1"
}

// changeQuery is the paging and the filters both account change record
// lists take.
type changeQuery struct {
	off, lim               int
	balanceType, tradeType string
	begin, end             time.Time
}

func readChangeQuery(c *call) (changeQuery, error) {
	if err := balanceType(c); err != nil {
		return changeQuery{}, err
	}
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return changeQuery{}, err
	}
	begin, end, err := dayRange(c, "trade_time_begin", "trade_time_end")
	if err != nil {
		return changeQuery{}, err
	}
	return changeQuery{off: off, lim: lim, balanceType: c.q("balance_type"), tradeType: c.q("trade_type"), begin: begin, end: end}, nil
}

// match reports whether r is ownerID's and passes the balance_type,
// trade_type and trade time filters.
func (q changeQuery) match(r *AccountChange, ownerID string) bool {
	return r.OwnerID == ownerID && r.BalanceType == q.balanceType && (q.tradeType == "" || r.TradeType == q.tradeType) &&
		timeIn(r.Time, q.begin, q.end)
}

func (s *Sandbox) listPartnerAccountChangeRecords(c *call) (any, error) {
	q, err := readChangeQuery(c)
	if err != nil {
		return nil, err
	}
	return s.withOwner(c, c.qOpt("indirect_partner_id"), func(st *State, ownerID string) (any, error) {
		total, recs := newestFirst(st.partnerChanges, func(r *AccountChange) bool { return q.match(r, ownerID) }, q.off, q.lim)
		out := make([]model.AccountChangeRecord, 0, len(recs))
		for _, r := range recs {
			rec := model.AccountChangeRecord{
				AccountChangeId: ptr(r.ID), TradeDetailType: ptr(r.TradeType), TradeTime: ptr(fmtTime(r.Time)),
				TradeId: ptr(r.TradeID), ChangeAmount: ptr(r.Amount.Abs().StringFixed(2)),
				BalanceAfterChange: ptr(r.BalanceAfter.StringFixed(2)), Type: ptr(inOut(r.Amount)),
			}
			if r.CustomerID != "" {
				rec.CustomerId = ptr(r.CustomerID)
				rec.AccountName = ptr(r.AccountName)
			}
			out = append(out, rec)
		}
		return model.ListPartnerAccountChangeRecordsResponse{TotalCount: ptr(int32(total)), Currency: ptr(currencyCNY), Records: &out}, nil
	})
}

func (s *Sandbox) listCustomerAccountChangeRecords(c *call) (any, error) {
	q, err := readChangeQuery(c)
	if err != nil {
		return nil, err
	}
	tradeID, rev := c.q("trade_id"), c.q("revenue_expense_type")
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	total, recs := newestFirst(st.customerChanges, func(r *AccountChange) bool {
		return q.match(r, cu.ID) && (tradeID == "" || r.TradeID == tradeID) && (rev == "" || inOut(r.Amount) == rev)
	}, q.off, q.lim)
	out := make([]model.CustomerAccountChangeRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, model.CustomerAccountChangeRecord{
			AccountChangeId: ptr(r.ID), TradeDetailType: ptr(r.TradeType), TradeTime: ptr(fmtTime(r.Time)),
			TradeId: ptr(r.TradeID), ChangeAmount: ptr(r.Amount.Abs().StringFixed(2)),
			BalanceAfterChange: ptr(r.BalanceAfter.StringFixed(2)), RevenueExpenseType: ptr(inOut(r.Amount)),
			BillCycle: ptr(r.Time.In(cst).Format("2006-01")), AccountName: ptr(cu.AccountName),
		})
	}
	return model.ListCustomerAccountChangeRecordsResponse{TotalCount: ptr(int32(total)), Currency: ptr(currencyCNY), Records: &out}, nil
}
