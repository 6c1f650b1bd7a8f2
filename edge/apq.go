package edge

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/redis/go-redis/v9"
)

// APQ caches: automatic persisted queries' documents by their SHA-256,
// in memory (one instance) or in Redis (shared by every instance, so a
// hash registered on one is found on the others). Both store only
// documents within the document limit under well-formed hashes, so a
// client cannot fill them with what the limits refuse anyway.

// NewMemoryAPQCache is an LRU of n documents of at most maxDoc bytes
// (0: any size).
func NewMemoryAPQCache(n, maxDoc int) graphql.Cache[string] {
	return boundedAPQ{lru.New[string](n), maxDoc}
}

// RedisAPQCache keeps documents in Redis under
// "<prefix>{<sha256>}" for TTL; each key is its own hash slot, so it works
// on Redis Cluster. Errors are misses: the client then sends the document.
type RedisAPQCache struct {
	Client redis.UniversalClient
	Prefix string        // default "partnergraph:apq:"
	TTL    time.Duration // default 24h
}

// NewRedisAPQCache is a RedisAPQCache for documents of at most maxDoc bytes.
func NewRedisAPQCache(c redis.UniversalClient, maxDoc int) graphql.Cache[string] {
	return boundedAPQ{&RedisAPQCache{Client: c}, maxDoc}
}

func (c *RedisAPQCache) key(hash string) string {
	p := c.Prefix
	if p == "" {
		p = "partnergraph:apq:"
	}
	return p + "{" + hash + "}"
}

// Get implements graphql.Cache.
func (c *RedisAPQCache) Get(ctx context.Context, hash string) (string, bool) {
	v, err := c.Client.Get(ctx, c.key(hash)).Result()
	return v, err == nil
}

// Add implements graphql.Cache.
func (c *RedisAPQCache) Add(ctx context.Context, hash, doc string) {
	ttl := c.TTL
	if ttl == 0 {
		ttl = 24 * time.Hour
	}
	_ = c.Client.Set(ctx, c.key(hash), doc, ttl).Err()
}

// boundedAPQ guards a cache: only 64-hex-digit keys, only documents
// within the size limit.
type boundedAPQ struct {
	graphql.Cache[string]
	maxDoc int
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

func (b boundedAPQ) Get(ctx context.Context, hash string) (string, bool) {
	if !validHash(hash) {
		return "", false
	}
	return b.Cache.Get(ctx, hash)
}

func (b boundedAPQ) Add(ctx context.Context, hash, doc string) {
	if !validHash(hash) || (b.maxDoc > 0 && len(doc) > b.maxDoc) {
		return
	}
	b.Cache.Add(ctx, hash, doc)
}
