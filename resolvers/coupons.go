package resolvers

import (
	"context"
	"time"

	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/verify"
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
