package crash

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

func secret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// mint signs an HS256 token for a partner principal with a phone number
// (where its SMS codes go), valid for an hour.
func mint(secret, subject, partnerID, phone string) string {
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{
		"iss": "partnergraph", "aud": "partnergraph", "sub": subject, "role": "partner", "partner_id": partnerID,
		"phone_number": phone, "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(s))
	return s + "." + enc.EncodeToString(mac.Sum(nil))
}

// codePattern finds the code in the SMS text.
var codePattern = regexp.MustCompile(`verification code is ([0-9]+)`)

// smsReceiver is the gateways' SMS webhook: it checks each delivery's
// signature (X-Partnergraph-Signature: "sha256=" + hex(HMAC-SHA256(secret,
// timestamp + "." + body))) and hands the code to whoever waits for that
// phone number.
type smsReceiver struct {
	secret []byte
	url    string
	mu     sync.Mutex
	codes  map[string]chan string
	bad    int
}

func startReceiver(tb testing.TB, secret string) *smsReceiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &smsReceiver{secret: []byte(secret), url: "http://" + ln.Addr().String() + "/sms", codes: map[string]chan string{}}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *smsReceiver) rejected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bad
}

func (r *smsReceiver) inbox(phone string) chan string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.codes[phone]
	if ch == nil {
		ch = make(chan string, 8)
		r.codes[phone] = ch
	}
	return ch
}

func (r *smsReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	ts, sig := req.Header.Get("X-Partnergraph-Timestamp"), req.Header.Get("X-Partnergraph-Signature")
	sec, perr := strconv.ParseInt(ts, 10, 64)
	mac := hmac.New(sha256.New, r.secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	if err != nil || perr != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute ||
		!hmac.Equal([]byte("sha256="+hex.EncodeToString(mac.Sum(nil))), []byte(sig)) {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m struct{ To, Text string }
	_ = json.Unmarshal(body, &m)
	code := codePattern.FindStringSubmatch(m.Text)
	if code == nil {
		http.Error(w, "no code", http.StatusUnprocessableEntity)
		return
	}
	r.inbox(m.To) <- code[1]
	w.WriteHeader(http.StatusNoContent)
}

// gqlError is one GraphQL error.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// answer is what one GraphQL request got: data and errors, or a
// transport error (the gateway died).
type answer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []gqlError                 `json:"errors"`
	err    error
	took   time.Duration
}

// code is the first error's extensions.code ("" for success, TRANSPORT
// when no answer came).
func (a answer) code() string {
	switch {
	case a.err != nil:
		return "TRANSPORT"
	case len(a.Errors) == 0:
		return ""
	}
	c, _ := a.Errors[0].Extensions["code"].(string)
	if c == "" {
		return "NO_CODE"
	}
	return c
}

func (a answer) retryAfter() int {
	if len(a.Errors) == 0 {
		return 0
	}
	n, _ := a.Errors[0].Extensions["retryAfter"].(float64)
	return int(n)
}

func (a answer) String() string {
	if a.err != nil {
		return "transport error: " + a.err.Error()
	}
	b, _ := json.Marshal(a.Errors)
	return string(b)
}

var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// post sends one GraphQL request to a gateway.
func post(ctx context.Context, url, token, query string, vars map[string]any) answer {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(b))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a := answer{took: time.Since(start)}
	if err != nil {
		a.err = err
		return a
	}
	if err := json.Unmarshal(body, &a); err != nil {
		a.err = fmt.Errorf("HTTP %d, not JSON: %.200s", resp.StatusCode, body)
	}
	return a
}

// sandboxCtl drives a sandbox's test endpoints.
type sandboxCtl struct{ endpoint string }

func (s sandboxCtl) do(tb testing.TB, method, path string, body any, out any) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.endpoint+path, rd)
	resp, err := httpClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		tb.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// fault is one sandbox fault rule (sandbox.Fault).
type fault map[string]any

func (s sandboxCtl) faults(tb testing.TB, rules ...fault) {
	tb.Helper()
	if rules == nil {
		rules = []fault{}
	}
	s.do(tb, http.MethodPost, "/_sandbox/faults", map[string]any{"faults": rules}, nil)
}

func (s sandboxCtl) resetStats(tb testing.TB) {
	tb.Helper()
	s.do(tb, http.MethodPost, "/_sandbox/stats/reset", nil, nil)
}

func (s sandboxCtl) stats(tb testing.TB) map[string]int {
	tb.Helper()
	var out struct{ Calls map[string]int }
	s.do(tb, http.MethodGet, "/_sandbox/stats", nil, &out)
	return out.Calls
}

// operations are the SDK operations the sandbox received since the last
// reset, oldest first.
func (s sandboxCtl) operations(tb testing.TB) []string {
	tb.Helper()
	var out struct {
		Requests []struct{ Operation string }
	}
	s.do(tb, http.MethodGet, "/_sandbox/requests", nil, &out)
	ops := make([]string, len(out.Requests))
	for i, r := range out.Requests {
		ops[i] = r.Operation
	}
	return ops
}

// awaitOp polls the sandbox's requests every 5 ms until op has arrived n
// times since the last reset.
func (s sandboxCtl) awaitOp(tb testing.TB, op string, n int, timeout time.Duration) bool {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		seen := 0
		for _, o := range s.operations(tb) {
			if o == op {
				seen++
			}
		}
		if seen >= n {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}
