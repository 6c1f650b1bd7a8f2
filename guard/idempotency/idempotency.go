// Package idempotency makes sensitive mutations apply exactly once per
// client-chosen key, across crashes and gateway instances. Huawei's BSS
// APIs have no idempotency keys, so the gateway keeps three things itself:
//
//   - a record per key (Begin): reserved while the caller is checked, armed
//     once its verification code was accepted (the arguments are approved:
//     a retry with the same key needs no new code), done with the stored
//     outcome. The holder keeps a short lease alive (Keep) while it works,
//     so a crashed holder's key is taken over within seconds; a live holder
//     makes duplicates answer at once with a retry time (InProgressError).
//     Before each upstream call the record remembers the call's Attempt, per
//     target: the records of the target that existed before it and the
//     call's deadline, so whoever holds the key next can tell, after that
//     deadline, whether the call was applied.
//   - a lock per target (Lock): moves to the same target are serialised
//     across instances, so the one new record a move leaves can be told
//     apart from records made before it. Locks carry a fencing token and
//     expire with their holder.
//   - claims per target: the upstream records a key's move left. A record
//     is claimed by at most one key, and a key claims only through the lock
//     it holds, so one record never answers for two keys.
//
// RedisStore shares all three between instances; MemoryStore serves one
// process. They pass the same behavioural tests.
package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"
)

// Errors.
var (
	// ErrConflict: the key was used with other arguments.
	ErrConflict = errors.New("idempotency key reused with different arguments")
	// ErrInvalidKey: see ValidKey.
	ErrInvalidKey = errors.New("idempotency key must be 1-128 printable ASCII characters without spaces")
	// ErrNotOwner: the reservation or lock is no longer the caller's (its
	// lease ran out and another request took it over).
	ErrNotOwner = errors.New("the idempotency key or target lock is no longer held by this request")
	// ErrArmed: Release of a key whose move may have been applied.
	ErrArmed = errors.New("the idempotency key is armed: its move may have been applied")
	// ErrClaimed: an upstream record is already claimed by another key.
	ErrClaimed = errors.New("the upstream record is claimed by another idempotency key")
)

// InProgressError: another request holds the key (or the target lock), and
// its lease is live. Retry with the same key after RetryAfter.
type InProgressError struct{ RetryAfter time.Duration }

func (e *InProgressError) Error() string {
	return fmt.Sprintf("a request with this idempotency key is still in progress; retry in %s", e.RetryAfter)
}

// RetryAfterSeconds is RetryAfter rounded up, at least 1.
func (e *InProgressError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// Options tune a store; zero values take the defaults shown.
type Options struct {
	// TTL is how long a key, its outcome and the claims are remembered: 24h.
	TTL time.Duration
	// Lease is how long a reservation or a lock lives without being
	// renewed: 10s. Holders renew it every Lease/3 (Keep).
	Lease time.Duration
	// LockPoll is how often Lock retries a held lock: 20ms.
	LockPoll time.Duration
	// Prefix namespaces Redis keys: "pg:idem:".
	Prefix string
	// WaitReplicas, for a Redis store, is how many replicas must hold each
	// write the exactly-once guarantee rests on before it counts: a key's
	// reservation (Begin), arming, attempts and lease renewals, its outcome
	// (Complete), target locks and their renewals, and claims. Redis
	// replicates asynchronously, so a master that crashes right after a
	// write can take it with it, and the replica promoted in its place
	// would let a retry apply a move a second time. The store sends WAIT
	// after each such write, on the connection that made it, and a write
	// fewer replicas acknowledged within WaitTimeout fails with
	// ErrNotReplicated. 0 (the default) sends no WAIT. The memory store
	// ignores it.
	WaitReplicas int
	// WaitTimeout bounds each WAIT: 500ms.
	WaitTimeout time.Duration
	Now         func() time.Time
}

func (o *Options) setDefaults() {
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Second
	}
	if o.LockPoll <= 0 {
		o.LockPoll = 20 * time.Millisecond
	}
	if o.Prefix == "" {
		o.Prefix = "pg:idem:"
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 500 * time.Millisecond
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

// Attempt is an upstream call as its key remembers it before the call.
type Attempt struct {
	// Since is where a search of the target's records starts.
	Since time.Time `json:"since"`
	// Seen are the ids of the target's matching records that existed
	// before the call: none of them is the call's.
	Seen []string `json:"seen,omitempty"`
	// Deadline is when the call ends at the latest: until then "not in
	// the records yet" proves nothing.
	Deadline time.Time `json:"deadline"`
}

// Record states.
const (
	stateReserved = "reserved"
	stateArmed    = "armed"
	stateDone     = "done"
)

// record is a key's state as the backends keep it.
type record struct {
	State    string
	Digest   string
	Owner    string
	Lease    time.Time
	Expires  time.Time
	Attempts map[string]*Attempt // by target
	Outcome  []byte
}

// backend is the atomic steps of the two stores.
type backend interface {
	// begin creates the record (fresh), or returns the stored one
	// unchanged (done, conflict, held), or takes it over with owner.
	begin(ctx context.Context, scope, key, digest, owner string, now time.Time, o *Options) (beginState, record, error)
	// update changes owner's record: state ("" keeps it), the attempt of
	// target (when target is not "": a nil a deletes it), lease.
	// ErrNotOwner when owner does not hold it.
	update(ctx context.Context, scope, key, owner, state, target string, a *Attempt, lease time.Time, now time.Time) error
	complete(ctx context.Context, scope, key, owner string, outcome []byte, now time.Time, o *Options) error
	// drop deletes owner's reserved record; ErrArmed when it is armed.
	drop(ctx context.Context, scope, key, owner string) error

	// lock takes target's lock for token until expires, or returns how
	// long the current holder's lock lives on.
	lock(ctx context.Context, target, token string, now, expires time.Time) (bool, time.Duration, error)
	renewLock(ctx context.Context, target, token string, now, expires time.Time) error
	unlock(ctx context.Context, target, token string) error
	// claims returns the claimant of each of ids ("" when unclaimed).
	claims(ctx context.Context, target string, ids []string, now time.Time) ([]string, error)
	// claim records ids as claimant's, if token still holds target's lock
	// (ErrNotOwner) and no id is another claimant's (ErrClaimed).
	claim(ctx context.Context, target, token, claimant string, ids []string, now time.Time, o *Options) error
}

type beginState int

const (
	beginFresh beginState = iota
	beginTaken
	beginDone
	beginHeld
	beginConflict
)

// Store keeps keys, target locks and claims over a backend.
type Store struct {
	b    backend
	opts Options
}

// Reservation is a key the caller holds.
type Reservation struct {
	s                 *Store
	scope, key, owner string
	// Armed is set when the key's arguments were approved (its
	// verification code accepted) by this or an earlier holder.
	Armed bool
	// Attempts are the calls an earlier holder made and did not settle, by
	// target. Until its Deadline a call may still be running.
	Attempts map[string]*Attempt
}

// Begin reserves key for the caller, or answers what the key already holds:
// the first successful outcome (replay, non-nil), ErrConflict for other
// arguments (digest), an *InProgressError while another holder's lease is
// live. A key whose holder died is taken over: the Reservation then carries
// what that holder left (Armed, Attempt).
func (s *Store) Begin(ctx context.Context, scope, key, digest string) (*Reservation, []byte, error) {
	if !ValidKey(key) {
		return nil, nil, ErrInvalidKey
	}
	if scope == "" || digest == "" {
		return nil, nil, errors.New("idempotency: empty scope or digest")
	}
	owner := newToken()
	now := s.opts.Now()
	st, rec, err := s.b.begin(ctx, scope, key, digest, owner, now, &s.opts)
	if err != nil {
		return nil, nil, err
	}
	switch st {
	case beginConflict:
		return nil, nil, ErrConflict
	case beginDone:
		return nil, rec.Outcome, nil
	case beginHeld:
		return nil, nil, &InProgressError{RetryAfter: rec.Lease.Sub(now)}
	}
	if rec.Attempts == nil {
		rec.Attempts = map[string]*Attempt{}
	}
	return &Reservation{s: s, scope: scope, key: key, owner: owner, Armed: rec.State == stateArmed, Attempts: rec.Attempts}, nil, nil
}

// Keep renews the reservation's lease every Lease/3 until stop is called.
// lost is closed when the lease could not be renewed because another
// request took the key over.
func (r *Reservation) Keep(ctx context.Context) (stop func(), lost <-chan struct{}) {
	return keep(ctx, r.s.opts.Lease/3, func(ctx context.Context) error {
		return r.s.b.update(ctx, r.scope, r.key, r.owner, "", "", nil, r.s.opts.Now().Add(r.s.opts.Lease), r.s.opts.Now())
	})
}

// Arm records that the key's arguments are approved: from now on the key is
// never released, and a retry with the same key needs no new code.
func (r *Reservation) Arm(ctx context.Context) error {
	if err := r.s.b.update(ctx, r.scope, r.key, r.owner, stateArmed, "", nil, r.s.opts.Now().Add(r.s.opts.Lease), r.s.opts.Now()); err != nil {
		return err
	}
	r.Armed = true
	return nil
}

// Record remembers the upstream call about to be made on target (nil: the
// last call on target was settled as not applied).
func (r *Reservation) Record(ctx context.Context, target string, a *Attempt) error {
	if target == "" {
		return errors.New("idempotency: attempt without a target")
	}
	if err := r.s.b.update(ctx, r.scope, r.key, r.owner, "", target, a, r.s.opts.Now().Add(r.s.opts.Lease), r.s.opts.Now()); err != nil {
		return err
	}
	if a == nil {
		delete(r.Attempts, target)
	} else {
		r.Attempts[target] = a
	}
	return nil
}

// Busy is how long the latest of the earlier holder's calls may still be
// running (0: none is).
func (r *Reservation) Busy() time.Duration {
	var busy time.Duration
	now := r.s.opts.Now()
	for _, a := range r.Attempts {
		busy = max(busy, a.Deadline.Sub(now))
	}
	return busy
}

// Complete stores the outcome for replays and ends the reservation.
func (r *Reservation) Complete(ctx context.Context, outcome []byte) error {
	return r.s.b.complete(ctx, r.scope, r.key, r.owner, outcome, r.s.opts.Now(), &r.s.opts)
}

// Release ends the reservation. A key that was never armed is forgotten (a
// retry starts afresh); an armed one stays armed, with its attempt, and can
// be taken over at once by a retry with the same key and arguments.
func (r *Reservation) Release(ctx context.Context) error {
	if !r.Armed {
		return r.s.b.drop(ctx, r.scope, r.key, r.owner)
	}
	now := r.s.opts.Now()
	return r.s.b.update(ctx, r.scope, r.key, r.owner, "", "", nil, now, now)
}

// Claimant names the key in the claims it makes.
func (r *Reservation) Claimant() string { return r.scope + "\x00" + r.key }

// Lock is a target lock the caller holds.
type Lock struct {
	s      *Store
	target string
	token  string
}

// Lock takes target's lock, waiting while another request holds it, until
// ctx ends.
func (s *Store) Lock(ctx context.Context, target string) (*Lock, error) {
	token := newToken()
	var held time.Duration // what the holder had left at the last look
	for {
		now := s.opts.Now()
		ok, left, err := s.b.lock(ctx, target, token, now, now.Add(s.opts.Lease))
		if err != nil {
			if held > 0 && ctx.Err() != nil { // the wait ended as the poll timer fired
				return nil, &InProgressError{RetryAfter: max(held, time.Second)}
			}
			return nil, err
		}
		held = left
		if ok {
			return &Lock{s: s, target: target, token: token}, nil
		}
		wait := min(s.opts.LockPoll, max(left, time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, &InProgressError{RetryAfter: max(left, time.Second)}
		}
	}
}

// Keep renews the lock every Lease/3 until stop is called; lost is closed
// when it could not be renewed.
func (l *Lock) Keep(ctx context.Context) (stop func(), lost <-chan struct{}) {
	return keep(ctx, l.s.opts.Lease/3, func(ctx context.Context) error {
		now := l.s.opts.Now()
		return l.s.b.renewLock(ctx, l.target, l.token, now, now.Add(l.s.opts.Lease))
	})
}

// Unlock releases the lock (a lock already lost is left alone).
func (l *Lock) Unlock(ctx context.Context) error { return l.s.b.unlock(ctx, l.target, l.token) }

// Unclaimed returns the ids not claimed by any key but claimant.
func (l *Lock) Unclaimed(ctx context.Context, claimant string, ids []string) ([]string, error) {
	by, err := l.s.b.claims(ctx, l.target, ids, l.s.opts.Now())
	if err != nil {
		return nil, err
	}
	var out []string
	for i, id := range ids {
		if by[i] == "" || by[i] == claimant {
			out = append(out, id)
		}
	}
	return out, nil
}

// Claim records ids as claimant's: only while the lock is still held
// (ErrNotOwner) and none is another key's (ErrClaimed).
func (l *Lock) Claim(ctx context.Context, claimant string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return l.s.b.claim(ctx, l.target, l.token, claimant, ids, l.s.opts.Now(), &l.s.opts)
}

// keep runs renew every interval until stop; lost closes after a renewal
// answered ErrNotOwner. Other renewal errors (a store hiccup) are retried
// at the next tick: the lease is three intervals long.
func keep(ctx context.Context, every time.Duration, renew func(context.Context) error) (func(), <-chan struct{}) {
	done := make(chan struct{})
	lost := make(chan struct{})
	ctx = context.WithoutCancel(ctx)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(ctx, every)
				err := renew(rctx)
				cancel()
				if errors.Is(err, ErrNotOwner) {
					close(lost)
					<-done
					return
				}
			}
		}
	}()
	var stopped bool
	return func() {
		if !stopped {
			stopped = true
			close(done)
		}
	}, lost
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
