package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnergraph/internal/testredis"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var kinds = []struct {
	name string
	new  func(t *testing.T, o Options) *Store
}{
	{"memory", func(_ *testing.T, o Options) *Store { return NewMemoryStore(o) }},
	{"redis", func(t *testing.T, o Options) *Store { return NewRedisStore(testredis.Start(t), o) }},
}

var ctx = context.Background()

const (
	scope = "p1/alice"
	dA    = "digest-A"
	dB    = "digest-B"
)

func mustBegin(t *testing.T, s *Store, key, digest string) *Reservation {
	t.Helper()
	r, replay, err := s.Begin(ctx, scope, key, digest)
	if err != nil || r == nil || replay != nil {
		t.Fatalf("begin %s: %+v %q %v", key, r, replay, err)
	}
	return r
}

func inProgress(t *testing.T, err error) time.Duration {
	t.Helper()
	var ip *InProgressError
	if !errors.As(err, &ip) {
		t.Fatalf("got %v, want an InProgressError", err)
	}
	return ip.RetryAfter
}

var behaviours = []struct {
	name string
	run  func(t *testing.T, s *Store, c *clock)
}{
	{"fresh, complete, replay", func(t *testing.T, s *Store, c *clock) {
		r := mustBegin(t, s, "k1", dA)
		if r.Armed || len(r.Attempts) != 0 {
			t.Fatalf("fresh: %+v", r)
		}
		if err := r.Complete(ctx, []byte(`{"ok":true,"bin":"\u0000|x"}`)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			again, replay, err := s.Begin(ctx, scope, "k1", dA)
			if err != nil || again != nil || string(replay) != `{"ok":true,"bin":"\u0000|x"}` {
				t.Fatalf("replay: %+v %q %v", again, replay, err)
			}
		}
		if err := r.Complete(ctx, []byte("x")); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("second complete: %v", err)
		}
	}},
	{"other arguments conflict, even while held", func(t *testing.T, s *Store, c *clock) {
		mustBegin(t, s, "k1", dA)
		if _, _, err := s.Begin(ctx, scope, "k1", dB); !errors.Is(err, ErrConflict) {
			t.Fatalf("got %v", err)
		}
	}},
	{"a live holder makes duplicates answer at once with the lease left", func(t *testing.T, s *Store, c *clock) {
		mustBegin(t, s, "k1", dA)
		c.Advance(4 * time.Second)
		start := time.Now()
		_, _, err := s.Begin(ctx, scope, "k1", dA)
		if left := inProgress(t, err); left != 6*time.Second {
			t.Fatalf("retry after %s, want 6s", left)
		}
		if time.Since(start) > time.Second {
			t.Fatal("Begin waited for the holder")
		}
	}},
	{"a dead holder's key is taken over with what it left", func(t *testing.T, s *Store, c *clock) {
		old := mustBegin(t, s, "k1", dA)
		if err := old.Arm(ctx); err != nil {
			t.Fatal(err)
		}
		a := &Attempt{Since: c.Now().Add(-5 * time.Second).UTC().Truncate(time.Second), Seen: []string{"r1", "r2"}, Deadline: c.Now().Add(11 * time.Second).UTC().Truncate(time.Second)}
		if err := old.Record(ctx, "customer/c1", a); err != nil {
			t.Fatal(err)
		}
		if err := old.Record(ctx, "customer/c2", &Attempt{Deadline: a.Deadline.Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
		if err := old.Record(ctx, "customer/c2", nil); err != nil { // settled
			t.Fatal(err)
		}
		c.Advance(10 * time.Second) // the lease (10s) ran out
		r := mustBegin(t, s, "k1", dA)
		got := r.Attempts["customer/c1"]
		if !r.Armed || len(r.Attempts) != 1 || got == nil || !got.Since.Equal(a.Since) || !got.Deadline.Equal(a.Deadline) || strings.Join(got.Seen, ",") != "r1,r2" {
			t.Fatalf("taken over: %+v %+v", r, got)
		}
		if busy := r.Busy(); busy != time.Second {
			t.Fatalf("busy %s, want 1s", busy)
		}
		if err := old.Complete(ctx, []byte("late")); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("old holder's complete: %v", err)
		}
		if err := old.Record(ctx, "customer/c1", nil); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("old holder's record: %v", err)
		}
		if err := r.Record(ctx, "customer/c1", nil); err != nil {
			t.Fatal(err)
		}
		if err := r.Complete(ctx, []byte("new")); err != nil {
			t.Fatal(err)
		}
	}},
	{"release forgets an unarmed key, and keeps an armed one armed and takeable", func(t *testing.T, s *Store, c *clock) {
		r := mustBegin(t, s, "k1", dA)
		if err := r.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if r2 := mustBegin(t, s, "k1", dB); r2.Armed { // forgotten: other arguments are fine now
			t.Fatalf("%+v", r2)
		}
		r = mustBegin(t, s, "k2", dA)
		if err := r.Arm(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.Record(ctx, "customer/c1", &Attempt{Deadline: c.Now().Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
		if err := r.Release(ctx); err != nil {
			t.Fatal(err)
		}
		next := mustBegin(t, s, "k2", dA) // at once, no lease to wait out
		if !next.Armed || next.Attempts["customer/c1"] == nil {
			t.Fatalf("after release: %+v", next)
		}
		if _, _, err := s.Begin(ctx, scope, "k2", dB); !errors.Is(err, ErrConflict) {
			t.Fatalf("armed key with other arguments: %v", err)
		}
	}},
	{"a target lock is exclusive and passes on", func(t *testing.T, s *Store, c *clock) {
		l, err := s.Lock(ctx, "customer/c1")
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 60*time.Millisecond)
		defer cancel()
		if _, err := s.Lock(short, "customer/c1"); inProgress(t, err) <= 0 {
			t.Fatal("no retry time")
		}
		other, err := s.Lock(ctx, "customer/c2") // another target: free
		if err != nil {
			t.Fatal(err)
		}
		_ = other.Unlock(ctx)
		got := make(chan *Lock)
		go func() {
			l2, err := s.Lock(ctx, "customer/c1")
			if err != nil {
				t.Error(err)
			}
			got <- l2
		}()
		time.Sleep(50 * time.Millisecond)
		if err := l.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case l2 := <-got:
			_ = l2.Unlock(ctx)
		case <-time.After(5 * time.Second):
			t.Fatal("the waiting Lock did not get the lock")
		}
	}},
	{"a lock dies with its holder and fences its claims", func(t *testing.T, s *Store, c *clock) {
		l, err := s.Lock(ctx, "customer/c1")
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(11 * time.Second) // not renewed
		l2, err := s.Lock(ctx, "customer/c1")
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Claim(ctx, "k1", []string{"T1"}); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("claim through a lost lock: %v", err)
		}
		if err := l.Unlock(ctx); err != nil { // leaves the new holder alone
			t.Fatal(err)
		}
		if err := l2.Claim(ctx, "k2", []string{"T1"}); err != nil {
			t.Fatal(err)
		}
	}},
	{"a record is claimed by one key", func(t *testing.T, s *Store, c *clock) {
		l, err := s.Lock(ctx, "customer/c1")
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Claim(ctx, "k1", []string{"T1", "T2"}); err != nil {
			t.Fatal(err)
		}
		if err := l.Claim(ctx, "k1", []string{"T2"}); err != nil { // again by its claimant: fine
			t.Fatal(err)
		}
		if err := l.Claim(ctx, "k2", []string{"T3", "T2"}); !errors.Is(err, ErrClaimed) {
			t.Fatalf("another key claiming T2: %v", err)
		}
		free, err := l.Unclaimed(ctx, "k2", []string{"T1", "T2", "T3"})
		if err != nil || strings.Join(free, ",") != "T3" {
			t.Fatalf("unclaimed for k2: %v %v", free, err)
		}
		if free, _ := l.Unclaimed(ctx, "k1", []string{"T1", "T3"}); strings.Join(free, ",") != "T1,T3" {
			t.Fatalf("unclaimed for k1 (its own count): %v", free)
		}
		other, err := s.Lock(ctx, "customer/c2")
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Claim(ctx, "k2", []string{"T1"}); err != nil { // claims are per target
			t.Fatal(err)
		}
	}},
	{"expired keys start afresh", func(t *testing.T, s *Store, c *clock) {
		r := mustBegin(t, s, "k1", dA)
		if err := r.Complete(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
		c.Advance(25 * time.Hour)
		mustBegin(t, s, "k1", dB)
	}},
	{"concurrent duplicates: one holder, the rest told to retry", func(t *testing.T, s *Store, c *clock) {
		var holders, busy atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				r, _, err := s.Begin(ctx, scope, "k1", dA)
				switch {
				case r != nil:
					holders.Add(1)
				case err != nil:
					busy.Add(1)
				}
			})
		}
		wg.Wait()
		if holders.Load() != 1 || busy.Load() != 15 {
			t.Fatalf("holders %d, busy %d", holders.Load(), busy.Load())
		}
	}},
}

func TestBehaviours(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { runBehaviours(t, k.new) })
	}
}

func runBehaviours(t *testing.T, newStore func(t *testing.T, o Options) *Store) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			b.run(t, newStore(t, Options{Now: c.Now}), c)
		})
	}
}

// On a Redis Cluster (three masters), every script's keys share a slot:
// the behaviours hold, two instances share keys, locks and claims, and
// braces in an idempotency key neither move its record nor merge keys.
func TestOnCluster(t *testing.T) {
	rc := testredis.NewCluster(t, testredis.ClusterOptions{}).Client()
	defer rc.Close()
	var n atomic.Int32
	prefixed := func(o Options) Options { o.Prefix = fmt.Sprintf("t%d:", n.Add(1)); return o }
	t.Run("behaviours", func(t *testing.T) {
		runBehaviours(t, func(_ *testing.T, o Options) *Store { return NewRedisStore(rc, prefixed(o)) })
	})
	t.Run("instances share", func(t *testing.T) {
		o := prefixed(Options{})
		instancesShare(t, NewRedisStore(rc, o), NewRedisStore(rc, o))
	})
	t.Run("braces in keys", func(t *testing.T) {
		s := NewRedisStore(rc, prefixed(Options{}))
		for _, k := range []string{"a}", "{a}", "a%7D", "}{", "%"} {
			r := mustBegin(t, s, k, dA)
			if err := r.Complete(ctx, []byte("done:"+k)); err != nil {
				t.Fatalf("%q: %v", k, err)
			}
		}
		for _, k := range []string{"a}", "{a}", "a%7D", "}{", "%"} {
			if _, replay, err := s.Begin(ctx, scope, k, dA); err != nil || string(replay) != "done:"+k {
				t.Fatalf("%q replays %q, %v", k, replay, err)
			}
		}
	})
}

// The hash tag of a key record is the whole escaped scope and key,
// whatever braces the key holds.
func TestKeyHashTag(t *testing.T) {
	r := &redisBackend{prefix: "pg:idem:"}
	for key, want := range map[string]string{
		"plain":  "p1%2Falice:plain",
		"a}b{c":  "p1%2Falice:a%7Db%7Bc",
		"{}":     "p1%2Falice:%7B%7D",
		"100%}":  "p1%2Falice:100%25%7D",
		"x{y}z}": "p1%2Falice:x%7By%7Dz%7D",
	} {
		k := r.key(scope, key)
		open := strings.IndexByte(k, '{')
		end := strings.IndexByte(k[open+1:], '}')
		if got := k[open+1 : open+1+end]; got != want || open+1+end != len(k)-1 {
			t.Errorf("key %q: %s has tag %q, want %q closing the key", key, k, got, want)
		}
	}
	lock, claims := r.target("customer/{c}")
	if !strings.HasSuffix(lock, "t:{customer%2F%7Bc%7D}:lock") || !strings.HasSuffix(claims, "t:{customer%2F%7Bc%7D}:claims") {
		t.Errorf("target keys %s %s", lock, claims)
	}
}

// Keep renews a lease on the real clock: a working holder is never taken
// over, a stopped one is within a lease.
func TestKeep(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			s := k.new(t, Options{Lease: 300 * time.Millisecond})
			r := mustBegin(t, s, "k1", dA)
			stop, lost := r.Keep(ctx)
			time.Sleep(time.Second)
			if _, _, err := s.Begin(ctx, scope, "k1", dA); err == nil {
				t.Fatal("a kept reservation was taken over")
			}
			stop()
			time.Sleep(400 * time.Millisecond)
			if r2, _, err := s.Begin(ctx, scope, "k1", dA); err != nil || r2 == nil {
				t.Fatalf("after stop: %v", err)
			}
			select {
			case <-lost:
				t.Fatal("lost closed after a clean stop")
			default:
			}
			l, err := s.Lock(ctx, "t")
			if err != nil {
				t.Fatal(err)
			}
			stopLock, _ := l.Keep(ctx)
			time.Sleep(time.Second)
			if err := l.Claim(ctx, "k1", []string{"x"}); err != nil {
				t.Fatalf("a kept lock was lost: %v", err)
			}
			stopLock()
		})
	}
}

// Keep reports a lease taken over by another request.
func TestKeepLost(t *testing.T) {
	c := &clock{t: time.Now()}
	s := NewMemoryStore(Options{Lease: 150 * time.Millisecond, Now: c.Now})
	r := mustBegin(t, s, "k1", dA)
	c.Advance(time.Second)
	mustBegin(t, s, "k1", dA) // another request takes it over
	stop, lost := r.Keep(ctx)
	defer stop()
	select {
	case <-lost:
	case <-time.After(2 * time.Second):
		t.Fatal("lost was not closed")
	}
}

// Two stores on one Redis are two gateway instances: they share keys,
// locks and claims.
func TestInstancesShareRedis(t *testing.T) {
	rc := testredis.Start(t)
	instancesShare(t, NewRedisStore(rc, Options{}), NewRedisStore(rc, Options{}))
}

func instancesShare(t *testing.T, a, b *Store) {
	r, _, err := a.Begin(ctx, scope, "shared", dA)
	if err != nil || r == nil {
		t.Fatal(err)
	}
	if _, _, err := b.Begin(ctx, scope, "shared", dA); err == nil {
		t.Fatal("instance B took a key A holds")
	}
	if err := r.Complete(ctx, []byte("done-by-A")); err != nil {
		t.Fatal(err)
	}
	if _, replay, err := b.Begin(ctx, scope, "shared", dA); err != nil || string(replay) != "done-by-A" {
		t.Fatalf("replay through B: %q %v", replay, err)
	}
	l, err := a.Lock(ctx, "customer/c1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(short, "customer/c1"); err == nil {
		t.Fatal("instance B took a lock A holds")
	}
	if err := l.Claim(ctx, "A", []string{"T1"}); err != nil {
		t.Fatal(err)
	}
	_ = l.Unlock(ctx)
	lb, err := b.Lock(ctx, "customer/c1")
	if err != nil {
		t.Fatal(err)
	}
	if err := lb.Claim(ctx, "B", []string{"T1"}); !errors.Is(err, ErrClaimed) {
		t.Fatalf("B claiming A's record: %v", err)
	}
}

func TestValidKey(t *testing.T) {
	for k, want := range map[string]bool{
		"": false, "a": true, strings.Repeat("x", MaxKeyLen): true, strings.Repeat("x", MaxKeyLen+1): false,
		"with space": false, "tab\t": false, "ünï": false, "01J9Z3-uuid_ok.~": true,
	} {
		if got := ValidKey(k); got != want {
			t.Errorf("ValidKey(%q) = %v", k, got)
		}
	}
}
