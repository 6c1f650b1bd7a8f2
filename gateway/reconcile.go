package gateway

// Reconciliation of money moves: funds (funds.go), coupon quotas and
// coupons (coupons.go).
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
	"slices"
	"time"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"

	"partnergraph/apierr"
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

// finder looks for a move in the upstream's records from since on,
// ignoring the record ids in exclude. matched lists every matching record
// id (for the pre-call snapshot).
type finder[T any] func(ctx context.Context, since time.Time, exclude map[string]bool) (v T, found bool, matched []string, err error)

// ReconcileSkew is how far before the call the record search starts.
const ReconcileSkew = 5 * time.Second

// ReconcileWindow is how far back CheckFirst searches when MoveOpts.Since
// is not set: longer than the idempotency lease (2m) plus a call.
const ReconcileWindow = 5 * time.Minute

// recordTime is the time format of the upstream's record searches.
const recordTime = "2006-01-02T15:04:05Z"

// move is one money move: the SDK call op with req, made at most once and
// reconciled with find when it ends without an answer (moveOnce); answer
// reads the move's outcome from the upstream's answer.
func move[Req, Resp, T any](ctx context.Context, c *Client, s Scope, o MoveOpts, find finder[T], op string, method sdkMethod[Req, Resp], req Req, answer func(Resp) T) (T, error) {
	return moveOnce(ctx, c, o, find, func(ctx context.Context) (T, error) {
		resp, err := call(ctx, c, s, op, method, req)
		if err != nil {
			var zero T
			return zero, err
		}
		return answer(resp), nil
	})
}

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
	op, requestID := upstreamOf(err)
	rctx, cancel := reconcileCtx(ctx, c)
	defer cancel()
	v, found, _, ferr := find(rctx, start.Add(-ReconcileSkew), seen)
	switch {
	case ferr != nil:
		return zero, outcomeUnknown(op, errors.Join(err, ferr))
	case found:
		return v, nil
	case errors.Is(err, context.DeadlineExceeded):
		// The call may still be running upstream: "not yet in the records"
		// proves nothing.
		return zero, outcomeUnknown(op, err)
	}
	return zero, &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Op: op, Err: errors.Join(ErrNotApplied, err),
		Message: "the upstream did not answer, and its records show the operation was not applied; it is safe to retry", RequestID: requestID}
}

// outcomeUnknown is the error of a move that may or may not have been
// applied.
func outcomeUnknown(op string, err error) *apierr.Error {
	return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Op: op, Err: errors.Join(ErrOutcomeUnknown, err),
		Message: "the upstream did not answer and the outcome could not be established yet; retry with the same idempotency key in a few minutes: the gateway checks the upstream's records before calling again"}
}

// upstreamOf is the operation and upstream request id err names.
func upstreamOf(err error) (op, requestID string) {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Op, e.RequestID
	}
	return "", ""
}

// reconcileCtx survives the caller's cancellation: the answer to a money
// move must be established even when the client went away.
func reconcileCtx(ctx context.Context, c *Client) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*c.cfg.CallTimeout)
}

// recTime parses a record time in any of the forms the upstream's records
// use.
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

// isAmount reports whether a record's amount is amount.
func isAmount(m *Money, amount decimal.Decimal) bool { return m != nil && m.Amount.Equal(amount) }

// isAbsAmount is isAmount for the account ledgers, which sign amounts by
// direction.
func isAbsAmount(m *Money, amount decimal.Decimal) bool {
	return m != nil && m.Amount.Abs().Equal(amount)
}

// searchLimit is how many records one reconciliation reads: the search
// starts just before the call and is narrowed to the move's kind and
// target, so more would mean a flood of identical moves.
const searchLimit = 100

// record is how a finder reads one upstream record.
type record[V any] struct {
	id     string // the record's own id: what the pre-call snapshot keeps
	target string // the customer, reseller, quota or coupon the move was for
	value  V      // what the answer reports of the move
	match  bool   // the record is a move like the one looked for
}

// lookFor is the finder that reads the records list returns from since on
// and tells each with read; answer turns the first new matching record per
// target into the finder's answer.
func lookFor[R, V, T any](list func(ctx context.Context, since time.Time) ([]R, error), read func(r R, since time.Time) record[V], answer func(first map[string]V) (T, bool)) finder[T] {
	return func(ctx context.Context, since time.Time, exclude map[string]bool) (T, bool, []string, error) {
		recs, err := list(ctx, since)
		if err != nil {
			var zero T
			return zero, false, nil, err
		}
		first, matched := firstNew(recs, exclude, func(r R) record[V] { return read(r, since) })
		v, found := answer(first)
		return v, found, matched, nil
	}
}

// firstNew goes through the records a move may have left: every matching
// record's id is in matched (the pre-call snapshot), and first holds, per
// target, the value of the first matching record not in exclude.
func firstNew[R, V any](recs []R, exclude map[string]bool, read func(R) record[V]) (first map[string]V, matched []string) {
	first = map[string]V{}
	for _, r := range recs {
		rec := read(r)
		if !rec.match {
			continue
		}
		matched = append(matched, rec.id)
		if _, dup := first[rec.target]; !dup && !exclude[rec.id] {
			first[rec.target] = rec.value
		}
	}
	return first, matched
}

// transferTo is the answer of a finder of one funds or coupon move: the
// transfer id recorded for target.
func transferTo(target string) func(first map[string]string) (Transfer, bool) {
	return func(first map[string]string) (Transfer, bool) {
		id, ok := first[target]
		if !ok {
			return Transfer{}, false
		}
		return Transfer{ID: id, Reconciled: true}, true
	}
}

// reconciled is the answer of a finder of a batch move: one item per
// requested id, ok's where the records show it, else not applied; found
// when any is.
func reconciled(ids []string, ok func(id string) (ItemResult, bool)) (out BatchResult, found bool) {
	out = BatchResult{Items: items(ids, ok, notApplied), Reconciled: true}
	return out, slices.ContainsFunc(out.Items, func(it ItemResult) bool { return it.OK })
}

// notApplied marks the items a reconciliation found no record of.
func notApplied(id string) ItemResult {
	return ItemResult{ID: id, ErrorCode: "NOT_APPLIED", ErrorMessage: "the upstream did not answer and its records show no such change"}
}

// findAdjust finds a customer funds move in the adjust records: opType
// (adjustAllocated or adjustReclaimed) of amount to the customer.
func (c *Client) findAdjust(s Scope, customerID string, amount decimal.Decimal, opType string) finder[Transfer] {
	list := func(ctx context.Context, since time.Time) ([]AdjustRecord, error) {
		req := &model.ListPartnerAdjustRecordsRequest{CustomerId: &customerID, OperationType: &opType, OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
			Offset: ptr(int32(0)), Limit: ptr(int32(searchLimit)), IndirectPartnerId: optStr(s.Indirect)}
		l, err := c.adjustRecords(ctx, s, req)
		return l.Records, err
	}
	read := func(r AdjustRecord, since time.Time) record[string] {
		return record[string]{id: r.TransID, target: r.CustomerID, value: r.TransID,
			match: r.CustomerID == customerID && r.OperationType == opType && isAbsAmount(r.Amount, amount) && after(r.OperationTime, since)}
	}
	return lookFor(list, read, transferTo(customerID))
}

// findResellerChange finds a reseller funds move in the tier-1's account
// changes: tradeType (tradeAdjust or tradeRetrieve) of amount with the
// reseller. The upstream filters those by day (UTC+8) only.
func (c *Client) findResellerChange(s Scope, resellerID string, amount decimal.Decimal, tradeType string) finder[Transfer] {
	list := func(ctx context.Context, since time.Time) ([]AccountChangeRecord, error) {
		day := since.In(time.FixedZone("UTC+8", 8*3600)).Format("2006-01-02")
		req := &model.ListPartnerAccountChangeRecordsRequest{BalanceType: BalanceDebit, TradeType: &tradeType, TradeTimeBegin: &day,
			Offset: ptr(int32(0)), Limit: ptr(int32(searchLimit))}
		l, err := c.accountChanges(ctx, s, req)
		return l.Records, err
	}
	read := func(r AccountChangeRecord, since time.Time) record[string] {
		return record[string]{id: r.ID, target: r.CustomerID, value: r.TradeID,
			match: r.CustomerID == resellerID && r.TradeType == tradeType && isAbsAmount(r.Change, amount) && after(r.TradeTime, since)}
	}
	return lookFor(list, read, transferTo(resellerID))
}

// Quota record operation types.
const (
	quotaIssued    = "10"
	quotaReclaimed = "11"
)

// quotaMoves lists the quota records of opType (quotaIssued or
// quotaReclaimed) from since on, of the children of parent when set.
func (c *Client) quotaMoves(s Scope, parent, opType string) func(ctx context.Context, since time.Time) ([]QuotaRecord, error) {
	return func(ctx context.Context, since time.Time) ([]QuotaRecord, error) {
		req := &model.ListCouponQuotasRecordsRequest{ParentQuotaId: optStr(parent), OperationType: &opType, OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
			Offset: ptr(int32(0)), Limit: ptr(int32(searchLimit))}
		l, err := c.quotaRecords(ctx, s, req)
		return l.Records, err
	}
}

// findQuotaIssue finds the child quotas of amount cut from quotaID for the
// resellers.
func (c *Client) findQuotaIssue(s Scope, quotaID string, resellerIDs []string, amount decimal.Decimal) finder[BatchResult] {
	read := func(r QuotaRecord, since time.Time) record[string] {
		return record[string]{id: r.ID, target: r.ResellerID, value: r.QuotaID,
			match: r.Result != "-1" && isAmount(r.Amount, amount) && after(r.OperationTime, since)}
	}
	return lookFor(c.quotaMoves(s, quotaID, quotaIssued), read, func(newQuota map[string]string) (BatchResult, bool) {
		return reconciled(resellerIDs, created(newQuota))
	})
}

// findQuotaReclaim finds the reclaims of the child quotas.
func (c *Client) findQuotaReclaim(s Scope, quotaIDs []string) finder[BatchResult] {
	read := func(r QuotaRecord, since time.Time) record[*Money] {
		return record[*Money]{id: r.ID, target: r.QuotaID, value: r.Amount, match: r.Result != "-1" && after(r.OperationTime, since)}
	}
	return lookFor(c.quotaMoves(s, "", quotaReclaimed), read, func(balance map[string]*Money) (BatchResult, bool) {
		return reconciled(quotaIDs, reclaimed(balance))
	})
}

// Coupon record operation types.
const (
	couponIssued    = "1"
	couponReclaimed = "2"
)

// couponMoves lists the coupon records of opType (couponIssued or
// couponReclaimed) from since on, of quotaID or of couponIDs when set
// (ListPartnerCouponsRecord; the gateway reads these records only here).
func (c *Client) couponMoves(s Scope, opType, quotaID string, couponIDs []string) func(ctx context.Context, since time.Time) ([]model.CouponRecordV2, error) {
	return func(ctx context.Context, since time.Time) ([]model.CouponRecordV2, error) {
		req := &model.ListPartnerCouponsRecordRequest{OperationTypes: &[]string{opType}, QuotaId: optStr(quotaID), OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
			Offset: ptr(int32(0)), Limit: ptr(int32(searchLimit)), IndirectPartnerId: optStr(s.Indirect)}
		if len(couponIDs) > 0 {
			req.CouponIds = &couponIDs
		}
		resp, err := call(ctx, c, s, "ListPartnerCouponsRecord", (*bss.BssClient).ListPartnerCouponsRecord, req)
		if err != nil {
			return nil, err
		}
		return rows(resp.Records), nil
	}
}

// findCouponIssue finds the coupons of the issue's face value issued from
// its quota to its customers.
func (c *Client) findCouponIssue(s Scope, in CouponIssue) finder[BatchResult] {
	read := func(r model.CouponRecordV2, since time.Time) record[string] {
		return record[string]{id: str(r.Id), target: str(r.CustomerId), value: str(r.CouponId),
			match: str(r.Result) != "-1" && isAmount(decMoney(r.OperationAmount, defaultCurrency), in.FaceValue) && after(str(r.OperationTime), since)}
	}
	return lookFor(c.couponMoves(s, couponIssued, in.QuotaID, nil), read, func(newCoupon map[string]string) (BatchResult, bool) {
		return reconciled(in.CustomerIDs, created(newCoupon))
	})
}

// findCouponReclaim finds the reclaim of one coupon.
func (c *Client) findCouponReclaim(s Scope, couponID string) finder[Transfer] {
	read := func(r model.CouponRecordV2, since time.Time) record[string] {
		return record[string]{id: str(r.Id), target: str(r.CouponId), value: couponID,
			match: str(r.CouponId) == couponID && str(r.Result) != "-1" && after(str(r.OperationTime), since)}
	}
	return lookFor(c.couponMoves(s, couponReclaimed, "", []string{couponID}), read, transferTo(couponID))
}
