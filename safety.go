package main

// ---- Sensitive mutations: verification, idempotency, audit (issue 4) ----
//
// Settings:
//
//	--redis-url            Redis for the verify, idempotency and pending-registration
//	                       stores, shared by every instance. Required in live mode
//	                       (several instances must agree on codes, attempts, keys
//	                       and customers still associating); sandbox mode without
//	                       it uses in-process memory stores.
//	--verification-secret  HMAC key of the codes, ≥ 32 bytes, the same on every
//	                       instance. Required in live mode; sandbox: random.
//	--audit-log            JSON-lines audit file (default partnergraph-audit.jsonl);
//	                       "off" disables it. One file per instance.
//	--smtp-addr/-from/-username/-password   EMAIL codes through a mail relay.
//	--sms-webhook-url/-secret               SMS codes through an HMAC-signed webhook.
//	--verification-email/-phone             the live partner's contact, used when
//	                       the caller's token carries no verified email /
//	                       phone_number claim.
//
// Senders: sandbox mode always delivers to the dev outbox (GET /dev/outbox,
// sandbox only), plus SMTP/webhook when configured. Live mode needs at least
// one of SMTP or webhook at start-up; requesting a code over a channel
// without a sender is a runtime error (the code cannot be delivered).

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"partnergraph/guard/audit"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
	"partnergraph/pending"
	"partnergraph/resolvers"
)

type safetyConfig struct {
	redisURL           string
	secret             string
	auditLog           string
	smtpAddr, smtpFrom string
	smtpUser, smtpPass string
	webhookURL         string
	webhookSecret      string
	contactEmail       string
	contactPhone       string
}

func safetyFlags(c *safetyConfig, str func(dst *string, name, def, usage string)) {
	str(&c.redisURL, "redis-url", "", "redis://… for verification codes, idempotency keys and pending registrations (required in live mode)")
	str(&c.secret, "verification-secret", "", "HMAC key of verification codes, at least 32 bytes (required in live mode; sandbox: random)")
	str(&c.auditLog, "audit-log", audit.DefaultPath, `audit log file (JSON lines, fsync'd); "off" disables it`)
	str(&c.smtpAddr, "smtp-addr", "", "host:port of the mail relay for EMAIL codes")
	str(&c.smtpFrom, "smtp-from", "", "sender address of EMAIL codes")
	str(&c.smtpUser, "smtp-username", "", "SMTP AUTH user (only over TLS or to localhost)")
	str(&c.smtpPass, "smtp-password", "", "SMTP AUTH password")
	str(&c.webhookURL, "sms-webhook-url", "", "URL the SMS codes are POSTed to (HMAC-signed)")
	str(&c.webhookSecret, "sms-webhook-secret", "", "HMAC key of the SMS webhook signature")
	str(&c.contactEmail, "verification-email", "", "the live partner's e-mail for codes when tokens carry no email claim")
	str(&c.contactPhone, "verification-phone", "", "the live partner's phone for codes when tokens carry no phone_number claim")
}

func (c *safetyConfig) validate(mode string, bad func(name, msg string) error) error {
	if c.redisURL != "" {
		if _, err := redis.ParseURL(c.redisURL); err != nil {
			return bad("redis-url", "must be a redis:// or rediss:// URL")
		}
	}
	if c.secret != "" && len(c.secret) < verify.MinSecretLen {
		return bad("verification-secret", fmt.Sprintf("must be at least %d bytes", verify.MinSecretLen))
	}
	if c.auditLog == "" {
		return bad("audit-log", `must be a file path or "off"`)
	}
	if (c.smtpAddr == "") != (c.smtpFrom == "") {
		return bad("smtp-addr", "and --smtp-from must be set together")
	}
	if c.webhookURL != "" {
		u, err := url.Parse(c.webhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return bad("sms-webhook-url", "must be an http(s) URL")
		}
		if len(c.webhookSecret) < 16 {
			return bad("sms-webhook-secret", "is required with --sms-webhook-url (at least 16 bytes)")
		}
	}
	if mode == "live" {
		if c.redisURL == "" {
			return bad("redis-url", "is required in live mode (verification codes and idempotency keys must be shared by every instance)")
		}
		if c.secret == "" {
			return bad("verification-secret", "is required in live mode")
		}
		if c.smtpAddr == "" && c.webhookURL == "" {
			return bad("smtp-addr", "or --sms-webhook-url is required in live mode (verification codes must be delivered)")
		}
	}
	return nil
}

// buildSafety assembles the verify engine, the idempotency and pending
// stores and the audit log. outbox is set in sandbox mode only.
func buildSafety(c *config) (resolvers.Deps, *notify.Outbox, func(), error) {
	sc := c.safety
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

	al, err := audit.New(audit.Config{Disabled: strings.EqualFold(sc.auditLog, "off"), Path: sc.auditLog})
	if err != nil {
		return fail(&settingError{"audit-log", envName("audit-log"), "cannot be opened: " + err.Error()})
	}
	closers = append(closers, func() { _ = al.Close() })

	var senders []notify.Sender
	var outbox *notify.Outbox
	router := notify.Router{}
	if sc.smtpAddr != "" {
		router.Email = &notify.SMTP{Addr: sc.smtpAddr, From: sc.smtpFrom, Username: sc.smtpUser, Password: sc.smtpPass}
	}
	if sc.webhookURL != "" {
		router.SMS = &notify.Webhook{URL: sc.webhookURL, Secret: []byte(sc.webhookSecret)}
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

	secret := []byte(sc.secret)
	if len(secret) == 0 {
		secret = verify.RandomSecret()
	}
	cfg := verify.DefaultConfig()
	cfg.Secret, cfg.Sender, cfg.Audit = secret, sender, al

	var vs verify.Store
	var idem idempotency.Store
	var pend pending.Store
	if sc.redisURL != "" {
		opt, err := redis.ParseURL(sc.redisURL)
		if err != nil {
			return fail(&settingError{"redis-url", envName("redis-url"), "is invalid"})
		}
		rc := redis.NewClient(opt)
		closers = append(closers, func() { _ = rc.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = rc.Ping(ctx).Err()
		cancel()
		if err != nil {
			return fail(&settingError{"redis-url", envName("redis-url"), "does not answer: " + err.Error()})
		}
		vs = verify.NewRedisStore(rc, verify.DefaultRedisPrefix)
		idem = idempotency.NewRedisStore(rc, idempotency.Options{})
		pend = pending.NewRedisStore(rc, pending.Options{})
	} else {
		vs = verify.NewMemoryStore()
		idem = idempotency.NewMemoryStore(idempotency.Options{})
		pend = pending.NewMemoryStore(pending.Options{})
	}
	eng, err := verify.New(vs, cfg)
	if err != nil {
		return fail(errors.New("verification: " + err.Error()))
	}
	return resolvers.Deps{Verify: eng, Idempotency: idem, Pending: pend, Audit: al}, outbox, closeAll, nil
}
