// Package verify guards sensitive mutations (money, vouchers, the
// verification setting itself) with one-time codes sent by SMS or e-mail,
// the step Huawei's partner center performs in its UI but the AK/SK APIs do
// not, so partnergraph must enforce it.
//
// Flow: Request creates a challenge bound to (principal, operation, digest
// of the canonical arguments) and sends the code; the guarded mutation then
// calls Verify with the challenge id and code before anything touches the
// upstream. Verify consumes the challenge atomically, so a code approves
// exactly one execution of exactly the approved arguments.
//
// Every failure — wrong code, expired, used, cancelled, bound to other
// arguments, out of attempts, principal locked — is the one error
// ErrVerificationFailed, produced by the same work (one HMAC, the same two
// store round trips) and optionally padded to Config.FailureFloor, so
// neither the answer nor its timing tells an attacker which check failed.
package verify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"partnergraph/guard/audit"
	"partnergraph/guard/notify"
)

// Errors returned by Engine. Map them to the GraphQL error codes of the same
// name; RATE_LIMITED carries RateLimitedError.RetryAfter.
var (
	// ErrVerificationRequired: the partner has verification on and the
	// mutation came without a challenge id or code.
	ErrVerificationRequired = errors.New("verification required")
	// ErrVerificationFailed: any reason the code was not accepted.
	ErrVerificationFailed = errors.New("verification failed")
	// ErrRateLimited matches every *RateLimitedError via errors.Is.
	ErrRateLimited = errors.New("rate limited")
	// ErrInvalidRequest: bad channel, destination, operation or digest in
	// Request — a client error, not a verification failure.
	ErrInvalidRequest = errors.New("invalid verification request")
	// ErrDeliveryFailed: the sender could not deliver the code; the
	// challenge was cancelled (the send still counts against the limits).
	ErrDeliveryFailed = errors.New("verification code could not be delivered")
	// ErrAudit: the audit log refused an entry; the engine fails closed.
	ErrAudit = errors.New("audit log unavailable")
)

// Reasons in RateLimitedError (for logs and audit, not for clients).
const (
	ReasonCooldown  = "cooldown"
	ReasonPrincipal = "principal"
	ReasonGlobal    = "global"
	ReasonLocked    = "locked"
)

// RateLimitedError says a code may not be sent now and when to retry.
type RateLimitedError struct {
	RetryAfter time.Duration
	Reason     string
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited (%s): retry after %s", e.Reason, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// RetryAfterSeconds rounds up, for a Retry-After style integer.
func (e *RateLimitedError) RetryAfterSeconds() int {
	return int(math.Ceil(e.RetryAfter.Seconds()))
}

// Principal is who asks for and uses a code. Subject and PartnerID form the
// binding; Role is only recorded in the audit log.
type Principal struct {
	Subject   string
	PartnerID string
	Role      string
}

// key is the binding and counter key: both parts escaped so no subject can
// collide with another partner's.
func (p Principal) key() string {
	return url.QueryEscape(p.PartnerID) + ":" + url.QueryEscape(p.Subject)
}

// Config tunes an Engine. Zero durations and counts take the defaults shown;
// a negative send limit or PrincipalMaxFailures disables that limit.
type Config struct {
	CodeTTL     time.Duration // 5m
	MaxAttempts int           // 5 per challenge, every Verify call counts
	CodeLength  int           // 6 digits

	PrincipalMaxFailures int           // 10 failures ...
	FailureWindow        time.Duration // ... within 15m ...
	LockFor              time.Duration // ... lock the principal for 15m

	ResendCooldown           time.Duration // 60s per principal+operation
	PerPrincipalSendsPerHour int           // 10
	GlobalSendsPerMinute     int           // 100

	// FailureFloor pads every failed Verify to at least this long (no
	// default: 0 means no padding; DefaultConfig recommends 200ms).
	FailureFloor time.Duration

	// Secret keys the code HMACs; at least 32 bytes, identical on every
	// instance sharing a RedisStore. See RandomSecret.
	Secret []byte

	// Sender delivers codes; required for Request.
	Sender notify.Sender
	// Audit receives challenge events; nil means audit.Nop.
	Audit audit.Sink
	// Logger gets operational messages (never codes); nil means
	// slog.Default().
	Logger *slog.Logger
	// Product names the service in messages; default "partnergraph".
	Product string

	Now func() time.Time
}

// DefaultConfig returns the recommended production settings, minus Secret,
// Sender and Audit.
func DefaultConfig() Config {
	c := Config{FailureFloor: 200 * time.Millisecond}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(i *int, v int) {
		if *i == 0 {
			*i = v
		}
	}
	def(&c.CodeTTL, 5*time.Minute)
	defInt(&c.MaxAttempts, 5)
	defInt(&c.CodeLength, 6)
	defInt(&c.PrincipalMaxFailures, 10)
	def(&c.FailureWindow, 15*time.Minute)
	def(&c.LockFor, 15*time.Minute)
	def(&c.ResendCooldown, 60*time.Second)
	defInt(&c.PerPrincipalSendsPerHour, 10)
	defInt(&c.GlobalSendsPerMinute, 100)
	if c.Product == "" {
		c.Product = "partnergraph"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// MinSecretLen is the shortest accepted Config.Secret.
const MinSecretLen = 32

// RandomSecret returns a fresh 32-byte secret, for single-process (memory
// store) deployments where nothing else needs to know it.
func RandomSecret() []byte {
	b := make([]byte, MinSecretLen)
	_, _ = rand.Read(b)
	return b
}

// Engine runs the verification flow over a Store. It is safe for concurrent
// use; several Engines (instances) may share one RedisStore.
type Engine struct {
	store Store
	cfg   Config
	dummy []byte // compared against when no record exists, to keep work uniform
	log   *slog.Logger
	audit audit.Sink
}

// New returns an Engine.
func New(store Store, cfg Config) (*Engine, error) {
	if store == nil {
		return nil, errors.New("verify: nil store")
	}
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("verify: secret must be at least %d bytes", MinSecretLen)
	}
	cfg.setDefaults()
	if cfg.MaxAttempts < 1 || cfg.CodeLength < 4 || cfg.CodeLength > 12 {
		return nil, errors.New("verify: MaxAttempts must be >= 1 and CodeLength within 4..12")
	}
	cfg.Secret = append([]byte(nil), cfg.Secret...)
	e := &Engine{store: store, cfg: cfg, log: cfg.Logger, audit: cfg.Audit}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.audit == nil {
		e.audit = audit.Nop{}
	}
	e.dummy = e.mac("\x00dummy", "")
	return e, nil
}

// Challenge is what requestVerificationCode returns to the client.
type Challenge struct {
	ID                string
	Channel           notify.Channel
	MaskedDestination string
	ExpiresAt         time.Time
	// ResendAfter is when a new code for the same operation may be asked.
	ResendAfter time.Time
}

// Details describe what a code approves, for the message the user reads;
// they do not affect the binding (the digest does).
type Details struct {
	Action string // human name, e.g. "Allocate funds"; default: the operation
	Amount string // e.g. "100.00 CNY"
	Target string // e.g. "customer Acme Ltd (0a1b…)"
}

// Summary renders the details as one line: "Allocate funds: 100.00 CNY to
// customer Acme Ltd".
func (d Details) Summary(op string) string {
	s := d.Action
	if s == "" {
		s = op
	}
	var parts []string
	if d.Amount != "" {
		parts = append(parts, d.Amount)
	}
	if d.Target != "" {
		parts = append(parts, "to "+d.Target)
	}
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, " ")
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// Request creates a challenge for p to run op with the arguments whose
// Digest is digest, and sends the code to destination over channel. Any
// older challenge of p for op is cancelled. It returns ErrInvalidRequest,
// a *RateLimitedError, ErrDeliveryFailed, ErrAudit or a store error.
//
// The destination must come from the partner's verified contact data, not
// from the client; Request only validates its shape.
func (e *Engine) Request(ctx context.Context, p Principal, op, digest string, ch notify.Channel, destination string, d Details) (Challenge, error) {
	if err := validateRequest(p, op, digest, ch, destination); err != nil {
		return Challenge{}, err
	}
	now := e.cfg.Now()
	id := "vc_" + randomToken(20)
	code := randomCode(e.cfg.CodeLength)
	rec := Record{ID: id, PrincipalKey: p.key(), Operation: op, Digest: digest, MAC: e.mac(id, code), ExpiresAt: now.Add(e.cfg.CodeTTL)}
	entry := audit.Entry{Time: now, PrincipalSubject: p.Subject, PartnerID: p.PartnerID, Role: p.Role, Operation: op, ArgsDigest: digest, ChallengeID: id, Channel: string(ch)}

	err := e.store.Create(ctx, rec, e.limits(), now)
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		entry.Event, entry.Outcome, entry.ChallengeID = audit.EventChallengeRateLimited, "RATE_LIMITED:"+rl.Reason, ""
		if aerr := e.audit.Append(entry); aerr != nil {
			e.log.ErrorContext(ctx, "verify: audit append failed", "event", entry.Event, "err", aerr)
		}
		return Challenge{}, err
	}
	if err != nil {
		return Challenge{}, err
	}
	entry.Event, entry.Outcome = audit.EventChallengeRequested, "created"
	if err := e.audit.Append(entry); err != nil {
		// No code goes out that the audit log does not know about.
		_ = e.store.Cancel(context.WithoutCancel(ctx), id)
		return Challenge{}, fmt.Errorf("%w: %v", ErrAudit, err)
	}
	summary := d.Summary(op)
	msg := notify.Message{
		Channel:   ch,
		To:        destination,
		Subject:   fmt.Sprintf("%s verification code: %s", e.cfg.Product, firstNonEmpty(d.Action, op)),
		Operation: op,
		Summary:   summary,
		Text: fmt.Sprintf("Your %s verification code is %s.\n\nIt approves: %s\nRequested by: %s (partner %s)\nIt expires in %s and can be used once.\n\nIf you did not request this, do not share the code with anyone.",
			e.cfg.Product, code, summary, p.Subject, p.PartnerID, e.cfg.CodeTTL.Round(time.Second)),
	}
	if e.cfg.Sender == nil {
		err = errors.New("no sender configured")
	} else {
		err = e.cfg.Sender.Send(ctx, msg)
	}
	if err != nil {
		_ = e.store.Cancel(context.WithoutCancel(ctx), id)
		entry.Event, entry.Outcome = audit.EventChallengeDelivery, "DELIVERY_FAILED"
		if aerr := e.audit.Append(entry); aerr != nil {
			e.log.ErrorContext(ctx, "verify: audit append failed", "event", entry.Event, "err", aerr)
		}
		// The sender's error never contains the code (senders do not echo
		// bodies), but keep it out of the client-facing chain anyway.
		e.log.WarnContext(ctx, "verify: code delivery failed", "channel", ch, "operation", op, "challenge", id, "err", err)
		return Challenge{}, ErrDeliveryFailed
	}
	return Challenge{ID: id, Channel: ch, MaskedDestination: Mask(destination), ExpiresAt: rec.ExpiresAt, ResendAfter: now.Add(e.cfg.ResendCooldown)}, nil
}

// Verify checks and consumes the challenge: call it in the guarded mutation
// before any upstream call (and before reserving the idempotency key as
// "applied"), once per field execution. nil means p may run op with the
// arguments of digest exactly once; the challenge is gone.
//
// It returns ErrVerificationRequired (empty id or code), ErrVerificationFailed,
// ErrAudit (verified but the audit log refused: fail closed, the code is
// spent) or a store error.
func (e *Engine) Verify(ctx context.Context, p Principal, op, digest, challengeID, code string) error {
	if challengeID == "" || code == "" {
		return ErrVerificationRequired
	}
	start := time.Now()
	now := e.cfg.Now()
	pk := p.key()
	// Oversized input cannot name a real challenge; cap it so it cannot
	// make large keys, without skipping any of the work below.
	if len(challengeID) > 64 {
		challengeID = "vc_invalid"
	}
	if len(code) > 32 {
		code = code[:32]
	}
	mac := e.mac(challengeID, code)
	got, err := e.store.Attempt(ctx, challengeID, pk, e.cfg.MaxAttempts, now)
	if err != nil {
		return err
	}
	stored, bound := e.dummy, got
	if got.Status != AttemptOK {
		bound = Attempted{PrincipalKey: "\x00", Operation: "\x00", Digest: "\x00"}
	}
	if got.Status == AttemptOK {
		stored = got.MAC
	}
	okMAC := hmac.Equal(stored, mac)
	okBind := subtle.ConstantTimeCompare([]byte(bound.PrincipalKey), []byte(pk)) &
		subtle.ConstantTimeCompare([]byte(bound.Operation), []byte(op)) &
		subtle.ConstantTimeCompare([]byte(bound.Digest), []byte(digest))
	matched := got.Status == AttemptOK && okMAC && okBind == 1 && digest != ""
	consumed, err := e.store.Finish(ctx, challengeID, pk, matched, e.failurePolicy(), now)
	if err != nil {
		return err
	}
	entry := audit.Entry{Time: now, PrincipalSubject: p.Subject, PartnerID: p.PartnerID, Role: p.Role, Operation: op, ArgsDigest: digest, ChallengeID: challengeID}
	if consumed {
		entry.Event, entry.Outcome = audit.EventChallengeVerified, "ok"
		if err := e.audit.Append(entry); err != nil {
			return fmt.Errorf("%w: %v", ErrAudit, err)
		}
		return nil
	}
	// The audit outcome stays generic too: the partner-readable log must
	// not become an oracle for which check failed.
	entry.Event, entry.Outcome = audit.EventChallengeFailed, "VERIFICATION_FAILED"
	if err := e.audit.Append(entry); err != nil {
		e.log.ErrorContext(ctx, "verify: audit append failed", "event", entry.Event, "err", err)
	}
	if wait := e.cfg.FailureFloor - time.Since(start); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return ErrVerificationFailed
}

// Guard is the whole check a @verificationRequired directive needs: it
// skips verification when p's partner turned it off, and otherwise verifies
// (and consumes) the challenge for op with args, whose digest is computed
// here exactly as Request's caller must compute it: Digest(op, args).
// Call it once per field execution, before the idempotency reservation is
// completed and before any upstream call.
func (e *Engine) Guard(ctx context.Context, p Principal, op string, args any, challengeID, code string) error {
	on, err := e.Required(ctx, p)
	if err != nil {
		return err
	}
	if !on {
		return nil
	}
	return e.Verify(ctx, p, op, Digest(op, args), challengeID, code)
}

// Required reports whether p's partner has verification turned on (the
// default). When it is off, guarded mutations skip Verify.
func (e *Engine) Required(ctx context.Context, p Principal) (bool, error) {
	return e.store.Enabled(ctx, p.PartnerID)
}

// Enabled reports a partner's setting (default true).
func (e *Engine) Enabled(ctx context.Context, partnerID string) (bool, error) {
	return e.store.Enabled(ctx, partnerID)
}

// SetEnabled changes the partner's setting and audits the change. The
// mutation exposing it must itself be guarded (Verify with the current
// setting), otherwise a stolen session could turn protection off.
func (e *Engine) SetEnabled(ctx context.Context, p Principal, enabled bool) error {
	if err := e.store.SetEnabled(ctx, p.PartnerID, enabled); err != nil {
		return err
	}
	outcome := "disabled"
	if enabled {
		outcome = "enabled"
	}
	if err := e.audit.Append(audit.Entry{Time: e.cfg.Now(), PrincipalSubject: p.Subject, PartnerID: p.PartnerID, Role: p.Role, Operation: "setVerificationEnabled", Event: audit.EventSettingChanged, Outcome: outcome}); err != nil {
		return fmt.Errorf("%w: %v", ErrAudit, err)
	}
	return nil
}

func (e *Engine) limits() SendLimits {
	lim := func(n int) int {
		if n < 0 {
			return 0
		}
		return n
	}
	return SendLimits{
		Cooldown:           e.cfg.ResendCooldown,
		PerPrincipal:       lim(e.cfg.PerPrincipalSendsPerHour),
		PerPrincipalWindow: time.Hour,
		Global:             lim(e.cfg.GlobalSendsPerMinute),
		GlobalWindow:       time.Minute,
	}
}

func (e *Engine) failurePolicy() FailurePolicy {
	n := e.cfg.PrincipalMaxFailures
	if n < 0 {
		n = 0
	}
	return FailurePolicy{MaxFailures: n, Window: e.cfg.FailureWindow, LockFor: e.cfg.LockFor}
}

// mac is HMAC-SHA256(secret, "v1|" id "|" code). Keying by the id means a
// leaked MAC table cannot be matched against codes of other challenges.
func (e *Engine) mac(id, code string) []byte {
	m := hmac.New(sha256.New, e.cfg.Secret)
	m.Write([]byte("v1|"))
	m.Write([]byte(id))
	m.Write([]byte("|"))
	m.Write([]byte(code))
	return m.Sum(nil)
}

func validateRequest(p Principal, op, digest string, ch notify.Channel, dest string) error {
	switch {
	case p.Subject == "" || p.PartnerID == "":
		return fmt.Errorf("%w: principal without subject or partner", ErrInvalidRequest)
	case op == "" || len(op) > 128:
		return fmt.Errorf("%w: operation", ErrInvalidRequest)
	case len(digest) != 64:
		return fmt.Errorf("%w: argument digest", ErrInvalidRequest)
	case !ch.Valid():
		return fmt.Errorf("%w: channel %q", ErrInvalidRequest, ch)
	}
	switch ch {
	case notify.Email:
		a, err := mail.ParseAddress(dest)
		if err != nil || a.Address != dest {
			return fmt.Errorf("%w: e-mail destination", ErrInvalidRequest)
		}
	case notify.SMS:
		digits := 0
		for _, c := range dest {
			switch {
			case c >= '0' && c <= '9':
				digits++
			case c == '+' || c == '-' || c == ' ':
			default:
				return fmt.Errorf("%w: phone destination", ErrInvalidRequest)
			}
		}
		if digits < 6 || digits > 20 {
			return fmt.Errorf("%w: phone destination", ErrInvalidRequest)
		}
	}
	return nil
}

// randomCode returns n uniform decimal digits from crypto/rand (rand.Int
// rejects out-of-range samples, so there is no modulo bias).
func randomCode(n int) string {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic("verify: crypto/rand failed: " + err.Error())
	}
	s := v.String()
	return strings.Repeat("0", n-len(s)) + s
}

// randomToken returns n random lowercase base32 characters (5 bits each).
func randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
