package main

import (
	"io"
	"testing"

	"partnergraph/pending"
)

// buildGuards picks the pending-registration store like the idempotency
// store: Redis when --redis-url is set (shared by every instance), memory
// otherwise.
func TestBuildGuardsPendingStore(t *testing.T) {
	for _, withRedis := range []bool{false, true} {
		args := []string{"--audit-log", "off"}
		if withRedis {
			args = append(args, "--redis-url", testRedisURL(t))
		}
		c, err := parseConfig(args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		s, _, closeAll, err := buildGuards(c)
		if err != nil {
			t.Fatal(err)
		}
		closeAll()
		switch s.Pending.(type) {
		case *pending.RedisStore:
			if !withRedis {
				t.Fatal("Redis pending store without --redis-url")
			}
		case *pending.MemoryStore:
			if withRedis {
				t.Fatal("memory pending store with --redis-url")
			}
		default:
			t.Fatalf("pending store %T", s.Pending)
		}
	}
}
