package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// MustRun starts run() with args and env and returns the gateway's base URL.
func MustRun(tb testing.TB, args []string, env map[string]string) string {
	tb.Helper()
	env = maps.Clone(env)
	if env == nil {
		env = map[string]string{}
	}
	if env["PARTNERGRAPH_AUDIT_LOG"] == "" { // keep the audit log out of the source tree
		env["PARTNERGRAPH_AUDIT_LOG"] = filepath.Join(tb.TempDir(), "audit.jsonl")
	}
	if env["PARTNERGRAPH_METRICS_LISTEN"] == "" { // instances side by side
		env["PARTNERGRAPH_METRICS_LISTEN"] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"partnergraph"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Errorf("run did not stop")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			tb.Fatalf("run returned early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	tb.Fatalf("gateway did not start: %s %s", stdout.String(), stderr.String())
	return ""
}

func getJSON(tb testing.TB, url string, v any) int {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			tb.Fatal(err)
		}
	}
	return resp.StatusCode
}

func query(tb testing.TB, base, token, q string) map[string]any {
	tb.Helper()
	return gql(tb, base, token, q, nil)
}

func TestRunSandbox(t *testing.T) {
	base := MustRun(t, []string{"--listen", "127.0.0.1:0", "--sandbox-listen", "127.0.0.1:0", "--sandbox-seed", "3", "--sandbox-customers", "30"}, nil)
	var tokens map[string]string
	if got := getJSON(t, base+"/dev/tokens", &tokens); got != 200 {
		t.Fatalf("/dev/tokens: %d", got)
	}
	want := map[string]string{"tier1": "PARTNER", "reseller": "RESELLER", "provider": "PARTNER", "customer": "CUSTOMER"}
	if len(tokens) != len(want) {
		t.Fatalf("got tokens %v", tokens)
	}
	for k, role := range want {
		out := query(t, base, tokens[k], `{ viewer { role } }`)
		b, _ := json.Marshal(out)
		if !strings.Contains(string(b), `"role":"`+role+`"`) {
			t.Errorf("%s token: got %s", k, b)
		}
	}
	if got := getJSON(t, base+"/healthz", nil); got != 200 {
		t.Errorf("/healthz: %d", got)
	}
	if got := getJSON(t, base+"/readyz", nil); got != 200 {
		t.Errorf("/readyz: %d", got)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), tokens["tier1"]) {
		t.Errorf("GraphiQL page does not pre-fill the tier-1 token")
	}
}

func TestRunLive(t *testing.T) {
	up, m, tier1 := mustUpstream(t)
	secret := "live-secret-live-secret-live-secret"
	env := map[string]string{
		"PARTNERGRAPH_MODE": "live", "PARTNERGRAPH_BSS_ENDPOINT": up.URL, "PARTNERGRAPH_IAM_ENDPOINT": up.URL,
		"PARTNERGRAPH_AK": tier1.AK, "PARTNERGRAPH_SK": tier1.SK, "PARTNERGRAPH_PARTNER_ID": tier1.ID,
		"PARTNERGRAPH_JWT_HS256_SECRET": secret,
		// live mode needs shared stores, a code secret and a sender
		"PARTNERGRAPH_REDIS_URL": testRedisURL(t), "PARTNERGRAPH_VERIFICATION_SECRET": strings.Repeat("v", 32),
		"PARTNERGRAPH_SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms", "PARTNERGRAPH_SMS_WEBHOOK_SECRET": strings.Repeat("w", 16),
		// the partner's bucket for real-name attachments, signed with its keys
		"PARTNERGRAPH_OBS_ENDPOINT": tier1.OBS.Endpoint, "PARTNERGRAPH_OBS_BUCKET": tier1.OBS.Bucket,
	}
	base := MustRun(t, []string{"--listen", "127.0.0.1:0"}, env)
	if got := getJSON(t, base+"/dev/tokens", nil); got != 404 {
		t.Errorf("/dev/tokens in live mode: got %d, want 404", got)
	}
	if got := getJSON(t, base+"/dev/outbox", nil); got != 404 {
		t.Errorf("/dev/outbox in live mode: got %d, want 404", got)
	}
	tok, _ := identity.Mint([]byte(secret), "partnergraph", "partnergraph", identity.Principal{Subject: "x", Role: identity.RolePartner, PartnerID: tier1.ID}, time.Hour)
	out := query(t, base, tok, `{ viewer { partner { kind } } resellers { totalCount } }`)
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), "TIER1_DISTRIBUTOR") || strings.Contains(string(b), "errors") {
		t.Errorf("live query: got %s", b)
	}
	// an upload URL of the configured bucket, which the bucket accepts
	var direct string
	for _, c := range m.Customers {
		if c.PartnerID == tier1.ID {
			direct = c.ID
			break
		}
	}
	out = query(t, base, tok, `mutation { createRealNameUploadUrl(customerId: "`+direct+`", input: { fileType: PNG, size: 3 }) { url headers { name value } } }`)
	var upl struct {
		Data struct {
			CreateRealNameUploadURL struct {
				URL     string
				Headers []struct{ Name, Value string }
			} `json:"createRealNameUploadUrl"`
		}
	}
	b, _ = json.Marshal(out)
	_ = json.Unmarshal(b, &upl)
	u := upl.Data.CreateRealNameUploadURL
	if !strings.Contains(u.URL, "/"+tier1.OBS.Bucket+"/download/realname/") || len(u.Headers) != 1 {
		t.Fatalf("live upload URL: %s", b)
	}
	req, _ := http.NewRequest(http.MethodPut, u.URL, strings.NewReader("png"))
	req.Header.Set(u.Headers[0].Name, u.Headers[0].Value)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("live upload: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// a reseller principal is served through the tier-1's keys
	var reseller string
	for _, p := range m.Partners {
		if p.Kind == "tier2" && p.ParentID == tier1.ID {
			reseller = p.ID
			break
		}
	}
	rtok, _ := identity.Mint([]byte(secret), "partnergraph", "partnergraph", identity.Principal{Subject: "y", Role: identity.RoleReseller, PartnerID: reseller}, time.Hour)
	out = query(t, base, rtok, `{ viewer { reseller { resellerId funds { accountType } } } customers(first: 5) { totalCount } }`)
	b, _ = json.Marshal(out)
	if !strings.Contains(string(b), reseller) || strings.Contains(string(b), "errors") {
		t.Errorf("live reseller query: got %s", b)
	}
}

func TestRunBadConfig(t *testing.T) {
	tests := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"Mode":            {[]string{"--mode", "prod"}, nil, "--mode (PARTNERGRAPH_MODE)"},
		"Listen":          {[]string{"--listen", "8080"}, nil, "--listen (PARTNERGRAPH_LISTEN)"},
		"Customers":       {[]string{"--sandbox-customers", "many"}, nil, "--sandbox-customers"},
		"Seed":            {nil, map[string]string{"PARTNERGRAPH_SANDBOX_SEED": "x"}, "--sandbox-seed (PARTNERGRAPH_SANDBOX_SEED)"},
		"LiveNoAK":        {[]string{"--mode", "live", "--jwt-hs256-secret", strings.Repeat("s", 32)}, nil, "--ak (PARTNERGRAPH_AK) is required"},
		"LiveNoPartner":   {[]string{"--mode", "live", "--ak", "a", "--sk", "b"}, nil, "--partner-id"},
		"LiveNoJWT":       {[]string{"--mode", "live", "--ak", "a", "--sk", "b", "--partner-id", "p"}, nil, "--jwt-hs256-secret"},
		"LiveBadEndpoint": {[]string{"--mode", "live", "--bss-endpoint", "bss.example"}, nil, "--bss-endpoint"},
		"ShortSecret":     {[]string{"--jwt-hs256-secret", "short"}, nil, "--jwt-hs256-secret"},
		"Timeout":         {[]string{"--upstream-timeout", "soon"}, nil, "--upstream-timeout"},
		"UnknownFlag":     {[]string{"--nope"}, nil, "nope"},
		"OBSAlone":        {[]string{"--obs-endpoint", "https://obs.cn-north-4.myhuaweicloud.com"}, nil, "--obs-endpoint (PARTNERGRAPH_OBS_ENDPOINT)"},
		"OBSBucket":       {[]string{"--obs-bucket", "Not_A_Bucket"}, nil, "--obs-bucket (PARTNERGRAPH_OBS_BUCKET)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			err := run(context.Background(), append([]string{"partnergraph"}, tt.args...), func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if err == nil {
				t.Fatal("got nil error")
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %q, want one line naming %q", err, tt.want)
			}
		})
	}
}

// mustUpstream serves a small sandbox on a loopback port, as the "real"
// upstream of a live-mode gateway, and returns its manifest and tier-1.
func mustUpstream(tb testing.TB) (*httptest.Server, sandbox.Manifest, sandbox.ManifestPartner) {
	tb.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: 1, Customers: 20})
	if err != nil {
		tb.Fatal(err)
	}
	up := httptest.NewServer(sb.Handler())
	tb.Cleanup(up.Close)
	m := sb.Manifest(up.URL)
	for _, p := range m.Partners {
		if p.Kind == "tier1" {
			return up, m, p
		}
	}
	tb.Fatal("the sandbox has no tier-1 partner")
	return nil, m, sandbox.ManifestPartner{}
}
