package gateway

// Exactly-once money moves: funds (funds.go), coupon quotas and coupons
// (coupons.go).
//
// The upstream has no idempotency keys, so the gateway makes a move's
// outcome attributable itself, through the move's Ledger (what its
// idempotency key remembers, shared by every gateway instance):
//
//  1. Moves to the same target are serialised across instances
//     (Ledger.Lock), so no other move of the gateway's runs between a move's
//     snapshot and its call.
//  2. Under that lock the move reads the target's matching records (the
//     snapshot) and the Ledger remembers them with the call's deadline
//     (Attempt), before the call.
//  3. A call that answers is the move's outcome; its record is claimed for
//     the key (a record answers for one key only). A call refused by the
//     upstream applied nothing: the attempt is cleared.
//  4. A call that ends without an answer is looked for in the records: the
//     new matching record since the snapshot, per target, not claimed by
//     another key, is the move's (claimed, answer marked Reconciled). None
//     after a dropped connection, a 5xx or a 429: nothing was applied
//     (ErrNotApplied; the attempt is cleared, a retry calls again). None
//     after a timeout, or records that cannot be read: OUTCOME_UNKNOWN, the
//     attempt stays, and a retry with the same key after the call's
//     deadline looks again before calling. More than one new matching
//     record for one target (someone moved the same amount outside the
//     gateway during the call): OUTCOME_UNKNOWN with the candidates; the
//     upstream gives nothing to tell them apart.
//  5. A key taken over from a holder that died finds its Attempt in the
//     Ledger and settles it first (step 4 on the remembered snapshot), so a
//     crash never applies a move twice and never claims an earlier
//     identical move.
//
// The records searched:
//
//	customer funds   ListPartnerAdjustRecords   (customer, operation type, time ≥ since, amount)
//	reseller funds   ListPartnerAccountChangeRecords (tier-1 ledger: ADJUST/RETRIEVE, counterparty, time ≥ since, amount)
//	coupon quotas    ListCouponQuotasRecords    (10 issue / 11 reclaim, parent or child quota, time ≥ since)
//	coupons          ListPartnerCouponsRecord   (1 issue / 2 reclaim, quota or coupon, customer, time ≥ since, amount)

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"

	"partnergraph/apierr"
)

// ErrOutcomeUnknown is wrapped by the OUTCOME_UNKNOWN error of a money move
// that may or may not have been applied. Callers must keep the move's
// attempt (never release its idempotency key): a retry with the same key
// settles it first.
var ErrOutcomeUnknown = errors.New("outcome of the money move is unknown")

// ErrNotApplied is wrapped by the UPSTREAM_UNAVAILABLE error of a money move
// whose call failed without an answer but whose effect is provably absent
// from the upstream's records: a retry is safe.
var ErrNotApplied = errors.New("the money move was not applied")

// Attempt is a move's call as its Ledger remembers it before the call.
type Attempt struct {
	// Since is where the search of the target's records starts.
	Since time.Time
	// Seen are the ids of the target's matching records before the call.
	Seen []string
	// Deadline is when the call ends at the latest.
	Deadline time.Time
}

// Ledger is what a money move's idempotency key remembers across crashes
// and gateway instances; the resolvers' guard implements it.
type Ledger interface {
	// Lock serialises the moves to target across instances.
	Lock(ctx context.Context, target string) (TargetLock, error)
	// Prior is the call an earlier holder of the key made on target and
	// did not settle (nil: none).
	Prior(target string) *Attempt
	// Record remembers the call about to be made on target (nil: the
	// last call was settled as not applied).
	Record(ctx context.Context, target string, a *Attempt) error
}

// TargetLock is a held Ledger.Lock.
type TargetLock interface {
	// Unclaimed returns the record ids no other key claimed.
	Unclaimed(ctx context.Context, ids []string) ([]string, error)
	// Claim records ids as the key's: refused when another key claimed
	// one, or when the lock was lost.
	Claim(ctx context.Context, ids []string) error
	Unlock()
}

// ReconcileSkew is how far before the call the record search starts.
const ReconcileSkew = 5 * time.Second

// deadlineSlack is how long after the call's own timeout a call is taken
// to be over upstream.
const deadlineSlack = 5 * time.Second

// recordTime is the time format of the upstream's record searches and
// validity times.
const recordTime = "2006-01-02T15:04:05Z"

// RecordTime is t in the upstream's UTC time form ("" for the zero time).
func RecordTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(recordTime)
}

// candidate is a new matching record: claim is the id a key claims for it
// (the transfer, coupon or child quota id the answer carries, else the
// record's own id), value what the move's answer reports of it.
type candidate[V any] struct {
	claim string
	value V
}

// finding is what a search of a target's records found: the ids of every
// matching record (the snapshot), and per target of the move its new
// matching records (not in the exclude set), oldest first.
type finding[V any] struct {
	matched  []string
	byTarget map[string][]candidate[V]
}

// finder searches the records from since on, ignoring the ids in exclude.
type finder[V any] func(ctx context.Context, since time.Time, exclude map[string]bool) (finding[V], error)

// moveSpec is one money move.
type moveSpec[V, T any] struct {
	op      string   // the SDK operation, for errors
	lock    string   // what moves to the same target serialise on
	targets []string // the move's items: customers, resellers, coupons…
	find    finder[V]
	do      func(ctx context.Context) (T, error)
	// answer is the reconciled answer from the record found per target.
	answer func(found map[string]V) T
	// claims are the claim ids of an answered call.
	claims func(T) []string
}

// move is the moveSpec of one SDK call op with req; reply reads its answer.
func move[Req, Resp, V, T any](ctx context.Context, c *Client, s Scope, l Ledger, spec moveSpec[V, T], method sdkMethod[Req, Resp], req Req, reply func(Resp) T) (T, error) {
	spec.do = func(ctx context.Context) (T, error) {
		resp, err := call(ctx, c, s, spec.op, method, req)
		if err != nil {
			var zero T
			return zero, err
		}
		return reply(resp), nil
	}
	return runMove(ctx, c, l, spec)
}

// runMove makes spec's call at most once for its key (see the file comment).
func runMove[V, T any](ctx context.Context, c *Client, l Ledger, spec moveSpec[V, T]) (T, error) {
	var zero T
	if l == nil {
		return zero, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Op: spec.op, Err: errors.New("money move without a ledger")}
	}
	lock, err := l.Lock(ctx, spec.lock)
	if err != nil {
		return zero, err
	}
	defer lock.Unlock()
	if p := l.Prior(spec.lock); p != nil {
		v, found, err := settle(ctx, c, spec, lock, p, false)
		switch {
		case err != nil:
			return zero, err
		case found:
			return v, nil
		}
		if err := l.Record(ctx, spec.lock, nil); err != nil {
			return zero, ledgerError(spec.op, err)
		}
	}
	// The snapshot: the matching records before the call.
	start := c.cfg.Now()
	since := start.Add(-ReconcileSkew)
	before, err := spec.find(ctx, since, nil)
	if err != nil {
		return zero, err // nothing was attempted yet
	}
	a := &Attempt{Since: since, Seen: before.matched, Deadline: start.Add(c.cfg.CallTimeout + deadlineSlack)}
	if err := l.Record(ctx, spec.lock, a); err != nil {
		return zero, ledgerError(spec.op, err)
	}
	// The call outlives the client: a client that goes away (or a request
	// that runs out of time) must not leave a call in flight whose outcome
	// nobody looks for. It is bounded by the call timeout alone.
	callCtx, cancelCall := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.CallTimeout)
	v, err := spec.do(callCtx)
	cancelCall()
	if err == nil {
		// The answer is the outcome. A claim refused here cannot undo
		// the move: report it and keep the answer.
		if cerr := lock.Claim(context.WithoutCancel(ctx), spec.claims(v)); cerr != nil {
			c.log.Warn("claiming an answered move's records failed", "op", spec.op, "target", spec.lock, "err", cerr)
		}
		return v, nil
	}
	if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable || errors.Is(err, ErrNotSent) {
		// Refused, or never sent (breaker open, in-flight bound full):
		// nothing was applied.
		_ = l.Record(context.WithoutCancel(ctx), spec.lock, nil)
		return zero, err
	}
	rctx, cancel := reconcileCtx(ctx, c)
	defer cancel()
	v, found, serr := settle(rctx, c, spec, lock, a, true)
	switch {
	case serr != nil:
		return zero, serr
	case found:
		return v, nil
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// The call may still be running upstream: "not yet in the
		// records" proves nothing. The attempt stays.
		op, _ := upstreamOf(err)
		return zero, outcomeUnknown(op, err, nil)
	}
	if rerr := l.Record(rctx, spec.lock, nil); rerr != nil {
		return zero, outcomeUnknown(spec.op, errors.Join(err, rerr), nil)
	}
	op, requestID := upstreamOf(err)
	return zero, &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Op: op, Err: errors.Join(ErrNotApplied, err),
		Message: "the upstream did not answer, and its records show the operation was not applied; retry with the same idempotencyKey (no new code is needed)", RequestID: requestID}
}

// settle looks for a's call in the records: found, the answer from the
// records (claimed for the key); not found, nothing (the caller decides
// what that means); several new records for one target, OUTCOME_UNKNOWN
// with the candidates.
func settle[V, T any](ctx context.Context, c *Client, spec moveSpec[V, T], lock TargetLock, a *Attempt, afterCall bool) (T, bool, error) {
	var zero T
	if !afterCall && c.cfg.Now().Before(a.Deadline) {
		left := a.Deadline.Sub(c.cfg.Now())
		return zero, false, &apierr.Error{Code: apierr.CodeIdempotencyInProgress, Op: spec.op, RetryAfter: max(1, int(left.Seconds()+0.999)),
			Message: "an earlier request with this idempotencyKey may still be running upstream; retry with the same key after retryAfter seconds"}
	}
	seen := make(map[string]bool, len(a.Seen))
	for _, id := range a.Seen {
		seen[id] = true
	}
	f, err := spec.find(ctx, a.Since, seen)
	if err != nil {
		return zero, false, outcomeUnknown(spec.op, err, nil)
	}
	found := map[string]V{}
	var claims, ambiguous []string
	for _, t := range spec.targets {
		cands := f.byTarget[t]
		ids := make([]string, len(cands))
		for i, cd := range cands {
			ids[i] = cd.claim
		}
		free, err := lock.Unclaimed(ctx, ids)
		if err != nil {
			return zero, false, outcomeUnknown(spec.op, err, nil)
		}
		var left []candidate[V]
		for _, cd := range cands {
			if slices.Contains(free, cd.claim) {
				left = append(left, cd)
			}
		}
		switch len(left) {
		case 0:
		case 1:
			found[t] = left[0].value
			claims = append(claims, left[0].claim)
		default:
			for _, cd := range left {
				ambiguous = append(ambiguous, cd.claim)
			}
		}
	}
	if len(ambiguous) > 0 {
		return zero, false, outcomeUnknown(spec.op, errors.New("several records could be this move's"), ambiguous)
	}
	if len(found) == 0 {
		return zero, false, nil
	}
	if err := lock.Claim(ctx, claims); err != nil {
		return zero, false, outcomeUnknown(spec.op, fmt.Errorf("claiming %v: %w", claims, err), claims)
	}
	return spec.answer(found), true, nil
}

// outcomeUnknown is the error of a move that may or may not have been
// applied; candidates are the records that could be its.
func outcomeUnknown(op string, err error, candidates []string) *apierr.Error {
	msg := "the upstream did not answer and the outcome could not be established yet; retry with the same idempotencyKey later: the gateway looks at the upstream's records before calling again"
	if len(candidates) > 0 {
		msg = "the upstream did not answer and its records hold several moves this could be (see extensions.candidates): someone made an identical move outside the gateway meanwhile; check them before retrying"
	}
	return &apierr.Error{Code: apierr.CodeOutcomeUnknown, Op: op, Err: errors.Join(ErrOutcomeUnknown, err), Message: msg, Candidates: candidates}
}

// ledgerError is the error of a Ledger that could not remember an
// attempt: nothing was called.
func ledgerError(op string, err error) error {
	var e *apierr.Error
	if errors.As(err, &e) {
		return err
	}
	return &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Op: op, Err: err}
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

// A reconciliation reads the records from its snapshot on, searchLimit
// per call, every page until the list ends: on a busy quota or partner
// hundreds of matching records may follow a move before its key is retried,
// and a record past the first page is still the move's. More than
// maxSearchPages pages is an error, which leaves the outcome unknown rather
// than guessed.
const (
	searchLimit    = 100
	maxSearchPages = 50
)

// recordPage reads the page of records at offset from since on, and the
// list's total.
type recordPage[R any] func(ctx context.Context, since time.Time, offset int32) ([]R, int, error)

// errTooManyRecords stops a search that would read more than maxSearchPages.
var errTooManyRecords = errors.New("too many records since the move to search them")

// allRecords reads every page of a record list from since on.
func allRecords[R any](ctx context.Context, since time.Time, page recordPage[R]) ([]R, error) {
	var all []R
	for n := 0; ; n++ {
		if n == maxSearchPages {
			return nil, errTooManyRecords
		}
		recs, total, err := page(ctx, since, int32(n*searchLimit))
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
		if len(recs) < searchLimit || (n+1)*searchLimit >= total {
			return all, nil
		}
	}
}

// record is how a finder reads one upstream record.
type record[V any] struct {
	id     string // the record's own id: what the snapshot keeps
	claim  string // what a key claims for it ("" means id)
	target string // the customer, reseller, quota or coupon the move was for
	value  V      // what the answer reports of the move
	match  bool   // the record is a move like the one looked for
}

// lookFor is the finder that reads every record of list from since on and
// tells each with read. A record read twice (the list moved between its
// pages) counts once.
func lookFor[R, V any](list recordPage[R], read func(r R, since time.Time) record[V]) finder[V] {
	return func(ctx context.Context, since time.Time, exclude map[string]bool) (finding[V], error) {
		recs, err := allRecords(ctx, since, list)
		if err != nil {
			return finding[V]{}, err
		}
		f := finding[V]{byTarget: map[string][]candidate[V]{}}
		seen := map[string]bool{}
		for _, r := range recs {
			rec := read(r, since)
			if !rec.match || seen[rec.id] {
				continue
			}
			seen[rec.id] = true
			f.matched = append(f.matched, rec.id)
			if exclude[rec.id] {
				continue
			}
			claim := rec.claim
			if claim == "" {
				claim = rec.id
			}
			f.byTarget[rec.target] = append(f.byTarget[rec.target], candidate[V]{claim: claim, value: rec.value})
		}
		return f, nil
	}
}

// transferTo is the reconciled answer of one funds or coupon move: the
// transfer id recorded for target.
func transferTo(target string) func(found map[string]string) Transfer {
	return func(found map[string]string) Transfer { return Transfer{ID: found[target], Reconciled: true} }
}

// reconciled is the answer of a batch move from its records: one item per
// requested id, ok's where the records show it, else not applied.
func reconciled(ids []string, ok func(id string) (ItemResult, bool)) BatchResult {
	return BatchResult{Items: items(ids, ok, notApplied), Reconciled: true}
}

// notApplied marks the items a reconciliation found no record of.
func notApplied(id string) ItemResult {
	return ItemResult{ID: id, ErrorCode: "NOT_APPLIED", ErrorMessage: "the upstream did not answer and its records show no such change"}
}

// findAdjust finds a customer funds move in the adjust records: opType
// (adjustAllocated or adjustReclaimed) of amount to the customer.
func (c *Client) findAdjust(s Scope, customerID string, amount decimal.Decimal, opType string) finder[string] {
	list := func(ctx context.Context, since time.Time, offset int32) ([]AdjustRecord, int, error) {
		req := &model.ListPartnerAdjustRecordsRequest{CustomerId: &customerID, OperationType: &opType, OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
			Offset: &offset, Limit: ptr(int32(searchLimit)), IndirectPartnerId: optStr(s.Indirect)}
		l, err := c.adjustRecords(ctx, s, req)
		return l.Records, l.Total, err
	}
	read := func(r AdjustRecord, since time.Time) record[string] {
		return record[string]{id: r.TransID, target: r.CustomerID, value: r.TransID,
			match: r.CustomerID == customerID && r.OperationType == opType && isAbsAmount(r.Amount, amount) && after(r.OperationTime, since)}
	}
	return lookFor(list, read)
}

// findResellerChange finds a reseller funds move in the tier-1's account
// changes: tradeType (tradeAdjust or tradeRetrieve) of amount with the
// reseller. The upstream filters those by day (UTC+8) only.
func (c *Client) findResellerChange(s Scope, resellerID string, amount decimal.Decimal, tradeType string) finder[string] {
	list := func(ctx context.Context, since time.Time, offset int32) ([]AccountChangeRecord, int, error) {
		day := since.In(time.FixedZone("UTC+8", 8*3600)).Format("2006-01-02")
		req := &model.ListPartnerAccountChangeRecordsRequest{BalanceType: BalanceDebit, TradeType: &tradeType, TradeTimeBegin: &day,
			Offset: &offset, Limit: ptr(int32(searchLimit))}
		l, err := c.accountChanges(ctx, s, req)
		return l.Records, l.Total, err
	}
	read := func(r AccountChangeRecord, since time.Time) record[string] {
		return record[string]{id: r.ID, claim: r.TradeID, target: r.CustomerID, value: r.TradeID,
			match: r.CustomerID == resellerID && r.TradeType == tradeType && isAbsAmount(r.Change, amount) && after(r.TradeTime, since)}
	}
	return lookFor(list, read)
}

// Quota record operation types.
const (
	quotaIssued    = "10"
	quotaReclaimed = "11"
)

// quotaMoves lists the quota records of opType (quotaIssued or
// quotaReclaimed) from since on, of the children of parent when set.
func (c *Client) quotaMoves(s Scope, parent, opType string) recordPage[QuotaRecord] {
	return func(ctx context.Context, since time.Time, offset int32) ([]QuotaRecord, int, error) {
		req := &model.ListCouponQuotasRecordsRequest{ParentQuotaId: optStr(parent), OperationType: &opType, OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
			Offset: &offset, Limit: ptr(int32(searchLimit))}
		l, err := c.quotaRecords(ctx, s, req)
		return l.Records, l.Total, err
	}
}

// findQuotaIssue finds the child quotas of amount cut from quotaID for the
// resellers.
func (c *Client) findQuotaIssue(s Scope, quotaID string, amount decimal.Decimal) finder[string] {
	read := func(r QuotaRecord, since time.Time) record[string] {
		return record[string]{id: r.ID, claim: r.QuotaID, target: r.ResellerID, value: r.QuotaID,
			match: r.Result != "-1" && isAmount(r.Amount, amount) && after(r.OperationTime, since)}
	}
	return lookFor(c.quotaMoves(s, quotaID, quotaIssued), read)
}

// findQuotaReclaim finds the reclaims of the child quotas.
func (c *Client) findQuotaReclaim(s Scope) finder[*Money] {
	read := func(r QuotaRecord, since time.Time) record[*Money] {
		return record[*Money]{id: r.ID, target: r.QuotaID, value: r.Amount, match: r.Result != "-1" && after(r.OperationTime, since)}
	}
	return lookFor(c.quotaMoves(s, "", quotaReclaimed), read)
}

// Coupon record operation types.
const (
	couponIssued    = "1"
	couponReclaimed = "2"
)

// couponMoves lists the coupon records of opType (couponIssued or
// couponReclaimed) from since on, of quotaID or of couponIDs when set
// (ListPartnerCouponsRecord; coupons.go reads the same records for the graph).
func (c *Client) couponMoves(s Scope, opType, quotaID string, couponIDs []string) recordPage[model.CouponRecordV2] {
	return func(ctx context.Context, since time.Time, offset int32) ([]model.CouponRecordV2, int, error) {
		req := &model.ListPartnerCouponsRecordRequest{OperationTypes: &[]string{opType}, QuotaId: optStr(quotaID), OperationTimeBegin: ptr(since.UTC().Format(recordTime)),
			Offset: &offset, Limit: ptr(int32(searchLimit)), IndirectPartnerId: optStr(s.Indirect)}
		if len(couponIDs) > 0 {
			req.CouponIds = &couponIDs
		}
		resp, err := call(ctx, c, s, "ListPartnerCouponsRecord", (*bss.BssClient).ListPartnerCouponsRecord, req)
		if err != nil {
			return nil, 0, err
		}
		return rows(resp.Records), i32(resp.TotalCount), nil
	}
}

// findCouponIssue finds the coupons of the issue's face value issued from
// its quota to its customers.
func (c *Client) findCouponIssue(s Scope, in CouponIssue) finder[string] {
	read := func(r model.CouponRecordV2, since time.Time) record[string] {
		return record[string]{id: str(r.Id), claim: str(r.CouponId), target: str(r.CustomerId), value: str(r.CouponId),
			match: str(r.Result) != "-1" && isAmount(decMoney(r.OperationAmount, defaultCurrency), in.FaceValue) && after(str(r.OperationTime), since)}
	}
	return lookFor(c.couponMoves(s, couponIssued, in.QuotaID, nil), read)
}

// findCouponReclaim finds the reclaim of one coupon.
func (c *Client) findCouponReclaim(s Scope, couponID string) finder[string] {
	read := func(r model.CouponRecordV2, since time.Time) record[string] {
		return record[string]{id: str(r.Id), target: str(r.CouponId), value: couponID,
			match: str(r.CouponId) == couponID && str(r.Result) != "-1" && after(str(r.OperationTime), since)}
	}
	return lookFor(c.couponMoves(s, couponReclaimed, "", []string{couponID}), read)
}
