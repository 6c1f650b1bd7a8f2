package resolvers

import (
	"context"
	"strings"
	"time"

	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/verify"
	"partnergraph/identity"
	"partnergraph/loader"
)

// maxBatch is the upstream's limit for one batch move.
const maxBatch = 100

// The coupon and quota moves as sensitive operations.
var (
	issueCouponQuotas = sensitive[model.IssueCouponQuotasInput, model.CouponQuotasPayload]{
		op:    model.SensitiveOperationIssueCouponQuotas,
		tier1: true,
		validate: func(in *model.IssueCouponQuotasInput, now time.Time) error {
			if in.QuotaID == "" {
				return badInput("quotaId is required")
			}
			if err := validIDs("resellerIds", in.ResellerIds); err != nil {
				return err
			}
			return validAmount("amount", in.Amount)
		},
		describe: func(in *model.IssueCouponQuotasInput) verify.Details {
			return verify.Details{Amount: in.Amount.StringFixed(2) + " CNY each from quota " + in.QuotaID, Target: listed("reseller", in.ResellerIds)}
		},
		reconciled: func(p *model.CouponQuotasPayload) bool { return p.Reconciled },
	}
	reclaimCouponQuotas = sensitive[model.ReclaimCouponQuotasInput, model.CouponQuotasPayload]{
		op:    model.SensitiveOperationReclaimCouponQuotas,
		tier1: true,
		validate: func(in *model.ReclaimCouponQuotasInput, now time.Time) error {
			if err := validIDs("quotaIds", in.QuotaIds); err != nil {
				return err
			}
			return validText("remark", in.Remark)
		},
		describe: func(in *model.ReclaimCouponQuotasInput) verify.Details {
			return verify.Details{Target: listed("quota", in.QuotaIds)}
		},
		reconciled: func(p *model.CouponQuotasPayload) bool { return p.Reconciled },
	}
	issueCoupons = sensitive[model.IssueCouponsInput, model.CouponsPayload]{
		op: model.SensitiveOperationIssueCoupons,
		validate: func(in *model.IssueCouponsInput, now time.Time) error {
			if in.QuotaID == "" {
				return badInput("quotaId is required")
			}
			if err := validIDs("customerIds", in.CustomerIds); err != nil {
				return err
			}
			if err := validAmount("faceValue", in.FaceValue); err != nil {
				return err
			}
			if err := validText("remark", in.Remark); err != nil {
				return err
			}
			from, hasFrom, err := validTime("validFrom", in.ValidFrom)
			if err != nil {
				return err
			}
			to, hasTo, err := validTime("expireTime", in.ExpireTime)
			switch {
			case err != nil:
				return err
			case hasTo && !to.After(now):
				return badInput("expireTime must be in the future")
			case hasFrom && hasTo && !to.After(from):
				return badInput("expireTime must be after validFrom")
			}
			return nil
		},
		describe: func(in *model.IssueCouponsInput) verify.Details {
			return verify.Details{Amount: in.FaceValue.StringFixed(2) + " CNY each from quota " + in.QuotaID, Target: listed("customer", in.CustomerIds)}
		},
		reconciled: func(p *model.CouponsPayload) bool { return p.Reconciled },
	}
	reclaimCoupons = sensitive[model.ReclaimCouponsInput, model.CouponsPayload]{
		op:       model.SensitiveOperationReclaimCoupons,
		validate: func(in *model.ReclaimCouponsInput, now time.Time) error { return validIDs("couponIds", in.CouponIds) },
		describe: func(in *model.ReclaimCouponsInput) verify.Details {
			return verify.Details{Target: listed("coupon", in.CouponIds)}
		},
		reconciled: func(p *model.CouponsPayload) bool { return p.Reconciled },
	}
)

// validIDs: 1 to maxBatch ids, none empty, none twice.
func validIDs(field string, ids []string) error {
	if len(ids) == 0 || len(ids) > maxBatch {
		return badInput("%s must hold 1 to %d ids", field, maxBatch)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			return badInput("%s must not hold empty ids", field)
		}
		if seen[id] {
			return badInput("%s holds %q twice", field, id)
		}
		seen[id] = true
	}
	return nil
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
	l, err := r.upstream.CouponQuotas(ctx, s, []string{quotaID}, gateway.Window{Limit: 1})
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

func quota(s gateway.Scope, q gateway.Quota) *model.CouponQuota {
	m := &model.CouponQuota{
		ID: globalID("CouponQuota", s, q.ID), QuotaID: q.ID, Value: optMoney(q.Value), Balance: optMoney(q.Balance), Status: q.Status,
		EffectiveTime: opt(q.EffectiveTime), ExpireTime: opt(q.ExpireTime), CreateTime: opt(q.CreateTime),
		ParentQuotaID: opt(q.ParentQuotaID), ResellerID: opt(q.ResellerID), Scope: s,
	}
	t := model.QuotaTypeVoucher
	if q.Type == gateway.QuotaCash {
		t = model.QuotaTypeCash
	}
	m.QuotaType = &t
	return m
}

// Issued coupons and coupon records: a partner's own (Partner), a
// reseller's (Reseller: its tier-1 and itself) and a customer's
// (Customer.issuedCoupons). A page of coupons carries a loader.CouponPage,
// so their records are read together (loader.CouponRecords).

var couponTypes = map[model.CouponType]int{model.CouponTypeVoucher: 1, model.CouponTypeCash: 4}

var couponStatuses = map[model.CouponStatus]int{
	model.CouponStatusInactive: 1, model.CouponStatusUsable: 2, model.CouponStatusUsed: 3,
	model.CouponStatusExpired: 4, model.CouponStatusReclaimed: 5,
}

var couponOps = map[string]model.CouponOperationType{
	gateway.CouponOpIssue: model.CouponOperationTypeIssue, gateway.CouponOpManualReclaim: model.CouponOperationTypeManualReclaim,
	gateway.CouponOpUnbindReclaim: model.CouponOperationTypeUnbindReclaim, gateway.CouponOpExpiryReclaim: model.CouponOperationTypeExpiryReclaim,
	gateway.CouponOpUnsubscribeReclaim: model.CouponOperationTypeUnsubscribeReclaim, gateway.CouponOpRefundRevoke: model.CouponOperationTypeRefundRevoke,
	gateway.CouponOpAssociationReclaim: model.CouponOperationTypeAssociationReclaim, gateway.CouponOpModeSwitchReclaim: model.CouponOperationTypeModeSwitchReclaim,
	gateway.CouponOpResellerTransfer: model.CouponOperationTypeResellerTransfer,
}

// maxFilterID bounds the ids a filter sends upstream.
const maxFilterID = 128

// filterID checks an optional id filter: at most maxFilterID printable
// characters.
func filterID(field string, v *string) (string, error) {
	if v == nil {
		return "", nil
	}
	if len(*v) > maxFilterID {
		return "", badInput("%s must be at most %d characters", field, maxFilterID)
	}
	if err := validText(field, v); err != nil {
		return "", err
	}
	return strings.TrimSpace(*v), nil
}

// timeRange checks an optional RFC 3339 range and gives it in the
// upstream's form.
func timeRange(fromField, toField string, from, to *string) (string, string, error) {
	f, hasFrom, err := validTime(fromField, from)
	if err != nil {
		return "", "", err
	}
	t, hasTo, err := validTime(toField, to)
	if err != nil {
		return "", "", err
	}
	if hasFrom && hasTo && t.Before(f) {
		return "", "", badInput("%s is after %s", fromField, toField)
	}
	return gateway.RecordTime(f), gateway.RecordTime(t), nil
}

// issuedCouponQuery turns the filter into the upstream's, checking it first.
func issuedCouponQuery(p gateway.Window, f *model.IssuedCouponFilter) (gateway.IssuedCouponQuery, error) {
	q := gateway.IssuedCouponQuery{Window: p}
	if f == nil {
		return q, nil
	}
	var err error
	if q.CouponID, err = filterID("filter.couponId", f.CouponID); err != nil {
		return q, err
	}
	if q.CustomerID, err = filterID("filter.customerId", f.CustomerID); err != nil {
		return q, err
	}
	if q.OrderID, err = filterID("filter.orderId", f.OrderID); err != nil {
		return q, err
	}
	if f.Type != nil {
		q.Type = couponTypes[*f.Type]
	}
	if f.Status != nil {
		q.Status = couponStatuses[*f.Status]
	}
	if q.CreatedFrom, q.CreatedTo, err = timeRange("filter.createdFrom", "filter.createdTo", f.CreatedFrom, f.CreatedTo); err != nil {
		return q, err
	}
	if q.EffectiveFrom, q.EffectiveTo, err = timeRange("filter.effectiveFrom", "filter.effectiveTo", f.EffectiveFrom, f.EffectiveTo); err != nil {
		return q, err
	}
	if q.ExpireFrom, q.ExpireTo, err = timeRange("filter.expiresFrom", "filter.expiresTo", f.ExpiresFrom, f.ExpiresTo); err != nil {
		return q, err
	}
	return q, nil
}

// listIssuedCoupons pages the coupons the partner (or reseller) of s
// issued; the page's records are read together when asked for.
func (r *Resolver) listIssuedCoupons(ctx context.Context, s gateway.Scope, q gateway.IssuedCouponQuery) (*model.CouponConnection, error) {
	l, err := r.upstream.IssuedCouponList(ctx, s, q)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(l.Coupons))
	for i, cp := range l.Coupons {
		ids[i] = cp.ID
	}
	pg := loader.NewCouponPage(s, ids)
	p := q.Window
	conn := &model.CouponConnection{Edges: make([]*model.CouponEdge, len(l.Coupons)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Coupons), l.Total)}
	for i, cp := range l.Coupons {
		conn.Edges[i] = &model.CouponEdge{Cursor: cursor(p.Offset + i), Node: &model.Coupon{
			CouponID: cp.ID, CustomerID: opt(cp.CustomerID), CouponType: cp.Type, Status: cp.Status,
			FaceValue: optMoney(cp.FaceValue), Balance: optMoney(cp.Balance),
			EffectiveTime: opt(cp.EffectiveTime), ExpireTime: opt(cp.ExpireTime), CreateTime: opt(cp.CreateTime),
			Memo: cp.Memo, IssuerPartnerID: s.PartnerID(), // the remark resolver shows Memo to the issuer only
			Scope: s, Page: pg,
		}}
	}
	return conn, nil
}

// couponRecordQuery turns the filter into the upstream's, checking it first.
func couponRecordQuery(p gateway.Window, f *model.CouponRecordFilter) (gateway.CouponRecordQuery, error) {
	q := gateway.CouponRecordQuery{Window: p}
	if f == nil {
		return q, nil
	}
	var err error
	for _, op := range f.OperationTypes {
		code, _ := keyOf(couponOps, op)
		q.OperationTypes = append(q.OperationTypes, code)
	}
	if q.QuotaID, err = filterID("filter.quotaId", f.QuotaID); err != nil {
		return q, err
	}
	if f.QuotaType != nil {
		t := gateway.QuotaVoucher
		if *f.QuotaType == model.QuotaTypeCash {
			t = gateway.QuotaCash
		}
		q.QuotaType = &t
	}
	if len(f.CouponIds) > 0 {
		if err := validIDs("filter.couponIds", f.CouponIds); err != nil {
			return q, err
		}
		for i := range f.CouponIds {
			if _, err := filterID("filter.couponIds", &f.CouponIds[i]); err != nil {
				return q, err
			}
		}
		q.CouponIDs = f.CouponIds
	}
	if q.CustomerID, err = filterID("filter.customerId", f.CustomerID); err != nil {
		return q, err
	}
	if q.From, q.To, err = timeRange("filter.from", "filter.to", f.From, f.To); err != nil {
		return q, err
	}
	if f.Succeeded != nil {
		q.Result = "-1"
		if *f.Succeeded {
			q.Result = "0"
		}
	}
	return q, nil
}

// remarkVisible says whether the caller is the partner (or reseller) whose
// records s reads: only it sees their remarks.
func remarkVisible(ctx context.Context, s gateway.Scope) bool {
	p, err := principal(ctx)
	return err == nil && p.Role != identity.RoleCustomer && p.PartnerID == s.PartnerID()
}

func couponRecordModel(rec gateway.CouponRecord, showRemark bool) *model.CouponRecord {
	m := &model.CouponRecord{
		ID: rec.ID, OperationType: lookup(couponOps, rec.OperationType), QuotaID: opt(rec.QuotaID), CouponID: opt(rec.CouponID),
		CustomerID: opt(rec.CustomerID), Amount: optMoney(rec.Amount), OperationTime: opt(rec.OperationTime), Succeeded: rec.Result != "-1",
	}
	if rec.QuotaType != nil {
		t := model.QuotaTypeVoucher
		if *rec.QuotaType == gateway.QuotaCash {
			t = model.QuotaTypeCash
		}
		m.QuotaType = &t
	}
	if showRemark {
		m.Remark = opt(rec.Remark)
	}
	return m
}

// listCouponRecords pages the coupon records of the partner (or reseller)
// of s.
func (r *Resolver) listCouponRecords(ctx context.Context, s gateway.Scope, q gateway.CouponRecordQuery) (*model.CouponRecordConnection, error) {
	l, err := r.upstream.CouponRecords(ctx, s, q)
	if err != nil {
		return nil, err
	}
	show := remarkVisible(ctx, s)
	p := q.Window
	conn := &model.CouponRecordConnection{Edges: make([]*model.CouponRecordEdge, len(l.Records)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Records), l.Total)}
	for i, rec := range l.Records {
		conn.Edges[i] = &model.CouponRecordEdge{Cursor: cursor(p.Offset + i), Node: couponRecordModel(rec, show)}
	}
	return conn, nil
}

// reclaimedAmounts fills in what each reclaimed coupon gave back, from its
// reclaim record (one ListPartnerCouponsRecord call for the batch; the
// reclaim answer itself carries no amount). Best effort: the coupons were
// reclaimed whatever this read gives.
func (r *Resolver) reclaimedAmounts(ctx context.Context, s gateway.Scope, results []*model.ItemResult) {
	var ids []string
	for _, it := range results {
		if it.Ok {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	l, err := r.upstream.CouponRecords(ctx, s, gateway.CouponRecordQuery{Window: gateway.Window{Limit: gateway.MaxPageSize},
		OperationTypes: []string{gateway.CouponOpManualReclaim}, CouponIDs: ids, Result: "0"})
	if err != nil {
		return
	}
	amount := map[string]*gateway.Money{}
	for _, rec := range l.Records { // newest first: the first is this reclaim
		if _, seen := amount[rec.CouponID]; !seen && rec.Amount != nil {
			amount[rec.CouponID] = rec.Amount
		}
	}
	for _, it := range results {
		if it.Ok {
			it.Amount = optMoney(amount[it.ID])
		}
	}
}

// resellerReadable says whether the caller may read reseller obj's own
// records, coupons and setting: its tier-1, or the reseller itself.
func (r *Resolver) resellerReadable(ctx context.Context, obj *model.Reseller) bool {
	p, err := principal(ctx)
	if err != nil || p.Role == identity.RoleCustomer || obj.Scope.Indirect != obj.ResellerID {
		return false
	}
	return r.canUse(ctx, p, obj.Scope, "")
}
