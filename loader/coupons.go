package loader

import (
	"context"
	"slices"

	"github.com/graph-gophers/dataloader/v7"

	"partnergraph/gateway"
)

func (l *Loaders) batchQuotas(ctx context.Context, keys []Key) []*dataloader.Result[[]gateway.Quota] {
	ctx, end := batch(ctx, "resellerQuotas", len(keys))
	defer end()
	out := make([]*dataloader.Result[[]gateway.Quota], len(keys))
	parallel(len(keys), func(i int) {
		q, err := l.allIssuedQuotas(ctx, keys[i].Scope, keys[i].ID)
		out[i] = &dataloader.Result[[]gateway.Quota]{Error: err}
		if err == nil {
			out[i].Data = q
		}
	})
	return out
}

// maxQuotaPages bounds how many pages of issued quotas one read walks.
const maxQuotaPages = 20

// allIssuedQuotas walks ListIssuedCouponQuotas (100 per call) for one
// reseller, or for all resellers when resellerID is empty.
func (l *Loaders) allIssuedQuotas(ctx context.Context, s gateway.Scope, resellerID string) ([]gateway.Quota, error) {
	var all []gateway.Quota
	for p := 0; p < maxQuotaPages; p++ {
		res, err := l.src.IssuedQuotas(ctx, s, gateway.IssuedQuotaQuery{Window: gateway.Window{Offset: p * gateway.MaxPageSize, Limit: gateway.MaxPageSize}, ResellerID: resellerID})
		if err != nil {
			return nil, err
		}
		all = append(all, res.Quotas...)
		if len(res.Quotas) < gateway.MaxPageSize || len(all) >= res.Total {
			break
		}
	}
	return all, nil
}

// ResellerQuotas returns the child quotas a tier-1 (scope) issued to a
// reseller. With a page of resellers, all issued quotas are read once
// (100 per call) and grouped by reseller.
func (l *Loaders) ResellerQuotas(ctx context.Context, tier1 gateway.Scope, resellerID string, p *Page) ([]gateway.Quota, error) {
	if p != nil {
		err := p.quotas.do(func() error {
			l.prefetch.Lock()
			defer l.prefetch.Unlock()
			ks := missing(ctx, l.quotasCache, p.keys())
			if len(ks) == 0 {
				return nil
			}
			ctx, end := batch(ctx, "resellerQuotas", len(ks))
			all, err := l.allIssuedQuotas(ctx, p.Scope, "")
			end()
			if err != nil {
				return err
			}
			by := map[string][]gateway.Quota{}
			for _, q := range all {
				by[q.ResellerID] = append(by[q.ResellerID], q)
			}
			p.quotaLists = make(map[string][]gateway.Quota, len(ks))
			for _, k := range ks {
				l.quotas.Prime(ctx, k, by[k.ID])
				p.quotaLists[k.ID] = by[k.ID]
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if v, ok := p.quotaLists[resellerID]; ok && tier1 == p.Scope {
			return v, nil
		}
	}
	return l.quotas.Load(ctx, Key{Scope: tier1, ID: resellerID})()
}

// CouponPage is a page of coupons listed together under one scope (their
// issuer's). Their records (Coupon.records) are read for the whole page
// on first use: ListPartnerCouponsRecord takes many coupon ids, so a page
// of N coupons costs ceil(R/100) calls for its R records, whatever N.
type CouponPage struct {
	Scope gateway.Scope
	IDs   []string

	records onceErr
	// byCoupon holds what the page's records read fetched, written inside
	// the once and read after it.
	byCoupon map[string][]gateway.CouponRecord
}

// NewCouponPage returns a page of coupon ids read under s.
func NewCouponPage(s gateway.Scope, ids []string) *CouponPage { return &CouponPage{Scope: s, IDs: ids} }

// maxCouponRecordPages bounds one page's records read: at most 1 000
// records (a coupon has a handful: its issue, reclaims, expiry).
const maxCouponRecordPages = 10

// CouponRecords returns the records of coupon id, one of p's, in the
// upstream's order (newest first).
func (l *Loaders) CouponRecords(ctx context.Context, p *CouponPage, id string) ([]gateway.CouponRecord, error) {
	err := p.records.do(func() error {
		p.byCoupon = map[string][]gateway.CouponRecord{}
		if len(p.IDs) == 0 {
			return nil
		}
		ids := slices.Compact(slices.Sorted(slices.Values(p.IDs)))
		read := 0
		for pg := 0; pg < maxCouponRecordPages; pg++ {
			res, err := l.src.CouponRecords(ctx, p.Scope, gateway.CouponRecordQuery{
				Window: gateway.Window{Offset: pg * gateway.MaxPageSize, Limit: gateway.MaxPageSize}, CouponIDs: ids})
			if err != nil {
				return err
			}
			for _, r := range res.Records {
				p.byCoupon[r.CouponID] = append(p.byCoupon[r.CouponID], r)
			}
			read += len(res.Records)
			if len(res.Records) < gateway.MaxPageSize || read >= res.Total {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p.byCoupon[id], nil
}
