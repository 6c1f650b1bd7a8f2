package resolvers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"partnergraph/gateway"
	"partnergraph/gateway/auth"
	"partnergraph/gateway/web"
	"partnergraph/resolvers"
	"partnergraph/sandbox"
)

var testSecret = []byte("test-secret-test-secret-test-secret!")

const (
	testIssuer   = "partnergraph-test"
	testAudience = "partnergraph-test"
)

// env is a gateway aimed at a sandbox, both on 127.0.0.1 random ports.
type env struct {
	gw, sb   *httptest.Server
	manifest sandbox.Manifest
	tier1    sandbox.ManifestPartner
	reseller sandbox.ManifestPartner
	provider sandbox.ManifestPartner
}

func MustEnv(tb testing.TB, customers int, opts ...func(*web.Options)) *env {
	tb.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: 7, Customers: customers})
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
	o := web.Options{Schema: resolvers.NewSchema(client), Verifier: v, Source: client, Ready: client.Ping, Log: io.Discard}
	for _, f := range opts {
		f(&o)
	}
	e.gw = httptest.NewServer(web.NewHandler(o))
	tb.Cleanup(e.gw.Close)
	return e
}

func MustToken(tb testing.TB, p auth.Principal) string {
	tb.Helper()
	t, err := auth.Mint(testSecret, testIssuer, testAudience, p, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return t
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
