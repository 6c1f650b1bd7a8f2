package pending

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

func cust(c *clock, account, indirect, id string) Customer {
	return Customer{Account: account, Indirect: indirect, ID: id, AccountName: "n-" + id, Mobile: "139****5678", Created: c.Now()}
}

func ids(cs []Customer) string {
	s := ""
	for _, c := range cs {
		s += c.ID + ","
	}
	return s
}

func mustList(t *testing.T, s Store, account, indirect, id string) []Customer {
	t.Helper()
	cs, err := s.List(ctx, account, indirect, id)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

var behaviours = []struct {
	name string
	opts Options
	run  func(t *testing.T, s Store, c *clock)
}{
	{"add, list oldest first, by id, settle", Options{}, func(t *testing.T, s Store, c *clock) {
		a := cust(c, "p1", "", "a")
		c.Advance(time.Second)
		b := cust(c, "p1", "", "b")
		for _, x := range []Customer{b, a} {
			if err := s.Add(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		got := mustList(t, s, "p1", "", "")
		if ids(got) != "a,b," {
			t.Fatalf("list %+v", got)
		}
		if g := got[0]; g.Account != "p1" || g.AccountName != "n-a" || g.Mobile != a.Mobile || !g.Created.Equal(a.Created) {
			t.Fatalf("round trip %+v, want %+v", g, a)
		}
		if got := mustList(t, s, "p1", "", "b"); ids(got) != "b," {
			t.Fatalf("by id %+v", got)
		}
		if got := mustList(t, s, "p1", "", "zz"); len(got) != 0 {
			t.Fatalf("unknown id %+v", got)
		}
		if err := s.Settle(ctx, "p1", "", "a", "zz"); err != nil {
			t.Fatal(err)
		}
		if got := mustList(t, s, "p1", "", ""); ids(got) != "b," {
			t.Fatalf("after settle %+v", got)
		}
		if err := s.Settle(ctx, "p1", ""); err != nil {
			t.Fatal(err)
		}
	}},
	{"scopes are independent", Options{}, func(t *testing.T, s Store, c *clock) {
		_ = s.Add(ctx, cust(c, "p1", "", "a"))
		_ = s.Add(ctx, cust(c, "p1", "r1", "b"))
		_ = s.Add(ctx, cust(c, "p1/r1", "", "c")) // no separator confusion
		for _, w := range []struct{ acc, ind, want string }{{"p1", "", "a,"}, {"p1", "r1", "b,"}, {"p1/r1", "", "c,"}, {"p2", "", ""}} {
			if got := ids(mustList(t, s, w.acc, w.ind, "")); got != w.want {
				t.Fatalf("%s/%s: %s, want %s", w.acc, w.ind, got, w.want)
			}
		}
		_ = s.Settle(ctx, "p1", "r1", "a") // another scope's id: no effect
		if got := ids(mustList(t, s, "p1", "", "")); got != "a," {
			t.Fatalf("settle crossed scopes: %s", got)
		}
	}},
	{"entries expire TTL after creation", Options{TTL: time.Minute}, func(t *testing.T, s Store, c *clock) {
		_ = s.Add(ctx, cust(c, "p1", "", "a"))
		c.Advance(30 * time.Second)
		_ = s.Add(ctx, cust(c, "p1", "", "b"))
		c.Advance(30 * time.Second)
		if got := ids(mustList(t, s, "p1", "", "")); got != "b," {
			t.Fatalf("after 60s: %s", got)
		}
		if got := mustList(t, s, "p1", "", "a"); len(got) != 0 {
			t.Fatalf("expired by id: %+v", got)
		}
		// Re-adding an entry created too long ago does not revive it.
		old := cust(c, "p1", "", "old")
		old.Created = c.Now().Add(-2 * time.Minute)
		_ = s.Add(ctx, old)
		c.Advance(30 * time.Second)
		if got := mustList(t, s, "p1", "", ""); len(got) != 0 {
			t.Fatalf("after 90s: %+v", got)
		}
	}},
	{"re-adding replaces", Options{}, func(t *testing.T, s Store, c *clock) {
		a := cust(c, "p1", "", "a")
		_ = s.Add(ctx, a)
		a.AccountName = "renamed"
		_ = s.Add(ctx, a)
		if got := mustList(t, s, "p1", "", ""); len(got) != 1 || got[0].AccountName != "renamed" {
			t.Fatalf("%+v", got)
		}
	}},
	{"bounded: full drops expired, then oldest", Options{Max: 3, TTL: time.Minute}, func(t *testing.T, s Store, c *clock) {
		for i := 0; i < 3; i++ {
			_ = s.Add(ctx, cust(c, "p1", "", fmt.Sprint(i)))
			c.Advance(time.Second)
		}
		_ = s.Add(ctx, cust(c, "p1", "", "3"))
		if got := ids(mustList(t, s, "p1", "", "")); got != "1,2,3," {
			t.Fatalf("oldest not evicted: %s", got)
		}
		c.Advance(58 * time.Second) // 1 has expired (created at +1s)
		_ = s.Add(ctx, cust(c, "p1", "", "4"))
		if got := ids(mustList(t, s, "p1", "", "")); got != "2,3,4," {
			t.Fatalf("after expiry: %s", got)
		}
		for i := 5; i < 50; i++ {
			_ = s.Add(ctx, cust(c, "p1", "", fmt.Sprint(i)))
		}
		if got := mustList(t, s, "p1", "", ""); len(got) != 3 {
			t.Fatalf("grew to %d", len(got))
		}
	}},
	{"submissions replace and expire", Options{SubmissionTTL: time.Hour}, func(t *testing.T, s Store, c *clock) {
		if _, ok, err := s.Submission(ctx, "a"); ok || err != nil {
			t.Fatalf("unknown: %v %v", ok, err)
		}
		at := c.Now().UTC().Truncate(time.Second)
		if err := s.Submit(ctx, "a", Submission{Kind: "PERSONAL", At: at}); err != nil {
			t.Fatal(err)
		}
		_ = s.Submit(ctx, "a", Submission{Kind: "ENTERPRISE", At: at.Add(time.Second)})
		got, ok, err := s.Submission(ctx, "a")
		if !ok || err != nil || got.Kind != "ENTERPRISE" || !got.At.Equal(at.Add(time.Second)) {
			t.Fatalf("got %+v %v %v", got, ok, err)
		}
		c.Advance(time.Hour)
		if _, ok, _ := s.Submission(ctx, "a"); ok {
			t.Fatal("submission did not expire")
		}
	}},
	{"submissions bounded", Options{Max: 2}, func(t *testing.T, s Store, c *clock) {
		for _, id := range []string{"a", "b", "c"} {
			_ = s.Submit(ctx, id, Submission{Kind: "PERSONAL", At: c.Now()})
			c.Advance(time.Second)
		}
		if _, ok, _ := s.Submission(ctx, "c"); !ok {
			t.Fatal("latest submission lost")
		}
		if ms, ok := s.(*MemoryStore); ok && len(ms.subs) > 2 {
			t.Fatalf("memory holds %d submissions", len(ms.subs))
		}
	}},
	{"concurrent adds and lists", Options{}, func(t *testing.T, s Store, c *clock) {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_ = s.Add(ctx, cust(c, "p1", "", fmt.Sprint(i)))
				_, _ = s.List(ctx, "p1", "", "")
				_ = s.Settle(ctx, "p1", "", fmt.Sprint(i+100))
			}(i)
		}
		wg.Wait()
		if got := mustList(t, s, "p1", "", ""); len(got) != 8 {
			t.Fatalf("%d entries", len(got))
		}
	}},
}

func TestStores(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { runBehaviours(t, k.new) })
	}
}

func runBehaviours(t *testing.T, newStore func(t *testing.T, o Options) Store) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)}
			o := b.opts
			o.Now = c.Now
			b.run(t, newStore(t, o), c)
		})
	}
}

// On a Redis Cluster (three masters) the behaviours hold and two
// instances share entries.
func TestOnCluster(t *testing.T) {
	rc := testredis.NewCluster(t, testredis.ClusterOptions{}).Client()
	defer rc.Close()
	var n atomic.Int32
	prefix := func() string { return fmt.Sprintf("t%d:", n.Add(1)) }
	t.Run("behaviours", func(t *testing.T) {
		runBehaviours(t, func(_ *testing.T, o Options) Store { o.Prefix = prefix(); return NewRedisStore(rc, o) })
	})
	t.Run("instances share", func(t *testing.T) {
		p := prefix()
		storesShare(t, rc, NewRedisStore(rc, Options{Prefix: p}), NewRedisStore(rc, Options{Prefix: p}), NewRedisStore(rc, Options{Prefix: prefix()}))
	})
}

// Two RedisStores on one server (two gateway instances) see each other's
// entries; a foreign prefix does not.
func TestRedisStoresShare(t *testing.T) {
	rc := testredis.Start(t)
	storesShare(t, rc, NewRedisStore(rc, Options{}), NewRedisStore(rc, Options{}), NewRedisStore(rc, Options{Prefix: "other:"}))
}

func storesShare(t *testing.T, rc redis.UniversalClient, a, b, other *RedisStore) {
	if err := a.Add(ctx, Customer{Account: "p1", ID: "x", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := mustList(t, b, "p1", "", ""); ids(got) != "x," {
		t.Fatalf("b sees %+v", got)
	}
	if got := mustList(t, other, "p1", "", ""); len(got) != 0 {
		t.Fatalf("other prefix sees %+v", got)
	}
	_ = b.Settle(ctx, "p1", "", "x")
	if got := mustList(t, a, "p1", "", ""); len(got) != 0 {
		t.Fatalf("a still sees %+v", got)
	}
	// The scope key is garbage-collected after the latest entry's expiry.
	_ = a.Add(ctx, Customer{Account: "p2", ID: "y", Created: time.Now()})
	if ttl := rc.PTTL(ctx, a.scope("p2", "")).Val(); ttl <= 0 || ttl > DefaultTTL+cleanupSlack {
		t.Fatalf("scope key ttl %v", ttl)
	}
	_ = a.Submit(ctx, "y", Submission{Kind: "PERSONAL", At: time.Now()})
	if ttl := rc.PTTL(ctx, a.sub("y")).Val(); ttl <= 0 || ttl > DefaultSubmissionTTL+cleanupSlack {
		t.Fatalf("submission key ttl %v", ttl)
	}
}
