package custtoken

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Token is Get without the expiry.
func (c *Cache) Token(ctx context.Context, customerID string) (string, error) {
	t, err := c.Get(ctx, customerID)
	return t.Value, err
}

func TestToken(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	var calls atomic.Int64
	release := make(chan struct{})
	fetch := func(ctx context.Context, id string) (Token, error) {
		n := calls.Add(1)
		<-release
		return Token{Value: fmt.Sprintf("%s-%d", id, n), ExpiresAt: clk.Now().Add(24 * time.Hour)}, nil
	}
	c := New(fetch, Options{Now: clk.Now})

	t.Run("OneFetchForConcurrentCallers", func(t *testing.T) {
		var wg sync.WaitGroup
		got := make([]string, 100)
		for i := range got {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				tok, err := c.Token(context.Background(), "cust-a")
				if err != nil {
					t.Error(err)
				}
				got[i] = tok
			}(i)
		}
		time.Sleep(20 * time.Millisecond) // let the callers pile up on the flight
		close(release)
		wg.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("fetches = %d, want 1", n)
		}
		for _, g := range got {
			if g != "cust-a-1" {
				t.Fatalf("token = %q, want cust-a-1", g)
			}
		}
	})

	t.Run("CachedUntilMargin", func(t *testing.T) {
		clk.Advance(23*time.Hour + 49*time.Minute) // 11 minutes left: still handed out
		if tok, _ := c.Token(context.Background(), "cust-a"); tok != "cust-a-1" {
			t.Fatalf("token = %q, want the cached cust-a-1", tok)
		}
		clk.Advance(2 * time.Minute) // 9 minutes left: inside the margin
		if tok, _ := c.Token(context.Background(), "cust-a"); tok != "cust-a-2" {
			t.Fatalf("token = %q, want a fresh cust-a-2", tok)
		}
	})

	t.Run("InvalidateDropsOnlyThatToken", func(t *testing.T) {
		c.Invalidate("cust-a", "stale-token")
		if tok, _ := c.Token(context.Background(), "cust-a"); tok != "cust-a-2" {
			t.Fatalf("token = %q, want cust-a-2 kept", tok)
		}
		c.Invalidate("cust-a", "cust-a-2")
		if tok, _ := c.Token(context.Background(), "cust-a"); tok != "cust-a-3" {
			t.Fatalf("token = %q, want cust-a-3 after invalidation", tok)
		}
	})
}

func TestTokenErrors(t *testing.T) {
	boom := errors.New("iam down")
	var calls atomic.Int64
	c := New(func(ctx context.Context, id string) (Token, error) {
		if calls.Add(1) == 1 {
			return Token{}, boom
		}
		return Token{Value: "ok", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}, Options{})

	if _, err := c.Token(context.Background(), ""); !errors.Is(err, ErrNoCustomer) {
		t.Fatalf("empty id: err = %v", err)
	}
	if _, err := c.Token(context.Background(), "x"); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if tok, err := c.Token(context.Background(), "x"); err != nil || tok != "ok" {
		t.Fatalf("after a failed fetch: %q, %v; want a new fetch", tok, err)
	}
}

func TestTokenCancelledWaiter(t *testing.T) {
	release := make(chan struct{})
	c := New(func(ctx context.Context, id string) (Token, error) {
		<-release
		return Token{Value: "late", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.Token(ctx, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	close(release)
	// The shared fetch was not cancelled by the waiter: the next caller gets it.
	if tok, err := c.Token(context.Background(), "x"); err != nil || tok != "late" {
		t.Fatalf("got %q, %v", tok, err)
	}
}
