package verify

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore shares challenges, counters and locks between gateway
// instances through Redis: one server, a primary with Sentinel, or a Redis
// Cluster.
//
// Keys (P = the prefix, {P} = the prefix without its trailing ":" as a
// hash tag, pk = escaped "partner:subject", op = operation):
//
//	{P}:ch:<id>          hash {pk, op, digest, mac(hex), exp(ms), attempts}
//	{P}:cur:<pk>:<op>    string: id of the live challenge for pk+op
//	{P}:cool:<pk>:<op>   string: resend allowed from (ms)
//	{P}:sends:<pk>       zset: one member per send, score = ms (per-principal window)
//	{P}:sends:global     zset: the same for every principal (global window)
//	{P}:fail:<pk>        zset: one member per failed verification, score = ms
//	{P}:lock:<pk>        string: locked until (ms)
//	P enabled:<partner>  string "0"/"1"; absent = enabled
//
// Every key a script touches carries the one hash tag {P}, so on a Cluster
// they all live in one hash slot: a challenge is created against the
// principal's and the global send windows atomically, any principal's
// attempt counts on the challenge it names, and createScript may delete
// the replaced challenge, whose id it reads from cur (a key it cannot
// declare, which Redis Cluster allows in the slot of the declared ones).
// The tag comes first and is constant, so no id or principal moves a key
// to another slot. The price is that every instance's verification
// traffic goes to one shard; it is small (at most GlobalSendsPerMinute
// codes, a few attempts each). The "enabled" settings are read alone and
// keep their untagged names.
//
// Every decision compares absolute millisecond timestamps from Engine's
// clock; Redis TTLs (logical lifetime + one minute) only garbage-collect.
//
// Verification is two scripts, both always run once per Verify call:
//
//  1. attemptScript: refuse if lock:<caller> is in the future; refuse if
//     ch:<id> is missing, expired or has attempts >= max; else HINCRBY
//     attempts and return pk, op, digest and mac. Go then compares the MAC
//     (hmac.Equal) and the binding in constant time — Lua string equality is
//     not constant-time, so the secret comparison never happens in Redis.
//  2. finishScript: if Go matched, DEL ch:<id> provided it is unexpired and
//     the caller is not locked; the DEL's return value is the single-use
//     guarantee: challenge ids are random and never reused, so of any number
//     of concurrent holders of the right code exactly one DEL returns 1.
//     Otherwise it ZADDs a failure to fail:<caller> and, when the window
//     holds MaxFailures, sets lock:<caller>.
//
// Counting happens in step 1, before any comparison, so every call
// (including one with the right code) spends an attempt, and 50 aliased
// calls in one GraphQL request spend 50 attempts, of which at most
// MaxAttempts reach the comparison.
type RedisStore struct {
	c      redis.UniversalClient
	prefix string // P
	tagged string // {P}:
}

// DefaultRedisPrefix namespaces the verify keys.
const DefaultRedisPrefix = "pg:verify:"

// NewRedisStore returns a RedisStore using client; prefix "" means
// DefaultRedisPrefix.
func NewRedisStore(client redis.UniversalClient, prefix string) *RedisStore {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &RedisStore{c: client, prefix: prefix, tagged: "{" + strings.TrimSuffix(prefix, ":") + "}:"}
}

func ms(t time.Time) int64        { return t.UnixMilli() }
func msDur(d time.Duration) int64 { return d.Milliseconds() }
func ttlMs(d time.Duration) int64 { return (d + cleanupSlack).Milliseconds() }

// k is the key of the parts, in the store's hash slot.
func (s *RedisStore) k(parts ...string) string { return s.tagged + strings.Join(parts, ":") }

// createScript: KEYS lock, cool, sends:pk, sends:global, cur, ch:new.
// ARGV now, cooldown, perLimit, perWindow, globalLimit, globalWindow, id,
// pk, op, digest, mac, exp, recordTTL, chPrefix, cooldownTTL, perTTL, globalTTL.
// Returns {0, retryMs, reason} or {1}.
var createScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local retry, reason = 0, ''
local function bump(d, why) if d > retry then retry, reason = d, why end end
local lock = tonumber(redis.call('GET', KEYS[1]) or '0')
if lock > now then bump(lock - now, 'locked') end
local cool = tonumber(redis.call('GET', KEYS[2]) or '0')
if cool > now then bump(cool - now, 'cooldown') end
local function window(key, limit, win, why)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
  if limit > 0 and redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    bump(tonumber(oldest[2]) + win - now, why)
  end
end
window(KEYS[3], tonumber(ARGV[3]), tonumber(ARGV[4]), 'principal')
window(KEYS[4], tonumber(ARGV[5]), tonumber(ARGV[6]), 'global')
if retry > 0 then return {0, retry, reason} end
redis.call('ZADD', KEYS[3], now, ARGV[7])
redis.call('PEXPIRE', KEYS[3], ARGV[16])
redis.call('ZADD', KEYS[4], now, ARGV[7])
redis.call('PEXPIRE', KEYS[4], ARGV[17])
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[2]), 'PX', ARGV[15])
end
local old = redis.call('GET', KEYS[5])
if old then redis.call('DEL', ARGV[14] .. old) end
redis.call('HSET', KEYS[6], 'pk', ARGV[8], 'op', ARGV[9], 'digest', ARGV[10], 'mac', ARGV[11], 'exp', ARGV[12], 'attempts', 0)
redis.call('PEXPIRE', KEYS[6], ARGV[13])
redis.call('SET', KEYS[5], ARGV[7], 'PX', ARGV[13])
return {1}
`)

// attemptScript: KEYS lock:<caller>, ch:<id>. ARGV now, maxAttempts.
var attemptScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local lock = tonumber(redis.call('GET', KEYS[1]) or '0')
if lock > now then return {'locked'} end
local r = redis.call('HMGET', KEYS[2], 'pk', 'op', 'digest', 'mac', 'exp', 'attempts')
if not r[1] then return {'missing'} end
if tonumber(r[5]) <= now or tonumber(r[6]) >= tonumber(ARGV[2]) then return {'dead'} end
redis.call('HINCRBY', KEYS[2], 'attempts', 1)
return {'ok', r[1], r[2], r[3], r[4]}
`)

// finishScript: KEYS lock:<caller>, fail:<caller>, ch:<id>. ARGV now,
// matched, maxFailures, window, lockFor, member, failTTL, lockTTL.
var finishScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local lock = tonumber(redis.call('GET', KEYS[1]) or '0')
local locked = lock > now
if ARGV[2] == '1' and not locked then
  local exp = tonumber(redis.call('HGET', KEYS[3], 'exp') or '0')
  if exp > now and redis.call('DEL', KEYS[3]) == 1 then return 1 end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
redis.call('ZADD', KEYS[2], now, ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
local max = tonumber(ARGV[3])
if max > 0 and not locked and redis.call('ZCARD', KEYS[2]) >= max then
  redis.call('SET', KEYS[1], now + tonumber(ARGV[5]), 'PX', ARGV[8])
end
return 0
`)

// Create implements Store.
func (s *RedisStore) Create(ctx context.Context, rec Record, lim SendLimits, now time.Time) error {
	pk, op := rec.PrincipalKey, rec.Operation
	keys := []string{s.k("lock", pk), s.k("cool", pk, op), s.k("sends", pk), s.k("sends", "global"), s.k("cur", pk, op), s.k("ch", rec.ID)}
	recordTTL := ttlMs(rec.ExpiresAt.Sub(now))
	res, err := createScript.Run(ctx, s.c, keys,
		ms(now), msDur(lim.Cooldown), lim.PerPrincipal, msDur(lim.PerPrincipalWindow), lim.Global, msDur(lim.GlobalWindow),
		rec.ID, pk, op, rec.Digest, hex.EncodeToString(rec.MAC), ms(rec.ExpiresAt), recordTTL, s.k("ch", ""),
		ttlMs(lim.Cooldown), ttlMs(lim.PerPrincipalWindow), ttlMs(lim.GlobalWindow),
	).Slice()
	if err != nil {
		return fmt.Errorf("verify: redis create: %w", err)
	}
	if ok, _ := res[0].(int64); ok == 1 {
		return nil
	}
	retry, _ := res[1].(int64)
	reason, _ := res[2].(string)
	return &RateLimitedError{RetryAfter: time.Duration(retry) * time.Millisecond, Reason: reason}
}

// Attempt implements Store.
func (s *RedisStore) Attempt(ctx context.Context, id, principalKey string, maxAttempts int, now time.Time) (Attempted, error) {
	res, err := attemptScript.Run(ctx, s.c, []string{s.k("lock", principalKey), s.k("ch", id)}, ms(now), maxAttempts).Slice()
	if err != nil {
		return Attempted{}, fmt.Errorf("verify: redis attempt: %w", err)
	}
	status, _ := res[0].(string)
	switch status {
	case "locked":
		return Attempted{Status: AttemptLocked}, nil
	case "missing":
		return Attempted{Status: AttemptMissing}, nil
	case "dead":
		return Attempted{Status: AttemptDead}, nil
	case "ok":
	default:
		return Attempted{}, fmt.Errorf("verify: redis attempt: unexpected reply %v", res)
	}
	str := func(i int) string { v, _ := res[i].(string); return v }
	mac, err := hex.DecodeString(str(4))
	if err != nil {
		return Attempted{}, fmt.Errorf("verify: redis attempt: corrupt mac: %w", err)
	}
	return Attempted{Status: AttemptOK, PrincipalKey: str(1), Operation: str(2), Digest: str(3), MAC: mac}, nil
}

// Finish implements Store.
func (s *RedisStore) Finish(ctx context.Context, id, principalKey string, matched bool, fp FailurePolicy, now time.Time) (bool, error) {
	m := "0"
	if matched {
		m = "1"
	}
	member := id + "/" + strconv.FormatInt(now.UnixNano(), 36) + "/" + randomToken(6)
	n, err := finishScript.Run(ctx, s.c, []string{s.k("lock", principalKey), s.k("fail", principalKey), s.k("ch", id)},
		ms(now), m, fp.MaxFailures, msDur(fp.Window), msDur(fp.LockFor), member, ttlMs(fp.Window), ttlMs(fp.LockFor),
	).Int64()
	if err != nil {
		return false, fmt.Errorf("verify: redis finish: %w", err)
	}
	return n == 1, nil
}

// Cancel implements Store.
func (s *RedisStore) Cancel(ctx context.Context, id string) error {
	if err := s.c.Del(ctx, s.k("ch", id)).Err(); err != nil {
		return fmt.Errorf("verify: redis cancel: %w", err)
	}
	return nil
}

// Enabled implements Store.
func (s *RedisStore) Enabled(ctx context.Context, partnerID string) (bool, error) {
	v, err := s.c.Get(ctx, s.prefix+"enabled:"+partnerID).Result()
	if err == redis.Nil {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("verify: redis enabled: %w", err)
	}
	return v != "0", nil
}

// SetEnabled implements Store.
func (s *RedisStore) SetEnabled(ctx context.Context, partnerID string, enabled bool) error {
	v := "0"
	if enabled {
		v = "1"
	}
	if err := s.c.Set(ctx, s.prefix+"enabled:"+partnerID, v, 0).Err(); err != nil {
		return fmt.Errorf("verify: redis set enabled: %w", err)
	}
	return nil
}
