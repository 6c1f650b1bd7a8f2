package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"partnergraph/guard/audit"
	"partnergraph/guard/notify"
	"partnergraph/internal/testredis"
)

// clock is the injected Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// outbox captures sent codes.
type outbox struct {
	mu   sync.Mutex
	msgs []notify.Message
	fail error
}

func (o *outbox) Send(_ context.Context, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return o.fail
}

var codeRE = regexp.MustCompile(`code is (\d+)`)

func (o *outbox) lastCode(t *testing.T) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		t.Fatal("no message sent")
	}
	m := codeRE.FindStringSubmatch(o.msgs[len(o.msgs)-1].Text)
	if m == nil {
		t.Fatalf("no code in %q", o.msgs[len(o.msgs)-1].Text)
	}
	return m[1]
}

// sink collects audit entries.
type sink struct {
	mu sync.Mutex
	es []audit.Entry
}

func (s *sink) Append(e audit.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.es = append(s.es, e)
	return nil
}
func (s *sink) count(event string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.es {
		if e.Event == event {
			n++
		}
	}
	return n
}

type env struct {
	e     *Engine
	clock *clock
	out   *outbox
	audit *sink
	store Store
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// storeKinds is the table every behaviour runs against.
var storeKinds = []struct {
	name string
	new  func(t *testing.T) Store
}{
	{"memory", func(*testing.T) Store { return NewMemoryStore() }},
	{"redis", func(t *testing.T) Store { return NewRedisStore(testredis.Start(t), "") }},
}

func newEnv(t *testing.T, store Store, tweak func(*Config)) *env {
	t.Helper()
	ev := &env{clock: &clock{t: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)}, out: &outbox{}, audit: &sink{}, store: store}
	cfg := Config{Secret: testSecret, Sender: ev.out, Audit: ev.audit, Now: ev.clock.Now, Logger: slog.New(slog.DiscardHandler),
		PerPrincipalSendsPerHour: -1, GlobalSendsPerMinute: -1, PrincipalMaxFailures: -1}
	if tweak != nil {
		tweak(&cfg)
	}
	e, err := New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev.e = e
	return ev
}

var (
	alice   = Principal{Subject: "alice", PartnerID: "p1", Role: "admin"}
	bob     = Principal{Subject: "bob", PartnerID: "p1"}
	opAlloc = "allocateFunds"
	argsA   = map[string]any{"customerId": "A", "amount": decimal.RequireFromString("100.00")}
	dA      = Digest(opAlloc, argsA)
	ctx     = context.Background()
)

func (ev *env) request(t *testing.T, p Principal, op, digest string) (Challenge, string) {
	t.Helper()
	c, err := ev.e.Request(ctx, p, op, digest, notify.Email, "alice@example.com", Details{Action: "Allocate funds", Amount: "100.00 CNY", Target: "customer A"})
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return c, ev.out.lastCode(t)
}

func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

var behaviours = []struct {
	name string
	cfg  func(*Config)
	run  func(t *testing.T, ev *env)
}{
	{"happy path then single use", nil, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		if !strings.HasPrefix(c.ID, "vc_") || c.MaskedDestination != "a***@example.com" ||
			!c.ExpiresAt.Equal(ev.clock.Now().Add(5*time.Minute)) || !c.ResendAfter.Equal(ev.clock.Now().Add(time.Minute)) {
			t.Fatalf("challenge %+v", c)
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != nil {
			t.Fatalf("verify: %v", err)
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("reuse: %v", err)
		}
		if ev.audit.count(audit.EventChallengeRequested) != 1 || ev.audit.count(audit.EventChallengeVerified) != 1 || ev.audit.count(audit.EventChallengeFailed) != 1 {
			t.Fatalf("audit %+v", ev.audit.es)
		}
	}},
	{"missing id or code is VERIFICATION_REQUIRED", nil, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		for _, in := range [][2]string{{"", code}, {c.ID, ""}, {"", ""}} {
			if err := ev.e.Verify(ctx, alice, opAlloc, dA, in[0], in[1]); !errors.Is(err, ErrVerificationRequired) {
				t.Fatalf("%q: %v", in, err)
			}
		}
	}},
	{"unknown challenge fails generically", nil, func(t *testing.T, ev *env) {
		for _, id := range []string{"vc_nope", strings.Repeat("x", 500)} {
			if err := ev.e.Verify(ctx, alice, opAlloc, dA, id, "123456"); err != ErrVerificationFailed {
				t.Fatalf("%v", err)
			}
		}
	}},
	{"wrong code then right code", nil, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, wrong(code)); err != ErrVerificationFailed {
			t.Fatalf("wrong: %v", err)
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != nil {
			t.Fatalf("right: %v", err)
		}
	}},
	{"expired", nil, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		ev.clock.Advance(5*time.Minute + time.Millisecond)
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != ErrVerificationFailed {
			t.Fatalf("expired: %v", err)
		}
	}},
	{"every call is an attempt: fifth may succeed, sixth may not", nil, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		for i := 0; i < 4; i++ {
			_ = ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, wrong(code))
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != nil {
			t.Fatalf("fifth attempt: %v", err)
		}
		ev.clock.Advance(time.Minute)
		c, code = ev.request(t, alice, opAlloc, dA)
		for i := 0; i < 5; i++ {
			_ = ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, wrong(code))
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != ErrVerificationFailed {
			t.Fatalf("sixth attempt: %v", err)
		}
	}},
	{"50 parallel wrong attempts kill the challenge after 5", nil, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		var wg sync.WaitGroup
		var ok atomic.Int32
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, wrong(code)) == nil {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 0 {
			t.Fatal("wrong code accepted")
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != ErrVerificationFailed {
			t.Fatalf("dead challenge accepted the right code: %v", err)
		}
	}},
	{"20 parallel submissions of the right code: exactly one success", func(c *Config) { c.MaxAttempts = 50 }, parallelRight},
	{"20 parallel submissions with 5 attempts: still exactly one success", nil, parallelRight},
	{"bound to principal, operation and arguments", nil, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		more := Digest(opAlloc, map[string]any{"customerId": "A", "amount": "1000"})
		other := Digest(opAlloc, map[string]any{"customerId": "B", "amount": "100"})
		cases := []struct {
			p      Principal
			op, dg string
		}{
			{bob, opAlloc, dA},
			{Principal{Subject: "alice", PartnerID: "p2"}, opAlloc, dA},
			{alice, "payOrder", dA},
			{alice, opAlloc, more},
			{alice, opAlloc, other},
		}
		for _, cs := range cases[:4] {
			if err := ev.e.Verify(ctx, cs.p, cs.op, cs.dg, c.ID, code); err != ErrVerificationFailed {
				t.Fatalf("%+v: %v", cs, err)
			}
		}
		// Four mismatches spent four attempts; the fifth, correct, works.
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != nil {
			t.Fatalf("right binding: %v", err)
		}
	}},
	{"newer challenge cancels the older", func(c *Config) { c.ResendCooldown = time.Second }, func(t *testing.T, ev *env) {
		c1, code1 := ev.request(t, alice, opAlloc, dA)
		ev.clock.Advance(2 * time.Second)
		c2, code2 := ev.request(t, alice, opAlloc, dA)
		if c1.ID == c2.ID {
			t.Fatal("same id")
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c1.ID, code1); err != ErrVerificationFailed {
			t.Fatalf("cancelled challenge: %v", err)
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c2.ID, code2); err != nil {
			t.Fatalf("new challenge: %v", err)
		}
		// Other operations and principals are independent.
		cb, codeB := ev.request(t, bob, opAlloc, dA)
		_, _ = ev.request(t, alice, "payOrder", dA)
		if err := ev.e.Verify(ctx, bob, opAlloc, dA, cb.ID, codeB); err != nil {
			t.Fatalf("bob: %v", err)
		}
	}},
	{"principal lock-out", func(c *Config) { c.PrincipalMaxFailures = 3; c.ResendCooldown = time.Second }, func(t *testing.T, ev *env) {
		c, code := ev.request(t, alice, opAlloc, dA)
		for i := 0; i < 3; i++ {
			_ = ev.e.Verify(ctx, alice, opAlloc, dA, "vc_unknown", "123456")
		}
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != ErrVerificationFailed {
			t.Fatalf("locked principal verified: %v", err)
		}
		ev.clock.Advance(2 * time.Second)
		_, err := ev.e.Request(ctx, alice, opAlloc, dA, notify.Email, "alice@example.com", Details{})
		var rl *RateLimitedError
		if !errors.As(err, &rl) || rl.Reason != ReasonLocked || rl.RetryAfter <= 14*time.Minute || rl.RetryAfter > 15*time.Minute {
			t.Fatalf("request while locked: %v", err)
		}
		// Bob is not affected.
		cb, codeB := ev.request(t, bob, opAlloc, dA)
		if err := ev.e.Verify(ctx, bob, opAlloc, dA, cb.ID, codeB); err != nil {
			t.Fatalf("bob: %v", err)
		}
		ev.clock.Advance(16 * time.Minute)
		c, code = ev.request(t, alice, opAlloc, dA)
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != nil {
			t.Fatalf("after lock: %v", err)
		}
	}},
	{"resend cooldown", nil, func(t *testing.T, ev *env) {
		ev.request(t, alice, opAlloc, dA)
		ev.clock.Advance(20 * time.Second)
		_, err := ev.e.Request(ctx, alice, opAlloc, dA, notify.Email, "alice@example.com", Details{})
		var rl *RateLimitedError
		if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) || rl.Reason != ReasonCooldown || rl.RetryAfter != 40*time.Second || rl.RetryAfterSeconds() != 40 {
			t.Fatalf("cooldown: %v", err)
		}
		ev.request(t, alice, "payOrder", dA) // another operation is not cooling down
		ev.clock.Advance(40 * time.Second)
		ev.request(t, alice, opAlloc, dA)
		if ev.audit.count(audit.EventChallengeRateLimited) != 1 {
			t.Fatal("rate limit not audited")
		}
	}},
	{"per-principal hourly cap", func(c *Config) { c.PerPrincipalSendsPerHour = 3; c.ResendCooldown = time.Second }, func(t *testing.T, ev *env) {
		for i := 0; i < 3; i++ {
			ev.request(t, alice, opAlloc, dA)
			ev.clock.Advance(10 * time.Minute)
		}
		_, err := ev.e.Request(ctx, alice, opAlloc, dA, notify.Email, "alice@example.com", Details{})
		var rl *RateLimitedError
		if !errors.As(err, &rl) || rl.Reason != ReasonPrincipal || rl.RetryAfter != 30*time.Minute {
			t.Fatalf("cap: %v", err)
		}
		ev.request(t, bob, opAlloc, dA)
		ev.clock.Advance(30 * time.Minute)
		ev.request(t, alice, opAlloc, dA)
	}},
	{"global cap", func(c *Config) { c.GlobalSendsPerMinute = 2 }, func(t *testing.T, ev *env) {
		ev.request(t, alice, opAlloc, dA)
		ev.clock.Advance(15 * time.Second)
		ev.request(t, bob, opAlloc, dA)
		_, err := ev.e.Request(ctx, Principal{Subject: "carol", PartnerID: "p9"}, opAlloc, dA, notify.Email, "carol@example.com", Details{})
		var rl *RateLimitedError
		if !errors.As(err, &rl) || rl.Reason != ReasonGlobal || rl.RetryAfter != 45*time.Second {
			t.Fatalf("global: %v", err)
		}
		ev.clock.Advance(45 * time.Second)
		if _, err := ev.e.Request(ctx, Principal{Subject: "carol", PartnerID: "p9"}, opAlloc, dA, notify.Email, "carol@example.com", Details{}); err != nil {
			t.Fatal(err)
		}
	}},
	{"delivery failure cancels the challenge", nil, func(t *testing.T, ev *env) {
		ev.out.fail = errors.New("relay down")
		_, err := ev.e.Request(ctx, alice, opAlloc, dA, notify.SMS, "0086-13812341234", Details{})
		if !errors.Is(err, ErrDeliveryFailed) {
			t.Fatalf("%v", err)
		}
		code := ev.out.lastCode(t)
		ev.audit.mu.Lock()
		id := ev.audit.es[0].ChallengeID
		ev.audit.mu.Unlock()
		if err := ev.e.Verify(ctx, alice, opAlloc, dA, id, code); err != ErrVerificationFailed {
			t.Fatalf("cancelled challenge verified: %v", err)
		}
	}},
	{"verification setting defaults on", nil, func(t *testing.T, ev *env) {
		if on, err := ev.e.Enabled(ctx, "p1"); err != nil || !on {
			t.Fatalf("default: %v %v", on, err)
		}
		if err := ev.e.SetEnabled(ctx, alice, false); err != nil {
			t.Fatal(err)
		}
		if on, _ := ev.e.Required(ctx, alice); on {
			t.Fatal("still on")
		}
		if on, _ := ev.e.Enabled(ctx, "p2"); !on {
			t.Fatal("other partner affected")
		}
		_ = ev.e.SetEnabled(ctx, alice, true)
		if on, _ := ev.e.Enabled(ctx, "p1"); !on {
			t.Fatal("not re-enabled")
		}
		if ev.audit.count(audit.EventSettingChanged) != 2 {
			t.Fatal("setting change not audited")
		}
	}},
	{"message says what is approved; code only in text", nil, func(t *testing.T, ev *env) {
		_, code := ev.request(t, alice, opAlloc, dA)
		m := ev.out.msgs[0]
		if m.Operation != opAlloc || m.Summary != "Allocate funds: 100.00 CNY to customer A" || m.To != "alice@example.com" || m.Channel != notify.Email {
			t.Fatalf("%v", m)
		}
		if strings.Contains(m.Subject, code) || strings.Contains(m.Summary, code) || !strings.Contains(m.Text, m.Summary) {
			t.Fatalf("%v / %q", m, m.Text)
		}
	}},
}

func TestBehaviours(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) { runBehaviours(t, sk.new) })
	}
}

func runBehaviours(t *testing.T, newStore func(t *testing.T) Store) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			b.run(t, newEnv(t, newStore(t), b.cfg))
		})
	}
}

// On a Redis Cluster (three masters) every script's keys share one slot:
// the behaviours hold and two instances share challenges, attempts and
// locks; every key but the "enabled" setting is in the store's slot.
func TestOnCluster(t *testing.T) {
	rc := testredis.NewCluster(t, testredis.ClusterOptions{}).Client()
	defer rc.Close()
	var n atomic.Int32
	prefix := func() string { return fmt.Sprintf("t%d:", n.Add(1)) }
	t.Run("behaviours", func(t *testing.T) {
		runBehaviours(t, func(*testing.T) Store { return NewRedisStore(rc, prefix()) })
	})
	t.Run("instances share", func(t *testing.T) {
		p := prefix()
		instancesShare(t, NewRedisStore(rc, p), NewRedisStore(rc, p), NewRedisStore(rc, p))
	})
	t.Run("one slot", func(t *testing.T) {
		p := prefix()
		ev := newEnv(t, NewRedisStore(rc, p), func(c *Config) { c.PrincipalMaxFailures = 2 })
		odd := Principal{Subject: "a}{b", PartnerID: "{p1}"}
		for _, p := range []Principal{alice, odd} {
			c, code := ev.request(t, p, opAlloc, dA)
			for range 2 {
				_ = ev.e.Verify(ctx, p, opAlloc, dA, c.ID, wrong(code))
			}
		}
		if err := ev.e.SetEnabled(ctx, odd, false); err != nil {
			t.Fatal(err)
		}
		slots := map[int64][]string{}
		settings := 0
		err := rc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			keys, err := m.Keys(ctx, "*"+strings.TrimSuffix(p, ":")+"[:}]*").Result()
			for _, k := range keys {
				if strings.HasPrefix(k, p+"enabled:") {
					settings++
					continue
				}
				slot := m.ClusterKeySlot(ctx, k).Val()
				slots[slot] = append(slots[slot], k)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) != 1 || settings != 1 {
			t.Fatalf("keys in %d slots: %v; %d settings", len(slots), slots, settings)
		}
		for _, keys := range slots {
			if len(keys) < 10 { // 2 × (ch, cur, cool, sends, fail, lock) and sends:global
				t.Fatalf("keys %v", keys)
			}
		}
	})
}

// TestInstancesShareRedis: a challenge requested through one gateway
// instance is verified (once) through another.
func TestInstancesShareRedis(t *testing.T) {
	client := testredis.Start(t)
	instancesShare(t, NewRedisStore(client, ""), NewRedisStore(client, ""), NewRedisStore(client, ""))
}

func instancesShare(t *testing.T, sa, sb, sother Store) {
	a := newEnv(t, sa, nil)
	b := newEnv(t, sb, nil)
	b.clock = a.clock
	b.e.cfg.Now = a.clock.Now
	c, code := a.request(t, alice, opAlloc, dA)
	if err := b.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != nil {
		t.Fatal(err)
	}
	if err := a.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != ErrVerificationFailed {
		t.Fatal(err)
	}
	// A different secret cannot verify.
	c, code = a.request(t, bob, opAlloc, dA)
	other := newEnv(t, sother, func(cfg *Config) { cfg.Secret = []byte(strings.Repeat("z", 32)); cfg.Now = a.clock.Now })
	if err := other.e.Verify(ctx, bob, opAlloc, dA, c.ID, code); err != ErrVerificationFailed {
		t.Fatal(err)
	}
}

// TestRedisTTLsSet: records carry a Redis TTL for cleanup.
func TestRedisTTLsSet(t *testing.T) {
	client := testredis.Start(t)
	ev := newEnv(t, NewRedisStore(client, "t:"), nil)
	c, _ := ev.request(t, alice, opAlloc, dA)
	for _, k := range []string{"{t}:ch:" + c.ID, "{t}:cool:" + alice.key() + ":" + opAlloc, "{t}:sends:global"} {
		ttl, err := client.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 {
			t.Fatalf("%s ttl %v %v", k, ttl, err)
		}
	}
}

func TestRequestValidation(t *testing.T) {
	ev := newEnv(t, NewMemoryStore(), nil)
	bad := []func() error{
		func() error {
			_, err := ev.e.Request(ctx, Principal{}, opAlloc, dA, notify.Email, "a@b.c", Details{})
			return err
		},
		func() error { _, err := ev.e.Request(ctx, alice, "", dA, notify.Email, "a@b.c", Details{}); return err },
		func() error {
			_, err := ev.e.Request(ctx, alice, opAlloc, "", notify.Email, "a@b.c", Details{})
			return err
		},
		func() error { _, err := ev.e.Request(ctx, alice, opAlloc, dA, "FAX", "a@b.c", Details{}); return err },
		func() error {
			_, err := ev.e.Request(ctx, alice, opAlloc, dA, notify.Email, "not an address", Details{})
			return err
		},
		func() error {
			_, err := ev.e.Request(ctx, alice, opAlloc, dA, notify.SMS, "call me", Details{})
			return err
		},
	}
	for i, f := range bad {
		if err := f(); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("case %d: %v", i, err)
		}
	}
	if _, err := New(NewMemoryStore(), Config{Secret: []byte("short")}); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestFailureFloor(t *testing.T) {
	ev := newEnv(t, NewMemoryStore(), func(c *Config) { c.FailureFloor = 80 * time.Millisecond })
	start := time.Now()
	if err := ev.e.Verify(ctx, alice, opAlloc, dA, "vc_x", "123456"); err != ErrVerificationFailed {
		t.Fatal(err)
	}
	if time.Since(start) < 80*time.Millisecond {
		t.Fatal("floor not applied")
	}
}

// TestAuditFileHoldsNoCode runs the flow against a real audit file and
// greps it for the code and a bearer token used in the same session.
func TestAuditFileHoldsNoCode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := &outbox{}
	e, err := New(NewMemoryStore(), Config{Secret: testSecret, Sender: out, Audit: l})
	if err != nil {
		t.Fatal(err)
	}
	const token = "Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig"
	ctx := context.WithValue(context.Background(), struct{}{}, token)
	c, err := e.Request(ctx, alice, opAlloc, dA, notify.Email, "alice@example.com", Details{})
	if err != nil {
		t.Fatal(err)
	}
	code := out.lastCode(t)
	_ = e.Verify(ctx, alice, opAlloc, dA, c.ID, wrong(code))
	if err := e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"`+code+`"`) || strings.Contains(string(b), ":"+code) || strings.Contains(string(b), "eyJhbGci") || strings.Contains(string(b), string(testSecret)) {
		t.Fatalf("secret material in audit log:\n%s", b)
	}
	es, _, err := l.Read("p1", 10, "")
	if err != nil || len(es) != 3 || es[0].Event != audit.EventChallengeVerified || es[1].Event != audit.EventChallengeFailed || es[2].Event != audit.EventChallengeRequested {
		t.Fatalf("%+v %v", es, err)
	}
	for _, e := range es {
		if e.ArgsDigest != dA || e.ChallengeID != c.ID || e.Role != "admin" {
			t.Fatalf("%+v", e)
		}
	}
}

func TestRandomCodeUniformish(t *testing.T) {
	seen := map[byte]int{}
	for i := 0; i < 2000; i++ {
		c := randomCode(6)
		if len(c) != 6 {
			t.Fatalf("len %q", c)
		}
		for j := range c {
			seen[c[j]]++
		}
	}
	for d := byte('0'); d <= '9'; d++ {
		if n := seen[d]; n < 1000 || n > 1400 { // expected 1200
			t.Fatalf("digit %c seen %d times", d, n)
		}
	}
}

func TestDigest(t *testing.T) {
	type in struct {
		Customer string          `json:"customerId"`
		Amount   decimal.Decimal `json:"amount"`
	}
	base := Digest("allocate", map[string]any{"customerId": "A", "amount": 100})
	same := []any{
		map[string]any{"amount": 100.0, "customerId": "A"},
		map[string]any{"amount": "100", "customerId": "A"},
		in{Customer: "A", Amount: decimal.RequireFromString("100.00")},
		map[string]any{"amount": decimal.RequireFromString("1e2"), "customerId": "A"},
	}
	for i, s := range same {
		if d := Digest("allocate", s); d != base {
			t.Errorf("same[%d] differs", i)
		}
	}
	diff := []struct {
		op   string
		args any
	}{
		{"allocate", map[string]any{"customerId": "A", "amount": 1000}},
		{"allocate", map[string]any{"customerId": "B", "amount": 100}},
		{"pay", map[string]any{"customerId": "A", "amount": 100}},
		{"allocate", map[string]any{"customerId": "A", "amount": 100, "extra": nil}},
		{"allocate", map[string]any{"customerId": "A", "amount": 100.01}},
	}
	for i, d := range diff {
		if Digest(d.op, d.args) == base {
			t.Errorf("diff[%d] collides", i)
		}
	}
	if len(base) != 64 || Digest("x", make(chan int)) != "" {
		t.Fatal("digest shape / error handling")
	}
	cj, _ := CanonicalJSON(map[string]any{"b": []any{1.50, "<&>"}, "a": true})
	if string(cj) != `{"a":true,"b":["1.5","<&>"]}` {
		t.Fatalf("canonical %s", cj)
	}
}

func TestMask(t *testing.T) {
	cases := map[string]string{
		"alice@example.com": "a***@example.com",
		"@example.com":      "***@example.com",
		"0086-13812341234":  "0086-138****1234",
		"+86 13812341234":   "+86 138****1234",
		"13812341234":       "138****1234",
		"+8613812341234":    "+86138****1234",
		"5551234":           "555**34",
		"123":               "*23",
		"":                  "****",
	}
	for in, want := range cases {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func ExampleDigest() {
	fmt.Println(Digest("allocateFunds", map[string]any{"customerId": "A", "amount": decimal.RequireFromString("100.00")}) ==
		Digest("allocateFunds", map[string]any{"amount": 100, "customerId": "A"}))
	// Output: true
}

func parallelRight(t *testing.T, ev *env) {

	c, code := ev.request(t, alice, opAlloc, dA)
	var wg sync.WaitGroup
	var ok, failed atomic.Int32
	start := make(chan struct{})
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch err := ev.e.Verify(ctx, alice, opAlloc, dA, c.ID, code); err {
			case nil:
				ok.Add(1)
			case ErrVerificationFailed:
				failed.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || failed.Load() != 19 {
		t.Fatalf("successes %d failures %d", ok.Load(), failed.Load())
	}
}

// TestSandboxFlowThroughOutbox is the flow a GraphiQL user follows in
// sandbox mode: request a code, read it from GET /dev/outbox, run the guarded
// mutation once.
func TestSandboxFlowThroughOutbox(t *testing.T) {
	box := notify.NewOutbox(0)
	srv := httptest.NewServer(box.Handler())
	defer srv.Close()
	e, err := New(NewMemoryStore(), Config{Secret: RandomSecret(), Sender: notify.Router{SMS: box, Email: box}})
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"customerId": "A", "amount": decimal.RequireFromString("100")}
	c, err := e.Request(ctx, alice, opAlloc, Digest(opAlloc, args), notify.SMS, "0086-13812341234", Details{Amount: "100 CNY", Target: "customer A"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaskedDestination != "0086-138****1234" {
		t.Fatal(c.MaskedDestination)
	}
	resp, err := http.Get(srv.URL + "?to=" + url.QueryEscape("0086-13812341234"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Messages []struct{ Text, Operation, Summary string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Messages) != 1 {
		t.Fatalf("%+v %v", body, err)
	}
	m := codeRE.FindStringSubmatch(body.Messages[0].Text)
	if m == nil || body.Messages[0].Summary != "allocateFunds: 100 CNY to customer A" {
		t.Fatalf("%+v", body.Messages[0])
	}
	// Other arguments: refused. The approved ones: accepted once.
	if err := e.Guard(ctx, alice, opAlloc, map[string]any{"customerId": "A", "amount": 1000}, c.ID, m[1]); err != ErrVerificationFailed {
		t.Fatal(err)
	}
	if err := e.Guard(ctx, alice, opAlloc, map[string]any{"amount": "100", "customerId": "A"}, c.ID, m[1]); err != nil {
		t.Fatal(err)
	}
	if err := e.Guard(ctx, alice, opAlloc, args, c.ID, m[1]); err != ErrVerificationFailed {
		t.Fatal(err)
	}
	// With verification turned off, Guard lets the mutation through.
	if err := e.SetEnabled(ctx, alice, false); err != nil {
		t.Fatal(err)
	}
	if err := e.Guard(ctx, alice, opAlloc, args, "", ""); err != nil {
		t.Fatal(err)
	}
}
