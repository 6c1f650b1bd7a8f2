package testredis

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestSharedIsolatedDatabases(t *testing.T) {
	ctx := context.Background()
	a := Start(t)
	b := Start(t)
	if err := a.Set(ctx, "k", "a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("databases are not isolated: exists=%d err=%v", n, err)
	}
}

func TestDedicatedServerStops(t *testing.T) {
	ctx := context.Background()
	s := NewServer(t)
	c := s.Client()
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("server still answers after Stop")
	}
}

// A cluster serves keys on every master; killing a master promotes its
// replica, which still holds what was replicated.
func TestClusterFailover(t *testing.T) {
	ctx := context.Background()
	c := NewCluster(t, ClusterOptions{Replicas: 1, NodeTimeout: time.Second})
	cc := c.Client()
	defer cc.Close()
	masters := map[string]bool{}
	for i := range 30 {
		k := fmt.Sprintf("k%d", i)
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		m, err := c.MasterOf(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Addr] = true
	}
	if len(masters) != 3 {
		t.Fatalf("keys on %d masters", len(masters))
	}
	victim, err := c.MasterOf(ctx, "k0")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReplicated(ctx, victim); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Kill(victim)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.WaitHealthy(wctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("failed over in %v", time.Since(start).Round(10*time.Millisecond))
	promoted, err := c.MasterOf(ctx, "k0")
	if err != nil || promoted == victim {
		t.Fatalf("k0 still on %v (%v)", promoted, err)
	}
	cc2 := c.Client()
	defer cc2.Close()
	for i := range 30 {
		if v, err := cc2.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err != nil || v != i {
			t.Fatalf("k%d after failover: %v %v", i, v, err)
		}
	}
}
