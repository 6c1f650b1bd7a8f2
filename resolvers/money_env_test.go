package resolvers_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"partnergraph/gateway"
	"partnergraph/gateway/audit"
	"partnergraph/gateway/auth"
	"partnergraph/gateway/idempotency"
	"partnergraph/gateway/notify"
	"partnergraph/gateway/verify"
	"partnergraph/gateway/web"
	"partnergraph/resolvers"
)

// clock is an injectable clock for the verify engine (code expiry).
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

// moneyEnv is the env of env_test.go plus the issue-4 safety machinery:
// memory stores (or the given ones), an outbox served at /dev/outbox, an
// audit log in a temp dir and an injected clock for the verify engine.
type moneyEnv struct {
	*env
	clock     *clock
	outbox    *notify.Outbox
	auditPath string
	engine    *verify.Engine
}

type moneyOpts struct {
	cfg   func(*verify.Config)
	vs    verify.Store
	idem  idempotency.Store
	phone bool
}

func mustMoneyEnv(tb testing.TB, o moneyOpts) *moneyEnv {
	tb.Helper()
	m := &moneyEnv{clock: &clock{t: time.Now()}, outbox: notify.NewOutbox(0), auditPath: filepath.Join(tb.TempDir(), "audit.jsonl")}
	al, err := audit.Open(m.auditPath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { al.Close() })
	cfg := verify.DefaultConfig()
	cfg.FailureFloor = 0
	cfg.Secret = verify.RandomSecret()
	cfg.Sender = m.outbox
	cfg.Audit = al
	cfg.Now = m.clock.Now
	cfg.ResendCooldown = time.Millisecond // challenge() advances the clock past it
	cfg.PerPrincipalSendsPerHour = 1000
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	vs := o.vs
	if vs == nil {
		vs = verify.NewMemoryStore()
	}
	m.engine, err = verify.New(vs, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	idem := o.idem
	if idem == nil {
		idem = idempotency.NewMemoryStore(idempotency.Options{})
	}
	safety := resolvers.Safety{Verify: m.engine, Idem: idem, Audit: al, Contacts: map[string]resolvers.Contact{}}
	m.env = MustEnv(tb, 60, func(wo *web.Options) {
		wo.Schema = resolvers.NewSchema(wo.Source.(*gateway.Client), resolvers.WithSafety(safety))
		wo.DevOutbox = m.outbox.Handler()
	})
	return m
}

func (m *moneyEnv) tier1Token(tb testing.TB) string {
	return MustToken(tb, auth.Principal{Subject: "alice", Role: auth.RolePartner, PartnerID: m.tier1.ID, Email: "alice@tier1.example", Phone: "+8613800001111"})
}

func (m *moneyEnv) resellerToken(tb testing.TB) string {
	return MustToken(tb, auth.Principal{Subject: "rita", Role: auth.RoleReseller, PartnerID: m.reseller.ID, Email: "rita@reseller.example"})
}

func (m *moneyEnv) providerToken(tb testing.TB) string {
	return MustToken(tb, auth.Principal{Subject: "paul", Role: auth.RolePartner, PartnerID: m.provider.ID, Email: "paul@provider.example"})
}

var codeRE = regexp.MustCompile(`verification code is ([0-9]+)`)

// lastCode reads the newest code sent to `to` through GET /dev/outbox.
func (m *moneyEnv) lastCode(tb testing.TB, to string) (code, summary string) {
	tb.Helper()
	resp, err := http.Get(m.gw.URL + "/dev/outbox?to=" + to)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []struct {
			Text, Summary, To string
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	if len(out.Messages) == 0 {
		tb.Fatalf("no message to %s in the outbox", to)
	}
	mm := codeRE.FindStringSubmatch(out.Messages[0].Text)
	if mm == nil {
		tb.Fatalf("no code in %q", out.Messages[0].Text)
	}
	return mm[1], out.Messages[0].Summary
}

const requestCodeQ = `mutation($ch: VerificationChannel!, $op: SensitiveOperation!, $in: SensitiveInput!) {
  requestVerificationCode(channel: $ch, operation: $op, input: $in) { id channel maskedDestination expiresAt resendAfter }
}`

// challenge asks for a code for op/member and returns (challengeId, code).
func (m *moneyEnv) challenge(tb testing.TB, token, op, member string, input map[string]any) (string, string) {
	tb.Helper()
	m.clock.Advance(2 * time.Millisecond)
	r := m.query(tb, token, requestCodeQ, map[string]any{"ch": "EMAIL", "op": op, "in": map[string]any{member: input}})
	if len(r.Errors) > 0 {
		tb.Fatalf("requestVerificationCode: %+v", r.Errors)
	}
	var c struct {
		ID, MaskedDestination string
	}
	_ = json.Unmarshal(r.Data["requestVerificationCode"], &c)
	if c.ID == "" {
		tb.Fatalf("no challenge id: %s", r.Data["requestVerificationCode"])
	}
	code, _ := m.lastCodeAny(tb)
	return c.ID, code
}

// lastCodeAny reads the newest code in the outbox, whoever it went to.
func (m *moneyEnv) lastCodeAny(tb testing.TB) (string, string) {
	tb.Helper()
	return m.lastCode(tb, "")
}

// auditEntries reads the audit file.
func (m *moneyEnv) auditEntries(tb testing.TB) []map[string]any {
	tb.Helper()
	f, err := os.Open(m.auditPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			tb.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

var keyN int
var keyMu sync.Mutex

func newKey() string {
	keyMu.Lock()
	defer keyMu.Unlock()
	keyN++
	return fmt.Sprintf("key-%d-%d", time.Now().UnixNano(), keyN)
}

// upstream is an independent SDK client on the sandbox, to check its state
// after a mutation.
func (m *moneyEnv) upstream(tb testing.TB) *gateway.Client {
	tb.Helper()
	var accounts []gateway.Account
	for _, p := range m.manifest.Partners {
		accounts = append(accounts, gateway.Account{ID: p.ID, Name: p.Name, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName})
	}
	c, err := gateway.New(gateway.Config{Endpoint: m.manifest.Endpoint, IAMEndpoint: m.manifest.IAMEndpoint, Accounts: accounts, CallTimeout: 5 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// resaleCustomer returns a RESALE customer directly under partnerID.
func (m *moneyEnv) resaleCustomer(tb testing.TB, partnerID string, skip int) string {
	tb.Helper()
	for _, c := range m.customersOf(partnerID) {
		if c.AssociationType == "2" {
			if skip == 0 {
				return c.ID
			}
			skip--
		}
	}
	tb.Fatalf("no resale customer of %s", partnerID)
	return ""
}

func principalWith(partnerID, subject string) auth.Principal {
	return auth.Principal{Subject: subject, Role: auth.RolePartner, PartnerID: partnerID, Email: subject + "@example.com"}
}

func postRaw(tb testing.TB, url, token, body string) (int, string) {
	tb.Helper()
	req, _ := http.NewRequest("POST", url+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func contains(raw json.RawMessage, s string) bool { return s != "" && strings.Contains(string(raw), s) }

func mustUnmarshal(tb testing.TB, raw json.RawMessage, v any) {
	tb.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		tb.Fatalf("%s: %v", raw, err)
	}
}

func customerPrincipal(partnerID, customerID string) auth.Principal {
	return auth.Principal{Subject: "cust-" + customerID, Role: auth.RoleCustomer, PartnerID: partnerID, CustomerID: customerID}
}

func (m *moneyEnv) consultantCustomer(tb testing.TB, partnerID string) string {
	tb.Helper()
	for _, c := range m.customersOf(partnerID) {
		if c.AssociationType == "1" {
			return c.ID
		}
	}
	tb.Skip("no consultant-sale customer in the sample")
	return ""
}
