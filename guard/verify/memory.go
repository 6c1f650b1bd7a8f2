package verify

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is the single-process Store (sandbox mode without Redis). All
// operations run under one mutex, which gives the same atomicity the Redis
// scripts give.
type MemoryStore struct {
	mu       sync.Mutex
	ch       map[string]*memChallenge
	current  map[[2]string]string // principal, op -> challenge id
	cooldown map[[2]string]time.Time
	sends    map[string][]time.Time
	global   []time.Time
	fails    map[string][]time.Time
	locks    map[string]time.Time
	enabled  map[string]bool
	ops      int
	// longest windows seen, so sweep never drops live counters
	sendWindow, failWindow time.Duration
}

type memChallenge struct {
	Record
	attempts int
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		ch:       map[string]*memChallenge{},
		current:  map[[2]string]string{},
		cooldown: map[[2]string]time.Time{},
		sends:    map[string][]time.Time{},
		fails:    map[string][]time.Time{},
		locks:    map[string]time.Time{},
		enabled:  map[string]bool{},
	}
}

// prune drops timestamps at or before now-window; ts is kept sorted.
func prune(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	cut := now.Add(-window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return ts[i:]
}

// windowRetry is how long until ts (already pruned) has room for one more.
func windowRetry(ts []time.Time, limit int, now time.Time, window time.Duration) time.Duration {
	if limit <= 0 || len(ts) < limit {
		return 0
	}
	return ts[0].Add(window).Sub(now)
}

// Create implements Store.
func (m *MemoryStore) Create(_ context.Context, rec Record, lim SendLimits, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	var rl RateLimitedError
	bump := func(d time.Duration, reason string) {
		if d > rl.RetryAfter {
			rl.RetryAfter, rl.Reason = d, reason
		}
	}
	pk, slot := rec.PrincipalKey, [2]string{rec.PrincipalKey, rec.Operation}
	if until, ok := m.locks[pk]; ok && until.After(now) {
		bump(until.Sub(now), ReasonLocked)
	}
	if until, ok := m.cooldown[slot]; ok && until.After(now) {
		bump(until.Sub(now), ReasonCooldown)
	}
	m.sends[pk] = prune(m.sends[pk], now, lim.PerPrincipalWindow)
	bump(windowRetry(m.sends[pk], lim.PerPrincipal, now, lim.PerPrincipalWindow), ReasonPrincipal)
	m.global = prune(m.global, now, lim.GlobalWindow)
	bump(windowRetry(m.global, lim.Global, now, lim.GlobalWindow), ReasonGlobal)
	if rl.RetryAfter > 0 {
		return &rl
	}
	m.sendWindow = max(m.sendWindow, lim.PerPrincipalWindow)
	m.sends[pk] = append(m.sends[pk], now)
	m.global = append(m.global, now)
	if lim.Cooldown > 0 {
		m.cooldown[slot] = now.Add(lim.Cooldown)
	}
	if old, ok := m.current[slot]; ok {
		delete(m.ch, old)
	}
	r := rec
	r.MAC = append([]byte(nil), rec.MAC...)
	m.ch[rec.ID] = &memChallenge{Record: r}
	m.current[slot] = rec.ID
	return nil
}

// Attempt implements Store.
func (m *MemoryStore) Attempt(_ context.Context, id, principalKey string, maxAttempts int, now time.Time) (Attempted, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if until, ok := m.locks[principalKey]; ok && until.After(now) {
		return Attempted{Status: AttemptLocked}, nil
	}
	c, ok := m.ch[id]
	if !ok {
		return Attempted{Status: AttemptMissing}, nil
	}
	if !c.ExpiresAt.After(now) || c.attempts >= maxAttempts {
		return Attempted{Status: AttemptDead}, nil
	}
	c.attempts++
	return Attempted{Status: AttemptOK, PrincipalKey: c.PrincipalKey, Operation: c.Operation, Digest: c.Digest, MAC: append([]byte(nil), c.MAC...)}, nil
}

// Finish implements Store.
func (m *MemoryStore) Finish(_ context.Context, id, principalKey string, matched bool, fp FailurePolicy, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, locked := m.locks[principalKey]
	locked = locked && until.After(now)
	if matched && !locked {
		if c, ok := m.ch[id]; ok && c.ExpiresAt.After(now) {
			delete(m.ch, id)
			return true, nil
		}
	}
	m.failWindow = max(m.failWindow, fp.Window)
	f := append(prune(m.fails[principalKey], now, fp.Window), now)
	m.fails[principalKey] = f
	if fp.MaxFailures > 0 && !locked && len(f) >= fp.MaxFailures {
		m.locks[principalKey] = now.Add(fp.LockFor)
	}
	return false, nil
}

// Cancel implements Store.
func (m *MemoryStore) Cancel(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.ch, id)
	return nil
}

// Enabled implements Store.
func (m *MemoryStore) Enabled(_ context.Context, partnerID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.enabled[partnerID]; ok {
		return v, nil
	}
	return true, nil
}

// SetEnabled implements Store.
func (m *MemoryStore) SetEnabled(_ context.Context, partnerID string, enabled bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.enabled[partnerID] = enabled
	return nil
}

// sweep bounds memory: every few hundred calls it drops challenges, locks and
// cooldowns that ended more than cleanupSlack ago, and empty windows.
func (m *MemoryStore) sweep(now time.Time) {
	m.ops++
	if m.ops%256 != 0 {
		return
	}
	old := now.Add(-cleanupSlack)
	for id, c := range m.ch {
		if c.ExpiresAt.Before(old) {
			delete(m.ch, id)
		}
	}
	for k, id := range m.current {
		if _, ok := m.ch[id]; !ok {
			delete(m.current, k)
		}
	}
	for k, t := range m.cooldown {
		if t.Before(old) {
			delete(m.cooldown, k)
		}
	}
	for k, t := range m.locks {
		if t.Before(old) {
			delete(m.locks, k)
		}
	}
	for k, ts := range m.sends {
		if len(ts) == 0 || ts[len(ts)-1].Before(old.Add(-m.sendWindow)) {
			delete(m.sends, k)
		}
	}
	for k, ts := range m.fails {
		if len(ts) == 0 || ts[len(ts)-1].Before(old.Add(-m.failWindow)) {
			delete(m.fails, k)
		}
	}
}
