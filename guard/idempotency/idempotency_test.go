package idempotency

import (
	"context"
	"errors"
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
	new  func(t *testing.T, o Options) Store
}{
	{"memory", func(_ *testing.T, o Options) Store { return NewMemoryStore(o) }},
	{"redis", func(t *testing.T, o Options) Store { return NewRedisStore(testredis.Start(t), o) }},
}

var ctx = context.Background()

const (
	scope = "p1:alice"
	dA    = "digest-A"
	dB    = "digest-B"
)

var behaviours = []struct {
	name string
	run  func(t *testing.T, s Store, c *clock)
}{
	{"fresh, complete, replay", func(t *testing.T, s Store, c *clock) {
		out, fresh, err := s.Begin(ctx, scope, "k1", dA)
		if err != nil || !fresh || out.Owner == "" || out.TakenOver {
			t.Fatalf("begin: %+v %v %v", out, fresh, err)
		}
		if err := s.Complete(ctx, scope, "k1", out.Owner, []byte(`{"ok":true,"bin":"\u0000"}`)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			again, fresh, err := s.Begin(ctx, scope, "k1", dA)
			if err != nil || fresh || string(again.Data) != `{"ok":true,"bin":"\u0000"}` || again.Owner != "" {
				t.Fatalf("replay: %+v %v %v", again, fresh, err)
			}
		}
		if err := s.Complete(ctx, scope, "k1", out.Owner, []byte("x")); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("second complete: %v", err)
		}
	}},
	{"same key other arguments conflicts", func(t *testing.T, s Store, c *clock) {
		out, _, _ := s.Begin(ctx, scope, "k", dA)
		if _, _, err := s.Begin(ctx, scope, "k", dB); !errors.Is(err, ErrConflict) {
			t.Fatalf("pending: %v", err)
		}
		_ = s.Complete(ctx, scope, "k", out.Owner, []byte("1"))
		if _, _, err := s.Begin(ctx, scope, "k", dB); !errors.Is(err, ErrConflict) {
			t.Fatalf("done: %v", err)
		}
	}},
	{"scopes are independent", func(t *testing.T, s Store, c *clock) {
		_, f1, _ := s.Begin(ctx, "p1:alice", "k", dA)
		_, f2, _ := s.Begin(ctx, "p1:bob", "k", dB)
		_, f3, _ := s.Begin(ctx, "p1:alice:x", "k", dB) // no prefix confusion
		if !f1 || !f2 || !f3 {
			t.Fatal("scopes collide")
		}
	}},
	{"invalid keys", func(t *testing.T, s Store, c *clock) {
		for _, k := range []string{"", strings.Repeat("a", 129), "has space", "new\nline", "tab\t", "ключ", "\x7f"} {
			if _, _, err := s.Begin(ctx, scope, k, dA); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("%q: %v", k, err)
			}
		}
		if _, fresh, err := s.Begin(ctx, scope, strings.Repeat("a", 128), dA); err != nil || !fresh {
			t.Fatalf("128 chars: %v", err)
		}
		if _, fresh, err := s.Begin(ctx, scope, "01JD8X:a/b{c}~", dA); err != nil || !fresh {
			t.Fatalf("punctuation: %v", err)
		}
	}},
	{"release lets the client retry", func(t *testing.T, s Store, c *clock) {
		out, _, _ := s.Begin(ctx, scope, "k", dA)
		if err := s.Release(ctx, scope, "k", "not-the-owner"); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("foreign release: %v", err)
		}
		if err := s.Release(ctx, scope, "k", out.Owner); err != nil {
			t.Fatal(err)
		}
		if _, fresh, err := s.Begin(ctx, scope, "k", dB); err != nil || !fresh {
			t.Fatalf("after release: %v %v", fresh, err)
		}
	}},
	{"20 concurrent duplicates apply once and share the outcome", func(t *testing.T, s Store, c *clock) {
		var fresh, replays atomic.Int32
		var applied atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make(chan string, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out, isFresh, err := s.Begin(ctx, scope, "pay-1", dA)
				if err != nil {
					t.Error(err)
					return
				}
				if isFresh {
					fresh.Add(1)
					applied.Add(1)
					time.Sleep(50 * time.Millisecond) // the upstream call
					if err := s.Complete(ctx, scope, "pay-1", out.Owner, []byte("receipt-42")); err != nil {
						t.Error(err)
					}
					results <- "receipt-42"
					return
				}
				replays.Add(1)
				results <- string(out.Data)
			}()
		}
		close(start)
		wg.Wait()
		close(results)
		if fresh.Load() != 1 || replays.Load() != 19 || applied.Load() != 1 {
			t.Fatalf("fresh %d replays %d", fresh.Load(), replays.Load())
		}
		for r := range results {
			if r != "receipt-42" {
				t.Fatalf("outcome %q", r)
			}
		}
	}},
	{"waiting is bounded by ctx", func(t *testing.T, s Store, c *clock) {
		_, _, _ = s.Begin(ctx, scope, "k", dA)
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := s.Begin(cctx, scope, "k", dA)
		if !errors.Is(err, ErrInProgress) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Fatalf("%v after %v", err, time.Since(start))
		}
	}},
	{"expired lease is taken over; old owner can no longer complete", func(t *testing.T, s Store, c *clock) {
		first, _, _ := s.Begin(ctx, scope, "k", dA)
		c.Advance(2*time.Minute + time.Millisecond)
		second, fresh, err := s.Begin(ctx, scope, "k", dA)
		if err != nil || !fresh || !second.TakenOver || second.Owner == first.Owner {
			t.Fatalf("takeover: %+v %v %v", second, fresh, err)
		}
		if err := s.Complete(ctx, scope, "k", first.Owner, []byte("late")); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("stale owner completed: %v", err)
		}
		if err := s.Complete(ctx, scope, "k", second.Owner, []byte("reconciled")); err != nil {
			t.Fatal(err)
		}
		if out, _, _ := s.Begin(ctx, scope, "k", dA); string(out.Data) != "reconciled" {
			t.Fatalf("%q", out.Data)
		}
	}},
	{"keys are forgotten after the TTL", func(t *testing.T, s Store, c *clock) {
		out, _, _ := s.Begin(ctx, scope, "k", dA)
		_ = s.Complete(ctx, scope, "k", out.Owner, []byte("1"))
		c.Advance(24*time.Hour + time.Second)
		if _, fresh, err := s.Begin(ctx, scope, "k", dB); err != nil || !fresh {
			t.Fatalf("after ttl: %v %v", fresh, err)
		}
	}},
}

func TestBehaviours(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for _, b := range behaviours {
				t.Run(b.name, func(t *testing.T) {
					c := &clock{t: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)}
					b.run(t, k.new(t, Options{Now: c.Now}), c)
				})
			}
		})
	}
}

// TestInstancesShareRedis: two instances over one Redis apply once.
func TestInstancesShareRedis(t *testing.T) {
	client := testredis.Start(t)
	a, b := NewRedisStore(client, Options{}), NewRedisStore(client, Options{})
	out, fresh, err := a.Begin(ctx, scope, "k", dA)
	if err != nil || !fresh {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		_ = a.Complete(ctx, scope, "k", out.Owner, []byte("done"))
	}()
	got, fresh, err := b.Begin(ctx, scope, "k", dA)
	if err != nil || fresh || string(got.Data) != "done" {
		t.Fatalf("%+v %v %v", got, fresh, err)
	}
	if ttl := client.PTTL(ctx, "pg:idem:k:"+"p1%3Aalice"+":k").Val(); ttl < 24*time.Hour {
		t.Fatalf("ttl %v", ttl)
	}
}

func TestMaxWait(t *testing.T) {
	s := NewMemoryStore(Options{MaxWait: 50 * time.Millisecond})
	_, _, _ = s.Begin(ctx, scope, "k", dA)
	if _, _, err := s.Begin(ctx, scope, "k", dA); !errors.Is(err, ErrInProgress) {
		t.Fatal(err)
	}
}
