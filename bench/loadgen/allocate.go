package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The gateway's code sending limits (guard/verify DefaultConfig): a 60 s
// cooldown per principal and operation, 10 codes per principal per hour and
// 100 codes per rolling minute for the whole deployment. W4 uses a new
// principal (token subject and phone number) for every round trip, so only
// the global limit binds: a W4 row runs at most globalSendLimit round trips
// per globalSendWindow (a second of margin on the gateway's minute).
const (
	globalSendLimit  = 100
	globalSendWindow = 61 * time.Second
)

// codePattern finds the code in the SMS text (guard/verify Engine.Request).
var codePattern = regexp.MustCompile(`verification code is ([0-9]+)`)

// codeReceiver is the SMS webhook the gateway delivers codes to. It checks
// each delivery's HMAC signature (guard/notify/webhook.go) and hands the
// code to the round trip waiting for that phone number.
type codeReceiver struct {
	secret   []byte
	srv      *http.Server
	mu       sync.Mutex
	waiting  map[string]chan string
	rejected atomic.Int64 // deliveries with a bad signature or no waiter
}

func startReceiver(addr string, secret []byte) (*codeReceiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("SMS webhook receiver: %w", err)
	}
	r := &codeReceiver{secret: secret, waiting: map[string]chan string{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *codeReceiver) close() { _ = r.srv.Close() }

func (r *codeReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	if err != nil || !validSignature(r.secret, req.Header.Get("X-Partnergraph-Timestamp"), req.Header.Get("X-Partnergraph-Signature"), body, time.Now()) {
		r.rejected.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m struct{ To, Text string }
	_ = json.Unmarshal(body, &m)
	code := codePattern.FindStringSubmatch(m.Text)
	r.mu.Lock()
	ch := r.waiting[m.To]
	delete(r.waiting, m.To)
	r.mu.Unlock()
	if ch == nil || code == nil {
		r.rejected.Add(1)
		http.Error(w, "unexpected message", http.StatusUnprocessableEntity)
		return
	}
	ch <- code[1]
	w.WriteHeader(http.StatusNoContent)
}

// validSignature: X-Partnergraph-Signature is "sha256=" +
// hex(HMAC-SHA256(secret, timestamp + "." + body)), the timestamp within
// five minutes of now.
func validSignature(secret []byte, ts, sig string, body []byte, now time.Time) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hmac.Equal([]byte("sha256="+hex.EncodeToString(mac.Sum(nil))), []byte(sig))
}

// expect registers a round trip waiting for the code sent to phone.
func (r *codeReceiver) expect(phone string) <-chan string {
	ch := make(chan string, 1)
	r.mu.Lock()
	r.waiting[phone] = ch
	r.mu.Unlock()
	return ch
}

func (r *codeReceiver) forget(phone string) {
	r.mu.Lock()
	delete(r.waiting, phone)
	r.mu.Unlock()
}

// allocator runs W4 round trips against one gateway: request a code for
// allocating 0.01 to the showcase customer, take it from the webhook, and
// allocate with a fresh idempotency key.
type allocator struct {
	url, tier1, customer string
	secret               []byte // of the gateway's tokens
	codes                *codeReceiver

	seq   atomic.Int64 // principals and idempotency keys
	mu    sync.Mutex
	sends []time.Time // codes requested, for the global limit
}

// budget is how many codes may be requested now without reaching the
// gateway's global limit.
func (a *allocator) budget() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	recent := 0
	for _, t := range a.sends {
		if time.Since(t) < globalSendWindow {
			recent++
		}
	}
	return globalSendLimit - recent
}

func (a *allocator) roundTrip(ctx context.Context, w *worker, _ int) error {
	n := a.seq.Add(1)
	phone := fmt.Sprintf("+86139%08d", n)
	token := mint(a.secret, claims{Subject: fmt.Sprintf("bench-w4-%d", n), Role: "partner", PartnerID: a.tier1, Phone: phone})
	in := map[string]any{"customerId": a.customer, "amount": "0.01"}

	codes := a.codes.expect(phone)
	defer a.codes.forget(phone)
	a.mu.Lock()
	a.sends = append(a.sends, time.Now())
	a.mu.Unlock()
	var challenge struct{ RequestVerificationCode struct{ ID string } }
	if err := postGraphQL(ctx, w, a.url, token, body(requestCodeMutation, map[string]any{"in": in}), &challenge); err != nil {
		return fmt.Errorf("requestVerificationCode: %w", err)
	}
	var code string
	select {
	case code = <-codes:
	case <-time.After(10 * time.Second):
		return errors.New("no code reached the SMS webhook within 10s")
	case <-ctx.Done():
		return ctx.Err()
	}
	vars := map[string]any{
		"in":  in,
		"key": fmt.Sprintf("bench-w4-%d", n),
		"v":   map[string]any{"challengeId": challenge.RequestVerificationCode.ID, "code": code},
	}
	var res struct{ AllocateCustomerFunds struct{ TransferID string } }
	if err := postGraphQL(ctx, w, a.url, token, body(allocateMutation, vars), &res); err != nil {
		return fmt.Errorf("allocateCustomerFunds: %w", err)
	}
	if res.AllocateCustomerFunds.TransferID == "" {
		return errors.New("allocateCustomerFunds: no transferId")
	}
	return nil
}
