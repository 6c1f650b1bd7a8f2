package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewRedisStore returns a store whose keys, target locks and claims live in
// Redis, shared by every gateway instance. client may be a single server, a
// Sentinel failover client or a Cluster client: every script touches keys
// of one hash slot (a key's record; a target's lock and claims share the
// target's hash tag).
//
//	<prefix>k:{<scope>:<key>}       hash {state, digest, owner, lease(ms), expires(ms), outcome,
//	                                      a:<target> (one attempt per target, JSON)}
//	<prefix>t:{<target>}:lock       "token|expires(ms)"
//	<prefix>t:{<target>}:claims     hash record id → "claimant|expires(ms)"
//
// scope and target are query-escaped, and "%", "{" and "}" in key, so what
// a client sends never moves a key out of its slot.
//
// All decisions compare stored absolute times with Options.Now; Redis TTLs
// only collect garbage.
//
// With Options.WaitReplicas, each write the guarantee rests on is followed
// by WAIT on the same connection (see eval); a write that too few replicas
// acknowledged fails with ErrNotReplicated, after the store gave up what
// it may have left on the master alone (a fresh reservation, a lock) so a
// retry need not wait for its lease.
func NewRedisStore(client redis.UniversalClient, o Options) *Store {
	o.setDefaults()
	return &Store{b: &redisBackend{c: client, prefix: o.Prefix, replicas: o.WaitReplicas, waitTimeout: o.WaitTimeout}, opts: o}
}

// ErrNotReplicated: a write reached the Redis master, but fewer replicas
// than Options.WaitReplicas acknowledged it in time. A failover could lose
// it, so the store takes the write as failed.
var ErrNotReplicated = errors.New("the write was not acknowledged by enough Redis replicas")

type redisBackend struct {
	c           redis.UniversalClient
	prefix      string
	replicas    int // Options.WaitReplicas
	waitTimeout time.Duration
}

// eval runs script on keys (one hash slot) and, when writes must reach
// replicas, sends WAIT right after it in the same pipeline. WAIT counts the
// replicas that acknowledged every write its connection made, so it has to
// share the script's connection: go-redis sends a pipeline on one
// connection taken from the pool (all commands written, then every reply
// read; a retry after a network error resends both on a new one). On a
// Cluster the pipeline goes to the master of the keys' slot: a keyless WAIT
// sent through the cluster client would reach a random node. The returned
// WAIT (nil without WaitReplicas) is checked with replicated once the
// script's reply shows it wrote.
func (r *redisBackend) eval(ctx context.Context, script *redis.Script, keys []string, args ...any) (*redis.Cmd, *redis.IntCmd) {
	if r.replicas <= 0 {
		return script.Run(ctx, r.c, keys, args...), nil
	}
	node := r.c
	cluster, isCluster := r.c.(*redis.ClusterClient)
	if isCluster {
		m, err := cluster.MasterForKey(ctx, keys[0])
		if err != nil {
			cmd := redis.NewCmd(ctx)
			cmd.SetErr(err)
			return cmd, nil
		}
		node = m
	}
	var (
		cmd  *redis.Cmd
		wait *redis.IntCmd
	)
	send := func(load bool) {
		_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
			if load {
				cmd = script.Eval(ctx, p, keys, args...)
			} else {
				cmd = script.EvalSha(ctx, p, keys, args...)
			}
			// WAIT 0 ms would block until the replicas answer, however long
			wait = redis.NewIntCmd(ctx, "wait", r.replicas, max(r.waitTimeout.Milliseconds(), 1))
			return p.Process(ctx, wait)
		})
		if err != nil && cmd.Err() == nil && wait.Err() == nil {
			cmd.SetErr(err) // no connection: neither command was sent
		}
	}
	send(false)
	if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") { // not run: send the script itself
		send(true)
	}
	if isCluster && cmd.Err() != nil {
		// The node went away or sent the slot elsewhere (MOVED): read the
		// slot map again, as the cluster client does for its own commands.
		// This write fails; the caller's retry goes to the new master.
		cluster.ReloadState(ctx)
	}
	return cmd, wait
}

// replicated reports whether WAIT counted enough replicas (nil wait: none
// was asked for).
func (r *redisBackend) replicated(what string, wait *redis.IntCmd) error {
	if wait == nil {
		return nil
	}
	n, err := wait.Result()
	switch {
	case err != nil:
		return fmt.Errorf("idempotency: redis %s: WAIT: %w", what, err)
	case n < int64(r.replicas):
		return fmt.Errorf("idempotency: redis %s: %w (%d of %d within %s)", what, ErrNotReplicated, n, r.replicas, r.waitTimeout)
	}
	return nil
}

// cleanupSlack keeps Redis from collecting what the logic may still read.
const cleanupSlack = time.Minute

// tagEscaper keeps a key's hash tag whole: a "}" in an idempotency key
// would end it early (moving the record to another slot), "{" and "%"
// are escaped with it so distinct keys keep distinct names. Keys without
// them keep their names.
var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

func (r *redisBackend) key(scope, key string) string {
	return r.prefix + "k:{" + url.QueryEscape(scope) + ":" + tagEscaper.Replace(key) + "}"
}

func (r *redisBackend) target(target string) (lock, claims string) {
	t := r.prefix + "t:{" + url.QueryEscape(target) + "}"
	return t + ":lock", t + ":claims"
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// beginScript: KEYS k. ARGV digest, owner, now, leaseUntil, expires, ttlMs.
var beginScript = redis.NewScript(`
local now = tonumber(ARGV[3])
local r = redis.call('HMGET', KEYS[1], 'state', 'digest', 'lease', 'expires', 'outcome')
if not r[1] or tonumber(r[4]) <= now then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'state', 'reserved', 'digest', ARGV[1], 'owner', ARGV[2], 'lease', ARGV[4], 'expires', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return {'fresh'}
end
if r[2] ~= ARGV[1] then return {'conflict'} end
if r[1] == 'done' then return {'done', r[5]} end
if tonumber(r[3]) > now then return {'held', r[3]} end
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease', ARGV[4])
local out = {'taken', r[1]}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'a:' then
    out[#out + 1] = string.sub(all[i], 3)
    out[#out + 1] = all[i + 1]
  end
end
return out
`)

func (r *redisBackend) begin(ctx context.Context, scope, key, digest, owner string, now time.Time, o *Options) (beginState, record, error) {
	k := r.key(scope, key)
	cmd, wait := r.eval(ctx, beginScript, []string{k},
		digest, owner, ms(now), ms(now.Add(o.Lease)), ms(now.Add(o.TTL)), (o.TTL + cleanupSlack).Milliseconds())
	res, err := cmd.StringSlice()
	if err != nil {
		return 0, record{}, fmt.Errorf("idempotency: redis begin: %w", err)
	}
	if res[0] == "fresh" || res[0] == "taken" {
		if err := r.replicated("begin", wait); err != nil {
			// The reservation may live on the master alone: give it up
			// there, so a retry does not wait out its lease.
			bg := context.WithoutCancel(ctx)
			if res[0] == "fresh" {
				_ = dropScript.Run(bg, r.c, []string{k}, owner).Err()
			} else {
				_ = updateScript.Run(bg, r.c, []string{k}, owner, ms(now), "", "", "", ms(now)).Err()
			}
			return 0, record{}, err
		}
	}
	switch res[0] {
	case "fresh":
		return beginFresh, record{State: stateReserved}, nil
	case "conflict":
		return beginConflict, record{}, nil
	case "done":
		return beginDone, record{Outcome: []byte(res[1])}, nil
	case "held":
		lease, _ := strconv.ParseInt(res[1], 10, 64)
		return beginHeld, record{Lease: time.UnixMilli(lease)}, nil
	case "taken":
		rec := record{State: res[1], Attempts: map[string]*Attempt{}}
		for i := 2; i+1 < len(res); i += 2 {
			a := new(Attempt)
			if err := json.Unmarshal([]byte(res[i+1]), a); err != nil {
				return 0, record{}, fmt.Errorf("idempotency: stored attempt: %w", err)
			}
			rec.Attempts[res[i]] = a
		}
		return beginTaken, rec, nil
	}
	return 0, record{}, fmt.Errorf("idempotency: redis begin: unexpected reply %v", res)
}

// updateScript: KEYS k. ARGV owner, now, state, target, attempt, lease.
var updateScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'expires')
if not r[1] or r[1] == 'done' or r[2] ~= ARGV[1] or tonumber(r[3]) <= tonumber(ARGV[2]) then return 0 end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'state', ARGV[3]) end
if ARGV[4] ~= '' then
  if ARGV[5] == '' then redis.call('HDEL', KEYS[1], 'a:' .. ARGV[4]) else redis.call('HSET', KEYS[1], 'a:' .. ARGV[4], ARGV[5]) end
end
redis.call('HSET', KEYS[1], 'lease', ARGV[6])
return 1
`)

func (r *redisBackend) update(ctx context.Context, scope, key, owner, state, target string, a *Attempt, lease, now time.Time) error {
	var attempt []byte
	if target != "" && a != nil {
		var err error
		if attempt, err = json.Marshal(a); err != nil {
			return err
		}
	}
	cmd, wait := r.eval(ctx, updateScript, []string{r.key(scope, key)}, owner, ms(now), state, target, attempt, ms(lease))
	n, err := cmd.Int()
	if err != nil {
		return fmt.Errorf("idempotency: redis update: %w", err)
	}
	if n != 1 {
		return ErrNotOwner
	}
	return r.replicated("update", wait)
}

// completeScript: KEYS k. ARGV owner, outcome, now, expires, ttlMs.
var completeScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'expires')
if not r[1] or r[1] == 'done' or r[2] ~= ARGV[1] or tonumber(r[3]) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'outcome', ARGV[2], 'expires', ARGV[4])
local all = redis.call('HKEYS', KEYS[1])
for _, f in ipairs(all) do
  if f == 'owner' or f == 'lease' or string.sub(f, 1, 2) == 'a:' then redis.call('HDEL', KEYS[1], f) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

func (r *redisBackend) complete(ctx context.Context, scope, key, owner string, outcome []byte, now time.Time, o *Options) error {
	cmd, wait := r.eval(ctx, completeScript, []string{r.key(scope, key)},
		owner, outcome, ms(now), ms(now.Add(o.TTL)), (o.TTL + cleanupSlack).Milliseconds())
	n, err := cmd.Int()
	if err != nil {
		return fmt.Errorf("idempotency: redis complete: %w", err)
	}
	if n != 1 {
		return ErrNotOwner
	}
	return r.replicated("complete", wait)
}

// dropScript: KEYS k. ARGV owner.
var dropScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'state', 'owner')
if not r[1] or r[1] == 'done' or r[2] ~= ARGV[1] then return 0 end
if r[1] == 'armed' then return 2 end
redis.call('DEL', KEYS[1])
return 1
`)

func (r *redisBackend) drop(ctx context.Context, scope, key, owner string) error {
	n, err := dropScript.Run(ctx, r.c, []string{r.key(scope, key)}, owner).Int()
	switch {
	case err != nil:
		return fmt.Errorf("idempotency: redis release: %w", err)
	case n == 2:
		return ErrArmed
	case n != 1:
		return ErrNotOwner
	}
	return nil
}

// lockScript: KEYS lock. ARGV token, now, expires, pxMs. Returns -1 when
// taken, else the milliseconds the holder's lock lives on.
var lockScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local exp = tonumber(string.match(v, '|(%d+)$'))
  if exp > tonumber(ARGV[2]) then return exp - tonumber(ARGV[2]) end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3], 'PX', ARGV[4])
return -1
`)

func (r *redisBackend) lock(ctx context.Context, target, token string, now, expires time.Time) (bool, time.Duration, error) {
	lk, _ := r.target(target)
	cmd, wait := r.eval(ctx, lockScript, []string{lk}, token, ms(now), ms(expires), (expires.Sub(now) + cleanupSlack).Milliseconds())
	n, err := cmd.Int64()
	if err != nil {
		return false, 0, fmt.Errorf("idempotency: redis lock: %w", err)
	}
	if n < 0 {
		if err := r.replicated("lock", wait); err != nil {
			// Not held for sure: release it on the master, so nobody
			// waits out its lease.
			_ = unlockScript.Run(context.WithoutCancel(ctx), r.c, []string{lk}, token).Err()
			return false, 0, err
		}
		return true, 0, nil
	}
	return false, time.Duration(n) * time.Millisecond, nil
}

// renewScript: KEYS lock. ARGV token, now, expires, pxMs.
var renewScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local tok, exp = string.match(v, '^(.*)|(%d+)$')
if tok ~= ARGV[1] or tonumber(exp) <= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3], 'PX', ARGV[4])
return 1
`)

func (r *redisBackend) renewLock(ctx context.Context, target, token string, now, expires time.Time) error {
	lk, _ := r.target(target)
	cmd, wait := r.eval(ctx, renewScript, []string{lk}, token, ms(now), ms(expires), (expires.Sub(now) + cleanupSlack).Milliseconds())
	n, err := cmd.Int()
	if err != nil {
		return fmt.Errorf("idempotency: redis renew lock: %w", err)
	}
	if n != 1 {
		return ErrNotOwner
	}
	return r.replicated("renew lock", wait)
}

// unlockScript: KEYS lock. ARGV token.
var unlockScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.match(v, '^(.*)|%d+$') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)

func (r *redisBackend) unlock(ctx context.Context, target, token string) error {
	lk, _ := r.target(target)
	if err := unlockScript.Run(ctx, r.c, []string{lk}, token).Err(); err != nil {
		return fmt.Errorf("idempotency: redis unlock: %w", err)
	}
	return nil
}

// claimsScript: KEYS claims. ARGV now, ids…  Returns the live claimant of
// each id ("" when none).
var claimsScript = redis.NewScript(`
local out = {}
for i = 2, #ARGV do
  local c = redis.call('HGET', KEYS[1], ARGV[i])
  local who = ''
  if c then
    local claimant, exp = string.match(c, '^(.*)|(%d+)$')
    if tonumber(exp) > tonumber(ARGV[1]) then who = claimant end
  end
  out[#out + 1] = who
end
return out
`)

func (r *redisBackend) claims(ctx context.Context, target string, ids []string, now time.Time) ([]string, error) {
	_, ck := r.target(target)
	args := []any{ms(now)}
	for _, id := range ids {
		args = append(args, id)
	}
	out, err := claimsScript.Run(ctx, r.c, []string{ck}, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("idempotency: redis claims: %w", err)
	}
	return out, nil
}

// claimScript: KEYS lock, claims. ARGV token, claimant, now, expires, ttlMs,
// ids…  Returns 1 when claimed, 0 when the lock is not token's, 2 when an id
// is another claimant's.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local tok, exp = string.match(v, '^(.*)|(%d+)$')
if tok ~= ARGV[1] or tonumber(exp) <= tonumber(ARGV[3]) then return 0 end
for i = 6, #ARGV do
  local c = redis.call('HGET', KEYS[2], ARGV[i])
  if c then
    local claimant, cexp = string.match(c, '^(.*)|(%d+)$')
    if claimant ~= ARGV[2] and tonumber(cexp) > tonumber(ARGV[3]) then return 2 end
  end
end
for i = 6, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[2] .. '|' .. ARGV[4]) end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
`)

func (r *redisBackend) claim(ctx context.Context, target, token, claimant string, ids []string, now time.Time, o *Options) error {
	lk, ck := r.target(target)
	args := []any{token, claimant, ms(now), ms(now.Add(o.TTL)), (o.TTL + cleanupSlack).Milliseconds()}
	for _, id := range ids {
		args = append(args, id)
	}
	cmd, wait := r.eval(ctx, claimScript, []string{lk, ck}, args...)
	n, err := cmd.Int()
	switch {
	case err != nil:
		return fmt.Errorf("idempotency: redis claim: %w", err)
	case n == 0:
		return ErrNotOwner
	case n == 2:
		return ErrClaimed
	}
	return r.replicated("claim", wait)
}
