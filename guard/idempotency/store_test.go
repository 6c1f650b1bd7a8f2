package idempotency

import "context"

// Store is what the behavioural tests run against: RedisStore shares keys
// between gateway instances, MemoryStore serves one process.
type Store interface {
	// Begin reserves key for the caller (fresh=true) or returns the
	// outcome of the request that reserved it first (fresh=false), waiting
	// while that request is still running. scope keeps principals' keys
	// apart; digest identifies the operation and its arguments (use
	// verify.Digest(op, args)) and must match the first request's, else
	// ErrConflict.
	Begin(ctx context.Context, scope, key, digest string) (Outcome, bool, error)
	// Complete stores the outcome for replay and ends the reservation.
	Complete(ctx context.Context, scope, key, owner string, outcome []byte) error
	// Release drops the reservation without an outcome, for results that
	// must not be replayed (e.g. VERIFICATION_FAILED before anything was
	// applied), so the client may retry with the same key.
	Release(ctx context.Context, scope, key, owner string) error
}
