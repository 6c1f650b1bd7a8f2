package verify

import (
	"context"
	"time"
)

// Store keeps challenges, send/failure counters, locks and the per-partner
// "verification enabled" setting. RedisStore shares them between gateway
// instances; MemoryStore serves a single process. Both are driven only by
// Engine and must behave identically (the package tests run one behavioural
// suite against each).
//
// Every method takes now from Engine's clock instead of reading the time
// itself: expiry, windows and locks are compared against absolute
// timestamps, so one injected clock governs both implementations.
type Store interface {
	// Create stores rec as the principal's only live challenge for
	// rec.Operation, deleting any older one, and records the send against
	// the limits — all atomically, or nothing when a limit (or a lock)
	// refuses, in which case it returns a *RateLimitedError.
	Create(ctx context.Context, rec Record, lim SendLimits, now time.Time) error

	// Attempt is step one of a verification: unless principalKey is locked
	// or the challenge is missing, expired or out of attempts, it counts
	// one attempt and returns the stored binding and MAC for the caller to
	// compare in constant time. Every call that reaches the challenge
	// counts, whatever code the caller holds.
	Attempt(ctx context.Context, id, principalKey string, maxAttempts int, now time.Time) (Attempted, error)

	// Finish is step two. With matched set it deletes the challenge iff it
	// still exists, is unexpired and the principal is not locked, and
	// reports true: of concurrent callers holding the right code exactly
	// one deletes it. Otherwise (or when that delete loses) it records a
	// failure for principalKey and locks it when the policy says so.
	Finish(ctx context.Context, id, principalKey string, matched bool, fp FailurePolicy, now time.Time) (bool, error)

	// Cancel deletes a challenge whose code could not be delivered.
	Cancel(ctx context.Context, id string) error

	// Enabled reports the partner's setting; true when never set.
	Enabled(ctx context.Context, partnerID string) (bool, error)
	// SetEnabled stores the partner's setting.
	SetEnabled(ctx context.Context, partnerID string, enabled bool) error
}

// Record is a stored challenge. The code itself is never stored: MAC is
// HMAC-SHA256(secret, id|code).
type Record struct {
	ID           string
	PrincipalKey string
	Operation    string
	Digest       string
	MAC          []byte
	ExpiresAt    time.Time
}

// SendLimits are the send-side rate limits Create enforces. A limit <= 0 is
// "unlimited".
type SendLimits struct {
	Cooldown           time.Duration // between sends for one principal+operation
	PerPrincipal       int
	PerPrincipalWindow time.Duration
	Global             int
	GlobalWindow       time.Duration
}

// FailurePolicy locks a principal after MaxFailures failed verifications
// within Window, for LockFor. MaxFailures <= 0 disables locking.
type FailurePolicy struct {
	MaxFailures int
	Window      time.Duration
	LockFor     time.Duration
}

// AttemptStatus is the outcome of Store.Attempt.
type AttemptStatus int

// Attempt outcomes. Only AttemptOK returns a binding; Engine treats the
// others identically towards the client.
const (
	AttemptOK      AttemptStatus = iota
	AttemptMissing               // no such challenge (never existed, used, cancelled)
	AttemptDead                  // expired or out of attempts
	AttemptLocked                // the calling principal is locked out
)

// Attempted is what Store.Attempt returns.
type Attempted struct {
	Status       AttemptStatus
	PrincipalKey string
	Operation    string
	Digest       string
	MAC          []byte
}

// cleanupSlack is added to Redis TTLs and memory sweeps beyond the logical
// expiry so that clock skew between instances never deletes a record that
// one of them still considers live.
const cleanupSlack = time.Minute
