package resolvers

// Sensitive mutations (money, quota, coupons, paying for a customer, the
// verification setting itself) run inside guarded, typed by their input and
// payload:
//
//  1. the role rules and the input's static checks, before anything is
//     reserved, sent or counted (sensitive.authorize);
//  2. the idempotency key is reserved first (guard/idempotency): a replay
//     (same key, same arguments) answers the stored first payload without
//     verification and without an upstream call; the same key with other
//     arguments is IDEMPOTENCY_CONFLICT; a key another request holds is
//     IDEMPOTENCY_IN_PROGRESS at once, with retryAfter. A key whose holder
//     died is taken over within a lease (seconds);
//  3. the verification code, unless the key is already armed (its code
//     was accepted for exactly this operation, these arguments and this
//     key: a retry after an uncertain outcome needs no new code). Skipped
//     when the partner turned verification off, and for customers acting
//     on their own objects (codes go to the partner). A refused code
//     releases an unarmed key; once accepted, the key is armed and never
//     released: a retry settles what the last attempt did first;
//  4. the move runs with the key's Ledger (serialised on its target across
//     instances, its attempt remembered before the call, its upstream
//     record claimed for the key: gateway/reconcile.go); its outcome is
//     stored under the key, or the key is handed back armed for a retry;
//  5. an audit entry records principal, operation, digest, outcome and the
//     upstream request ids, never codes, tokens or arguments.
//
// The schema marks these mutations with @verified(operation: …); the
// directive only checks that the resolver went through guarded for that
// operation, so schema and code cannot drift apart. One @verified root field
// per operation is enforced before execution (edge.SensitiveFieldLimit).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/audit"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
	"partnergraph/identity"
	"partnergraph/telemetry"
)

// sensitive describes one sensitive operation, typed by its mutation's
// input and payload.
type sensitive[In, Out any] struct {
	op model.SensitiveOperation
	// tier1 marks operations only a tier-1 distributor may perform: they
	// move money or quota between the tier-1 and its resellers.
	tier1 bool
	// reseller is the reseller the input acts for ("" for none).
	reseller func(*In) string
	// validate checks what can be checked without the upstream, at now,
	// before a code is sent and before the move (nil: nothing to check).
	validate func(in *In, now time.Time) error
	// describe says what a code approves, for its message; it never
	// affects the binding (the digest of the input does).
	describe func(*In) verify.Details
	// reconciled reports whether a payload was established from the
	// upstream's records rather than from the move's own answer.
	reconciled func(*Out) bool
}

// authorize decides, before a code is sent (requestVerificationCode) or
// asked for (guarded), whether a partner-side caller may perform the
// operation on in at all. A caller must never spend a code, a send or an
// attempt on something it can never do. Ownership of the targets stays the
// mutation's own check (it needs the upstream, and answers NOT_FOUND).
func (s sensitive[In, Out]) authorize(r *Resolver, p *identity.Principal, in *In) error {
	if p.Role == identity.RoleCustomer {
		return nil // customers are never challenged; the mutation decides
	}
	if s.tier1 && !r.isTier1(p) {
		return forbidden("this tier-1 operation")
	}
	if s.reseller != nil {
		if id := s.reseller(in); id != "" && !r.isTier1(p) && !(p.Role == identity.RoleReseller && id == p.PartnerID) {
			return forbidden("acting for a reseller (resellerId)")
		}
	}
	if s.validate != nil {
		return s.validate(in, r.now())
	}
	return nil
}

func (s sensitive[In, Out]) digest(in *In) string { return verify.Digest(string(s.op), *in) }

func (s sensitive[In, Out]) details(in *In) verify.Details {
	action := strings.ReplaceAll(strings.ToLower(string(s.op)), "_", " ")
	d := verify.Details{Action: strings.ToUpper(action[:1]) + action[1:]}
	if s.describe != nil {
		dd := s.describe(in)
		d.Amount, d.Target = dd.Amount, dd.Target
	}
	return d
}

// guardMark is how the @verified directive and guarded find each other.
type guardMark struct {
	op  model.SensitiveOperation
	ran bool
}

type guardMarkKey struct{}

// verifiedDirective implements @verified(operation:): the field's resolver
// must run its move through guarded for the same operation, or the answer
// is INTERNAL (fail closed).
func verifiedDirective(ctx context.Context, _ any, next graphql.Resolver, op model.SensitiveOperation) (any, error) {
	m := &guardMark{op: op}
	res, err := next(context.WithValue(ctx, guardMarkKey{}, m))
	if !m.ran {
		return nil, internal(fmt.Errorf("@verified(%s): the resolver did not run through the guard", op))
	}
	return res, err
}

func internal(err error) *apierr.Error {
	return &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: err}
}

func verifyPrincipal(p *identity.Principal) verify.Principal {
	return verify.Principal{Subject: p.Subject, PartnerID: p.PartnerID, Role: string(p.Role)}
}

// idemScope keeps principals' idempotency keys apart.
func idemScope(p *identity.Principal) string { return p.PartnerID + "/" + p.Subject }

// storedOutcome is what an idempotency key remembers: the payload of the
// first successful execution (failures are never stored).
type storedOutcome struct {
	Data json.RawMessage `json:"data"`
}

// guarded runs move as the sensitive operation s on input in (see the top
// of this file). key is the mutation's idempotencyKey (nil for an operation
// that takes none and moves nothing), v its verification argument.
func guarded[In, Out any](ctx context.Context, r *Resolver, s sensitive[In, Out], in *In, key *string, v *model.VerificationInput,
	move func(ctx context.Context, l gateway.Ledger) (*Out, error)) (*Out, error) {
	mark, _ := ctx.Value(guardMarkKey{}).(*guardMark)
	if mark == nil || mark.op != s.op {
		return nil, internal(fmt.Errorf("guard of %s outside its @verified field", s.op))
	}
	mark.ran = true
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(r, p, in); err != nil {
		return nil, err
	}
	digest := s.digest(in)
	if digest == "" {
		return nil, internal(fmt.Errorf("cannot digest the input of %s", s.op))
	}
	g := &guardRun[In, Out]{r: r, s: s, p: p, in: in, v: v,
		ent: audit.Entry{PrincipalSubject: p.Subject, PartnerID: p.PartnerID, Role: string(p.Role), Operation: string(s.op), ArgsDigest: digest}}
	if key == nil {
		if err := g.verify(ctx); err != nil {
			return nil, err
		}
		return g.run(ctx, nil, move)
	}
	if !idempotency.ValidKey(*key) {
		return nil, apierr.Errorf(apierr.CodeBadUserInput, "idempotencyKey must be 1-%d printable ASCII characters without spaces", idempotency.MaxKeyLen)
	}
	g.ent.IdempotencyKey = *key
	res, stored, err := r.idempotency.Begin(ctx, idemScope(p), *key, digest)
	var busy *idempotency.InProgressError
	switch {
	case errors.Is(err, idempotency.ErrConflict):
		g.record(audit.EventMutationConflict, string(apierr.CodeIdempotencyConflict), nil)
		return nil, apierr.Errorf(apierr.CodeIdempotencyConflict, "this idempotencyKey was used with other arguments")
	case errors.As(err, &busy):
		return nil, inProgress(busy.RetryAfterSeconds())
	case err != nil:
		return nil, internal(fmt.Errorf("idempotency: %w", err))
	case stored != nil:
		out, err := replay[Out](s.op, stored)
		if err != nil {
			return nil, err
		}
		telemetry.FromContext(ctx).Metrics().Replay(string(s.op))
		g.record(audit.EventMutationReplayed, "ok", nil)
		return out, nil
	}
	stop, _ := res.Keep(ctx)
	defer stop()
	if left := res.Busy(); left > 0 {
		// An earlier holder's call may still be running upstream: its
		// outcome is settled after its deadline, not guessed now.
		_ = res.Release(context.WithoutCancel(ctx))
		return nil, inProgress(int(left.Seconds() + 1))
	}
	if !res.Armed {
		if err := g.verify(ctx); err != nil {
			_ = res.Release(context.WithoutCancel(ctx))
			return nil, err
		}
		if err := res.Arm(ctx); err != nil {
			return nil, internal(fmt.Errorf("idempotency: arm: %w", err))
		}
	}
	out, err := g.run(ctx, &keyLedger{res: res, keys: r.idempotency}, move)
	if err != nil {
		// The key stays armed, with what the move remembered: a retry with
		// the same key and arguments settles it and needs no new code.
		_ = res.Release(context.WithoutCancel(ctx))
		return nil, err
	}
	data, merr := json.Marshal(out)
	if merr == nil {
		b, _ := json.Marshal(storedOutcome{Data: data})
		merr = res.Complete(context.WithoutCancel(ctx), b)
	}
	if merr != nil {
		// The move happened and its record is claimed for the key: a
		// retry settles it from the upstream's records instead of moving
		// again.
		r.log.Warn("storing a sensitive mutation's outcome failed", "op", s.op, "err", merr)
	}
	return out, nil
}

// guardRun is one run of a sensitive operation.
type guardRun[In, Out any] struct {
	r   *Resolver
	s   sensitive[In, Out]
	p   *identity.Principal
	in  *In
	v   *model.VerificationInput
	ent audit.Entry
	// ids collects the X-Request-Id of every upstream call the move makes.
	ids *gateway.RequestIDs
}

// record appends an audit entry. An audit failure must not hide the result
// of a move that happened (the client would retry it); the verify engine
// already failed closed on the challenge entry.
func (g *guardRun[In, Out]) record(event, outcome string, err error) {
	e := g.ent
	e.Event, e.Outcome = event, outcome
	// The failing call's id when an error names one, else the ids of the
	// upstream's answers (RequestIDs.Summary).
	var ae *apierr.Error
	if errors.As(err, &ae) {
		e.UpstreamRequestID = ae.RequestID
	}
	if e.UpstreamRequestID == "" {
		e.UpstreamRequestID = g.ids.Summary()
	}
	_ = g.r.audit.Append(e)
}

// verify checks the verification code (partners and resellers only).
func (g *guardRun[In, Out]) verify(ctx context.Context) error {
	if g.p.Role == identity.RoleCustomer {
		return nil
	}
	var challengeID, code string
	if g.v != nil {
		challengeID, code = g.v.ChallengeID, g.v.Code
	}
	err := g.r.verify.Guard(ctx, verifyPrincipal(g.p), string(g.s.op), *g.in, challengeID, code)
	switch {
	case err == nil && code != "":
		countCode(ctx, string(g.s.op), telemetry.CodeAccepted)
	case errors.Is(err, verify.ErrVerificationFailed):
		countCode(ctx, string(g.s.op), telemetry.CodeRefused)
	}
	if err != nil {
		ae := verifyError(err)
		g.record(audit.EventMutationFailed, string(ae.Code), nil)
		return ae
	}
	return nil
}

// run makes the move and audits its outcome.
func (g *guardRun[In, Out]) run(ctx context.Context, l gateway.Ledger, move func(context.Context, gateway.Ledger) (*Out, error)) (*Out, error) {
	ctx, g.ids = gateway.TrackRequestIDs(ctx)
	out, err := move(ctx, l)
	if err != nil {
		g.record(audit.EventMutationFailed, string(apierr.ErrorCode(err)), err)
		return nil, err
	}
	event := audit.EventMutationApplied
	if g.s.reconciled != nil && g.s.reconciled(out) {
		event = audit.EventMutationReconciled
	}
	g.record(event, "ok", nil)
	return out, nil
}

// countCode counts a verification code event of operation op.
func countCode(ctx context.Context, op, event string) {
	telemetry.FromContext(ctx).Metrics().VerificationCode(op, event)
}

func inProgress(retryAfter int) *apierr.Error {
	e := apierr.Errorf(apierr.CodeIdempotencyInProgress, "a request with this idempotencyKey is still running; retry with the same key after retryAfter seconds")
	e.RetryAfter = retryAfter
	return e
}

// keyLedger is a key's gateway.Ledger: target locks, attempts and claims
// in the idempotency store.
type keyLedger struct {
	res  *idempotency.Reservation
	keys *idempotency.Store
}

func (l *keyLedger) Lock(ctx context.Context, target string) (gateway.TargetLock, error) {
	lk, err := l.keys.Lock(ctx, target)
	var busy *idempotency.InProgressError
	switch {
	case errors.As(err, &busy):
		return nil, inProgress(busy.RetryAfterSeconds())
	case err != nil:
		return nil, internal(fmt.Errorf("idempotency: lock: %w", err))
	}
	stop, _ := lk.Keep(ctx)
	return &heldTarget{lk: lk, stop: stop, claimant: l.res.Claimant()}, nil
}

func (l *keyLedger) Prior(target string) *gateway.Attempt {
	a := l.res.Attempts[target]
	if a == nil {
		return nil
	}
	return &gateway.Attempt{Since: a.Since, Seen: a.Seen, Deadline: a.Deadline}
}

func (l *keyLedger) Record(ctx context.Context, target string, a *gateway.Attempt) error {
	var ia *idempotency.Attempt
	if a != nil {
		ia = &idempotency.Attempt{Since: a.Since, Seen: a.Seen, Deadline: a.Deadline}
	}
	return l.res.Record(ctx, target, ia)
}

type heldTarget struct {
	lk       *idempotency.Lock
	stop     func()
	claimant string
}

func (h *heldTarget) Unclaimed(ctx context.Context, ids []string) ([]string, error) {
	return h.lk.Unclaimed(ctx, h.claimant, ids)
}

func (h *heldTarget) Claim(ctx context.Context, ids []string) error {
	return h.lk.Claim(ctx, h.claimant, ids)
}

func (h *heldTarget) Unlock() {
	h.stop()
	_ = h.lk.Unlock(context.Background())
}

// replay decodes a stored outcome into the operation's payload.
func replay[Out any](op model.SensitiveOperation, data []byte) (*Out, error) {
	var so storedOutcome
	out := new(Out)
	if err := json.Unmarshal(data, &so); err != nil {
		return nil, internal(fmt.Errorf("cannot replay the stored outcome of %s: %w", op, err))
	}
	if err := json.Unmarshal(so.Data, out); err != nil {
		return nil, internal(fmt.Errorf("replay %s: %w", op, err))
	}
	return out, nil
}

// verifyError maps the verify engine's errors to API errors.
func verifyError(err error) *apierr.Error {
	var rl *verify.RateLimitedError
	switch {
	case errors.Is(err, verify.ErrVerificationRequired):
		return apierr.Errorf(apierr.CodeVerificationRequired, "this operation needs a verification code: call requestVerificationCode and pass verification { challengeId, code }")
	case errors.Is(err, verify.ErrVerificationFailed):
		return apierr.Errorf(apierr.CodeVerificationFailed, "verification failed")
	case errors.As(err, &rl):
		e := apierr.Errorf(apierr.CodeRateLimited, "too many verification codes requested; retry later")
		e.RetryAfter = rl.RetryAfterSeconds()
		return e
	case errors.Is(err, verify.ErrInvalidRequest):
		return &apierr.Error{Code: apierr.CodeBadUserInput, Message: "invalid verification request", Err: err}
	case errors.Is(err, verify.ErrDeliveryFailed):
		return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: "the verification code could not be delivered; try again or use the other channel", Err: err}
	}
	return internal(err)
}

// codeRequest is one sensitive operation and its input as
// requestVerificationCode sees them: the member of SensitiveInput named
// for the operation.
type codeRequest struct {
	authorize func(*Resolver, *identity.Principal) error
	digest    string
	details   verify.Details
}

// request prepares a code request for s with in, the SensitiveInput
// member of s.op (nil when the client did not set it).
func (s sensitive[In, Out]) request(in *In) (codeRequest, error) {
	if in == nil {
		return codeRequest{}, apierr.Errorf(apierr.CodeBadUserInput, "set the member of input for operation %s", s.op)
	}
	return codeRequest{
		authorize: func(r *Resolver, p *identity.Principal) error { return s.authorize(r, p, in) },
		digest:    s.digest(in),
		details:   s.details(in),
	}, nil
}

// codeRequestFor picks the member of in for op.
func codeRequestFor(op model.SensitiveOperation, in *model.SensitiveInput) (codeRequest, error) {
	switch op {
	case model.SensitiveOperationAllocateCustomerFunds:
		return allocateCustomerFunds.request(in.AllocateCustomerFunds)
	case model.SensitiveOperationReclaimCustomerFunds:
		return reclaimCustomerFunds.request(in.ReclaimCustomerFunds)
	case model.SensitiveOperationAllocateResellerFunds:
		return allocateResellerFunds.request(in.AllocateResellerFunds)
	case model.SensitiveOperationReclaimResellerFunds:
		return reclaimResellerFunds.request(in.ReclaimResellerFunds)
	case model.SensitiveOperationIssueCouponQuotas:
		return issueCouponQuotas.request(in.IssueCouponQuotas)
	case model.SensitiveOperationReclaimCouponQuotas:
		return reclaimCouponQuotas.request(in.ReclaimCouponQuotas)
	case model.SensitiveOperationIssueCoupons:
		return issueCoupons.request(in.IssueCoupons)
	case model.SensitiveOperationReclaimCoupons:
		return reclaimCoupons.request(in.ReclaimCoupons)
	case model.SensitiveOperationSetVerificationEnabled:
		return setVerificationEnabled.request(in.SetVerificationEnabled)
	case model.SensitiveOperationPayOrder:
		return payOrder.request(in.PayOrder)
	case model.SensitiveOperationRenewResources:
		return renewResources.request(in.RenewResources)
	case model.SensitiveOperationUnsubscribeResources:
		return unsubscribeResources.request(in.UnsubscribeResources)
	}
	return codeRequest{}, apierr.Errorf(apierr.CodeBadUserInput, "unknown operation %s", op)
}

// setVerificationEnabled guards the verification setting itself.
var setVerificationEnabled = sensitive[model.SetVerificationEnabledInput, model.VerificationSettings]{
	op: model.SensitiveOperationSetVerificationEnabled,
	describe: func(in *model.SetVerificationEnabledInput) verify.Details {
		if in.Enabled {
			return verify.Details{Target: "turn verification ON"}
		}
		return verify.Details{Target: "turn verification OFF"}
	},
}

// destination is where p's codes go over ch: the caller's verified token
// claims first, then the configured contact of its partner.
func (r *Resolver) destination(p *identity.Principal, ch notify.Channel) string {
	c := r.contacts[p.PartnerID]
	if ch == notify.Email {
		if p.Email != "" {
			return p.Email
		}
		return c.Email
	}
	if p.Phone != "" {
		return p.Phone
	}
	return c.Phone
}

// listed names up to three ids for a code's message: "customer c1" or
// "5 customers (c1, c2, c3, …)".
func listed(what string, ids []string) string {
	if len(ids) == 1 {
		return what + " " + ids[0]
	}
	s := strconv.Itoa(len(ids)) + " " + what + "s (" + strings.Join(ids[:min(3, len(ids))], ", ")
	if len(ids) > 3 {
		s += ", …"
	}
	return s + ")"
}

// readAudit pages partnerID's audit entries, newest first.
func (r *Resolver) readAudit(partnerID string, first *int, after *string) (*model.AuditEntryConnection, error) {
	n := defaultFirst
	if first != nil {
		if *first < 1 || *first > maxFirst {
			return nil, badInput("first must be between 1 and %d", maxFirst)
		}
		n = *first
	}
	before := ""
	if after != nil {
		before = *after
	}
	es, next, err := r.audit.Read(partnerID, n, before)
	if err != nil {
		return nil, badInput("invalid cursor")
	}
	conn := &model.AuditEntryConnection{Edges: make([]*model.AuditEntryEdge, len(es)), PageInfo: &model.PageInfo{HasNextPage: next != "", HasPreviousPage: before != ""}}
	for i, e := range es {
		conn.Edges[i] = &model.AuditEntryEdge{Cursor: e.Cursor, Node: &model.AuditEntry{
			Time: e.Time.UTC().Format(time.RFC3339Nano), Principal: e.PrincipalSubject, Role: opt(e.Role), Operation: e.Operation,
			Event: e.Event, Outcome: opt(e.Outcome), ArgsDigest: opt(e.ArgsDigest), UpstreamRequestID: opt(e.UpstreamRequestID),
			ChallengeID: opt(e.ChallengeID), IdempotencyKey: opt(e.IdempotencyKey),
		}}
	}
	if len(es) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(es)-1].Cursor
	}
	return conn, nil
}
