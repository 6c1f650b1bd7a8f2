package resolvers_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http/httptest"
	"path/filepath"
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
	"partnergraph/sandbox"
)

// commerceEnv is a gateway with the issue-4 safety machinery over a sandbox
// built with commerce options (showcase resources), and an injected clock
// for the gateway's customer-token cache.
type commerceEnv struct {
	*moneyEnv
	tokClock *clock
	client   *gateway.Client
}

type commerceOpts struct {
	showcaseResources int
	customers         int
}

func mustCommerceEnv(tb testing.TB, o commerceOpts) *commerceEnv {
	tb.Helper()
	if o.customers == 0 {
		o.customers = 60
	}
	sb, err := sandbox.New(sandbox.Options{Seed: 7, Customers: o.customers, ShowcaseResources: o.showcaseResources})
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
	c := &commerceEnv{tokClock: &clock{t: time.Now()}}
	c.client, err = gateway.New(gateway.Config{Endpoint: e.manifest.Endpoint, IAMEndpoint: e.manifest.IAMEndpoint, Accounts: accounts,
		CallTimeout: 5 * time.Second, Now: c.tokClock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	m := &moneyEnv{env: e, clock: &clock{t: time.Now()}, outbox: notify.NewOutbox(0), auditPath: filepath.Join(tb.TempDir(), "audit.jsonl")}
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
	cfg.ResendCooldown = time.Millisecond
	m.engine, err = verify.New(verify.NewMemoryStore(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	safety := resolvers.Safety{Verify: m.engine, Idem: idempotency.NewMemoryStore(idempotency.Options{}), Audit: al, Contacts: map[string]resolvers.Contact{}}
	v, err := auth.NewVerifier(auth.Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: testSecret})
	if err != nil {
		tb.Fatal(err)
	}
	e.gw = httptest.NewServer(web.NewHandler(web.Options{Schema: resolvers.NewSchema(c.client, resolvers.WithSafety(safety)), Verifier: v, Source: c.client,
		Ready: c.client.Ping, Log: io.Discard, DevOutbox: m.outbox.Handler()}))
	tb.Cleanup(e.gw.Close)
	c.moneyEnv = m
	return c
}

// showcase returns the partner's showcase customer (a resale customer with
// pending orders, resources, on-demand resources and a package).
func (c *commerceEnv) showcase(tb testing.TB, partnerID string) sandbox.ManifestCustomer {
	tb.Helper()
	cs := c.customersOf(partnerID)
	if len(cs) == 0 {
		tb.Fatalf("no customer of %s in the manifest", partnerID)
	}
	return cs[0]
}

func (c *commerceEnv) customerToken(tb testing.TB, cu sandbox.ManifestCustomer) string {
	return MustToken(tb, auth.Principal{Subject: "cust-" + cu.ID[:6], Role: auth.RoleCustomer, PartnerID: cu.PartnerID, CustomerID: cu.ID})
}

// cmData fails on errors and decodes data[field] into out.
func cmData(tb testing.TB, r gqlResponse, field string, out any) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data[field], out); err != nil {
		tb.Fatalf("decode %s: %v (%s)", field, err, r.Data[field])
	}
}

// cmWantCode fails unless the response has exactly one error with code.
func cmWantCode(tb testing.TB, r gqlResponse, code string) gqlError {
	tb.Helper()
	if len(r.Errors) != 1 || r.codes()[0] != code {
		tb.Fatalf("want one %s error, got %+v (data %s)", code, r.Errors, r.Data)
	}
	return r.Errors[0]
}

// calls returns the sandbox's call counts of the named operations.
func (c *commerceEnv) calls(tb testing.TB, ops ...string) map[string]int {
	tb.Helper()
	s := c.stats(tb)
	out := map[string]int{}
	for _, op := range ops {
		out[op] = s[op]
	}
	return out
}

// customerGID is a customer's global id under a scope (ids.go format).
func customerGID(account, indirect, customerID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("Customer:" + account + ":" + indirect + ":" + customerID))
}

// gidOf is the customer's global id under its owner's home scope.
func (c *commerceEnv) gidOf(cu sandbox.ManifestCustomer) string {
	for _, p := range c.manifest.Partners {
		if p.ID == cu.PartnerID && p.Kind == "tier2" {
			return customerGID(p.ParentID, p.ID, cu.ID)
		}
	}
	return customerGID(cu.PartnerID, "", cu.ID)
}
