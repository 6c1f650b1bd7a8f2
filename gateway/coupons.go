package gateway

// Coupons: coupon quotas (a partner's own, and the child quotas a tier-1
// issues to its resellers) with their issue and reclaim records, the
// coupons a partner issued to its customers, and the moves that issue and
// reclaim quotas and coupons.
//
// Like funds moves, quota and coupon moves are not idempotent upstream: each
// is made at most once and, when its call ends without an answer,
// established from the upstream's records (reconcile.go).

import (
	"context"
	"errors"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"

	"partnergraph/apierr"
)

// Coupon quota types (quota_type).
const (
	QuotaVoucher = 0
	QuotaCash    = 1
)

// Quota is a coupon quota (own, or a child quota issued to a reseller).
type Quota struct {
	ID             string
	Type           int // QuotaVoucher or QuotaCash
	Value          *Money
	Balance        *Money
	Status         *int
	EffectiveTime  string
	ExpireTime     string
	CreateTime     string
	ParentQuotaID  string
	ResellerID     string
	ResellerName   string
	ResellerAcctNm string
}

// QuotaList is one page of quotas and the total.
type QuotaList struct {
	Quotas []Quota
	Total  int
}

// IssuedQuotaQuery filters ListIssuedCouponQuotas.
type IssuedQuotaQuery struct {
	Window
	QuotaID       string
	ResellerID    string
	ParentQuotaID string
}

// QuotaRecord is an issue or reclaim of a child quota.
type QuotaRecord struct {
	ID, OperationType, QuotaID, ParentQuotaID string
	Amount                                    *Money
	OperationTime, Result, ResellerID         string
	Operator, Remark                          string
}

// QuotaRecordList is one page of quota records and the total.
type QuotaRecordList struct {
	Records []QuotaRecord
	Total   int
}

// Coupon is a coupon issued by a partner.
type Coupon struct {
	ID, CustomerID                        string
	Type, Status                          *int
	FaceValue, Balance                    *Money
	EffectiveTime, ExpireTime, CreateTime string
	// Memo is the issuer's remark (the upstream's promotion_plan_name);
	// only the issuing partner may see it.
	Memo string
}

// CouponList is one page of coupons and the total.
type CouponList struct {
	Coupons []Coupon
	Total   int
}

// CouponIssue is what CreatePartnerCoupons needs.
type CouponIssue struct {
	QuotaID     string
	CustomerIDs []string
	FaceValue   decimal.Decimal
	ValidFrom   string // RFC 3339 / yyyy-MM-ddTHH:mm:ssZ, optional
	ExpireTime  string // optional
	Memo        string
}

// ItemResult is the outcome of one item of a batch move. The upstream
// reports per-item failures inside a 200 body (error_details).
type ItemResult struct {
	ID           string // customer, reseller, quota or coupon id
	OK           bool
	CreatedID    string // new child quota id, new coupon id
	Amount       *Money // reclaimed quota balance, when the upstream says
	ErrorCode    string
	ErrorMessage string
}

// BatchResult is the outcome of a batch move.
type BatchResult struct {
	Items      []ItemResult
	Reconciled bool
}

func quotaFrom(q model.CouponQuotaV2) Quota {
	cur := currency(q.Currency)
	return Quota{
		ID: str(q.QuotaId), Type: i32(q.QuotaType), Value: decMoney(q.QuotaValue, cur), Balance: decMoney(q.Balance, cur),
		Status: optInt(q.QuotaStatus), EffectiveTime: str(q.EffectiveTime), ExpireTime: str(q.ExpireTime), CreateTime: str(q.CreateTime),
	}
}

// issuedQuotaFrom is quotaFrom with the reseller and the parent quota.
func issuedQuotaFrom(q model.IssuedCouponQuota) Quota {
	out := quotaFrom(model.CouponQuotaV2{
		QuotaId: q.QuotaId, QuotaType: q.QuotaType, QuotaValue: q.QuotaValue, Balance: q.Balance, Currency: q.Currency,
		QuotaStatus: q.QuotaStatus, EffectiveTime: q.EffectiveTime, ExpireTime: q.ExpireTime, CreateTime: q.CreateTime,
	})
	out.ParentQuotaID, out.ResellerID = str(q.ParentQuotaId), str(q.IndirectPartnerId)
	out.ResellerName, out.ResellerAcctNm = str(q.IndirectPartnerName), str(q.IndirectPartnerAccountName)
	return out
}

func quotaRecordFrom(r model.QuotaRecord) QuotaRecord {
	return QuotaRecord{
		ID: str(r.Id), OperationType: str(r.OperationType), QuotaID: str(r.QuotaId), ParentQuotaID: str(r.ParentQuotaId),
		Amount: decMoney(r.Amount, defaultCurrency), OperationTime: str(r.OperationTime), Result: str(r.Result),
		ResellerID: str(r.IndirectPartnerId), Operator: str(r.Operator), Remark: str(r.Remark),
	}
}

func couponFrom(u model.IQueryUserPartnerCouponsResultV2) Coupon {
	return Coupon{
		ID: str(u.CouponId), CustomerID: str(u.CustomerId), Type: optInt(u.CouponType), Status: optInt(u.Status),
		FaceValue: decMoney(u.FaceValue, defaultCurrency), Balance: decMoney(u.Balance, defaultCurrency),
		EffectiveTime: str(u.EffectiveTime), ExpireTime: str(u.ExpireTime), CreateTime: str(u.CreateTime),
		Memo: str(u.PromotionPlanName),
	}
}

// CouponQuotas lists the scope partner's own coupon quotas (ListQuotaCoupons).
// quotaIDs, when set, narrows the list to those quotas.
func (c *Client) CouponQuotas(ctx context.Context, s Scope, quotaIDs []string, p Window) (QuotaList, error) {
	off, lim := page(p)
	body := &model.QueryCouponQuotasReqExt{Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	if len(quotaIDs) > 0 {
		body.QuotaIds = &quotaIDs
	}
	resp, err := call(ctx, c, s, "ListQuotaCoupons", (*bss.BssClient).ListQuotaCoupons, &model.ListQuotaCouponsRequest{Body: body})
	if err != nil {
		return QuotaList{}, err
	}
	return QuotaList{Quotas: convert(resp.Quotas, quotaFrom), Total: i32(resp.TotalCount)}, nil
}

// IssuedQuotas lists child quotas a tier-1 issued to its resellers
// (ListIssuedCouponQuotas).
func (c *Client) IssuedQuotas(ctx context.Context, s Scope, q IssuedQuotaQuery) (QuotaList, error) {
	off, lim := page(q.Window)
	req := &model.ListIssuedCouponQuotasRequest{QuotaId: optStr(q.QuotaID), IndirectPartnerId: optStr(q.ResellerID), ParentQuotaId: optStr(q.ParentQuotaID), Offset: off, Limit: lim}
	resp, err := call(ctx, c, s, "ListIssuedCouponQuotas", (*bss.BssClient).ListIssuedCouponQuotas, req)
	if err != nil {
		return QuotaList{}, err
	}
	return QuotaList{Quotas: convert(resp.Quotas, issuedQuotaFrom), Total: i32(resp.TotalCount)}, nil
}

// QuotaRecords lists issue/reclaim records of child quotas (ListCouponQuotasRecords).
func (c *Client) QuotaRecords(ctx context.Context, s Scope, quotaID, parentQuotaID string, p Window) (QuotaRecordList, error) {
	off, lim := page(p)
	req := &model.ListCouponQuotasRecordsRequest{QuotaId: optStr(quotaID), ParentQuotaId: optStr(parentQuotaID), Offset: off, Limit: lim}
	return c.quotaRecords(ctx, s, req)
}

// quotaRecords reads the quota records req asks for: a page of
// QuotaRecords, or the records that reconcile a quota move.
func (c *Client) quotaRecords(ctx context.Context, s Scope, req *model.ListCouponQuotasRecordsRequest) (QuotaRecordList, error) {
	resp, err := call(ctx, c, s, "ListCouponQuotasRecords", (*bss.BssClient).ListCouponQuotasRecords, req)
	if err != nil {
		return QuotaRecordList{}, err
	}
	return QuotaRecordList{Records: convert(resp.Records, quotaRecordFrom), Total: i32(resp.TotalCount)}, nil
}

// IssuedCoupons lists coupons the scope's partner issued to a customer
// (ListIssuedPartnerCoupons).
func (c *Client) IssuedCoupons(ctx context.Context, s Scope, customerID string, p Window) (CouponList, error) {
	return c.IssuedCouponList(ctx, s, IssuedCouponQuery{Window: p, CustomerID: customerID})
}

// IssuedCouponQuery filters ListIssuedPartnerCoupons: every filter the
// upstream has; times in the upstream's UTC form (RecordTime).
type IssuedCouponQuery struct {
	Window
	CouponID, CustomerID, OrderID string
	Type, Status                  int // 0: any
	CreatedFrom, CreatedTo        string
	EffectiveFrom, EffectiveTo    string
	ExpireFrom, ExpireTo          string
}

// IssuedCouponList lists the coupons the scope's partner issued
// (ListIssuedPartnerCoupons; for a reseller scope, the reseller's).
func (c *Client) IssuedCouponList(ctx context.Context, s Scope, q IssuedCouponQuery) (CouponList, error) {
	off, lim := page(q.Window)
	req := &model.ListIssuedPartnerCouponsRequest{
		CouponId: optStr(q.CouponID), CustomerId: optStr(q.CustomerID), OrderId: optStr(q.OrderID),
		CreateTimeBegin: optStr(q.CreatedFrom), CreateTimeEnd: optStr(q.CreatedTo),
		EffectiveTimeBegin: optStr(q.EffectiveFrom), EffectiveTimeEnd: optStr(q.EffectiveTo),
		ExpireTimeBegin: optStr(q.ExpireFrom), ExpireTimeEnd: optStr(q.ExpireTo),
		Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect),
	}
	if q.Type != 0 {
		req.CouponType = ptr(int32(q.Type))
	}
	if q.Status != 0 {
		req.Status = ptr(int32(q.Status))
	}
	resp, err := call(ctx, c, s, "ListIssuedPartnerCoupons", (*bss.BssClient).ListIssuedPartnerCoupons, req)
	if err != nil {
		return CouponList{}, err
	}
	return CouponList{Coupons: convert(resp.UserCoupons, couponFrom), Total: i32(resp.TotalCount)}, nil
}

// Coupon record operation types (operation_type), as the upstream numbers
// them.
const (
	CouponOpIssue              = "1"
	CouponOpManualReclaim      = "2"
	CouponOpUnbindReclaim      = "3"
	CouponOpExpiryReclaim      = "4"
	CouponOpUnsubscribeReclaim = "5"
	CouponOpRefundRevoke       = "6"
	CouponOpAssociationReclaim = "7"
	CouponOpModeSwitchReclaim  = "8"
	CouponOpResellerTransfer   = "9"
)

// CouponRecord is one record of a partner's coupons: an issue, a reclaim,
// an expiry, …
type CouponRecord struct {
	ID, OperationType     string // CouponOpIssue …
	QuotaID               string
	QuotaType             *int
	CouponID, CustomerID  string
	Amount                *Money // the face value issued, or what a reclaim took back
	OperationTime, Result string // Result "0" success, "-1" failure
	Remark                string
}

// CouponRecordList is one page of coupon records and the total.
type CouponRecordList struct {
	Records []CouponRecord
	Total   int
}

// CouponRecordQuery filters ListPartnerCouponsRecord.
type CouponRecordQuery struct {
	Window
	OperationTypes []string // CouponOpIssue …; empty: all
	QuotaID        string
	QuotaType      *int
	CouponIDs      []string // empty: all
	CustomerID     string
	From, To       string // the upstream's UTC form (RecordTime)
	Result         string // "0" or "-1"; "": both
}

func couponRecordFrom(r model.CouponRecordV2) CouponRecord {
	return CouponRecord{
		ID: str(r.Id), OperationType: str(r.OperationType), QuotaID: str(r.QuotaId), QuotaType: optInt(r.QuotaType),
		CouponID: str(r.CouponId), CustomerID: str(r.CustomerId), Amount: decMoney(r.OperationAmount, defaultCurrency),
		OperationTime: str(r.OperationTime), Result: str(r.Result), Remark: str(r.Remark),
	}
}

// CouponRecords lists the records of the scope partner's coupons
// (ListPartnerCouponsRecord; for a reseller scope, the reseller's). With
// CouponIDs it reads the records of many coupons in one call.
func (c *Client) CouponRecords(ctx context.Context, s Scope, q CouponRecordQuery) (CouponRecordList, error) {
	off, lim := page(q.Window)
	req := &model.ListPartnerCouponsRecordRequest{
		QuotaId: optStr(q.QuotaID), CustomerId: optStr(q.CustomerID), OperationTimeBegin: optStr(q.From), OperationTimeEnd: optStr(q.To),
		Result: optStr(q.Result), Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect),
	}
	if len(q.OperationTypes) > 0 {
		req.OperationTypes = &q.OperationTypes
	}
	if len(q.CouponIDs) > 0 {
		req.CouponIds = &q.CouponIDs
	}
	if q.QuotaType != nil {
		req.QuotaType = ptr(int32(*q.QuotaType))
	}
	resp, err := call(ctx, c, s, "ListPartnerCouponsRecord", (*bss.BssClient).ListPartnerCouponsRecord, req)
	if err != nil {
		return CouponRecordList{}, err
	}
	return CouponRecordList{Records: convert(resp.Records, couponRecordFrom), Total: i32(resp.TotalCount)}, nil
}

// IssueCouponQuotas cuts a child quota of amount for each reseller from the
// tier-1's quota (UpdateCouponQuotas); per-reseller failures come back as
// items. The call is the tier-1's own, whatever reseller s acts for.
func (c *Client) IssueCouponQuotas(ctx context.Context, s Scope, quotaID string, resellerIDs []string, amount decimal.Decimal, l Ledger) (BatchResult, error) {
	s.Indirect = ""
	req := &model.UpdateCouponQuotasRequest{Body: &model.AdjustCouponQuotasReq{QuotaId: quotaID, IndirectPartnerIds: resellerIDs, QuotaAmount: &amount}}
	spec := batchSpec("UpdateCouponQuotas", "quota:"+quotaID, resellerIDs, c.findQuotaIssue(s, quotaID, amount), created, createdIDs)
	return move(ctx, c, s, l, spec, (*bss.BssClient).UpdateCouponQuotas, req,
		func(r *model.UpdateCouponQuotasResponse) BatchResult {
			newQuota := map[string]string{}
			for _, q := range rows(r.SimpleQuotaInfos) {
				newQuota[q.Id] = q.QuotaId
			}
			return batch(resellerIDs, r.ErrorDetails, created(newQuota))
		})
}

// ReclaimCouponQuotas takes child quotas back into their parents
// (ReclaimCouponQuotas); per-quota failures come back as items. The call
// is the tier-1's own, whatever reseller s acts for.
func (c *Client) ReclaimCouponQuotas(ctx context.Context, s Scope, quotaIDs []string, remark string, l Ledger) (BatchResult, error) {
	s.Indirect = ""
	req := &model.ReclaimCouponQuotasRequest{Body: &model.ReclaimCouponQuotasReq{QuotaIds: quotaIDs, Remark: optStr(remark)}}
	spec := batchSpec("ReclaimCouponQuotas", "quota-reclaims:"+s.Account, quotaIDs, c.findQuotaReclaim(s), reclaimed, noClaims)
	return move(ctx, c, s, l, spec, (*bss.BssClient).ReclaimCouponQuotas, req,
		func(r *model.ReclaimCouponQuotasResponse) BatchResult {
			balance := map[string]*Money{}
			for _, q := range rows(r.SimpleQuotaInfos) {
				balance[str(q.QuotaId)] = decMoney(q.QuotaBalance, defaultCurrency)
			}
			return batch(quotaIDs, r.ErrorDetails, reclaimed(balance))
		})
}

// IssueCoupons issues one coupon per customer from a quota
// (CreatePartnerCoupons, at most 100 customers); per-customer failures come
// back as items.
func (c *Client) IssueCoupons(ctx context.Context, s Scope, in CouponIssue, l Ledger) (BatchResult, error) {
	fv := in.FaceValue
	req := &model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{
		QuotaId: in.QuotaID, CustomerIds: in.CustomerIDs, FaceValue: &fv, ValidTime: optStr(in.ValidFrom),
		ExpireTime: optStr(in.ExpireTime), Memo: optStr(in.Memo), IndirectPartnerId: optStr(s.Indirect),
	}}
	spec := batchSpec("CreatePartnerCoupons", "coupons:"+in.QuotaID, in.CustomerIDs, c.findCouponIssue(s, in), created, createdIDs)
	return move(ctx, c, s, l, spec, (*bss.BssClient).CreatePartnerCoupons, req,
		func(r *model.CreatePartnerCouponsResponse) BatchResult {
			newCoupon := map[string]string{}
			for _, ci := range rows(r.CouponInfos) {
				newCoupon[ci.Id] = ci.CouponId
			}
			return batch(in.CustomerIDs, r.ErrorDetails, created(newCoupon))
		})
}

// ReclaimCoupons reclaims coupons one by one (ReclaimPartnerCoupons takes
// one coupon per call). A coupon the upstream refuses is a failed item; a
// call that ends without an answer is reconciled for that coupon alone.
func (c *Client) ReclaimCoupons(ctx context.Context, s Scope, couponIDs []string, l Ledger) (BatchResult, error) {
	var out BatchResult
	for _, id := range couponIDs {
		req := &model.ReclaimPartnerCouponsRequest{Body: &model.ReclaimPartnerCouponsReq{CouponId: id, IndirectPartnerId: optStr(s.Indirect)}}
		spec := moveSpec[string, Transfer]{op: "ReclaimPartnerCoupons", lock: "coupon:" + id, targets: []string{id}, find: c.findCouponReclaim(s, id),
			answer: transferTo(id), claims: func(Transfer) []string { return nil }}
		t, err := move(ctx, c, s, l, spec, (*bss.BssClient).ReclaimPartnerCoupons, req,
			func(*model.ReclaimPartnerCouponsResponse) Transfer { return Transfer{ID: id} })
		switch {
		case err == nil:
			out.Items = append(out.Items, ItemResult{ID: id, OK: true})
			out.Reconciled = out.Reconciled || t.Reconciled
		case errors.Is(err, ErrOutcomeUnknown):
			// An unknown outcome for any coupon makes the whole answer
			// unknown: the caller keeps the idempotency reservation.
			return out, err
		default:
			var e *apierr.Error
			it := ItemResult{ID: id, ErrorCode: string(apierr.ErrorCode(err)), ErrorMessage: "the upstream refused the reclaim"}
			if errors.As(err, &e) {
				if e.UpstreamCode != "" {
					it.ErrorCode = e.UpstreamCode
				}
				it.ErrorMessage = e.Message
			}
			out.Items = append(out.Items, it)
		}
	}
	return out, nil
}

// batchSpec is the moveSpec of a batch move op on ids, serialised on
// lock: item makes a reconciled item of what find found per id, claims
// the claim ids of an answered call.
func batchSpec[V any](op, lock string, ids []string, find finder[V], item func(map[string]V) func(string) (ItemResult, bool), claims func(BatchResult) []string) moveSpec[V, BatchResult] {
	return moveSpec[V, BatchResult]{op: op, lock: lock, targets: ids, find: find, claims: claims,
		answer: func(found map[string]V) BatchResult { return reconciled(ids, item(found)) }}
}

// createdIDs are the child quotas or coupons a batch move made: what its
// key claims.
func createdIDs(b BatchResult) []string {
	var ids []string
	for _, it := range b.Items {
		if it.OK && it.CreatedID != "" {
			ids = append(ids, it.CreatedID)
		}
	}
	return ids
}

// noClaims: a reclaim leaves nothing a later move could be taken for (an
// object is reclaimed once).
func noClaims(BatchResult) []string { return nil }

// created is the item of an id whose move made a new child quota or
// coupon, newIDs[id]; an id without one has no item.
func created(newIDs map[string]string) func(id string) (ItemResult, bool) {
	return func(id string) (ItemResult, bool) {
		n, ok := newIDs[id]
		return ItemResult{ID: id, OK: true, CreatedID: n}, ok
	}
}

// reclaimed is the item of a reclaimed quota with the balance it returned,
// balance[id]; a quota without one has no item.
func reclaimed(balance map[string]*Money) func(id string) (ItemResult, bool) {
	return func(id string) (ItemResult, bool) {
		m, ok := balance[id]
		return ItemResult{ID: id, OK: true, Amount: m}, ok
	}
}

// items is one item per requested id, in request order: ok's where it has
// one, else failed's.
func items(ids []string, ok func(id string) (ItemResult, bool), failed func(id string) ItemResult) []ItemResult {
	out := make([]ItemResult, 0, len(ids))
	for _, id := range ids {
		if it, good := ok(id); good {
			out = append(out, it)
		} else {
			out = append(out, failed(id))
		}
	}
	return out
}

// batch turns a 200 answer with successes and error_details into one item
// per requested id, in request order. An id the upstream mentions in
// neither list is reported as failed, never as a silent success.
func batch(ids []string, details *[]model.ErrorDetail, ok func(id string) (ItemResult, bool)) BatchResult {
	failed := map[string]model.ErrorDetail{}
	for _, d := range rows(details) {
		failed[str(d.Id)] = d
	}
	return BatchResult{Items: items(ids, ok, func(id string) ItemResult {
		it := ItemResult{ID: id, ErrorCode: "UNKNOWN", ErrorMessage: "the upstream did not report this item"}
		if d, bad := failed[id]; bad {
			it.ErrorCode, it.ErrorMessage = str(d.ErrorCode), str(d.ErrorMsg)
		}
		return it
	})}
}
