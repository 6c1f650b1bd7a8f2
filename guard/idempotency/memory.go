package idempotency

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is the single-process Store.
type MemoryStore struct {
	opts Options
	mu   sync.Mutex
	m    map[[2]string]*memEntry
	ops  int
}

type memEntry struct {
	done     bool
	digest   string
	owner    string
	lease    time.Time
	expires  time.Time
	outcome  []byte
	complete time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(o Options) *MemoryStore {
	o.setDefaults()
	return &MemoryStore{opts: o, m: map[[2]string]*memEntry{}}
}

// Begin implements Store.
func (s *MemoryStore) Begin(ctx context.Context, scope, key, digest string) (Outcome, bool, error) {
	return begin(ctx, s, &s.opts, scope, key, digest)
}

// Complete implements Store.
func (s *MemoryStore) Complete(ctx context.Context, scope, key, owner string, outcome []byte) error {
	return s.complete(ctx, scope, key, owner, outcome, s.opts.Now(), &s.opts)
}

// Release implements Store.
func (s *MemoryStore) Release(ctx context.Context, scope, key, owner string) error {
	return s.release(ctx, scope, key, owner)
}

func (s *MemoryStore) try(_ context.Context, scope, key, digest, owner string, now time.Time, o *Options) (state, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	k := [2]string{scope, key}
	e, ok := s.m[k]
	if !ok || !e.expires.After(now) {
		s.m[k] = &memEntry{digest: digest, owner: owner, lease: now.Add(o.Lease), expires: now.Add(o.TTL)}
		return stFresh, nil, nil
	}
	switch {
	case e.digest != digest:
		return stConflict, nil, nil
	case e.done:
		return stDone, append([]byte(nil), e.outcome...), nil
	case !e.lease.After(now):
		e.owner, e.lease = owner, now.Add(o.Lease)
		return stTakeover, nil, nil
	}
	return stPending, nil, nil
}

func (s *MemoryStore) complete(_ context.Context, scope, key, owner string, outcome []byte, now time.Time, o *Options) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[[2]string{scope, key}]
	if !ok || e.done || e.owner != owner || !e.expires.After(now) {
		return ErrNotOwner
	}
	e.done, e.owner, e.outcome, e.complete, e.expires = true, "", append([]byte(nil), outcome...), now, now.Add(o.TTL)
	return nil
}

func (s *MemoryStore) release(_ context.Context, scope, key, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{scope, key}
	e, ok := s.m[k]
	if !ok || e.done || e.owner != owner {
		return ErrNotOwner
	}
	delete(s.m, k)
	return nil
}

// sweep drops expired entries every few hundred calls to bound memory.
func (s *MemoryStore) sweep(now time.Time) {
	s.ops++
	if s.ops%256 != 0 {
		return
	}
	for k, e := range s.m {
		if !e.expires.After(now) {
			delete(s.m, k)
		}
	}
}
