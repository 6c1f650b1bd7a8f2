// Package idempotency makes money mutations apply at most once per
// client-chosen key. Huawei's BSS APIs have no idempotency keys, so a client
// retrying after a timeout, or replaying a request, would otherwise pay or
// allocate twice.
//
// Protocol for a guarded mutation (see Begin):
//
//	out, fresh, err := store.Begin(ctx, scope, key, digest)
//	switch {
//	case errors.Is(err, ErrConflict):   // same key, other arguments: IDEMPOTENCY_CONFLICT
//	case err != nil:                    // ErrInvalidKey, ErrInProgress, store error
//	case !fresh:                        // replay: return out.Data, do not call upstream
//	default:                            // we own the key
//	    if out.TakenOver { reconcile against upstream records first }
//	    result := callUpstream()
//	    if nothing was applied and a retry must be allowed { store.Release(...) }
//	    else { store.Complete(ctx, scope, key, out.Owner, encode(result)) }
//	}
//
// Concurrent duplicates wait in Begin until the first finishes and then all
// receive its outcome, so exactly one upstream call happens.
package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Errors. Map ErrConflict to IDEMPOTENCY_CONFLICT and ErrInvalidKey to a bad
// user input error.
var (
	ErrConflict   = errors.New("idempotency key reused with different arguments")
	ErrInvalidKey = errors.New("idempotency key must be 1-128 printable ASCII characters without spaces")
	// ErrInProgress: another request holding the key is still running and
	// did not finish before the wait ended; the client should retry later
	// with the same key.
	ErrInProgress = errors.New("a request with this idempotency key is still in progress")
	// ErrNotOwner: Complete or Release by a caller that no longer owns the
	// key (its lease expired and another request took over, or the record
	// expired).
	ErrNotOwner = errors.New("idempotency key is not owned by this request")
)

// Outcome is what Begin returns.
type Outcome struct {
	// Owner proves ownership to Complete and Release; set when fresh.
	Owner string
	// TakenOver is set when fresh only because a previous owner's lease
	// ran out without completing: that request may or may not have reached
	// the upstream, so reconcile against upstream records before calling
	// it again.
	TakenOver bool
	// Data is the first request's stored outcome; set when not fresh.
	Data []byte
}

// Options tune a store; zero values take the defaults shown.
type Options struct {
	// TTL is how long a key (and its outcome) is remembered: 24h.
	TTL time.Duration
	// Lease is how long a reservation may stay pending before a duplicate
	// may take it over: 2m. Keep it above the upstream timeout plus the
	// time reconciliation takes.
	Lease time.Duration
	// MaxWait bounds how long Begin waits for a pending duplicate, besides
	// ctx: 30s.
	MaxWait time.Duration
	// PollMin and PollMax bound the backoff while waiting: 10ms, 250ms.
	PollMin, PollMax time.Duration
	// Prefix namespaces Redis keys: "pg:idem:".
	Prefix string
	Now    func() time.Time
}

func (o *Options) setDefaults() {
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 30 * time.Second
	}
	if o.PollMin <= 0 {
		o.PollMin = 10 * time.Millisecond
	}
	if o.PollMax < o.PollMin {
		o.PollMax = 250 * time.Millisecond
		if o.PollMax < o.PollMin {
			o.PollMax = o.PollMin
		}
	}
	if o.Prefix == "" {
		o.Prefix = "pg:idem:"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// MaxKeyLen is the longest accepted key.
const MaxKeyLen = 128

// ValidKey reports whether key is 1-128 printable ASCII characters without
// spaces — what clients typically send (UUIDs, ULIDs, hashes).
func ValidKey(key string) bool {
	if len(key) == 0 || len(key) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] > '~' {
			return false
		}
	}
	return true
}

type state int

const (
	stFresh state = iota
	stTakeover
	stDone
	stPending
	stConflict
)

// backend is one atomic step of Begin plus Complete and Release; the two
// stores implement it and share the waiting loop below.
type backend interface {
	try(ctx context.Context, scope, key, digest, owner string, now time.Time, o *Options) (state, []byte, error)
	complete(ctx context.Context, scope, key, owner string, outcome []byte, now time.Time, o *Options) error
	release(ctx context.Context, scope, key, owner string) error
}

func begin(ctx context.Context, b backend, o *Options, scope, key, digest string) (Outcome, bool, error) {
	if !ValidKey(key) {
		return Outcome{}, false, ErrInvalidKey
	}
	if scope == "" || digest == "" {
		return Outcome{}, false, errors.New("idempotency: empty scope or digest")
	}
	owner := newOwner()
	deadline := time.NewTimer(o.MaxWait)
	defer deadline.Stop()
	delay := o.PollMin
	for {
		st, data, err := b.try(ctx, scope, key, digest, owner, o.Now(), o)
		if err != nil {
			return Outcome{}, false, err
		}
		switch st {
		case stFresh:
			return Outcome{Owner: owner}, true, nil
		case stTakeover:
			return Outcome{Owner: owner, TakenOver: true}, true, nil
		case stDone:
			return Outcome{Data: data}, false, nil
		case stConflict:
			return Outcome{}, false, ErrConflict
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-deadline.C:
			t.Stop()
			return Outcome{}, false, ErrInProgress
		case <-ctx.Done():
			t.Stop()
			return Outcome{}, false, fmt.Errorf("%w: %w", ErrInProgress, ctx.Err())
		}
		delay = min(delay*2, o.PollMax)
	}
}

func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
