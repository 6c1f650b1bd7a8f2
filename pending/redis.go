package pending

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore keeps the entries in Redis so that every gateway instance sees
// the same pending customers and submissions (P = Options.Prefix):
//
//	P c:<escaped account>/<escaped indirect>  hash: customer id -> "<expires ms>|<Customer JSON>"
//	P s:<escaped customer id>                 string: "<expires ms>|<Submission JSON>"
//
// One hash per scope, so a customers page reads only its scope's entries
// (one HGETALL-like script, usually on a missing key). Decisions compare the
// stored absolute expiry with Options.Now; the Redis TTLs (the latest expiry
// + one minute) only garbage-collect. Adding to a scope that holds more than
// Options.Max entries drops its expired ones, then its oldest.
//
// Every command and script touches one key, so the store needs no hash
// tags on a Redis Cluster: the scopes spread over the slots.
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

func (s *RedisStore) scope(account, indirect string) string {
	return s.opts.Prefix + "c:" + scopeKey(account, indirect)
}

func (s *RedisStore) sub(id string) string { return s.opts.Prefix + "s:" + url.QueryEscape(id) }

// addScript: KEYS scope hash. ARGV id, "exp|json", now, exp, max, ttlMs.
// The key's TTL is only ever extended, so it outlives every entry.
var addScript = redis.NewScript(`
local now = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local max = tonumber(ARGV[5])
if redis.call('HLEN', KEYS[1]) > max then
  local all = redis.call('HGETALL', KEYS[1])
  local n = #all / 2
  local oldF, oldE
  for i = 1, #all, 2 do
    local e = tonumber(string.match(all[i+1], '^(%d+)|'))
    if e == nil or e <= now then
      redis.call('HDEL', KEYS[1], all[i])
      n = n - 1
    elseif all[i] ~= ARGV[1] and (oldE == nil or e < oldE) then
      oldF, oldE = all[i], e
    end
  end
  if n > max and oldF then redis.call('HDEL', KEYS[1], oldF) end
end
local ttl = tonumber(ARGV[6])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`)

// listScript: KEYS scope hash. ARGV now. Returns the live values and drops
// the expired ones.
var listScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local e = tonumber(string.match(all[i+1], '^(%d+)|'))
  if e == nil or e <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    out[#out+1] = all[i+1]
  end
end
return out
`)

// encode prefixes v's JSON with its expiry in ms.
func encode(exp time.Time, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(exp.UnixMilli(), 10) + "|" + string(b), nil
}

// decode parses encode's form into v and returns the expiry.
func decode(raw string, v any) (time.Time, error) {
	ms, js, ok := strings.Cut(raw, "|")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		return time.Time{}, fmt.Errorf("pending: malformed entry")
	}
	return time.UnixMilli(n), json.Unmarshal([]byte(js), v)
}

// Add implements Store.
func (s *RedisStore) Add(ctx context.Context, c Customer) error {
	now, exp := s.opts.Now(), c.Created.Add(s.opts.TTL)
	if !exp.After(now) {
		return nil
	}
	v, err := encode(exp, c)
	if err != nil {
		return err
	}
	err = addScript.Run(ctx, s.c, []string{s.scope(c.Account, c.Indirect)},
		c.ID, v, now.UnixMilli(), exp.UnixMilli(), s.opts.Max, (exp.Sub(now) + cleanupSlack).Milliseconds(),
	).Err()
	if err != nil {
		return fmt.Errorf("pending: redis add: %w", err)
	}
	return nil
}

// List implements Store.
func (s *RedisStore) List(ctx context.Context, account, indirect, id string) ([]Customer, error) {
	now := s.opts.Now()
	var raws []string
	var err error
	if id != "" { // one field: no need to read the scope
		var raw string
		raw, err = s.c.HGet(ctx, s.scope(account, indirect), id).Result()
		if err == redis.Nil {
			return nil, nil
		}
		raws = []string{raw}
	} else {
		raws, err = listScript.Run(ctx, s.c, []string{s.scope(account, indirect)}, now.UnixMilli()).StringSlice()
	}
	if err != nil {
		return nil, fmt.Errorf("pending: redis list: %w", err)
	}
	var out []Customer
	for _, raw := range raws {
		var c Customer
		exp, err := decode(raw, &c)
		if err != nil || !exp.After(now) {
			continue // expired entries are dropped by the next full list
		}
		out = append(out, c)
	}
	sortCustomers(out)
	return out, nil
}

// Settle implements Store.
func (s *RedisStore) Settle(ctx context.Context, account, indirect string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.c.HDel(ctx, s.scope(account, indirect), ids...).Err(); err != nil {
		return fmt.Errorf("pending: redis settle: %w", err)
	}
	return nil
}

// Submit implements Store.
func (s *RedisStore) Submit(ctx context.Context, id string, sub Submission) error {
	now := s.opts.Now()
	v, err := encode(now.Add(s.opts.SubmissionTTL), sub)
	if err != nil {
		return err
	}
	if err := s.c.Set(ctx, s.sub(id), v, s.opts.SubmissionTTL+cleanupSlack).Err(); err != nil {
		return fmt.Errorf("pending: redis submit: %w", err)
	}
	return nil
}

// Submission implements Store.
func (s *RedisStore) Submission(ctx context.Context, id string) (Submission, bool, error) {
	raw, err := s.c.Get(ctx, s.sub(id)).Result()
	if err == redis.Nil {
		return Submission{}, false, nil
	}
	if err != nil {
		return Submission{}, false, fmt.Errorf("pending: redis submission: %w", err)
	}
	var sub Submission
	exp, err := decode(raw, &sub)
	if err != nil || !exp.After(s.opts.Now()) {
		return Submission{}, false, nil
	}
	return sub, true, nil
}
