package testredis

import (
	"context"
	"testing"
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
