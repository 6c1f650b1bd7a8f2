package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"partnergraph/guard/notify"
	"partnergraph/identity"
	"partnergraph/internal/testredis"
)

// testRedisURL starts (once per binary) a real redis-server and returns the
// URL of a fresh logical database.
func testRedisURL(tb testing.TB) string {
	tb.Helper()
	c := testredis.Start(tb)
	o := c.Options()
	return fmt.Sprintf("redis://%s/%d", o.Addr, o.DB)
}

func gql(tb testing.TB, base, token, q string, vars map[string]any) map[string]any {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

var outboxCodeRE = regexp.MustCompile(`verification code is ([0-9]+)`)

// The sandbox binary end to end: demo token → code to the dev outbox →
// allocation → audit file; with Redis stores when a URL is given.
func TestRunSandboxVerificationFlow(t *testing.T) {
	for _, withRedis := range []bool{false, true} {
		t.Run(fmt.Sprintf("redis=%v", withRedis), func(t *testing.T) {
			auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
			env := map[string]string{"PARTNERGRAPH_AUDIT_LOG": auditPath}
			if withRedis {
				env["PARTNERGRAPH_REDIS_URL"] = testRedisURL(t)
			}
			base := MustRun(t, []string{"--listen", "127.0.0.1:0", "--sandbox-customers", "30"}, env)
			var tokens map[string]string
			getJSON(t, base+"/dev/tokens", &tokens)
			tok := tokens["tier1"]
			out := gql(t, base, tok, `{ customers(first: 5, filter: {associationType: RESALE}) { edges { node { customerId } } } }`, nil)
			b, _ := json.Marshal(out)
			m := regexp.MustCompile(`"customerId":"([^"]+)"`).FindStringSubmatch(string(b))
			if m == nil {
				t.Fatalf("no resale customer: %s", b)
			}
			in := map[string]any{"customerId": m[1], "amount": "12.34"}
			out = gql(t, base, tok, `mutation($in: SensitiveInput!) { requestVerificationCode(channel: EMAIL, operation: ALLOCATE_CUSTOMER_FUNDS, input: $in) { id maskedDestination } }`,
				map[string]any{"in": map[string]any{"allocateCustomerFunds": in}})
			ch, _ := out["data"].(map[string]any)["requestVerificationCode"].(map[string]any)
			if ch == nil {
				t.Fatalf("requestVerificationCode: %v", out)
			}
			var box struct {
				Messages []struct{ Text, To string } `json:"messages"`
			}
			if got := getJSON(t, base+"/dev/outbox", &box); got != 200 || len(box.Messages) == 0 {
				t.Fatalf("/dev/outbox: %d %v", got, box)
			}
			code := outboxCodeRE.FindStringSubmatch(box.Messages[0].Text)
			if code == nil || box.Messages[0].To != "tier1@partner.example" {
				t.Fatalf("outbox message %+v", box.Messages[0])
			}
			out = gql(t, base, tok, `mutation($in: CustomerFundsInput!, $v: VerificationInput) { allocateCustomerFunds(input: $in, idempotencyKey: "run-1", verification: $v) { transferId } }`,
				map[string]any{"in": in, "v": map[string]any{"challengeId": ch["id"], "code": code[1]}})
			if b, _ := json.Marshal(out); !strings.Contains(string(b), "transferId") || strings.Contains(string(b), "errors") {
				t.Fatalf("allocate: %s", b)
			}
			f, err := os.Open(auditPath)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			events := map[string]bool{}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.Contains(sc.Text(), code[1]) || strings.Contains(sc.Text(), tok) {
					t.Fatalf("audit line holds a secret: %s", sc.Text())
				}
				var e struct{ Event string }
				_ = json.Unmarshal(sc.Bytes(), &e)
				events[e.Event] = true
			}
			for _, e := range []string{"challenge.requested", "challenge.verified", "mutation.applied"} {
				if !events[e] {
					t.Errorf("audit log lacks %s (has %v)", e, events)
				}
			}
		})
	}
}

func TestRunSafetyConfig(t *testing.T) {
	live := []string{"--mode", "live", "--ak", "a", "--sk", "b", "--partner-id", "p", "--jwt-hs256-secret", strings.Repeat("s", 32)}
	tests := map[string]struct {
		args []string
		want string
	}{
		"LiveNoRedis":     {live, "--redis-url (PARTNERGRAPH_REDIS_URL) is required in live mode"},
		"LiveNoSecret":    {append(live, "--redis-url", "redis://127.0.0.1:1/0"), "--verification-secret"},
		"LiveNoSender":    {append(live, "--redis-url", "redis://127.0.0.1:1/0", "--verification-secret", strings.Repeat("v", 32)), "--smtp-addr"},
		"BadRedisURL":     {[]string{"--redis-url", "mysql://x"}, "--redis-url"},
		"ShortSecret":     {[]string{"--verification-secret", "short"}, "--verification-secret"},
		"SMTPHalf":        {[]string{"--smtp-addr", "127.0.0.1:25"}, "--smtp-addr"},
		"WebhookNoSecret": {[]string{"--sms-webhook-url", "https://sms.example/hook"}, "--sms-webhook-secret"},
		"RedisDown":       {[]string{"--redis-url", "redis://127.0.0.1:1/0", "--audit-log", "off"}, "--redis-url (PARTNERGRAPH_REDIS_URL) does not answer"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			err := run(context.Background(), append([]string{"partnergraph"}, tt.args...), func(string) string { return "" }, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line naming %q", err, tt.want)
			}
		})
	}
}

// --audit-log=off runs without a file; the sandbox still serves /dev/outbox.
func TestRunAuditOff(t *testing.T) {
	base := MustRun(t, []string{"--listen", "127.0.0.1:0", "--sandbox-customers", "20"}, map[string]string{"PARTNERGRAPH_AUDIT_LOG": "off"})
	if got := getJSON(t, base+"/dev/outbox", nil); got != 200 {
		t.Fatalf("/dev/outbox in sandbox mode: %d", got)
	}
	var tokens map[string]string
	getJSON(t, base+"/dev/tokens", &tokens)
	out := gql(t, base, tokens["tier1"], `mutation { setVerificationEnabled(input: {enabled: false}) { enabled } }`, nil)
	if b, _ := json.Marshal(out); !strings.Contains(string(b), "VERIFICATION_REQUIRED") {
		t.Fatalf("guarded mutation without audit log: %s", b)
	}
}

// aiosmtpd runs a real SMTP server on loopback delivering to a maildir
// (python3-aiosmtpd, as in gateway/notify's tests).
func aiosmtpd(t *testing.T) (addr, maildir string) {
	py := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 with aiosmtpd not found (apt-get install -y python3-aiosmtpd)")
		}
		t.Skip("python3 with aiosmtpd not found")
	}
	maildir = filepath.Join(t.TempDir(), "maildir")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	cmd := exec.Command(py, "-m", "aiosmtpd", "-n", "-l", addr, "-c", "aiosmtpd.handlers.Mailbox", maildir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return addr, maildir
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %s", addr)
		}
	}
}

// Live mode end to end: Redis stores, EMAIL codes through a real SMTP
// server, SMS codes through the signed webhook, no dev outbox.
func TestRunLiveVerificationSenders(t *testing.T) {
	smtpAddr, maildir := aiosmtpd(t)
	hookSecret := strings.Repeat("h", 32)
	sms := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !notify.VerifySignature([]byte(hookSecret), r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), time.Minute) {
			http.Error(w, "bad signature", 401)
			return
		}
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
	secret := strings.Repeat("j", 32)
	env := map[string]string{
		"PARTNERGRAPH_MODE": "live", "PARTNERGRAPH_BSS_ENDPOINT": up.URL, "PARTNERGRAPH_IAM_ENDPOINT": up.URL,
		"PARTNERGRAPH_AK": tier1.AK, "PARTNERGRAPH_SK": tier1.SK, "PARTNERGRAPH_PARTNER_ID": tier1.ID,
		"PARTNERGRAPH_JWT_HS256_SECRET": secret, "PARTNERGRAPH_REDIS_URL": testRedisURL(t),
		"PARTNERGRAPH_VERIFICATION_SECRET": strings.Repeat("v", 32),
		"PARTNERGRAPH_SMTP_ADDR":           smtpAddr, "PARTNERGRAPH_SMTP_FROM": "partnergraph <noreply@partnergraph.test>",
		"PARTNERGRAPH_SMS_WEBHOOK_URL": hook.URL, "PARTNERGRAPH_SMS_WEBHOOK_SECRET": hookSecret,
		"PARTNERGRAPH_VERIFICATION_PHONE": "+8613912345678",
	}
	base := MustRun(t, []string{"--listen", "127.0.0.1:0"}, env)
	if got := getJSON(t, base+"/dev/outbox", nil); got != 404 {
		t.Fatalf("/dev/outbox in live mode: %d", got)
	}
	tok, _ := identity.Mint([]byte(secret), "partnergraph", "partnergraph", identity.Principal{Subject: "ops", Role: identity.RolePartner, PartnerID: tier1.ID, Email: "ops@tier1.test"}, time.Hour)
	in := map[string]any{"customerId": cust, "amount": "1.50"}
	ask := func(ch, op, member string) string {
		out := gql(t, base, tok, `mutation($ch: VerificationChannel!, $op: SensitiveOperation!, $in: SensitiveInput!) { requestVerificationCode(channel: $ch, operation: $op, input: $in) { id } }`,
			map[string]any{"ch": ch, "op": op, "in": map[string]any{member: in}})
		ch2, _ := out["data"].(map[string]any)
		c, _ := ch2["requestVerificationCode"].(map[string]any)
		if c == nil {
			t.Fatalf("requestVerificationCode(%s): %v", ch, out)
		}
		return c["id"].(string)
	}
	move := func(field, id, code, key string) map[string]any {
		return gql(t, base, tok, `mutation($in: CustomerFundsInput!, $k: String!, $v: VerificationInput) { `+field+`(input: $in, idempotencyKey: $k, verification: $v) { transferId } }`,
			map[string]any{"in": in, "k": key, "v": map[string]any{"challengeId": id, "code": code}})
	}

	// EMAIL through the real SMTP server (the address comes from the token)
	id := ask("EMAIL", "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds")
	var mailText string
	for deadline := time.Now().Add(10 * time.Second); mailText == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			mailText = string(b)
		}
	}
	code := outboxCodeRE.FindStringSubmatch(mailText)
	if code == nil || !strings.Contains(mailText, "ops@tier1.test") {
		t.Fatalf("mail: %q", mailText)
	}
	if b, _ := json.Marshal(move("allocateCustomerFunds", id, code[1], "live-1")); !strings.Contains(string(b), "transferId") || strings.Contains(string(b), "errors") {
		t.Fatalf("allocate with the e-mailed code: %s", b)
	}

	// SMS through the signed webhook (the phone comes from the configured fallback)
	id = ask("SMS", "RECLAIM_CUSTOMER_FUNDS", "reclaimCustomerFunds") // the resend cooldown is per operation
	var body string
	select {
	case body = <-sms:
	case <-time.After(10 * time.Second):
		t.Fatal("no SMS webhook call")
	}
	code = outboxCodeRE.FindStringSubmatch(body)
	if code == nil || !strings.Contains(body, "+8613912345678") {
		t.Fatalf("webhook body: %s", body)
	}
	if b, _ := json.Marshal(move("reclaimCustomerFunds", id, code[1], "live-2")); !strings.Contains(string(b), "transferId") || strings.Contains(string(b), "errors") {
		t.Fatalf("reclaim with the SMS code: %s", b)
	}
}
