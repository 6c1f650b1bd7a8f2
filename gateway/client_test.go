package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnergraph/apierr"
	"partnergraph/gateway"
)

// upstream is a tiny BSS stand-in: it answers ListPartnerBalances with body
// after delay, or an error status.
func upstream(tb testing.TB, status int, body string, delay time.Duration) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-42")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

func MustClient(tb testing.TB, endpoint string, timeout time.Duration) *gateway.Client {
	tb.Helper()
	c, err := gateway.New(gateway.Config{Endpoint: endpoint, CallTimeout: timeout, Accounts: []gateway.Account{{ID: "p1", Kind: gateway.KindTier1, AK: "AK", SK: "SK"}}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestErrorMapping(t *testing.T) {
	tests := map[string]struct {
		status       int
		body         string
		code         apierr.Code
		upstreamCode string
	}{
		"BadRequest":  {400, `{"error_code":"CBC.0100","error_msg":"bad"}`, apierr.CodeUpstreamError, "CBC.0100"},
		"NotYours":    {400, `{"error_code":"CBC.99000037","error_msg":"no permission"}`, apierr.CodeNotFound, "CBC.99000037"},
		"Throttled":   {429, `{"error_code":"APIG.0308","error_msg":"slow down"}`, apierr.CodeUpstreamUnavailable, "APIG.0308"},
		"ServerError": {500, `{"error_code":"CBC.0999","error_msg":"boom"}`, apierr.CodeUpstreamUnavailable, "CBC.0999"},
		"Undecodable": {200, `{"account_balances":[{"amount":"12"}]}`, apierr.CodeUpstreamError, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := MustClient(t, upstream(t, tt.status, tt.body, 0), time.Second).Funds(context.Background(), gateway.Scope{Account: "p1"})
			var ge *apierr.Error
			if !errors.As(err, &ge) {
				t.Fatalf("got %v", err)
			}
			if ge.Code != tt.code || ge.UpstreamCode != tt.upstreamCode {
				t.Fatalf("got %s/%s, want %s/%s", ge.Code, ge.UpstreamCode, tt.code, tt.upstreamCode)
			}
			if tt.status >= 400 && ge.RequestID != "req-42" {
				t.Errorf("request id: got %q", ge.RequestID)
			}
			if strings.Contains(ge.Message, "boom") || strings.Contains(ge.Message, "no permission") {
				t.Errorf("upstream text in the safe message: %q", ge.Message)
			}
		})
	}
}

func TestCallBoundedByContext(t *testing.T) {
	c := MustClient(t, upstream(t, 200, `{}`, 5*time.Second), 10*time.Second)
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Funds(ctx, gateway.Scope{Account: "p1"})
		if d := time.Since(start); d > time.Second {
			t.Fatalf("waited %v after cancel", d)
		}
		if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Funds(ctx, gateway.Scope{Account: "p1"})
		if d := time.Since(start); d > time.Second {
			t.Fatalf("waited %v past the deadline", d)
		}
		if apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("CallTimeout", func(t *testing.T) {
		c := MustClient(t, upstream(t, 200, `{}`, 5*time.Second), 100*time.Millisecond)
		start := time.Now()
		_, err := c.Funds(context.Background(), gateway.Scope{Account: "p1"})
		if d := time.Since(start); d > time.Second || apierr.ErrorCode(err) != apierr.CodeUpstreamUnavailable {
			t.Fatalf("got %v after %v", err, d)
		}
	})
}

func TestNewConfig(t *testing.T) {
	for name, cfg := range map[string]gateway.Config{
		"NoEndpoint": {Accounts: []gateway.Account{{ID: "p", AK: "a", SK: "s"}}},
		"BareHost":   {Endpoint: "127.0.0.1:80", Accounts: []gateway.Account{{ID: "p", AK: "a", SK: "s"}}},
		"NoKeys":     {Endpoint: "http://x", Accounts: []gateway.Account{{ID: "p"}}},
		"HalfKeys":   {Endpoint: "http://x", Accounts: []gateway.Account{{ID: "p", AK: "a"}}},
		"EmptyID":    {Endpoint: "http://x", Accounts: []gateway.Account{{AK: "a", SK: "s"}}},
	} {
		if _, err := gateway.New(cfg); err == nil {
			t.Errorf("%s: got nil error", name)
		}
	}
}
