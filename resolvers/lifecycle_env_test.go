package resolvers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnergraph/gateway"
	"partnergraph/gateway/auth"
	"partnergraph/gateway/idempotency"
	"partnergraph/gateway/web"
	"partnergraph/resolvers"
	"partnergraph/sandbox"
)

// lcClock is the sandbox clock of the lifecycle tests: association (3 s),
// SMS expiry and real-name reviews follow it.
type lcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lcClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *lcClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// lcEnv is the shared harness plus a movable sandbox clock and an
// idempotency store the gateway really uses.
type lcEnv struct {
	*env
	clock *lcClock
	idem  idempotency.Store
}

const lcReviewDelay = 30 * time.Second

func newLifecycleEnv(tb testing.TB) *lcEnv {
	tb.Helper()
	clock := &lcClock{t: time.Now().UTC()}
	sb, err := sandbox.New(sandbox.Options{Seed: 7, Customers: 60, Now: clock.Now, ReviewDelay: lcReviewDelay})
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{sb: httptest.NewServer(sb.Handler())}
	tb.Cleanup(e.sb.Close)
	e.manifest = sb.Manifest(e.sb.URL)
	var accounts []gateway.Account
	for _, p := range e.manifest.Partners {
		accounts = append(accounts, gateway.Account{ID: p.ID, Name: p.Name, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName})
		switch {
		case p.Kind == "tier1" && e.tier1.ID == "":
			e.tier1 = p
		case p.Kind == "tier2" && e.reseller.ID == "":
			e.reseller = p
		case p.Kind == "provider" && e.provider.ID == "":
			e.provider = p
		}
	}
	client, err := gateway.New(gateway.Config{Endpoint: e.manifest.Endpoint, IAMEndpoint: e.manifest.IAMEndpoint, Accounts: accounts, CallTimeout: 5 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: testSecret})
	if err != nil {
		tb.Fatal(err)
	}
	idem := idempotency.NewMemoryStore(idempotency.Options{})
	schema := resolvers.NewSchema(client, resolvers.WithSafety(resolvers.Safety{Idem: idem}))
	e.gw = httptest.NewServer(web.NewHandler(web.Options{Schema: schema, Verifier: v, Source: client, Ready: client.Ping, Log: io.Discard}))
	tb.Cleanup(e.gw.Close)
	return &lcEnv{env: e, clock: clock, idem: idem}
}

func (e *lcEnv) partnerToken(tb testing.TB, p sandbox.ManifestPartner) string {
	role := auth.RolePartner
	if p.Kind == "tier2" {
		role = auth.RoleReseller
	}
	return MustToken(tb, auth.Principal{Subject: "ops@" + p.Name, Role: role, PartnerID: p.ID})
}

// smsCode returns the latest registration code the sandbox "sent" to
// mobile (11 digits), as GET /_sandbox/sms shows it.
func (e *lcEnv) smsCode(tb testing.TB, mobile string) string {
	tb.Helper()
	resp, err := http.Get(e.sb.URL + "/_sandbox/sms")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []struct {
			Mobile string `json:"mobile"`
			Code   string `json:"code"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	for i := len(out.Messages) - 1; i >= 0; i-- {
		if out.Messages[i].Mobile == "0086-"+mobile {
			return out.Messages[i].Code
		}
	}
	tb.Fatalf("no SMS code for %s", mobile)
	return ""
}

var lcSeq atomic.Int64

// freshMobile returns a mobile no customer uses yet (the sandbox seeds
// 0086-13…/14…/15…/16… partner mobiles and customers' own numbers; 19x is
// never seeded).
func freshMobile() string {
	return fmt.Sprintf("199%04d%04d", time.Now().UnixNano()%10000, lcSeq.Add(1)%9000)
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

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }
