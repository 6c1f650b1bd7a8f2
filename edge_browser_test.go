package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"partnergraph/identity"
	"partnergraph/internal/testredis"
)

func preflight(tb testing.TB, base, origin string) http.Header {
	tb.Helper()
	req, _ := http.NewRequest("OPTIONS", base+"/graphql", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	r := do(tb, req)
	if r.status >= 300 {
		tb.Fatalf("preflight from %s: status %d", origin, r.status)
	}
	return r.header
}

// CORS: the allowlist answers (and lets browsers cache) preflights from
// allowed origins, says nothing to others; the defaults are none in live
// mode and the loopback origins in sandbox mode.
func TestCORS(t *testing.T) {
	const dash = "https://dash.example.com"
	g := mustLive(t, nil, nil, "--cors-origins", dash+",https://*.partner.example")
	t.Run("PreflightAllowed", func(t *testing.T) {
		for _, origin := range []string{dash, "https://eu.partner.example"} {
			h := preflight(t, g.base, origin)
			if h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
				!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") ||
				h.Get("Access-Control-Max-Age") != "7200" || h.Get("Access-Control-Allow-Credentials") != "" {
				t.Fatalf("%s: got %v", origin, h)
			}
		}
	})
	t.Run("PreflightRefused", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example", "http://dash.example.com", "https://dash.example.com.evil.example"} {
			if h := preflight(t, g.base, origin); h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
				t.Fatalf("%s: got %v", origin, h)
			}
		}
	})
	t.Run("Request", func(t *testing.T) {
		r := post(t, g.base, g.tier1, "", queryBody(`{ viewer { role } }`, nil), map[string]string{"Origin": dash})
		if r.header.Get("Access-Control-Allow-Origin") != dash || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Fatalf("got %v", r.header)
		}
		r = post(t, g.base, g.tier1, "", queryBody(`{ viewer { role } }`, nil), map[string]string{"Origin": "https://evil.example"})
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("got %v", r.header)
		}
	})
	t.Run("LiveDefaultNone", func(t *testing.T) {
		live := mustLive(t, nil, nil)
		if h := preflight(t, live.base, "http://localhost:3000"); h.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("got %v", h)
		}
	})
	t.Run("SandboxDefaultLoopback", func(t *testing.T) {
		base := MustRun(t, []string{"--listen", "127.0.0.1:0", "--sandbox-listen", "127.0.0.1:0"}, nil)
		for origin, allowed := range map[string]bool{"http://localhost:5173": true, "http://127.0.0.1:3000": true, "http://[::1]:8081": true, "https://evil.example": false, "http://localhost.evil.example": false} {
			if got := preflight(t, base, origin).Get("Access-Control-Allow-Origin") == origin; got != allowed {
				t.Errorf("%s: allowed %v, want %v", origin, got, allowed)
			}
		}
	})
	t.Run("Credentials", func(t *testing.T) {
		c := mustLive(t, nil, nil, "--cors-origins", dash, "--cors-credentials", "true")
		if h := preflight(t, c.base, dash); h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("got %v", h)
		}
	})
}

// Identity comes from the Authorization header only: a cookie holding a
// valid token is ignored, so what a cross-site form, image or fetch sends
// on its own is anonymous; form encodings are refused outright.
func TestBrowserCarriesNoIdentity(t *testing.T) {
	g := mustLive(t, nil, nil)
	r := post(t, g.base, "", "", queryBody(`{ viewer { role } }`, nil), map[string]string{
		"Cookie": "session=" + g.tier1 + "; token=" + g.tier1 + "; Authorization=Bearer%20" + g.tier1,
	})
	if len(r.Errors) == 0 || r.codes()[0] != "UNAUTHENTICATED" || strings.Contains(string(r.raw), "PARTNER") {
		t.Fatalf("a request with a session cookie and no header: %s", r.raw)
	}
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"} {
		req, _ := http.NewRequest("POST", g.base+"/graphql", strings.NewReader(`query={viewer{role}}`))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Cookie", "session="+g.tier1)
		if r := do(t, req); r.status != http.StatusUnsupportedMediaType {
			t.Errorf("%s: got %d %s", ct, r.status, r.raw)
		}
	}
	req, _ := http.NewRequest("GET", g.base+"/graphql?query="+`mutation{setVerificationEnabled(input:{enabled:false}){enabled}}`, nil)
	req.Header.Set("Authorization", "Bearer "+g.tier1)
	if r := do(t, req); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
		t.Errorf("mutation over GET: got %d %s", r.status, r.raw)
	}
}

// Every response carries the security headers; the GraphiQL page its own
// Content-Security-Policy.
func TestSecurityHeaders(t *testing.T) {
	base := MustRun(t, []string{"--listen", "127.0.0.1:0", "--sandbox-listen", "127.0.0.1:0"}, nil)
	for _, path := range []string{"/graphql?query=%7B__typename%7D", "/", "/graphiql/init.js", "/healthz", "/readyz", "/dev/tokens", "/nope"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		h := do(t, req).header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: got %v", path, h)
		}
		if csp := h.Get("Content-Security-Policy"); (path == "/") != strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
}

// Token buckets shared by two instances through one real Redis: per
// principal, and per client address for anonymous callers; the refusal is
// 429 RATE_LIMITED with retryAfter and Retry-After, and each bucket is one
// Redis key in its own hash slot.
func TestRateLimitsAcrossInstances(t *testing.T) {
	rc := testredis.Start(t)
	redisURL := fmt.Sprintf("redis://%s/%d", rc.Options().Addr, rc.Options().DB)
	up := newUpstream(t)
	env := map[string]string{"PARTNERGRAPH_REDIS_URL": redisURL}
	args := []string{"--rate-limit", "1/m", "--rate-burst", "3", "--anonymous-rate-limit", "1/h", "--anonymous-rate-burst", "2"}
	a, b := mustLive(t, &up, env, args...), mustLive(t, &up, env, args...)
	q := queryBody(`{ __typename }`, nil)

	for i, base := range []string{a.base, b.base, a.base} {
		if r := post(t, base, a.tier1, "", q, nil); r.status != 200 || len(r.Errors) > 0 {
			t.Fatalf("request %d within the burst: %d %s", i, r.status, r.raw)
		}
	}
	for _, base := range []string{b.base, a.base} {
		r := post(t, base, a.tier1, "application/graphql-response+json", q, nil)
		retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != 429 || len(r.Errors) != 1 || r.codes()[0] != "RATE_LIMITED" || retry < 1 || retry > 60 ||
			r.Errors[0].Extensions["retryAfter"] != float64(retry) || r.HasData {
			t.Fatalf("past the burst: %d %v %s", r.status, r.header, r.raw)
		}
	}
	other := a.token(t, identity.Principal{Subject: "someone-else", Role: identity.RolePartner, PartnerID: up.tier1.ID})
	if r := post(t, b.base, other, "", q, nil); r.status != 200 {
		t.Fatalf("another principal: %d %s", r.status, r.raw)
	}

	for i, base := range []string{a.base, b.base} {
		if r := post(t, base, "", "", q, nil); r.status != 200 {
			t.Fatalf("anonymous request %d: %d %s", i, r.status, r.raw)
		}
	}
	if r := post(t, a.base, "", "", q, nil); r.status != 429 || r.codes()[0] != "RATE_LIMITED" {
		t.Fatalf("third anonymous request: %d %s", r.status, r.raw)
	}
	// a bad token is anonymous too
	if r := post(t, b.base, "not-a-token", "", q, nil); r.status != 429 {
		t.Fatalf("bad token: %d %s", r.status, r.raw)
	}

	keys, err := rc.Keys(context.Background(), "rate:partnergraph:{*}").Result()
	if err != nil || len(keys) != 3 {
		t.Fatalf("bucket keys %v (%v), want 3 hash-tagged keys", keys, err)
	}
}

// Trusted documents in each mode, from manifests in the three formats;
// automatic persisted queries keep working where the mode allows them.
func TestTrustedDocuments(t *testing.T) {
	dir := t.TempDir()
	viewerQ := "query Viewer { viewer { role } }"
	customersQ := "query Customers { customers(first: 2) { totalCount } }"
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	write := func(name string, v any) string {
		b, _ := json.Marshal(v)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	apollo := write("apollo.json", map[string]any{"format": "apollo-persisted-query-manifest", "version": 1, "operations": []map[string]string{
		{"id": sum(viewerQ), "name": "Viewer", "type": "query", "body": viewerQ},
		{"id": sum(customersQ), "name": "Customers", "type": "query", "body": customersQ},
	}})
	relay := write("relay.json", map[string]string{"5d1a0c6cb9f8e8b1": viewerQ})
	codegen := write("codegen.json", map[string]string{"sha256:" + sum(viewerQ): viewerQ})

	start := func(args ...string) (string, string) {
		base := MustRun(t, append([]string{"--listen", "127.0.0.1:0", "--sandbox-listen", "127.0.0.1:0"}, args...), nil)
		var tokens map[string]string
		getJSON(t, base+"/dev/tokens", &tokens)
		return base, tokens["tier1"]
	}
	type call struct {
		body map[string]any
		code string // "" for success
	}
	pq := func(hash string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	}
	unknownQ := "{ viewer { partner { partnerId } } }"
	tests := map[string]struct {
		args  []string
		calls []call
	}{
		"Off": {nil, []call{
			{map[string]any{"extensions": pq(sum(unknownQ))}, "PERSISTED_QUERY_NOT_FOUND"},
			{map[string]any{"query": unknownQ, "extensions": pq(sum(unknownQ))}, ""},
			{map[string]any{"extensions": pq(sum(unknownQ))}, ""},
			{map[string]any{"documentId": sum(viewerQ)}, "PERSISTED_QUERY_NOT_FOUND"},
			{map[string]any{"query": unknownQ}, ""},
		}},
		"AllowApollo": {[]string{"--trusted-documents", apollo, "--trusted-documents-mode", "allow"}, []call{
			{map[string]any{"extensions": pq(sum(customersQ))}, ""},
			{map[string]any{"documentId": sum(viewerQ)}, ""},
			{map[string]any{"query": unknownQ}, ""},
			{map[string]any{"extensions": pq(sum(unknownQ))}, "PERSISTED_QUERY_NOT_FOUND"},
			{map[string]any{"query": unknownQ, "extensions": pq(sum(unknownQ))}, ""},
			{map[string]any{"extensions": pq(sum(unknownQ))}, ""},
			{map[string]any{"documentId": "nope"}, "PERSISTED_QUERY_NOT_FOUND"},
		}},
		"AllowRelay": {[]string{"--trusted-documents", relay, "--trusted-documents-mode", "allow"}, []call{
			{map[string]any{"doc_id": "5d1a0c6cb9f8e8b1"}, ""},
			{map[string]any{"documentId": "5d1a0c6cb9f8e8b1"}, ""},
		}},
		"RequireCodegen": {[]string{"--trusted-documents", codegen, "--trusted-documents-mode", "require"}, []call{
			{map[string]any{"documentId": "sha256:" + sum(viewerQ)}, ""},
			{map[string]any{"documentId": sum(viewerQ)}, ""},
			{map[string]any{"extensions": pq(sum(viewerQ))}, ""},
			{map[string]any{"query": viewerQ}, ""},
			{map[string]any{"query": unknownQ}, "PERSISTED_QUERY_REQUIRED"},
			{map[string]any{"query": "{ viewer { "}, "PERSISTED_QUERY_REQUIRED"}, // refused before parsing
			{map[string]any{"query": unknownQ, "extensions": pq(sum(unknownQ))}, "PERSISTED_QUERY_NOT_FOUND"},
			{map[string]any{"extensions": pq(sum(unknownQ))}, "PERSISTED_QUERY_NOT_FOUND"},
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			base, tok := start(tt.args...)
			for i, c := range tt.calls {
				body, _ := json.Marshal(c.body)
				r := post(t, base, tok, "", body, nil)
				switch {
				case c.code == "" && (len(r.Errors) > 0 || !r.HasData):
					t.Errorf("call %d %s: got %s", i, body, excerptOf(r.raw))
				case c.code != "" && (len(r.Errors) != 1 || r.codes()[0] != c.code || r.HasData):
					t.Errorf("call %d %s: got %s, want one %s", i, body, excerptOf(r.raw), c.code)
				}
			}
		})
	}
	t.Run("BadConfig", func(t *testing.T) {
		for _, args := range [][]string{
			{"--trusted-documents-mode", "require"},
			{"--trusted-documents", filepath.Join(dir, "missing.json"), "--trusted-documents-mode", "allow"},
			{"--trusted-documents", write("bad.json", map[string]string{"x": "{ nope "}), "--trusted-documents-mode", "allow"},
		} {
			err := run(context.Background(), append([]string{"partnergraph"}, args...), func(string) string { return "" }, &syncBuffer{}, &syncBuffer{})
			if err == nil || !strings.Contains(err.Error(), "--trusted-documents") {
				t.Errorf("%v: got %v", args, err)
			}
		}
	})
}

// A bad edge setting stops start-up with one line naming it.
func TestEdgeSettingsBadConfig(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"NegativeLimit":       {[]string{"--max-depth", "-1"}, "--max-depth (PARTNERGRAPH_MAX_DEPTH)"},
		"NotANumber":          {[]string{"--max-cost", "lots"}, "--max-cost"},
		"Rate":                {[]string{"--rate-limit", "5"}, "--rate-limit (PARTNERGRAPH_RATE_LIMIT)"},
		"Burst":               {[]string{"--anonymous-rate-burst", "0"}, "--anonymous-rate-burst"},
		"Introspection":       {[]string{"--introspection", "sometimes"}, "--introspection"},
		"Origin":              {[]string{"--cors-origins", "dash.example.com"}, "--cors-origins"},
		"CredentialsAnyone":   {[]string{"--cors-origins", "*", "--cors-credentials", "true"}, "--cors-credentials"},
		"Proxies":             {[]string{"--trusted-proxies", "10.0.0.0/8,lb"}, "--trusted-proxies"},
		"ModeWithoutManifest": {[]string{"--trusted-documents-mode", "allow"}, "--trusted-documents-mode"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"partnergraph"}, tt.args...), func(string) string { return "" }, &syncBuffer{}, &syncBuffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line naming %q", err, tt.want)
			}
		})
	}
}
