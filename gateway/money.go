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
	"partnergraph/apierr"
	"time"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// ErrOutcomeUnknown is wrapped by the UPSTREAM_UNAVAILABLE error of a money
// move whose call failed without an answer and whose effect could not be
// established from the upstream's records either. The move may or may not
// have been applied: callers must not release an idempotency reservation
// for it (a retry after the lease reconciles again).
var ErrOutcomeUnknown = errors.New("outcome of the money move is unknown")

// ErrNotApplied is wrapped by the UPSTREAM_UNAVAILABLE error of a money move
// whose call failed without an answer but whose effect is provably absent
// from the upstream's records: a retry is safe.
var ErrNotApplied = errors.New("the money move was not applied")

// MoveOpts tune one money move.
type MoveOpts struct {
	// CheckFirst reconciles before calling: set it when an earlier attempt
	// with the same idempotency key died mid-call (idempotency
	// Outcome.TakenOver). When the records show the move, it is returned
	// and the upstream is not called again.
	CheckFirst bool
	// Since is where the record search starts for CheckFirst (the earlier
	// attempt's start at the latest); zero means ReconcileWindow ago.
	Since time.Time
}

// Transfer is the outcome of a funds move.
type Transfer struct {
	// ID is the upstream's transfer_id (allocations) or trans_id (reclaims).
	ID string
	// Reconciled is set when ID comes from the upstream's records, after the
	// call itself ended without an answer.
	Reconciled bool
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

// CouponIssue is what CreatePartnerCoupons needs.
type CouponIssue struct {
	QuotaID     string
	CustomerIDs []string
	FaceValue   decimal.Decimal
	ValidFrom   string // RFC 3339 / yyyy-MM-ddTHH:mm:ssZ, optional
	ExpireTime  string // optional
	Memo        string
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
