package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

// liveGateway is a gateway in live mode (the production defaults: limits,
// introspection for authenticated callers, no suggestions) on a sandbox
// upstream whose call counters the tests read.
type liveGateway struct {
	base, upstream string
	secret         string
	tier1          string // a tier-1 partner token
	manifest       sandbox.Manifest
}

// upstream is a sandbox serving as the live gateways' upstream.
type upstream struct {
	srv   *httptest.Server
	m     sandbox.Manifest
	tier1 sandbox.ManifestPartner
}

func newUpstream(tb testing.TB) upstream {
	tb.Helper()
	srv, m, tier1 := mustUpstream(tb)
	return upstream{srv, m, tier1}
}

// mustLive starts a live-mode gateway on up (nil: a new upstream); env adds
// to or overrides its settings (default: a fresh Redis database).
func mustLive(tb testing.TB, up *upstream, env map[string]string, args ...string) liveGateway {
	tb.Helper()
	if up == nil {
		u := newUpstream(tb)
		up = &u
	}
	g := liveGateway{upstream: up.srv.URL, secret: "edge-test-secret-edge-test-secret", manifest: up.m}
	e := map[string]string{
		"PARTNERGRAPH_MODE": "live", "PARTNERGRAPH_BSS_ENDPOINT": up.srv.URL, "PARTNERGRAPH_IAM_ENDPOINT": up.srv.URL,
		"PARTNERGRAPH_AK": up.tier1.AK, "PARTNERGRAPH_SK": up.tier1.SK, "PARTNERGRAPH_PARTNER_ID": up.tier1.ID,
		"PARTNERGRAPH_JWT_HS256_SECRET":    g.secret,
		"PARTNERGRAPH_VERIFICATION_SECRET": strings.Repeat("v", 32),
		"PARTNERGRAPH_SMS_WEBHOOK_URL":     "http://127.0.0.1:9/sms", "PARTNERGRAPH_SMS_WEBHOOK_SECRET": strings.Repeat("w", 16),
	}
	if env["PARTNERGRAPH_REDIS_URL"] == "" {
		e["PARTNERGRAPH_REDIS_URL"] = testRedisURL(tb)
	}
	maps.Copy(e, env)
	g.base = MustRun(tb, append([]string{"--listen", "127.0.0.1:0"}, args...), e)
	g.tier1 = g.token(tb, identity.Principal{Subject: "edge-test", Role: identity.RolePartner, PartnerID: up.tier1.ID})
	return g
}

func (g liveGateway) token(tb testing.TB, p identity.Principal) string {
	tb.Helper()
	t, err := identity.Mint([]byte(g.secret), "partnergraph", "partnergraph", p, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// upstreamCalls is the number of calls the upstream sandbox answered since
// the last reset.
func (g liveGateway) upstreamCalls(tb testing.TB) int {
	tb.Helper()
	var s struct{ Calls map[string]int }
	getJSON(tb, g.upstream+"/_sandbox/stats", &s)
	n := 0
	for _, c := range s.Calls {
		n += c
	}
	return n
}

func (g liveGateway) resetUpstream(tb testing.TB) {
	tb.Helper()
	resp, err := http.Post(g.upstream+"/_sandbox/stats/reset", "application/json", nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
}

// reply is one HTTP answer of /graphql.
type reply struct {
	status  int
	header  http.Header
	raw     []byte
	elapsed time.Duration
	Data    json.RawMessage
	HasData bool
	Errors  []struct {
		Message    string
		Extensions map[string]any
	}
}

func (r reply) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// post sends body to base/graphql with the token (if any), Accept and the
// extra headers.
func post(tb testing.TB, base, token, accept string, body []byte, header map[string]string) reply {
	tb.Helper()
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(tb, req)
}

func do(tb testing.TB, req *http.Request) reply {
	tb.Helper()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw, elapsed: time.Since(start)}
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) == nil {
		_, r.HasData = keys["data"]
	}
	_ = json.Unmarshal(raw, &r)
	return r
}

func queryBody(q string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return b
}

// The attack documents of the issue, as an attacker would send them.
func attacks() map[string]struct {
	body []byte
	code string
} {
	var b strings.Builder
	frag := func(n int) string {
		b.Reset()
		b.WriteString("query {")
		for i := range n {
			fmt.Fprintf(&b, " ...F%d", i)
		}
		b.WriteString(" }")
		for i := range n {
			fmt.Fprintf(&b, " fragment F%d on Query { __typename }", i)
		}
		return b.String()
	}
	fanOut := func() string {
		b.Reset()
		b.WriteString("query { ...F0 }")
		for i := range 40 {
			fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
		}
		b.WriteString(" fragment F40 on Query { __typename }")
		return b.String()
	}
	aliases := func(n int) string {
		b.Reset()
		b.WriteString("query {")
		for i := range n {
			fmt.Fprintf(&b, " a%d: __typename", i)
		}
		b.WriteString(" }")
		return b.String()
	}
	list := strings.TrimSuffix(strings.Repeat("0,", 2100), ",")
	return map[string]struct {
		body []byte
		code string
	}{
		"Fragments2000":      {queryBody(frag(2000), nil), "DOCUMENT_TOO_LARGE"},
		"FanOut2^40":         {queryBody(fanOut(), nil), "TOO_MANY_FIELDS"},
		"FragmentCycle":      {queryBody("query { ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }", nil), "BAD_USER_INPUT"},
		"Depth50":            {queryBody("{ __schema { types { fields { type { "+strings.Repeat("ofType { ", 45)+"name"+strings.Repeat(" }", 45)+" } } } } }", nil), "QUERY_TOO_DEEP"},
		"Aliases101":         {queryBody(aliases(101), nil), "TOO_MANY_ALIASES"},
		"DuplicateFields500": {queryBody("query { "+strings.Repeat("__typename ", 500)+"}", nil), "TOO_MANY_FIELDS"},
		"Directives50":       {queryBody("query { __typename "+strings.Repeat("@aa", 50)+" }", nil), "TOO_MANY_DIRECTIVES"},
		"RootFields21":       {queryBody("{ "+strings.Repeat("viewer { role } ", 21)+"}", nil), "TOO_MANY_ROOT_FIELDS"},
		"Nested100^3":        {queryBody("{ resellers(first: 100) { edges { node { customers(first: 100) { edges { node { issuedCoupons(first: 100) { edges { node { couponId } } } } } } } } } }", nil), "QUERY_TOO_COMPLEX"},
		"Nested100^3ByVars":  {queryBody("query($n: Int) { resellers(first: $n) { edges { node { customers(first: $n) { edges { node { issuedCoupons(first: $n) { edges { node { couponId } } } } } } } } } }", map[string]any{"n": 100}), "QUERY_TOO_COMPLEX"},
		"Tokens":             {queryBody("query($v: [Int!] = ["+list+"]) { __typename }", nil), "DOCUMENT_TOO_LARGE"},
		"DocumentBytes":      {queryBody("{ __typename }\n#"+strings.Repeat("x", 33<<10), nil), "DOCUMENT_TOO_LARGE"},
		// An authenticated caller may send up to --max-upload-bytes (ticket
		// attachments travel as base64); anonymous ones keep the small limit.
		"AnonymousVariablesBytes": {queryBody("query($s: String) { __typename }", map[string]any{"s": strings.Repeat("x", 65<<10)}), "VARIABLES_TOO_LARGE"},
	}
}

// Every attack of the issue is refused before it executes: one error with
// its code, the status GraphQL over HTTP gives a validation error, no data
// entry, nothing upstream, in well under 100 ms.
func TestAttacksRefusedBeforeExecution(t *testing.T) {
	g := mustLive(t, nil, nil)
	for name, a := range attacks() {
		t.Run(name, func(t *testing.T) {
			for accept, status := range map[string]int{"application/json": 200, "application/graphql-response+json": 400} {
				g.resetUpstream(t)
				token := g.tier1
				if strings.HasPrefix(name, "Anonymous") {
					token = ""
				}
				r := post(t, g.base, token, accept, a.body, nil)
				if r.status != status || len(r.Errors) != 1 || r.codes()[0] != a.code || r.HasData {
					t.Fatalf("%s: got %d %s, want %d, one %s error and no data", accept, r.status, excerptOf(r.raw), status, a.code)
				}
				if r.elapsed > 100*time.Millisecond {
					t.Errorf("%s: answered in %v, want < 100ms", accept, r.elapsed)
				}
				if n := g.upstreamCalls(t); n != 0 {
					t.Errorf("%s: %d upstream calls", accept, n)
				}
				t.Logf("%s: %v %s", accept, r.elapsed.Round(time.Microsecond), r.Errors[0].Message)
			}
		})
	}
}

// With the size limits off, fragment bombs of 100 KB are still refused by
// the analysis of the parsed document, in milliseconds (about 6 ms, most of
// it parsing; the race detector triples that): counts multiply through
// spreads without being expanded.
func TestFragmentBombsRefusedByAnalysis(t *testing.T) {
	g := mustLive(t, nil, nil, "--max-body-bytes", "0", "--max-document-bytes", "0", "--max-tokens", "0")
	var b strings.Builder
	b.WriteString("query { ...F0 }")
	for i := range 2000 { // a chain of 2 000 fragments, each spreading the next twice
		fmt.Fprintf(&b, " fragment F%d on Query { __typename ...F%d ...F%d }", i, i+1, i+1)
	}
	b.WriteString(" fragment F2000 on Query { __typename }")
	chain := b.String()
	for name, q := range map[string]string{"Fragments2000": attacksDoc(t, "Fragments2000"), "Chain2000": chain} {
		g.resetUpstream(t)
		r := post(t, g.base, g.tier1, "", queryBody(q, nil), nil)
		if len(r.Errors) != 1 || r.codes()[0] != "TOO_MANY_FIELDS" || r.elapsed > raceSlowdown*100*time.Millisecond || g.upstreamCalls(t) != 0 {
			t.Fatalf("%s: got %s in %v", name, excerptOf(r.raw), r.elapsed)
		}
		t.Logf("%s (%d KB): %v %s", name, len(q)>>10, r.elapsed.Round(time.Microsecond), r.Errors[0].Message)
	}
}

func attacksDoc(tb testing.TB, name string) string {
	var p struct{ Query string }
	if err := json.Unmarshal(attacks()[name].body, &p); err != nil {
		tb.Fatal(err)
	}
	return p.Query
}

func excerptOf(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// A body over the limit is 413 and not echoed; what the client sent is
// never echoed back past a short excerpt, in JSON errors, parse errors or
// variable errors.
func TestHostileInputNotEchoed(t *testing.T) {
	g := mustLive(t, nil, nil)
	long := strings.Repeat("A", 900<<10)
	xs := regexp.MustCompile(`[Ax]{65,}`)
	tests := map[string]struct {
		body   []byte
		status int
	}{
		"BodyOverLimit":  {[]byte(`{"query": "` + strings.Repeat("A", 7<<20) + `"`), 413},
		"InvalidJSON":    {[]byte(`{"query": "` + long[:100<<10]), 400},
		"ParseError":     {queryBody(`{ "`+strings.Repeat("x", 30<<10)+`" }`, nil), 200},
		"UnknownField":   {queryBody(`{ `+strings.Repeat("x", 30<<10)+` }`, nil), 200},
		"VariableValue":  {queryBody(`query($n: Int) { customers(first: $n) { totalCount } }`, map[string]any{"n": strings.Repeat("x", 60<<10)}), 200},
		"OperationName":  {[]byte(`{"query": "{ __typename }", "operationName": "` + strings.Repeat("x", 60<<10) + `"}`), 200},
		"BatchedRequest": {[]byte(`[{"query": "` + strings.Repeat("x", 60<<10) + `"}]`), 400},
	}
	// Anonymous callers keep the small limits.
	tests["AnonymousBodyOverLimit"] = struct {
		body   []byte
		status int
	}{[]byte(`{"query": "` + long + `"`), 413}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			token := g.tier1
			if strings.HasPrefix(name, "Anonymous") {
				token = ""
			}
			r := post(t, g.base, token, "application/json", tt.body, nil)
			if r.status != tt.status || len(r.Errors) != 1 {
				t.Fatalf("got %d %s, want %d and one error", r.status, excerptOf(r.raw), tt.status)
			}
			if len(r.raw) > 1024 || xs.Match(r.raw) {
				t.Fatalf("the answer (%d bytes) echoes the input: %s", len(r.raw), excerptOf(r.raw))
			}
		})
	}
}

// The README's queries and GraphiQL's introspection query pass the
// default limits (they may fail for other reasons: placeholders, codes).
func TestReadmeQueriesWithinDefaultLimits(t *testing.T) {
	g := mustLive(t, nil, nil)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	introspection, err := os.ReadFile("edge/testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{string(introspection)}
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		docs = append(docs, m[1])
	}
	if len(docs) < 5 {
		t.Fatalf("found %d README queries", len(docs)-1)
	}
	limitCodes := "QUERY_TOO_DEEP TOO_MANY_ALIASES TOO_MANY_ROOT_FIELDS TOO_MANY_DIRECTIVES TOO_MANY_FIELDS QUERY_TOO_COMPLEX DOCUMENT_TOO_LARGE VARIABLES_TOO_LARGE REQUEST_TOO_LARGE RATE_LIMITED"
	for i, d := range docs {
		r := post(t, g.base, g.tier1, "", queryBody(d, nil), nil)
		for _, c := range r.codes() {
			if strings.Contains(limitCodes, c) {
				t.Errorf("query %d refused by a limit: %s\n%s", i, excerptOf(r.raw), d)
			}
		}
		if i == 0 && (len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"queryType"`)) {
			t.Errorf("GraphiQL's introspection query: %s", excerptOf(r.raw))
		}
	}
}

// Introspection is for authenticated callers in live mode (one error
// before execution otherwise), off on request; suggestions never leak
// names in live mode.
func TestIntrospectionAndSuggestions(t *testing.T) {
	g := mustLive(t, nil, nil)
	schemaQ := queryBody(`{ __schema { queryType { name } } }`, nil)
	t.Run("Anonymous", func(t *testing.T) {
		for accept, status := range map[string]int{"application/json": 200, "application/graphql-response+json": 401} {
			r := post(t, g.base, "", accept, schemaQ, nil)
			if r.status != status || len(r.Errors) != 1 || r.codes()[0] != "UNAUTHENTICATED" || r.HasData {
				t.Fatalf("%s: got %d %s", accept, r.status, r.raw)
			}
		}
		if r := post(t, g.base, "", "", queryBody(`{ __typename }`, nil), nil); len(r.Errors) > 0 {
			t.Fatalf("__typename: %s", r.raw)
		}
	})
	t.Run("Authenticated", func(t *testing.T) {
		if r := post(t, g.base, g.tier1, "", schemaQ, nil); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Query") {
			t.Fatalf("got %s", r.raw)
		}
	})
	t.Run("Off", func(t *testing.T) {
		off := mustLive(t, nil, nil, "--introspection", "off")
		r := post(t, off.base, off.tier1, "application/graphql-response+json", queryBody(`{ viewer { role } t: __type(name: "Query") { name } }`, nil), nil)
		if r.status != 403 || len(r.Errors) != 1 || r.codes()[0] != "FORBIDDEN" || r.HasData {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("NoSuggestions", func(t *testing.T) {
		for _, q := range []string{
			`{ viewr { role } }`,
			`{ customers(frist: 1) { totalCount } }`,
			`{ customers(filter: { associationType: RESALEE }) { totalCount } }`,
			`{ customers(filter: { nam: "x" }) { totalCount } }`,
			`query($f: CustomerFiltr) { customers(filter: $f) { totalCount } }`,
			`{ viewer }`,
		} {
			r := post(t, g.base, g.tier1, "", queryBody(q, nil), nil)
			if len(r.Errors) == 0 || strings.Contains(string(r.raw), "Did you mean") {
				t.Errorf("%s: got %s", q, r.raw)
			}
		}
	})
	t.Run("SandboxSuggests", func(t *testing.T) {
		base := MustRun(t, []string{"--listen", "127.0.0.1:0", "--sandbox-listen", "127.0.0.1:0"}, nil)
		r := post(t, base, "", "", queryBody(`{ viewr { role } }`, nil), nil)
		if !strings.Contains(string(r.raw), "Did you mean") {
			t.Fatalf("got %s", r.raw)
		}
		if r := post(t, base, "", "", schemaQ, nil); len(r.Errors) > 0 {
			t.Fatalf("sandbox introspection: %s", r.raw)
		}
	})
}
