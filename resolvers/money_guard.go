package resolvers

// ---- The @verified directive (issue 4) ----
//
// @verified(operation: OP) guards a sensitive mutation. gqlgen runs it once
// per field execution (so once per alias), before the resolver:
//
//  1. digest := verify.Digest(OP, the field's `input` argument) — the same
//     typed Go struct requestVerificationCode digests, so a code approves
//     exactly these arguments;
//  2. when the field has an `idempotencyKey` argument: reserve the key
//     FIRST (idempotency.Store.Begin). A replay (same key, same digest)
//     returns the stored first outcome without verification and without
//     an upstream call; the same key with another digest is
//     IDEMPOTENCY_CONFLICT; a reservation whose owner died (TakenOver)
//     makes the resolver reconcile against the upstream's records before
//     it calls (gateway.MoveOpts.CheckFirst);
//  3. verification (verify.Engine.Guard): skipped when the partner turned
//     verification off, and for customer principals acting on their own
//     objects (codes go to the partner, not to customers; money and quota
//     mutations refuse customers anyway). A failed verification releases
//     the key so the client may retry with the same key and a new code;
//  4. the resolver runs (next);
//  5. the outcome is stored under the key (success), or the key is released
//     (nothing was applied: a refusal, or a reconciled "not applied"), or
//     left pending (gateway.ErrOutcomeUnknown: the next attempt after the
//     lease reconciles);
//  6. an audit entry records principal, operation, digest, outcome and the
//     upstream request id(s) — on success too: the resolver runs with
//     gateway.TrackRequestIDs — never codes, tokens or arguments.
//
// One sensitive root field per operation is enforced before execution by
// the SensitiveFieldLimit extension (money_limit.go).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/99designs/gqlgen/graphql"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/audit"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/verify"
	"partnergraph/identity"
)

type takeoverKey struct{}

// moveOpts tells the gateway to reconcile first when the idempotency
// reservation was taken over from a request that died mid-call.
func moveOpts(ctx context.Context) gateway.MoveOpts {
	t, _ := ctx.Value(takeoverKey{}).(bool)
	return gateway.MoveOpts{CheckFirst: t}
}

func verifyPrincipal(p *identity.Principal) verify.Principal {
	return verify.Principal{Subject: p.Subject, PartnerID: p.PartnerID, Role: string(p.Role)}
}

// idemScope keeps principals' idempotency keys apart.
func idemScope(p *identity.Principal) string { return p.PartnerID + "/" + p.Subject }

// storedOutcome is what an idempotency key remembers: the payload of the
// first successful execution (failures are never stored: see step 5).
type storedOutcome struct {
	Data json.RawMessage `json:"data"`
}

func (r *Resolver) verified(ctx context.Context, _ any, next graphql.Resolver, op model.SensitiveOperation) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	s := r.Safety
	if s.Verify == nil || s.Audit == nil {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: errors.New("@verified: verification engine or audit log not configured")}
	}
	input := fc.Args["input"]
	// Role rules and static checks first: nothing is reserved, asked for
	// or counted for an operation the caller can never perform.
	if err := r.authorizeSensitive(p, op, addressable(input)); err != nil {
		return nil, err
	}
	digest := verify.Digest(string(op), input)
	if digest == "" {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("@verified: cannot digest the input of %s", op)}
	}
	ent := audit.Entry{PrincipalSubject: p.Subject, PartnerID: p.PartnerID, Role: string(p.Role), Operation: string(op), ArgsDigest: digest}
	// upstream collects the X-Request-Id of every upstream call the
	// resolver makes (set just before it runs).
	var upstream *gateway.RequestIDs
	record := func(event, outcome string, err error) error {
		e := ent
		e.Event, e.Outcome = event, outcome
		// The failing call's id when an error names one, else the ids of
		// the upstream's answers (the writes, or the record reads that
		// established the outcome): see RequestIDs.Summary.
		var ge *apierr.Error
		if errors.As(err, &ge) {
			e.UpstreamRequestID = ge.RequestID
		}
		if e.UpstreamRequestID == "" {
			e.UpstreamRequestID = upstream.Summary()
		}
		return s.Audit.Append(e)
	}

	key, keyed := fc.Args["idempotencyKey"].(string)
	var owner, scope string
	if keyed {
		if s.Idem == nil {
			return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: errors.New("@verified: idempotency store not configured")}
		}
		if !idempotency.ValidKey(key) {
			return nil, apierr.Errorf(apierr.CodeBadUserInput, "idempotencyKey must be 1-%d printable ASCII characters without spaces", idempotency.MaxKeyLen)
		}
		ent.IdempotencyKey, scope = key, idemScope(p)
		out, fresh, err := s.Idem.Begin(ctx, scope, key, digest)
		switch {
		case errors.Is(err, idempotency.ErrConflict):
			_ = record(audit.EventMutationConflict, string(apierr.CodeIdempotencyConflict), nil)
			return nil, apierr.Errorf(apierr.CodeIdempotencyConflict, "this idempotencyKey was used with other arguments")
		case errors.Is(err, idempotency.ErrInProgress):
			return nil, apierr.Errorf(apierr.CodeIdempotencyInProgress, "a request with this idempotencyKey is still running; retry later with the same key")
		case err != nil:
			return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("idempotency: %w", err)}
		case !fresh:
			v, err := replay(op, out.Data)
			if err != nil {
				return nil, err
			}
			_ = record(audit.EventMutationReplayed, "ok", nil)
			return v, nil
		}
		owner = out.Owner
		if out.TakenOver {
			ctx = context.WithValue(ctx, takeoverKey{}, true)
		}
	}
	release := func() {
		if keyed {
			// Best effort: an unreleased key expires with its lease.
			_ = s.Idem.Release(context.WithoutCancel(ctx), scope, key, owner)
		}
	}

	if p.Role != identity.RoleCustomer {
		var challengeID, code string
		if v, ok := fc.Args["verification"].(*model.VerificationInput); ok && v != nil {
			challengeID, code = v.ChallengeID, v.Code
		}
		if err := s.Verify.Guard(ctx, verifyPrincipal(p), string(op), input, challengeID, code); err != nil {
			release()
			gerr := verifyError(err)
			_ = record(audit.EventMutationFailed, string(gerr.Code), nil)
			return nil, gerr
		}
	}

	ctx, upstream = gateway.TrackRequestIDs(ctx)
	res, err := next(ctx)
	switch {
	case err == nil:
		if keyed {
			data, merr := json.Marshal(res)
			if merr == nil {
				b, _ := json.Marshal(storedOutcome{Data: data})
				merr = s.Idem.Complete(context.WithoutCancel(ctx), scope, key, owner, b)
			}
			if merr != nil {
				// The move happened; the key stays pending and a retry
				// after the lease reconciles instead of applying again.
				_ = record(audit.EventMutationApplied, "ok_unrecorded", nil)
				return res, nil
			}
		}
		event := audit.EventMutationApplied
		if reconciled(res) {
			event = audit.EventMutationReconciled
		}
		// An audit failure here must not hide the result of a move that
		// happened (the client would retry it): the answer goes out; the
		// verify engine already failed closed on the challenge entry.
		_ = record(event, "ok", nil)
		return res, nil
	case errors.Is(err, gateway.ErrOutcomeUnknown):
		// Keep the reservation: the next attempt reconciles first.
		_ = record(audit.EventMutationFailed, "OUTCOME_UNKNOWN", err)
		return nil, err
	default:
		release()
		_ = record(audit.EventMutationFailed, string(apierr.ErrorCode(err)), err)
		return nil, err
	}
}

// reconciled reports whether a payload says it was established from the
// upstream's records (a Reconciled bool field).
func reconciled(res any) bool {
	v := reflect.ValueOf(res)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	f := v.FieldByName("Reconciled")
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}

// replay decodes a stored outcome into the operation's payload type.
func replay(op model.SensitiveOperation, data []byte) (any, error) {
	mk, ok := payloadTypes[op]
	var so storedOutcome
	if !ok || json.Unmarshal(data, &so) != nil {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("cannot replay the stored outcome of %s", op)}
	}
	v := mk()
	if err := json.Unmarshal(so.Data, v); err != nil {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("replay %s: %w", op, err)}
	}
	return v, nil
}

// verifyError maps the verify engine's errors to gateway errors.
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
	return &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: err}
}
