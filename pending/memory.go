package pending

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is the single-process Store: other gateway instances do not
// see its entries.
type MemoryStore struct {
	opts Options
	mu   sync.Mutex
	// customers: scope key -> id -> entry; n counts them all.
	customers map[string]map[string]Customer
	n         int
	subs      map[string]memSub
}

type memSub struct {
	s   Submission
	exp time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(o Options) *MemoryStore {
	o.setDefaults()
	return &MemoryStore{opts: o, customers: map[string]map[string]Customer{}, subs: map[string]memSub{}}
}

func (s *MemoryStore) expired(c Customer, now time.Time) bool {
	return !c.Created.Add(s.opts.TTL).After(now)
}

// Add implements Store. When full it drops the expired entries, then the
// oldest one.
func (s *MemoryStore) Add(_ context.Context, c Customer) error {
	now := s.opts.Now()
	if s.expired(c, now) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := scopeKey(c.Account, c.Indirect)
	m := s.customers[k]
	if m == nil {
		m = map[string]Customer{}
		s.customers[k] = m
	}
	if _, ok := m[c.ID]; !ok {
		if s.n >= s.opts.Max {
			s.evict(now)
		}
		s.n++
	}
	m[c.ID] = c
	return nil
}

// evict drops the expired customers and, if still full, the oldest one.
func (s *MemoryStore) evict(now time.Time) {
	var oldK, oldID string
	var old time.Time
	for k, m := range s.customers {
		for id, c := range m {
			switch {
			case s.expired(c, now):
				s.drop(k, id)
			case oldID == "" || c.Created.Before(old):
				oldK, oldID, old = k, id, c.Created
			}
		}
	}
	if s.n >= s.opts.Max && oldID != "" {
		s.drop(oldK, oldID)
	}
}

func (s *MemoryStore) drop(k, id string) {
	m := s.customers[k]
	if _, ok := m[id]; !ok {
		return
	}
	delete(m, id)
	s.n--
	if len(m) == 0 {
		delete(s.customers, k)
	}
}

// List implements Store; it drops the scope's expired entries.
func (s *MemoryStore) List(_ context.Context, account, indirect, id string) ([]Customer, error) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := scopeKey(account, indirect)
	var out []Customer
	for cid, c := range s.customers[k] {
		if s.expired(c, now) {
			s.drop(k, cid)
			continue
		}
		if id == "" || cid == id {
			out = append(out, c)
		}
	}
	sortCustomers(out)
	return out, nil
}

// Settle implements Store.
func (s *MemoryStore) Settle(_ context.Context, account, indirect string, ids ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := scopeKey(account, indirect)
	for _, id := range ids {
		s.drop(k, id)
	}
	return nil
}

// Submit implements Store. When full it drops the expired entries, then the
// soonest-expiring one.
func (s *MemoryStore) Submit(_ context.Context, id string, sub Submission) error {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[id]; !ok && len(s.subs) >= s.opts.Max {
		var oldID string
		var old time.Time
		for k, e := range s.subs {
			switch {
			case !e.exp.After(now):
				delete(s.subs, k)
			case oldID == "" || e.exp.Before(old):
				oldID, old = k, e.exp
			}
		}
		if len(s.subs) >= s.opts.Max {
			delete(s.subs, oldID)
		}
	}
	s.subs[id] = memSub{s: sub, exp: now.Add(s.opts.SubmissionTTL)}
	return nil
}

// Submission implements Store.
func (s *MemoryStore) Submission(_ context.Context, id string) (Submission, bool, error) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.subs[id]
	if !ok {
		return Submission{}, false, nil
	}
	if !e.exp.After(now) {
		delete(s.subs, id)
		return Submission{}, false, nil
	}
	return e.s, true, nil
}
