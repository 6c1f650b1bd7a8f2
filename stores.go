package main

import (
	"context"
	"errors"
	"os"
	"partnergraph/edge"
	"partnergraph/guard/audit"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
	"partnergraph/pending"
	"partnergraph/resolvers"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// buildGuards assembles what sensitive mutations and registrations need:
// the verify engine and its senders, the idempotency and pending stores
// (Redis with --redis-url, memory otherwise) and the audit log. outbox is
// set in sandbox mode only.
func buildGuards(c *config) (resolvers.Deps, *notify.Outbox, func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (resolvers.Deps, *notify.Outbox, func(), error) {
		closeAll()
		return resolvers.Deps{}, nil, func() {}, err
	}

	al, err := audit.New(audit.Config{Disabled: strings.EqualFold(c.auditLog, "off"), Path: c.auditLog})
	if err != nil {
		return fail(bad("audit-log", "cannot be opened: "+err.Error()))
	}
	closers = append(closers, func() { _ = al.Close() })

	var senders []notify.Sender
	var outbox *notify.Outbox
	router := notify.Router{}
	if c.smtpAddr != "" {
		router.Email = &notify.SMTP{Addr: c.smtpAddr, From: c.smtpFrom, Username: c.smtpUser, Password: c.smtpPass}
	}
	if c.webhookURL != "" {
		router.SMS = &notify.Webhook{URL: c.webhookURL, Secret: []byte(c.webhookSecret)}
	}
	if router.Email != nil || router.SMS != nil {
		senders = append(senders, router)
	}
	if c.mode == "sandbox" {
		outbox = notify.NewOutbox(0)
		senders = append([]notify.Sender{outbox}, senders...)
	}
	var sender notify.Sender = notify.Multi(senders)
	if len(senders) == 1 {
		sender = senders[0]
	}

	secret := []byte(c.verificationSecret)
	if len(secret) == 0 {
		secret = verify.RandomSecret()
	}
	cfg := verify.DefaultConfig()
	cfg.Secret, cfg.Sender, cfg.Audit = secret, sender, al

	var vs verify.Store
	var idem *idempotency.Store
	var pend resolvers.PendingStore
	if c.redis != nil {
		rc, release, err := c.redis.acquire()
		if err != nil {
			return fail(err)
		}
		closers = append(closers, release)
		vs = verify.NewRedisStore(rc, verify.DefaultRedisPrefix)
		idem = idempotency.NewRedisStore(rc, idempotency.Options{Lease: c.idempotencyLease,
			WaitReplicas: c.redisWaitReplicas, WaitTimeout: c.redisWaitTimeout})
		pend = pending.NewRedisStore(rc, pending.Options{})
	} else {
		vs = verify.NewMemoryStore()
		idem = idempotency.NewMemoryStore(idempotency.Options{Lease: c.idempotencyLease})
		pend = pending.NewMemoryStore(pending.Options{})
	}
	eng, err := verify.New(vs, cfg)
	if err != nil {
		return fail(errors.New("verification: " + err.Error()))
	}
	return resolvers.Deps{Verify: eng, Idempotency: idem, Pending: pend, Audit: al}, outbox, closeAll, nil
}

// edgeOptions assembles the HTTP edge's safety settings: the limits, who
// may introspect, the CORS allowlist, the rate limits and the automatic
// persisted queries (both in Redis with --redis-url, so every instance
// shares them; in memory otherwise) and the trusted documents.
func edgeOptions(c *config) (edge.Options, func(), error) {
	o := edge.Options{
		Limits:          c.limits,
		Introspection:   edge.IntrospectionAuthenticated,
		HideSuggestions: c.mode == "live",
		CORS:            edge.CORS{Origins: c.corsOrigins, Credentials: c.corsCredentials},
		RateLimits:      edge.RateLimits{Principal: c.rateLimit, Anonymous: c.anonRateLimit, TrustedProxies: c.trustedProxies},
		TrustedMode:     c.trustedMode,
	}
	if c.mode == "sandbox" {
		o.Introspection = edge.IntrospectionOn
		if c.corsDefault {
			o.CORS.Origins = edge.LoopbackOrigins
		}
	}
	if c.introspection != "" {
		o.Introspection = edge.IntrospectionPolicy(c.introspection)
	}
	if c.trustedDocuments != "" {
		b, err := os.ReadFile(c.trustedDocuments)
		if err != nil {
			return o, func() {}, bad("trusted-documents", "cannot be read: "+err.Error())
		}
		if o.Manifest, err = edge.ParseManifest(b); err != nil {
			return o, func() {}, bad("trusted-documents", "is not a manifest: "+err.Error())
		}
	}
	if c.redis == nil {
		return o, func() {}, nil
	}
	rc, release, err := c.redis.acquire()
	if err != nil {
		return o, func() {}, err
	}
	o.RateLimits.Limiter = edge.NewRedisLimiter(rc)
	o.APQCache = edge.NewRedisAPQCache(rc, c.limits.DocumentBytes)
	return o, release, nil
}

// sharedRedis is the one Redis client of a run (one server, a Cluster or
// Sentinel: --redis-url), shared by every store, the rate limiter and the
// APQ cache. The first acquire builds it and checks that it answers; it is
// closed when the last user releases it.
type sharedRedis struct {
	target redisTarget
	mu     sync.Mutex
	client redis.UniversalClient
	users  int
}

func (s *sharedRedis) acquire() (redis.UniversalClient, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		rc := s.target.newClient()
		if err := checkRedis(rc, s.target); err != nil {
			_ = rc.Close()
			return nil, nil, err
		}
		s.client = rc
	}
	s.users++
	var once sync.Once
	return s.client, func() { once.Do(s.release) }, nil
}

func (s *sharedRedis) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users--; s.users == 0 {
		_ = s.client.Close()
		s.client = nil
	}
}

// checkRedis pings the target at start-up, and refuses a single-server URL
// that points at a Cluster node (it would answer MOVED for most keys).
func checkRedis(rc redis.UniversalClient, t redisTarget) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rc.Ping(ctx).Err(); err != nil {
		return bad("redis-url", "does not answer ("+t.kind()+"): "+err.Error())
	}
	if t.server != nil {
		if info, err := rc.Info(ctx, "cluster").Result(); err == nil && strings.Contains(info, "cluster_enabled:1") {
			return bad("redis-url", "points at a Redis Cluster node: use redis+cluster://host:port,…")
		}
	}
	return nil
}
