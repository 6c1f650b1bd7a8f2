package gateway

// ---- Reconciliation of money moves (issue 4) ----
//
// The upstream has no idempotency keys, so a money call that ends without
// an answer must never simply be retried. Instead the gateway looks for the
// move in the upstream's own records:
//
//	customer funds   ListPartnerAdjustRecords   (customer, operation type, time ≥ since, amount)
//	reseller funds   ListPartnerAccountChangeRecords (tier-1 ledger: ADJUST/RETRIEVE, counterparty, time ≥ since, amount)
//	coupon quotas    ListCouponQuotasRecords    (10 issue / 11 reclaim, parent or child quota, time ≥ since)
//	coupons          ListPartnerCouponsRecord   (1 issue / 2 reclaim, quota or coupon, customer, time ≥ since, amount)
//
// and answers from them:
//
//   - found: the move happened; the answer is a success carrying the
//     record's ids, marked Reconciled;
//   - not found after a dropped connection, a 5xx or a 429: nothing was
//     applied; UPSTREAM_UNAVAILABLE wrapping ErrNotApplied (retry is safe);
//   - not found after a timeout, or the records could not be read: the move
//     may still be in flight; UPSTREAM_UNAVAILABLE wrapping
//     ErrOutcomeUnknown. The idempotency reservation is then kept, so a
//     retry with the same key after the lease reconciles again
//     (MoveOpts.CheckFirst) instead of calling blind.
//
// Records carry no request id of ours, so a move is recognised by its
// target, amount and time, from ReconcileSkew before the call (clock skew).
// Just before calling, the gateway snapshots the matching records that
// already exist (one extra read per move) and ignores them afterwards, so an
// identical earlier move is never taken for ours. The remaining limit of
// reconciling without upstream idempotency keys: an identical move to the
// same target made by someone else *during* our call would be taken for
// ours. After a takeover (CheckFirst) there is no snapshot: any identical
// move since MoveOpts.Since counts.

import (
	"context"
	"errors"
	"time"

	"partnergraph/apierr"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// finder looks for a move in the upstream's records from since on,
// ignoring the record ids in exclude. matched lists every matching record
// id (for the pre-call snapshot).
type finder[T any] func(ctx context.Context, since time.Time, exclude map[string]bool) (v T, found bool, matched []string, err error)

// ReconcileSkew is how far before the call the record search starts.
const ReconcileSkew = 5 * time.Second

// ReconcileWindow is how far back CheckFirst searches when MoveOpts.Since
// is not set: longer than the idempotency lease (2m) plus a call.
const ReconcileWindow = 5 * time.Minute

const recordTime = "2006-01-02T15:04:05Z"

// moveOnce runs do at most once and reconciles when it ends without an
// answer (see the file comment).
func moveOnce[T any](ctx context.Context, c *Client, o MoveOpts, find finder[T], do func(context.Context) (T, error)) (T, error) {
	var zero T
	start := time.Now()
	if o.CheckFirst {
		since := o.Since
		if since.IsZero() {
			since = start.Add(-ReconcileWindow)
		}
		rctx, cancel := reconcileCtx(ctx, c)
		v, found, _, err := find(rctx, since.Add(-ReconcileSkew), nil)
		cancel()
		if err != nil {
			return zero, outcomeUnknown("", err)
		}
		if found {
			return v, nil
		}
	}
	// Snapshot the matching records that already exist, so that an
	// identical move made just before ours is never taken for ours.
	_, _, before, err := find(ctx, start.Add(-ReconcileSkew), nil)
	if err != nil {
		return zero, err // nothing was attempted yet
	}
	seen := make(map[string]bool, len(before))
	for _, id := range before {
		seen[id] = true
	}
	v, err := do(ctx)
	if err == nil || apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
		return v, err
	}
	rctx, cancel := reconcileCtx(ctx, c)
	defer cancel()
	v, found, _, ferr := find(rctx, start.Add(-ReconcileSkew), seen)
	switch {
	case ferr != nil:
		return zero, outcomeUnknown(opOf(err), errors.Join(err, ferr))
	case found:
		return v, nil
	case errors.Is(err, context.DeadlineExceeded):
		// The call may still be running upstream: "not yet in the records"
		// proves nothing.
		return zero, outcomeUnknown(opOf(err), err)
	}
	return zero, &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Op: opOf(err), Err: errors.Join(ErrNotApplied, err),
		Message: "the upstream did not answer, and its records show the operation was not applied; it is safe to retry", RequestID: reqOf(err)}
}

func outcomeUnknown(op string, err error) *apierr.Error {
	return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Op: op, Err: errors.Join(ErrOutcomeUnknown, err),
		Message: "the upstream did not answer and the outcome could not be established yet; retry with the same idempotency key in a few minutes: the gateway checks the upstream's records before calling again"}
}

func opOf(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Op
	}
	return ""
}

func reqOf(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.RequestID
	}
	return ""
}

// reconcileCtx survives the caller's cancellation: the answer to a money
// move must be established even when the client went away.
func reconcileCtx(ctx context.Context, c *Client) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*c.cfg.CallTimeout)
}

func recTime(s string) (time.Time, bool) {
	for _, l := range []string{recordTime, time.RFC3339, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// after reports whether a record time is at or after since; unparsable
// times count as inside the window (the query already filtered by time).
func after(s string, since time.Time) bool {
	t, ok := recTime(s)
	return !ok || !t.Before(since.Truncate(time.Second))
}

func decEq(a *decimal.Decimal, b decimal.Decimal) bool { return a != nil && a.Equal(b) }

func strEq(a *string, b decimal.Decimal) bool {
	if a == nil {
		return false
	}
	d, err := decimal.NewFromString(*a)
	return err == nil && d.Abs().Equal(b)
}

func (c *Client) findAdjust(ctx context.Context, s Scope, customerID string, amount decimal.Decimal, allocate bool, since time.Time, exclude map[string]bool) (Transfer, bool, []string, error) {
	op := "SOURCE_OPERATION_BERETRIEVE"
	if allocate {
		op = "SOURCE_OPERATION_BEADJUST"
	}
	req := &model.ListPartnerAdjustRecordsRequest{CustomerId: &customerID, OperationType: &op, OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
		Offset: ptr(int32(0)), Limit: ptr(int32(100)), IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListPartnerAdjustRecords", func(cl *bss.BssClient) (*model.ListPartnerAdjustRecordsResponse, error) {
		return cl.ListPartnerAdjustRecords(req)
	})
	if err != nil || resp.Records == nil {
		return Transfer{}, false, nil, err
	}
	var out Transfer
	var ids []string
	for _, r := range *resp.Records {
		if str(r.CustomerId) == customerID && str(r.OperationType) == op && strEq(r.Amount, amount) && after(str(r.OperationTime), since) {
			ids = append(ids, str(r.TransId))
			if out.ID == "" && !exclude[str(r.TransId)] {
				out = Transfer{ID: str(r.TransId), Reconciled: true}
			}
		}
	}
	return out, out.ID != "", ids, nil
}

func (c *Client) findResellerChange(ctx context.Context, s Scope, resellerID string, amount decimal.Decimal, allocate bool, since time.Time, exclude map[string]bool) (Transfer, bool, []string, error) {
	tt := "RETRIEVE"
	if allocate {
		tt = "ADJUST"
	}
	day := since.In(time.FixedZone("UTC+8", 8*3600)).Format("2006-01-02")
	req := &model.ListPartnerAccountChangeRecordsRequest{BalanceType: "BALANCE_TYPE_DEBIT", TradeType: &tt, TradeTimeBegin: &day, Offset: ptr(int32(0)), Limit: ptr(int32(100))}
	resp, err := call(ctx, c, s, "ListPartnerAccountChangeRecords", func(cl *bss.BssClient) (*model.ListPartnerAccountChangeRecordsResponse, error) {
		return cl.ListPartnerAccountChangeRecords(req)
	})
	if err != nil || resp.Records == nil {
		return Transfer{}, false, nil, err
	}
	var out Transfer
	var ids []string
	for _, r := range *resp.Records {
		if str(r.CustomerId) == resellerID && str(r.TradeDetailType) == tt && strEq(r.ChangeAmount, amount) && after(str(r.TradeTime), since) {
			ids = append(ids, str(r.AccountChangeId))
			if out.ID == "" && !exclude[str(r.AccountChangeId)] {
				out = Transfer{ID: str(r.TradeId), Reconciled: true}
			}
		}
	}
	return out, out.ID != "", ids, nil
}

func (c *Client) quotaRecords(ctx context.Context, s Scope, parent, op string, since time.Time) ([]model.QuotaRecord, error) {
	req := &model.ListCouponQuotasRecordsRequest{ParentQuotaId: optStr(parent), OperationType: &op, OperationTimeBegin: ptr(since.UTC().Format(recordTime)), Offset: ptr(int32(0)), Limit: ptr(int32(100))}
	resp, err := call(ctx, c, s, "ListCouponQuotasRecords", func(cl *bss.BssClient) (*model.ListCouponQuotasRecordsResponse, error) {
		return cl.ListCouponQuotasRecords(req)
	})
	if err != nil || resp.Records == nil {
		return nil, err
	}
	return *resp.Records, nil
}

// notApplied marks the items a reconciliation found no record of.
func notApplied(id string) ItemResult {
	return ItemResult{ID: id, ErrorCode: "NOT_APPLIED", ErrorMessage: "the upstream did not answer and its records show no such change"}
}

func (c *Client) findQuotaIssue(ctx context.Context, s Scope, quotaID string, resellerIDs []string, amount decimal.Decimal, since time.Time, exclude map[string]bool) (BatchResult, bool, []string, error) {
	recs, err := c.quotaRecords(ctx, s, quotaID, "10", since)
	if err != nil {
		return BatchResult{}, false, nil, err
	}
	got := map[string]string{}
	var ids []string
	for _, r := range recs {
		id := str(r.IndirectPartnerId)
		if str(r.Result) != "-1" && decEq(r.Amount, amount) && after(str(r.OperationTime), since) {
			ids = append(ids, str(r.Id))
			if _, dup := got[id]; !dup && !exclude[str(r.Id)] {
				got[id] = str(r.QuotaId)
			}
		}
	}
	out, any := BatchResult{Reconciled: true}, false
	for _, id := range resellerIDs {
		if q, ok := got[id]; ok {
			out.Items, any = append(out.Items, ItemResult{ID: id, OK: true, CreatedID: q}), true
		} else {
			out.Items = append(out.Items, notApplied(id))
		}
	}
	return out, any, ids, nil
}

func (c *Client) findQuotaReclaim(ctx context.Context, s Scope, quotaIDs []string, since time.Time, exclude map[string]bool) (BatchResult, bool, []string, error) {
	recs, err := c.quotaRecords(ctx, s, "", "11", since)
	if err != nil {
		return BatchResult{}, false, nil, err
	}
	got := map[string]*Money{}
	var ids []string
	for _, r := range recs {
		if str(r.Result) != "-1" && after(str(r.OperationTime), since) {
			ids = append(ids, str(r.Id))
			if _, dup := got[str(r.QuotaId)]; !dup && !exclude[str(r.Id)] {
				got[str(r.QuotaId)] = decMoney(r.Amount, defaultCurrency)
			}
		}
	}
	out, any := BatchResult{Reconciled: true}, false
	for _, id := range quotaIDs {
		if m, ok := got[id]; ok {
			out.Items, any = append(out.Items, ItemResult{ID: id, OK: true, Amount: m}), true
		} else {
			out.Items = append(out.Items, notApplied(id))
		}
	}
	return out, any, ids, nil
}

func (c *Client) couponRecords(ctx context.Context, s Scope, op, quotaID string, couponIDs []string, since time.Time) ([]model.CouponRecordV2, error) {
	req := &model.ListPartnerCouponsRecordRequest{OperationTypes: &[]string{op}, QuotaId: optStr(quotaID), OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
		Offset: ptr(int32(0)), Limit: ptr(int32(100)), IndirectPartnerId: optStr(s.Indirect)}
	if len(couponIDs) > 0 {
		req.CouponIds = &couponIDs
	}
	resp, err := call(ctx, c, s, "ListPartnerCouponsRecord", func(cl *bss.BssClient) (*model.ListPartnerCouponsRecordResponse, error) {
		return cl.ListPartnerCouponsRecord(req)
	})
	if err != nil || resp.Records == nil {
		return nil, err
	}
	return *resp.Records, nil
}

func (c *Client) findCouponIssue(ctx context.Context, s Scope, in CouponIssue, since time.Time, exclude map[string]bool) (BatchResult, bool, []string, error) {
	recs, err := c.couponRecords(ctx, s, "1", in.QuotaID, nil, since)
	if err != nil {
		return BatchResult{}, false, nil, err
	}
	got := map[string]string{}
	var ids []string
	for _, r := range recs {
		id := str(r.CustomerId)
		if str(r.Result) != "-1" && decEq(r.OperationAmount, in.FaceValue) && after(str(r.OperationTime), since) {
			ids = append(ids, str(r.Id))
			if _, dup := got[id]; !dup && !exclude[str(r.Id)] {
				got[id] = str(r.CouponId)
			}
		}
	}
	out, any := BatchResult{Reconciled: true}, false
	for _, id := range in.CustomerIDs {
		if cp, ok := got[id]; ok {
			out.Items, any = append(out.Items, ItemResult{ID: id, OK: true, CreatedID: cp}), true
		} else {
			out.Items = append(out.Items, notApplied(id))
		}
	}
	return out, any, ids, nil
}

func (c *Client) findCouponReclaim(ctx context.Context, s Scope, couponID string, since time.Time, exclude map[string]bool) (Transfer, bool, []string, error) {
	recs, err := c.couponRecords(ctx, s, "2", "", []string{couponID}, since)
	if err != nil {
		return Transfer{}, false, nil, err
	}
	var out Transfer
	var ids []string
	for _, r := range recs {
		if str(r.CouponId) == couponID && str(r.Result) != "-1" && after(str(r.OperationTime), since) {
			ids = append(ids, str(r.Id))
			if out.ID == "" && !exclude[str(r.Id)] {
				out = Transfer{ID: couponID, Reconciled: true}
			}
		}
	}
	return out, out.ID != "", ids, nil
}

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
