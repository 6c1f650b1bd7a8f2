package custtoken

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counting fetches tokens valid for ttl of clk, numbered per fetch.
func counting(clk *clock, ttl time.Duration) (FetchFunc, *atomic.Int64) {
	var n atomic.Int64
	return func(_ context.Context, id string) (Token, error) {
		k := n.Add(1)
		return Token{Value: fmt.Sprintf("%s-%d", id, k), ExpiresAt: clk.Now().Add(ttl)}, nil
	}, &n
}

// A token inside its margin is never handed out: reading it fetches a new
// one, which takes the old one's place (the cache does not grow).
func TestCacheReplacesExpired(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	fetch, fetches := counting(clk, time.Hour)
	c := New(fetch, Options{Now: clk.Now, Margin: 10 * time.Minute})
	ctx := context.Background()
	ids := []string{"a", "b", "c"}
	for _, id := range ids {
		if _, err := c.Token(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// 50 minutes later a, b, c are inside the margin.
	clk.Advance(50 * time.Minute)
	for i, id := range ids {
		tok, err := c.Get(ctx, id)
		if want := fmt.Sprintf("%s-%d", id, 4+i); err != nil || tok.Value != want || !tok.ExpiresAt.Equal(clk.Now().Add(time.Hour)) {
			t.Fatalf("Get(%s) = %+v, %v; want a fresh %s", id, tok, err, want)
		}
	}
	if n := fetches.Load(); n != 6 {
		t.Fatalf("fetches %d, want 6", n)
	}
	if c.Len() != 3 {
		t.Fatalf("len %d, want 3", c.Len())
	}
}

func TestCacheCap(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	fetch, fetches := counting(clk, time.Hour)
	c := New(fetch, Options{Now: clk.Now, MaxEntries: 5})
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		clk.Advance(time.Second)
		if _, err := c.Token(ctx, fmt.Sprintf("c%02d", i)); err != nil {
			t.Fatal(err)
		}
		if c.Len() > 5 {
			t.Fatalf("len %d > 5", c.Len())
		}
	}
	// The five most recently used stayed.
	before := fetches.Load()
	for i := 15; i < 20; i++ {
		if _, err := c.Token(ctx, fmt.Sprintf("c%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if fetches.Load() != before {
		t.Fatal("the newest tokens should still be cached")
	}
	if _, err := c.Token(ctx, "c00"); err != nil || fetches.Load() != before+1 {
		t.Fatal("c00 should have been evicted and fetched again")
	}
	if c.Len() != 5 {
		t.Fatalf("len %d", c.Len())
	}
}

// Concurrent fetches, invalidations and a moving clock stay within the cap
// (run with -race).
func TestCacheConcurrentBounded(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	fetch, _ := counting(clk, time.Hour)
	const max = 10
	c := New(fetch, Options{Now: clk.Now, MaxEntries: max})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(g)))
			for i := 0; i < 500; i++ {
				id := fmt.Sprintf("c%d", r.Intn(50))
				tok, err := c.Token(context.Background(), id)
				if err != nil {
					t.Error(err)
					return
				}
				switch r.Intn(20) {
				case 0:
					c.Invalidate(id, tok)
				case 1:
					clk.Advance(7 * time.Minute)
				}
				if n := c.Len(); n > max {
					t.Errorf("len %d > %d", n, max)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
