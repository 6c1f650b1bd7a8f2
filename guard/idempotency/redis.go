package idempotency

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore keeps keys in Redis so that every gateway instance sees the
// same reservations. One hash per key:
//
//	<prefix>k:<escaped scope>:<key>  {state: pending|done, digest, owner,
//	                                  lease(ms), expires(ms), outcome, completed(ms)}
//
// All decisions compare the stored absolute timestamps with Options.Now;
// the Redis TTL (TTL + 1m) only garbage-collects.
type RedisStore struct {
	c    redis.UniversalClient
	opts Options
}

// NewRedisStore returns a RedisStore using client.
func NewRedisStore(client redis.UniversalClient, o Options) *RedisStore {
	o.setDefaults()
	return &RedisStore{c: client, opts: o}
}

const cleanupSlack = time.Minute

func (s *RedisStore) k(scope, key string) string {
	return s.opts.Prefix + "k:" + url.QueryEscape(scope) + ":" + key
}

// tryScript: KEYS k. ARGV digest, owner, now, leaseUntil, expires, ttlMs.
// The reservation is SET-NX-like: created only when absent (or logically
// expired), in the same script that reads it, so concurrent duplicates
// see exactly one "fresh".
var tryScript = redis.NewScript(`
local now = tonumber(ARGV[3])
local r = redis.call('HMGET', KEYS[1], 'state', 'digest', 'outcome', 'lease', 'expires')
if not r[1] or tonumber(r[5]) <= now then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'state', 'pending', 'digest', ARGV[1], 'owner', ARGV[2], 'lease', ARGV[4], 'expires', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return {'fresh'}
end
if r[2] ~= ARGV[1] then return {'conflict'} end
if r[1] == 'done' then return {'done', r[3]} end
if tonumber(r[4]) <= now then
  redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease', ARGV[4])
  return {'takeover'}
end
return {'pending'}
`)

// completeScript: KEYS k. ARGV owner, outcome, now, expires, ttlMs.
var completeScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'expires')
if r[1] ~= 'pending' or r[2] ~= ARGV[1] or tonumber(r[3]) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'outcome', ARGV[2], 'completed', ARGV[3], 'expires', ARGV[4])
redis.call('HDEL', KEYS[1], 'owner', 'lease')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// releaseScript: KEYS k. ARGV owner.
var releaseScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'state', 'owner')
if r[1] ~= 'pending' or r[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// Begin implements Store.
func (s *RedisStore) Begin(ctx context.Context, scope, key, digest string) (Outcome, bool, error) {
	return begin(ctx, s, &s.opts, scope, key, digest)
}

// Complete implements Store.
func (s *RedisStore) Complete(ctx context.Context, scope, key, owner string, outcome []byte) error {
	return s.complete(ctx, scope, key, owner, outcome, s.opts.Now(), &s.opts)
}

// Release implements Store.
func (s *RedisStore) Release(ctx context.Context, scope, key, owner string) error {
	return s.release(ctx, scope, key, owner)
}

func (s *RedisStore) try(ctx context.Context, scope, key, digest, owner string, now time.Time, o *Options) (state, []byte, error) {
	res, err := tryScript.Run(ctx, s.c, []string{s.k(scope, key)},
		digest, owner, now.UnixMilli(), now.Add(o.Lease).UnixMilli(), now.Add(o.TTL).UnixMilli(), (o.TTL + cleanupSlack).Milliseconds(),
	).Slice()
	if err != nil {
		return 0, nil, fmt.Errorf("idempotency: redis begin: %w", err)
	}
	st, _ := res[0].(string)
	switch st {
	case "fresh":
		return stFresh, nil, nil
	case "takeover":
		return stTakeover, nil, nil
	case "conflict":
		return stConflict, nil, nil
	case "pending":
		return stPending, nil, nil
	case "done":
		data, _ := res[1].(string)
		return stDone, []byte(data), nil
	}
	return 0, nil, fmt.Errorf("idempotency: redis begin: unexpected reply %v", res)
}

func (s *RedisStore) complete(ctx context.Context, scope, key, owner string, outcome []byte, now time.Time, o *Options) error {
	n, err := completeScript.Run(ctx, s.c, []string{s.k(scope, key)},
		owner, outcome, now.UnixMilli(), now.Add(o.TTL).UnixMilli(), (o.TTL + cleanupSlack).Milliseconds(),
	).Int64()
	if err != nil {
		return fmt.Errorf("idempotency: redis complete: %w", err)
	}
	if n != 1 {
		return ErrNotOwner
	}
	return nil
}

func (s *RedisStore) release(ctx context.Context, scope, key, owner string) error {
	n, err := releaseScript.Run(ctx, s.c, []string{s.k(scope, key)}, owner).Int64()
	if err != nil {
		return fmt.Errorf("idempotency: redis release: %w", err)
	}
	if n != 1 {
		return ErrNotOwner
	}
	return nil
}
