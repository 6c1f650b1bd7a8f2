package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"partnergraph/identity"
)

// gateway is a run() started by a test, with its output.
type runningGateway struct {
	base, metrics  string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

var metricsRE = regexp.MustCompile(`metrics:\s+(http://\S+)`)

// startGateway is MustRun that keeps the output and lets the test stop the
// gateway (Stop) and look at what it wrote then.
func startGateway(tb testing.TB, args []string, env map[string]string) *runningGateway {
	tb.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if env["PARTNERGRAPH_AUDIT_LOG"] == "" {
		env["PARTNERGRAPH_AUDIT_LOG"] = filepath.Join(tb.TempDir(), "audit.jsonl")
	}
	if env["PARTNERGRAPH_METRICS_LISTEN"] == "" {
		env["PARTNERGRAPH_METRICS_LISTEN"] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &runningGateway{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		g.done <- run(ctx, append([]string{"partnergraph"}, args...), func(k string) string { return env[k] }, g.stdout, g.stderr)
	}()
	tb.Cleanup(func() { _ = g.Stop(tb) })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := listeningRE.FindStringSubmatch(g.stdout.String()); m != nil {
			g.base = m[1]
			if mm := metricsRE.FindStringSubmatch(g.stdout.String()); mm != nil {
				g.metrics = mm[1]
			}
			return g
		}
		select {
		case err := <-g.done:
			tb.Fatalf("run returned early: %v\n%s", err, g.stderr.String())
		default:
		}
	}
	tb.Fatalf("gateway did not start: %s %s", g.stdout.String(), g.stderr.String())
	return nil
}

// Stop cancels run and waits for it (once).
func (g *runningGateway) Stop(tb testing.TB) error {
	g.cancel()
	select {
	case err, ok := <-g.done:
		if ok {
			close(g.done)
		}
		return err
	case <-time.After(30 * time.Second):
		tb.Errorf("run did not stop")
		return nil
	}
}

// postGraphQL sends a GraphQL request with extra headers and returns the status,
// the response headers and the decoded body.
func postGraphQL(tb testing.TB, base, token string, body map[string]any, headers map[string]string) (int, http.Header, map[string]any) {
	tb.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

// otlpReceiver is an OTLP/HTTP traces endpoint: it decodes what the real
// exporter sends (protobuf ExportTraceServiceRequest, gzip or not).
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	srv   *httptest.Server
}

func newOTLPReceiver(tb testing.TB) *otlpReceiver {
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var msg coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				r.spans = append(r.spans, ss.GetSpans()...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

func (r *otlpReceiver) all() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

func attrs(s *tracepb.Span) map[string]string {
	out := map[string]string{}
	for _, kv := range s.GetAttributes() {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			out[kv.GetKey()] = v.GetStringValue()
		case v.GetArrayValue() != nil:
			var parts []string
			for _, x := range v.GetArrayValue().GetValues() {
				parts = append(parts, x.GetStringValue())
			}
			out[kv.GetKey()] = strings.Join(parts, ",")
		default:
			b, _ := json.Marshal(v.GetIntValue())
			out[kv.GetKey()] = string(b)
		}
	}
	return out
}

// TestTracesOfTheDashboard exports the dashboard query's spans to a real
// OTLP/HTTP receiver on loopback and checks their tree: the request span
// continues the client's traceparent; its children are the loaders'
// batches and the upstream calls, each upstream call with its SDK
// operation, status and upstream request id; no token anywhere.
func TestTracesOfTheDashboard(t *testing.T) {
	rcv := newOTLPReceiver(t)
	g := startGateway(t, []string{"--listen", "127.0.0.1:0", "--sandbox-customers", "30"},
		map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.srv.URL, "OTEL_SERVICE_NAME": "partnergraph-test"})
	var tokens map[string]string
	getJSON(t, g.base+"/dev/tokens", &tokens)

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	status, h, out := postGraphQL(t, g.base, tokens["tier1"],
		map[string]any{"query": dashboardQuery, "operationName": "Dashboard", "variables": map[string]any{"n": 20}},
		map[string]string{"traceparent": "00-" + traceID + "-" + parentID + "-01"})
	if status != 200 || out["errors"] != nil {
		t.Fatalf("dashboard: %d %v", status, out)
	}
	if h.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id answered")
	}
	edges := out["data"].(map[string]any)["customers"].(map[string]any)["edges"].([]any)
	if err := g.Stop(t); err != nil { // flushes the spans
		t.Fatal(err)
	}
	spans := rcv.all()
	byID := map[string]*tracepb.Span{}
	var root *tracepb.Span
	for _, s := range spans {
		if hex.EncodeToString(s.GetTraceId()) != traceID {
			continue
		}
		byID[hex.EncodeToString(s.GetSpanId())] = s
		if hex.EncodeToString(s.GetParentSpanId()) == parentID {
			root = s
		}
	}
	if root == nil {
		t.Fatalf("no span continues the client's traceparent among %d spans", len(spans))
	}
	ra := attrs(root)
	if root.GetName() != "query Dashboard" || root.GetKind() != tracepb.Span_SPAN_KIND_SERVER ||
		ra["graphql.operation.name"] != "Dashboard" || ra["graphql.operation.type"] != "query" ||
		ra["partnergraph.principal.role"] != string(identity.RolePartner) || ra["partnergraph.request_id"] != h.Get("X-Request-Id") {
		t.Fatalf("request span %q %v", root.GetName(), ra)
	}
	// every span of the trace hangs below the request span
	parentOf := func(s *tracepb.Span) *tracepb.Span { return byID[hex.EncodeToString(s.GetParentSpanId())] }
	upstream := map[string]map[string]string{}
	loaders := map[string]bool{}
	for _, s := range byID {
		if s == root {
			continue
		}
		p := s
		for p != nil && p != root {
			p = parentOf(p)
		}
		if p != root {
			t.Errorf("span %q is not below the request span", s.GetName())
		}
		a := attrs(s)
		switch {
		case strings.HasPrefix(s.GetName(), "BSS "):
			if s.GetKind() != tracepb.Span_SPAN_KIND_CLIENT || a["rpc.method"] == "" || a["http.response.status_code"] != "200" ||
				a["partnergraph.upstream.request_id"] == "" || a["partnergraph.upstream.retries"] != "0" {
				t.Errorf("upstream span %q: %v", s.GetName(), a)
			}
			upstream[a["rpc.method"]] = a
		case strings.HasPrefix(s.GetName(), "loader "):
			if a["partnergraph.loader.keys"] != fmt.Sprint(len(edges)) {
				t.Errorf("loader span %q: %v", s.GetName(), a)
			}
			loaders[a["partnergraph.loader"]] = true
		}
	}
	for _, op := range []string{"ListSubCustomers", "ListCustomersBalancesDetail", "ListSubCustomerNewTag"} {
		if upstream[op] == nil {
			t.Errorf("no span of %s; got %v", op, upstream)
		}
	}
	if !loaders["balances"] || !loaders["newCustomerTags"] {
		t.Errorf("loader spans: %v", loaders)
	}
	for _, s := range spans {
		for k, v := range attrs(s) {
			if strings.Contains(v, tokens["tier1"]) || strings.Contains(v, "Bearer") {
				t.Errorf("span %q attribute %s carries the token", s.GetName(), k)
			}
		}
	}
}

func scrape(tb testing.TB, url string) string {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("%s: %s", url, resp.Status)
	}
	return string(b)
}

// TestMetrics scrapes the metrics listener after a few requests of each
// kind: requests by bounded operation, type and outcome; errors by code;
// rate-limit refusals; upstream calls, in-flight calls and breakers;
// loader batches; verification codes and replays; Go and process metrics.
func TestMetrics(t *testing.T) {
	g := startGateway(t, []string{"--listen", "127.0.0.1:0", "--sandbox-customers", "30", "--metrics-max-operations", "3",
		"--anonymous-rate-limit", "1/h", "--anonymous-rate-burst", "2"}, nil)
	if g.metrics == "" {
		t.Fatalf("no metrics URL printed: %s", g.stdout.String())
	}
	var tokens map[string]string
	getJSON(t, g.base+"/dev/tokens", &tokens)
	tok := tokens["tier1"]
	ask := func(token, q, op string, vars map[string]any) map[string]any {
		_, _, out := postGraphQL(t, g.base, token, map[string]any{"query": q, "operationName": op, "variables": vars}, nil)
		return out
	}
	if out := ask(tok, dashboardQuery, "Dashboard", map[string]any{"n": 20}); out["errors"] != nil {
		t.Fatal(out)
	}
	// a hostile client's invented names: two more are learnt, then "other"
	for i := range 20 {
		ask(tok, fmt.Sprintf("query Junk%d { viewer { role } }", i), "", nil)
	}
	ask(tok, "{ nope }", "", nil) // rejected, BAD_USER_INPUT
	for range 3 {                 // anonymous: burst 2, then 429
		ask("", "query Anonymous { __typename }", "", nil)
	}

	// a verified money move: a wrong code, the right one, a replay
	out := ask(tok, `{ customers(first: 1, filter: { associationType: RESALE }) { edges { node { customerId } } } }`, "", nil)
	cust := out["data"].(map[string]any)["customers"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["customerId"].(string)
	in := map[string]any{"customerId": cust, "amount": "1.00"}
	out = ask(tok, `mutation($in: SensitiveInput!) { requestVerificationCode(channel: EMAIL, operation: ALLOCATE_CUSTOMER_FUNDS, input: $in) { id } }`, "",
		map[string]any{"in": map[string]any{"allocateCustomerFunds": in}})
	challenge := out["data"].(map[string]any)["requestVerificationCode"].(map[string]any)["id"].(string)
	var outbox map[string]any
	getJSON(t, g.base+"/dev/outbox", &outbox)
	b, _ := json.Marshal(outbox)
	code := outboxCodeRE.FindStringSubmatch(string(b))[1]
	move := func(key, code string) map[string]any {
		return ask(tok, `mutation($in: CustomerFundsInput!, $k: String!, $v: VerificationInput) { allocateCustomerFunds(input: $in, idempotencyKey: $k, verification: $v) { transferId } }`, "",
			map[string]any{"in": in, "k": key, "v": map[string]any{"challengeId": challenge, "code": code}})
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if out := move("k1", wrong); out["errors"] == nil {
		t.Fatalf("a wrong code was accepted: %v", out)
	}
	for range 2 {
		if out := move("k1", code); out["errors"] != nil {
			t.Fatal(out)
		}
	}

	m := scrape(t, g.metrics)
	for _, want := range []string{
		`partnergraph_graphql_requests_total{operation="Dashboard",outcome="ok",type="query"} 1`,
		`partnergraph_graphql_request_duration_seconds_bucket{operation="Dashboard",outcome="ok",type="query",le="+Inf"} 1`,
		`partnergraph_graphql_requests_total{operation="Junk0",outcome="ok",type="query"} 1`,
		`partnergraph_graphql_requests_total{operation="other",outcome="ok",type="query"}`,
		`partnergraph_graphql_requests_total{operation="other",outcome="rejected",type="none"}`,
		`partnergraph_graphql_errors_total{code="BAD_USER_INPUT"}`,
		`partnergraph_graphql_errors_total{code="VERIFICATION_FAILED"} 1`,
		`partnergraph_graphql_errors_total{code="RATE_LIMITED"} 1`,
		`partnergraph_rate_limited_total{caller="anonymous"} 1`,
		`partnergraph_upstream_calls_total{operation="ListSubCustomers",status="200"}`,
		`partnergraph_upstream_call_duration_seconds_bucket{operation="ListSubCustomerNewTag",status="200",le="+Inf"}`,
		`partnergraph_upstream_in_flight{account="`,
		`partnergraph_upstream_breaker_state{operation="ListSubCustomers"} 0`,
		`partnergraph_loader_batch_size_bucket{loader="balances",le="+Inf"}`,
		`partnergraph_verification_codes_total{event="sent",operation="ALLOCATE_CUSTOMER_FUNDS"} 1`,
		`partnergraph_verification_codes_total{event="refused",operation="ALLOCATE_CUSTOMER_FUNDS"} 1`,
		`partnergraph_verification_codes_total{event="accepted",operation="ALLOCATE_CUSTOMER_FUNDS"} 1`,
		`partnergraph_idempotent_replays_total{operation="ALLOCATE_CUSTOMER_FUNDS"} 1`,
		"go_memstats_alloc_bytes_total ", "go_memstats_mallocs_total ", "go_goroutines ", "process_cpu_seconds_total ",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, absent := range []string{`operation="Junk2"`, `operation="Anonymous"`, `operation="Junk19"`} {
		if strings.Contains(m, absent) {
			t.Errorf("/metrics has %s: the operation label is not bounded", absent)
		}
	}
	// the access log: one line per request, in text in sandbox mode
	logs := g.stderr.String()
	if !regexp.MustCompile(`msg=request request_id=\S+ subject=demo-tier1 role=partner operation=Dashboard type=query outcome=ok status=200 duration_ms=\S+ upstream_calls=3`).MatchString(logs) {
		t.Errorf("no access line of the dashboard query in:\n%s", logs)
	}
}

// TestLogsCarryNoSecrets runs a full money flow in live mode (codes over
// the signed SMS webhook, an allocation, its replay, a reclaim, a refused
// code) and searches everything the gateway logged: JSON lines only, one
// access line per request with its ids, and no token, verification code,
// AK/SK, secret, phone number or e-mail address anywhere.
func TestLogsCarryNoSecrets(t *testing.T) {
	hookSecret := strings.Repeat("h", 32)
	sms := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sms <- string(body)
	}))
	defer hook.Close()
	up, m, tier1 := mustUpstream(t)
	cust := ""
	for _, c := range m.Customers {
		if c.PartnerID == tier1.ID && c.AssociationType == "2" {
			cust = c.ID
			break
		}
	}
	jwtSecret, verifySecret := strings.Repeat("j", 32), strings.Repeat("v", 32)
	phone, email := "+8613912345678", "ops@tier1.test"
	env := map[string]string{
		"PARTNERGRAPH_MODE": "live", "PARTNERGRAPH_BSS_ENDPOINT": up.URL, "PARTNERGRAPH_IAM_ENDPOINT": up.URL,
		"PARTNERGRAPH_AK": tier1.AK, "PARTNERGRAPH_SK": tier1.SK, "PARTNERGRAPH_PARTNER_ID": tier1.ID,
		"PARTNERGRAPH_JWT_HS256_SECRET": jwtSecret, "PARTNERGRAPH_REDIS_URL": testRedisURL(t),
		"PARTNERGRAPH_VERIFICATION_SECRET": verifySecret,
		"PARTNERGRAPH_SMS_WEBHOOK_URL":     hook.URL, "PARTNERGRAPH_SMS_WEBHOOK_SECRET": hookSecret,
		"PARTNERGRAPH_LOG_LEVEL": "debug",
	}
	g := startGateway(t, []string{"--listen", "127.0.0.1:0"}, env)
	tok, _ := identity.Mint([]byte(jwtSecret), "partnergraph", "partnergraph", identity.Principal{Subject: "ops", Role: identity.RolePartner, PartnerID: tier1.ID, Email: email, Phone: phone}, time.Hour)
	in := map[string]any{"customerId": cust, "amount": "2.50"}
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	call := func(q string, vars map[string]any) map[string]any {
		_, _, out := postGraphQL(t, g.base, tok, map[string]any{"query": q, "variables": vars},
			map[string]string{"traceparent": "00-" + traceID + "-b7ad6b7169203331-01"})
		return out
	}
	var codes []string
	ask := func(op, member string) string {
		out := call(`mutation($op: SensitiveOperation!, $in: SensitiveInput!) { requestVerificationCode(channel: SMS, operation: $op, input: $in) { id } }`,
			map[string]any{"op": op, "in": map[string]any{member: in}})
		c, _ := out["data"].(map[string]any)["requestVerificationCode"].(map[string]any)
		if c == nil {
			t.Fatalf("requestVerificationCode: %v", out)
		}
		select {
		case body := <-sms:
			codes = append(codes, outboxCodeRE.FindStringSubmatch(body)[1])
		case <-time.After(10 * time.Second):
			t.Fatal("no SMS")
		}
		return c["id"].(string)
	}
	move := func(field, id, code, key string) map[string]any {
		return call(`mutation($in: CustomerFundsInput!, $k: String!, $v: VerificationInput) { `+field+`(input: $in, idempotencyKey: $k, verification: $v) { transferId } }`,
			map[string]any{"in": in, "k": key, "v": map[string]any{"challengeId": id, "code": code}})
	}
	id := ask("ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds")
	for range 2 { // the move, then its replay
		if out := move("allocateCustomerFunds", id, codes[0], "pii-1"); out["errors"] != nil {
			t.Fatal(out)
		}
	}
	id = ask("RECLAIM_CUSTOMER_FUNDS", "reclaimCustomerFunds")
	wrong := "000000"
	if codes[1] == wrong {
		wrong = "111111"
	}
	if out := move("reclaimCustomerFunds", id, wrong, "pii-2"); out["errors"] == nil {
		t.Fatal("a wrong code was accepted")
	}
	if out := move("reclaimCustomerFunds", id, codes[1], "pii-2"); out["errors"] != nil {
		t.Fatal(out)
	}
	if err := g.Stop(t); err != nil {
		t.Fatal(err)
	}

	logs := g.stderr.String()
	access := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if e["msg"] == "request" {
			access++
			if e["request_id"] == "" || e["trace_id"] != traceID || e["subject"] != "ops" || e["role"] != "partner" || e["duration_ms"] == nil || e["upstream_calls"] == nil {
				t.Errorf("access line %v", e)
			}
		}
	}
	if access != 6 {
		t.Errorf("%d access lines, want one per request (6)", access)
	}
	secrets := map[string]string{"token": tok, "AK": tier1.AK, "SK": tier1.SK, "JWT secret": jwtSecret, "verification secret": verifySecret,
		"webhook secret": hookSecret, "phone": phone, "phone digits": strings.TrimPrefix(phone, "+86"), "e-mail": email, "e-mail user": "ops@"}
	for what, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the logs carry the %s", what)
		}
	}
	for _, c := range codes {
		if regexp.MustCompile(`\b` + c + `\b`).MatchString(logs) {
			t.Errorf("the logs carry the verification code %s", c)
		}
	}
}

// TestGracefulShutdown stops the gateway while a slow request runs: /readyz
// turns 503 at once, the request still gets its answer, and run returns.
func TestGracefulShutdown(t *testing.T) {
	g := startGateway(t, []string{"--listen", "127.0.0.1:0", "--sandbox-customers", "30", "--shutdown-delay", "300ms", "--shutdown-timeout", "10s"}, nil)
	var tokens map[string]string
	getJSON(t, g.base+"/dev/tokens", &tokens)
	sandboxURL := regexp.MustCompile(`sandbox:\s+(http://\S+)`).FindStringSubmatch(g.stdout.String())[1]
	b, _ := json.Marshal(map[string]any{"faults": []map[string]any{{"operation": "ListSubCustomers", "latency_ms": 1000}}})
	resp, err := http.Post(sandboxURL+"/_sandbox/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	answered := make(chan int, 1)
	go func() {
		status, _, out := postGraphQL(t, g.base, tokens["tier1"], map[string]any{"query": dashboardQuery, "variables": map[string]any{"n": 5}}, nil)
		if out["errors"] != nil {
			status = 0
		}
		answered <- status
	}()
	time.Sleep(200 * time.Millisecond) // the request is in flight
	stopped := make(chan error, 1)
	go func() { stopped <- g.Stop(t) }()
	time.Sleep(100 * time.Millisecond)
	if got := getJSON(t, g.base+"/readyz", nil); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d, want 503", got)
	}
	select {
	case status := <-answered:
		if status != 200 {
			t.Fatalf("the request in flight got %d", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request in flight got no answer")
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(g.base + "/healthz"); err == nil {
		t.Fatal("the gateway still accepts connections after shutdown")
	}
}
