package resolvers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"partnergraph/edge"
	"partnergraph/gateway"
	"partnergraph/guard/audit"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
	"partnergraph/identity"
	"partnergraph/pending"
	"partnergraph/resolvers"
	"partnergraph/sandbox"
)

var testSecret = []byte("test-secret-test-secret-test-secret!")

const (
	testIssuer   = "partnergraph-test"
	testAudience = "partnergraph-test"
)

// envConfig says how newEnv builds the sandbox and the gateway. The zero
// value is a gateway with memory stores, a verify engine on env.verifyClock,
// an audit log in a temp dir and an outbox served at /dev/outbox, over a
// seed-7 sandbox of 60 customers.
type envConfig struct {
	// Sandbox is the emulator's options; Seed defaults to 7 (Customers to
	// the sandbox's own default, 60).
	Sandbox sandbox.Options
	// SandboxClock runs the sandbox on env.sbClock (Sandbox.Now).
	SandboxClock bool
	// TokenClock runs the gateway's customer-token cache on env.tokClock.
	TokenClock bool

	// Verify adjusts the verify engine's config after the test defaults.
	Verify func(*verify.Config)
	// VerifyStore and Idem replace the memory stores.
	VerifyStore verify.Store
	Idem        *idempotency.Store

	// Web adjusts the handler's options last.
	Web func(*edge.Options)
	// Tickets tunes the ticket pollers and caches.
	Tickets resolvers.TicketOptions
}

// env is a gateway aimed at a sandbox, both on 127.0.0.1 random ports.
type env struct {
	gw, sb   *httptest.Server
	manifest sandbox.Manifest
	tier1    sandbox.ManifestPartner
	reseller sandbox.ManifestPartner
	provider sandbox.ManifestPartner
	client   *gateway.Client // the gateway's own

	sbClock  *clock // envConfig.SandboxClock
	tokClock *clock // envConfig.TokenClock

	idem        *idempotency.Store
	verifyClock *clock // the verify engine's (code expiry)
	engine      *verify.Engine
	outbox      *notify.Outbox
	auditPath   string
}

// The domain harnesses are presets of envConfig.

// newMoneyEnv is the money tests' env: enough sends per
// principal for a test's challenges.
func newMoneyEnv(tb testing.TB, cfg envConfig) *env {
	tb.Helper()
	adjust := cfg.Verify
	cfg.Verify = func(c *verify.Config) {
		c.PerPrincipalSendsPerHour = 1000
		if adjust != nil {
			adjust(c)
		}
	}
	return newEnv(tb, cfg)
}

// newCommerceEnv is the commerce tests' env: a movable
// clock for the gateway's customer-token cache; sb sets the showcase
// resources.
func newCommerceEnv(tb testing.TB, sb sandbox.Options) *env {
	tb.Helper()
	return newEnv(tb, envConfig{Sandbox: sb, TokenClock: true})
}

const lcReviewDelay = 30 * time.Second

// newLifecycleEnv is the lifecycle tests' env: a movable sandbox clock
// (association after 3 s, SMS expiry and real-name reviews follow it) and
// the gateway's own stores.
func newLifecycleEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnv(tb, envConfig{Sandbox: sandbox.Options{ReviewDelay: lcReviewDelay}, SandboxClock: true})
}

func newEnv(tb testing.TB, cfg envConfig) *env {
	tb.Helper()
	e := &env{}
	so := cfg.Sandbox
	if so.Seed == 0 {
		so.Seed = 7
	}
	if cfg.SandboxClock {
		e.sbClock = &clock{t: time.Now().UTC()}
		so.Now = e.sbClock.Now
	}
	sb, err := sandbox.New(so)
	if err != nil {
		tb.Fatal(err)
	}
	e.sb = httptest.NewServer(sb.Handler())
	tb.Cleanup(e.sb.Close)
	e.manifest = sb.Manifest(e.sb.URL)
	for _, p := range e.manifest.Partners {
		switch {
		case p.Kind == "tier1" && e.tier1.ID == "":
			e.tier1 = p
		case p.Kind == "tier2" && e.reseller.ID == "":
			e.reseller = p
		case p.Kind == "provider" && e.provider.ID == "":
			e.provider = p
		}
	}
	var now func() time.Time
	if cfg.TokenClock {
		e.tokClock = &clock{t: time.Now()}
		now = e.tokClock.Now
	}
	e.client = e.newClient(tb, now)
	v, err := identity.NewVerifier(identity.Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: testSecret})
	if err != nil {
		tb.Fatal(err)
	}
	o := edge.Options{Verifier: v, Ready: e.client.Ping, Log: io.Discard}
	e.idem = cfg.Idem
	if e.idem == nil {
		e.idem = idempotency.NewMemoryStore(idempotency.Options{})
	}
	deps := e.deps(tb, cfg)
	deps.Upstream = e.client
	deps.Tickets = cfg.Tickets
	schema, err := resolvers.NewSchema(deps)
	if err != nil {
		tb.Fatal(err)
	}
	o.Schema, o.DevOutbox = schema, e.outbox.Handler()
	if cfg.Web != nil {
		cfg.Web(&o)
	}
	e.gw = httptest.NewServer(edge.NewHandler(o))
	tb.Cleanup(e.gw.Close)
	return e
}

// deps builds the verify engine, outbox, audit log and pending store.
func (e *env) deps(tb testing.TB, cfg envConfig) resolvers.Deps {
	tb.Helper()
	e.verifyClock = &clock{t: time.Now()}
	e.outbox = notify.NewOutbox(0)
	e.auditPath = filepath.Join(tb.TempDir(), "audit.jsonl")
	al, err := audit.Open(e.auditPath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { al.Close() })
	vc := verify.DefaultConfig()
	vc.FailureFloor = 0
	vc.Secret = verify.RandomSecret()
	vc.Sender = e.outbox
	vc.Audit = al
	vc.Now = e.verifyClock.Now
	vc.ResendCooldown = time.Millisecond // challenge() advances the clock past it
	if cfg.Verify != nil {
		cfg.Verify(&vc)
	}
	vs := cfg.VerifyStore
	if vs == nil {
		vs = verify.NewMemoryStore()
	}
	e.engine, err = verify.New(vs, vc)
	if err != nil {
		tb.Fatal(err)
	}
	return resolvers.Deps{Verify: e.engine, Idempotency: e.idem, Audit: al, Pending: pending.NewMemoryStore(pending.Options{}), Contacts: map[string]resolvers.Contact{}}
}

// newClient is an SDK client on the sandbox with every partner's keys; now
// is its token cache's clock (nil: time.Now).
func (e *env) newClient(tb testing.TB, now func() time.Time) *gateway.Client {
	tb.Helper()
	var accounts []gateway.Account
	for _, p := range e.manifest.Partners {
		accounts = append(accounts, gateway.Account{ID: p.ID, Name: p.Name, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName,
			OBS: gateway.Bucket{Endpoint: p.OBS.Endpoint, Name: p.OBS.Bucket, AK: p.OBS.AK, SK: p.OBS.SK, PathStyle: p.OBS.PathStyle}})
	}
	c, err := gateway.New(gateway.Config{Endpoint: e.manifest.Endpoint, IAMEndpoint: e.manifest.IAMEndpoint, OSMEndpoint: e.manifest.Endpoint,
		Accounts: accounts, CallTimeout: 5 * time.Second, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// upstream is an independent SDK client on the sandbox, to check its state
// after a mutation.
func (e *env) upstream(tb testing.TB) *gateway.Client {
	tb.Helper()
	return e.newClient(tb, nil)
}

// clock is an injectable clock (sandbox, token cache, verify engine).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func MustToken(tb testing.TB, p identity.Principal) string {
	tb.Helper()
	t, err := identity.Mint(testSecret, testIssuer, testAudience, p, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func principalWith(partnerID, subject string) identity.Principal {
	return identity.Principal{Subject: subject, Role: identity.RolePartner, PartnerID: partnerID, Email: subject + "@example.com"}
}

func customerPrincipal(partnerID, customerID string) identity.Principal {
	return identity.Principal{Subject: "cust-" + customerID, Role: identity.RoleCustomer, PartnerID: partnerID, CustomerID: customerID}
}

// customersOf returns the manifest's sample customers of a partner.
func (e *env) customersOf(partnerID string) []sandbox.ManifestCustomer {
	var out []sandbox.ManifestCustomer
	for _, c := range e.manifest.Customers {
		if c.PartnerID == partnerID {
			out = append(out, c)
		}
	}
	return out
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []gqlError                 `json:"errors"`
}

func (r gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func MustQuery(tb testing.TB, url, token, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatalf("decode: %v", err)
	}
	return out
}

func (e *env) query(tb testing.TB, token, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	return MustQuery(tb, e.gw.URL, token, query, vars)
}

// queryParallel sends n queries at once, the i-th with vars(i), and
// returns the responses in that order.
func (e *env) queryParallel(tb testing.TB, n int, token, query string, vars func(i int) map[string]any) []gqlResponse {
	tb.Helper()
	out := make([]gqlResponse, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out[i] = MustQuery(tb, e.gw.URL, token, query, vars(i))
		}(i)
	}
	wg.Wait()
	return out
}

// httpDo sends a raw request (content type, accept and token when set)
// and returns the response with its body read.
func httpDo(tb testing.TB, method, url, ct, accept, token, body string) (*http.Response, string) {
	tb.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// mustData fails on GraphQL errors and decodes data[field] into v.
func mustData(tb testing.TB, r gqlResponse, field string, v any) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data[field], v); err != nil {
		tb.Fatalf("decode %s: %v (%s)", field, err, r.Data[field])
	}
}

func mustUnmarshal(tb testing.TB, raw json.RawMessage, v any) {
	tb.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		tb.Fatalf("%s: %v", raw, err)
	}
}

// wantError checks one error with code and (when set) upstream code.
func wantError(tb testing.TB, r gqlResponse, code, upstream string) gqlError {
	tb.Helper()
	if len(r.Errors) != 1 {
		tb.Fatalf("want one %s error, got %+v (data %s)", code, r.Errors, r.Data)
	}
	e := r.Errors[0]
	if e.Extensions["code"] != code || (upstream != "" && e.Extensions["upstreamCode"] != upstream) {
		tb.Fatalf("want %s/%s, got %+v", code, upstream, e)
	}
	if upstream != "" && e.Extensions["requestId"] == nil {
		tb.Fatalf("upstream error without requestId: %+v", e)
	}
	return e
}

// hasCode says whether any of the response's errors has code.
func hasCode(r gqlResponse, code string) bool {
	for _, c := range r.codes() {
		if c == code {
			return true
		}
	}
	return false
}

func contains(raw json.RawMessage, s string) bool { return s != "" && strings.Contains(string(raw), s) }

func (e *env) resetStats(tb testing.TB) {
	tb.Helper()
	resp, err := http.Post(e.sb.URL+"/_sandbox/stats/reset", "application/json", nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
}

func (e *env) stats(tb testing.TB) map[string]int {
	tb.Helper()
	resp, err := http.Get(e.sb.URL + "/_sandbox/stats")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		Calls map[string]int `json:"calls"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		tb.Fatal(err)
	}
	return s.Calls
}

// calls returns the sandbox's call counts of the named operations.
func (e *env) calls(tb testing.TB, ops ...string) map[string]int {
	tb.Helper()
	s := e.stats(tb)
	out := map[string]int{}
	for _, op := range ops {
		out[op] = s[op]
	}
	return out
}

func (e *env) fault(tb testing.TB, faults ...map[string]any) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"faults": faults})
	resp, err := http.Post(e.sb.URL+"/_sandbox/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		tb.Fatalf("faults: status %d", resp.StatusCode)
	}
	tb.Cleanup(func() {
		req, _ := http.NewRequest("DELETE", e.sb.URL+"/_sandbox/faults", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
}
