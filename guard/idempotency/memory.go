package idempotency

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// NewMemoryStore returns a store for one process.
func NewMemoryStore(o Options) *Store {
	o.setDefaults()
	return &Store{b: &memory{keys: map[[2]string]*record{}, locks: map[string]memLock{}, byTarget: map[string]map[string]memClaim{}}, opts: o}
}

type memory struct {
	mu       sync.Mutex
	keys     map[[2]string]*record
	locks    map[string]memLock
	byTarget map[string]map[string]memClaim // target → record id → claim
	ops      int
}

type memLock struct {
	token   string
	expires time.Time
}

type memClaim struct {
	claimant string
	expires  time.Time
}

func (m *memory) begin(_ context.Context, scope, key, digest, owner string, now time.Time, o *Options) (beginState, record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	k := [2]string{scope, key}
	r, ok := m.keys[k]
	if !ok || !r.Expires.After(now) {
		r = &record{State: stateReserved, Digest: digest, Owner: owner, Lease: now.Add(o.Lease), Expires: now.Add(o.TTL)}
		m.keys[k] = r
		return beginFresh, *r, nil
	}
	switch {
	case r.Digest != digest:
		return beginConflict, record{}, nil
	case r.State == stateDone:
		return beginDone, record{Outcome: slices.Clone(r.Outcome)}, nil
	case r.Lease.After(now):
		return beginHeld, record{Lease: r.Lease}, nil
	}
	r.Owner, r.Lease = owner, now.Add(o.Lease)
	taken := *r
	taken.Attempts = maps.Clone(r.Attempts)
	return beginTaken, taken, nil
}

func (m *memory) update(_ context.Context, scope, key, owner, state, target string, a *Attempt, lease, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.keys[[2]string{scope, key}]
	if !ok || r.State == stateDone || r.Owner != owner || !r.Expires.After(now) {
		return ErrNotOwner
	}
	if state != "" {
		r.State = state
	}
	switch {
	case target == "":
	case a == nil:
		delete(r.Attempts, target)
	default:
		if r.Attempts == nil {
			r.Attempts = map[string]*Attempt{}
		}
		c := *a
		c.Seen = slices.Clone(a.Seen)
		r.Attempts[target] = &c
	}
	r.Lease = lease
	return nil
}

func (m *memory) complete(_ context.Context, scope, key, owner string, outcome []byte, now time.Time, o *Options) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.keys[[2]string{scope, key}]
	if !ok || r.State == stateDone || r.Owner != owner || !r.Expires.After(now) {
		return ErrNotOwner
	}
	*r = record{State: stateDone, Digest: r.Digest, Outcome: slices.Clone(outcome), Expires: now.Add(o.TTL)}
	return nil
}

func (m *memory) drop(_ context.Context, scope, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{scope, key}
	r, ok := m.keys[k]
	switch {
	case !ok || r.State == stateDone || r.Owner != owner:
		return ErrNotOwner
	case r.State == stateArmed:
		return ErrArmed
	}
	delete(m.keys, k)
	return nil
}

func (m *memory) lock(_ context.Context, target, token string, now, expires time.Time) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[target]; ok && l.expires.After(now) {
		return false, l.expires.Sub(now), nil
	}
	m.locks[target] = memLock{token: token, expires: expires}
	return true, 0, nil
}

func (m *memory) renewLock(_ context.Context, target, token string, now, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[target]; !ok || l.token != token || !l.expires.After(now) {
		return ErrNotOwner
	}
	m.locks[target] = memLock{token: token, expires: expires}
	return nil
}

func (m *memory) unlock(_ context.Context, target, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[target]; ok && l.token == token {
		delete(m.locks, target)
	}
	return nil
}

func (m *memory) claims(_ context.Context, target string, ids []string, now time.Time) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, len(ids))
	for i, id := range ids {
		if c, ok := m.byTarget[target][id]; ok && c.expires.After(now) {
			out[i] = c.claimant
		}
	}
	return out, nil
}

func (m *memory) claim(_ context.Context, target, token, claimant string, ids []string, now time.Time, o *Options) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[target]; !ok || l.token != token || !l.expires.After(now) {
		return ErrNotOwner
	}
	cs := m.byTarget[target]
	for _, id := range ids {
		if c, ok := cs[id]; ok && c.claimant != claimant && c.expires.After(now) {
			return ErrClaimed
		}
	}
	if cs == nil {
		cs = map[string]memClaim{}
		m.byTarget[target] = cs
	}
	for _, id := range ids {
		cs[id] = memClaim{claimant: claimant, expires: now.Add(o.TTL)}
	}
	return nil
}

// sweep drops expired keys, locks and claims every few hundred calls to
// bound memory.
func (m *memory) sweep(now time.Time) {
	m.ops++
	if m.ops%256 != 0 {
		return
	}
	for k, r := range m.keys {
		if !r.Expires.After(now) {
			delete(m.keys, k)
		}
	}
	for t, l := range m.locks {
		if !l.expires.After(now) {
			delete(m.locks, t)
		}
	}
	for t, cs := range m.byTarget {
		for id, c := range cs {
			if !c.expires.After(now) {
				delete(cs, id)
			}
		}
		if len(cs) == 0 {
			delete(m.byTarget, t)
		}
	}
}
