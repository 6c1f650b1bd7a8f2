package gateway

// ---- Money and vouchers (issue 4) ----
//
// The upstream's money and voucher moves. None of them is idempotent and
// none takes an idempotency key, so each method here is "call once, and when
// the call ends without an answer (timeout, dropped connection, 5xx),
// reconcile against the upstream's records before answering" (reconcile.go).
// The resolvers put verification and idempotency keys in front of them.

import (
	"context"
	"errors"
	"time"

	"partnergraph/apierr"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

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

// CouponIssue is what CreatePartnerCoupons needs.
type CouponIssue struct {
	QuotaID     string
	CustomerIDs []string
	FaceValue   decimal.Decimal
	ValidFrom   string // RFC 3339 / yyyy-MM-ddTHH:mm:ssZ, optional
	ExpireTime  string // optional
	Memo        string
}

// IssueCouponQuotas cuts a child quota of amount for each reseller from the
// tier-1's quota (UpdateCouponQuotas); per-reseller failures come back as
// items.
func (c *Client) IssueCouponQuotas(ctx context.Context, s Scope, quotaID string, resellerIDs []string, amount decimal.Decimal, o MoveOpts) (BatchResult, error) {
	s.Indirect = ""
	find := func(ctx context.Context, since time.Time, exclude map[string]bool) (BatchResult, bool, []string, error) {
		return c.findQuotaIssue(ctx, s, quotaID, resellerIDs, amount, since, exclude)
	}
	do := func(ctx context.Context) (BatchResult, error) {
		req := &model.UpdateCouponQuotasRequest{Body: &model.AdjustCouponQuotasReq{QuotaId: quotaID, IndirectPartnerIds: resellerIDs, QuotaAmount: &amount}}
		resp, err := call(ctx, c, s, "UpdateCouponQuotas", func(cl *bss.BssClient) (*model.UpdateCouponQuotasResponse, error) {
			return cl.UpdateCouponQuotas(req)
		})
		if err != nil {
			return BatchResult{}, err
		}
		done := map[string]string{}
		if resp.SimpleQuotaInfos != nil {
			for _, q := range *resp.SimpleQuotaInfos {
				done[q.Id] = q.QuotaId
			}
		}
		return batch(resellerIDs, resp.ErrorDetails, func(id string) (ItemResult, bool) {
			q, ok := done[id]
			return ItemResult{ID: id, OK: true, CreatedID: q}, ok
		}), nil
	}
	return moveOnce(ctx, c, o, find, do)
}

// ReclaimCouponQuotas takes child quotas back into their parents
// (ReclaimCouponQuotas).
func (c *Client) ReclaimCouponQuotas(ctx context.Context, s Scope, quotaIDs []string, remark string, o MoveOpts) (BatchResult, error) {
	s.Indirect = ""
	find := func(ctx context.Context, since time.Time, exclude map[string]bool) (BatchResult, bool, []string, error) {
		return c.findQuotaReclaim(ctx, s, quotaIDs, since, exclude)
	}
	do := func(ctx context.Context) (BatchResult, error) {
		req := &model.ReclaimCouponQuotasRequest{Body: &model.ReclaimCouponQuotasReq{QuotaIds: quotaIDs, Remark: optStr(remark)}}
		resp, err := call(ctx, c, s, "ReclaimCouponQuotas", func(cl *bss.BssClient) (*model.ReclaimCouponQuotasResponse, error) {
			return cl.ReclaimCouponQuotas(req)
		})
		if err != nil {
			return BatchResult{}, err
		}
		done := map[string]*Money{}
		if resp.SimpleQuotaInfos != nil {
			for _, q := range *resp.SimpleQuotaInfos {
				done[str(q.QuotaId)] = decMoney(q.QuotaBalance, defaultCurrency)
			}
		}
		return batch(quotaIDs, resp.ErrorDetails, func(id string) (ItemResult, bool) {
			m, ok := done[id]
			return ItemResult{ID: id, OK: true, Amount: m}, ok
		}), nil
	}
	return moveOnce(ctx, c, o, find, do)
}

// IssueCoupons issues one coupon per customer from a quota
// (CreatePartnerCoupons, at most 100 customers); per-customer failures come
// back as items.
func (c *Client) IssueCoupons(ctx context.Context, s Scope, in CouponIssue, o MoveOpts) (BatchResult, error) {
	find := func(ctx context.Context, since time.Time, exclude map[string]bool) (BatchResult, bool, []string, error) {
		return c.findCouponIssue(ctx, s, in, since, exclude)
	}
	do := func(ctx context.Context) (BatchResult, error) {
		fv := in.FaceValue
		req := &model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{
			QuotaId: in.QuotaID, CustomerIds: in.CustomerIDs, FaceValue: &fv, ValidTime: optStr(in.ValidFrom),
			ExpireTime: optStr(in.ExpireTime), Memo: optStr(in.Memo), IndirectPartnerId: optStr(s.Indirect),
		}}
		resp, err := call(ctx, c, s, "CreatePartnerCoupons", func(cl *bss.BssClient) (*model.CreatePartnerCouponsResponse, error) {
			return cl.CreatePartnerCoupons(req)
		})
		if err != nil {
			return BatchResult{}, err
		}
		done := map[string]string{}
		if resp.CouponInfos != nil {
			for _, ci := range *resp.CouponInfos {
				done[ci.Id] = ci.CouponId
			}
		}
		return batch(in.CustomerIDs, resp.ErrorDetails, func(id string) (ItemResult, bool) {
			cp, ok := done[id]
			return ItemResult{ID: id, OK: true, CreatedID: cp}, ok
		}), nil
	}
	return moveOnce(ctx, c, o, find, do)
}

// ReclaimCoupons reclaims coupons one by one (ReclaimPartnerCoupons takes
// one coupon per call). A coupon the upstream refuses is a failed item; a
// call that ends without an answer is reconciled for that coupon alone.
func (c *Client) ReclaimCoupons(ctx context.Context, s Scope, couponIDs []string, o MoveOpts) (BatchResult, error) {
	var out BatchResult
	for _, id := range couponIDs {
		find := func(ctx context.Context, since time.Time, exclude map[string]bool) (Transfer, bool, []string, error) {
			return c.findCouponReclaim(ctx, s, id, since, exclude)
		}
		do := func(ctx context.Context) (Transfer, error) {
			req := &model.ReclaimPartnerCouponsRequest{Body: &model.ReclaimPartnerCouponsReq{CouponId: id, IndirectPartnerId: optStr(s.Indirect)}}
			_, err := call(ctx, c, s, "ReclaimPartnerCoupons", func(cl *bss.BssClient) (*model.ReclaimPartnerCouponsResponse, error) {
				return cl.ReclaimPartnerCoupons(req)
			})
			return Transfer{ID: id}, err
		}
		t, err := moveOnce(ctx, c, o, find, do)
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

// batch turns a 200 answer with successes and error_details into one item
// per requested id, in request order. An id the upstream mentions in
// neither list is reported as failed, never as a silent success.
func batch(ids []string, details *[]model.ErrorDetail, ok func(id string) (ItemResult, bool)) BatchResult {
	failed := map[string]model.ErrorDetail{}
	if details != nil {
		for _, d := range *details {
			failed[str(d.Id)] = d
		}
	}
	out := BatchResult{Items: make([]ItemResult, 0, len(ids))}
	for _, id := range ids {
		if it, good := ok(id); good {
			out.Items = append(out.Items, it)
			continue
		}
		it := ItemResult{ID: id, ErrorCode: "UNKNOWN", ErrorMessage: "the upstream did not report this item"}
		if d, bad := failed[id]; bad {
			it.ErrorCode, it.ErrorMessage = str(d.ErrorCode), str(d.ErrorMsg)
		}
		out.Items = append(out.Items, it)
	}
	return out
}

// Quota is a coupon quota (own, or a child quota issued to a reseller).
type Quota struct {
	ID             string
	Type           int // 0 voucher, 1 cash
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
	Page
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
	// only the issuing partner may see it (issue 4).
	Memo string
}

// CouponList is one page of coupons and the total.
type CouponList struct {
	Coupons []Coupon
	Total   int
}

// CouponQuotas lists the scope partner's own coupon quotas (ListQuotaCoupons).
// quotaIDs, when set, narrows the list to those quotas.
func (c *Client) CouponQuotas(ctx context.Context, s Scope, quotaIDs []string, p Page) (QuotaList, error) {
	off, lim := page(p)
	body := &model.QueryCouponQuotasReqExt{Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	if len(quotaIDs) > 0 {
		body.QuotaIds = &quotaIDs
	}
	req := &model.ListQuotaCouponsRequest{Body: body}
	resp, err := call(ctx, c, s, "ListQuotaCoupons", func(cl *bss.BssClient) (*model.ListQuotaCouponsResponse, error) {
		return cl.ListQuotaCoupons(req)
	})
	if err != nil {
		return QuotaList{}, err
	}
	out := QuotaList{Total: i32(resp.TotalCount)}
	if resp.Quotas != nil {
		for _, q := range *resp.Quotas {
			cur := currency(q.Currency)
			out.Quotas = append(out.Quotas, Quota{
				ID: str(q.QuotaId), Type: i32(q.QuotaType), Value: decMoney(q.QuotaValue, cur), Balance: decMoney(q.Balance, cur),
				Status: optInt(q.QuotaStatus), EffectiveTime: str(q.EffectiveTime), ExpireTime: str(q.ExpireTime), CreateTime: str(q.CreateTime),
			})
		}
	}
	return out, nil
}

// IssuedQuotas lists child quotas a tier-1 issued to its resellers
// (ListIssuedCouponQuotas).
func (c *Client) IssuedQuotas(ctx context.Context, s Scope, q IssuedQuotaQuery) (QuotaList, error) {
	off, lim := page(q.Page)
	req := &model.ListIssuedCouponQuotasRequest{QuotaId: optStr(q.QuotaID), IndirectPartnerId: optStr(q.ResellerID), ParentQuotaId: optStr(q.ParentQuotaID), Offset: off, Limit: lim}
	resp, err := call(ctx, c, s, "ListIssuedCouponQuotas", func(cl *bss.BssClient) (*model.ListIssuedCouponQuotasResponse, error) {
		return cl.ListIssuedCouponQuotas(req)
	})
	if err != nil {
		return QuotaList{}, err
	}
	out := QuotaList{Total: i32(resp.TotalCount)}
	if resp.Quotas != nil {
		for _, q := range *resp.Quotas {
			cur := currency(q.Currency)
			out.Quotas = append(out.Quotas, Quota{
				ID: str(q.QuotaId), Type: i32(q.QuotaType), Value: decMoney(q.QuotaValue, cur), Balance: decMoney(q.Balance, cur),
				Status: optInt(q.QuotaStatus), EffectiveTime: str(q.EffectiveTime), ExpireTime: str(q.ExpireTime), CreateTime: str(q.CreateTime),
				ParentQuotaID: str(q.ParentQuotaId), ResellerID: str(q.IndirectPartnerId), ResellerName: str(q.IndirectPartnerName), ResellerAcctNm: str(q.IndirectPartnerAccountName),
			})
		}
	}
	return out, nil
}

// QuotaRecords lists issue/reclaim records of child quotas (ListCouponQuotasRecords).
func (c *Client) QuotaRecords(ctx context.Context, s Scope, quotaID, parentQuotaID string, p Page) (QuotaRecordList, error) {
	off, lim := page(p)
	req := &model.ListCouponQuotasRecordsRequest{QuotaId: optStr(quotaID), ParentQuotaId: optStr(parentQuotaID), Offset: off, Limit: lim}
	resp, err := call(ctx, c, s, "ListCouponQuotasRecords", func(cl *bss.BssClient) (*model.ListCouponQuotasRecordsResponse, error) {
		return cl.ListCouponQuotasRecords(req)
	})
	if err != nil {
		return QuotaRecordList{}, err
	}
	out := QuotaRecordList{Total: i32(resp.TotalCount)}
	if resp.Records != nil {
		for _, r := range *resp.Records {
			out.Records = append(out.Records, QuotaRecord{
				ID: str(r.Id), OperationType: str(r.OperationType), QuotaID: str(r.QuotaId), ParentQuotaID: str(r.ParentQuotaId),
				Amount: decMoney(r.Amount, defaultCurrency), OperationTime: str(r.OperationTime), Result: str(r.Result),
				ResellerID: str(r.IndirectPartnerId), Operator: str(r.Operator), Remark: str(r.Remark),
			})
		}
	}
	return out, nil
}

// IssuedCoupons lists coupons the scope's partner issued to a customer
// (ListIssuedPartnerCoupons).
func (c *Client) IssuedCoupons(ctx context.Context, s Scope, customerID string, p Page) (CouponList, error) {
	off, lim := page(p)
	req := &model.ListIssuedPartnerCouponsRequest{CustomerId: optStr(customerID), Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListIssuedPartnerCoupons", func(cl *bss.BssClient) (*model.ListIssuedPartnerCouponsResponse, error) {
		return cl.ListIssuedPartnerCoupons(req)
	})
	if err != nil {
		return CouponList{}, err
	}
	out := CouponList{Total: i32(resp.TotalCount)}
	if resp.UserCoupons != nil {
		for _, u := range *resp.UserCoupons {
			out.Coupons = append(out.Coupons, Coupon{
				ID: str(u.CouponId), CustomerID: str(u.CustomerId), Type: optInt(u.CouponType), Status: optInt(u.Status),
				FaceValue: decMoney(u.FaceValue, defaultCurrency), Balance: decMoney(u.Balance, defaultCurrency),
				EffectiveTime: str(u.EffectiveTime), ExpireTime: str(u.ExpireTime), CreateTime: str(u.CreateTime),
				Memo: str(u.PromotionPlanName),
			})
		}
	}
	return out, nil
}
