package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook signature headers. The receiver recomputes
// hex(HMAC-SHA256(secret, timestamp + "." + body)) and rejects stale
// timestamps, which stops both forgery and replay of captured requests.
const (
	HeaderTimestamp = "X-Partnergraph-Timestamp"
	HeaderSignature = "X-Partnergraph-Signature"
)

// Webhook POSTs each message as JSON to URL — typically the partner's SMS
// provider or a bridge to it. Use an https URL anywhere but loopback: the
// body carries the code.
type Webhook struct {
	URL    string
	Secret []byte
	// Client defaults to a client with Timeout; pass the TLS server's client
	// in tests or one with custom roots in production.
	Client *http.Client
	// Timeout bounds one delivery; default 10s.
	Timeout time.Duration
	// Now stamps sent_at and the timestamp header; default time.Now.
	Now func() time.Time
}

// Send implements Sender. Any non-2xx answer is an error; redirects are not
// followed, so the code is never re-posted to a host the secret does not
// belong to.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	if len(w.Secret) == 0 {
		return errors.New("notify: webhook: empty secret")
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	at := now()
	body, err := json.Marshal(toWire(m, at))
	if err != nil {
		return fmt.Errorf("notify: webhook: encode: %w", err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "partnergraph-notify/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: timeout}
	}
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := nc.Do(req)
	if err != nil {
		// url.Error includes the URL but not the body, so the code stays out.
		return fmt.Errorf("notify: webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("notify: webhook: %s answered %s", req.URL.Redacted(), resp.Status)
	}
	return nil
}

// Sign returns the X-Partnergraph-Signature value for a body.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature is the receiver's check: the signature must match and the
// timestamp must be within maxSkew of now.
func VerifySignature(secret []byte, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) bool {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return false
	}
	if !strings.HasPrefix(signature, "sha256=") {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}
