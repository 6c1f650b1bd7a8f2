package identity_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"partnergraph/apierr"
	"partnergraph/identity"
)

// jwksServer is an IdP's JWKS endpoint the test can change; it counts fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32

	mu     sync.Mutex
	keys   []map[string]string
	status int // 0 serves the keys
}

func newJWKSServer(tb testing.TB, keys ...map[string]string) *jwksServer {
	tb.Helper()
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != 0 {
			w.WriteHeader(s.status)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *jwksServer) Set(keys ...map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *jwksServer) SetStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

// MustVerifierTiming is MustVerifier with the JWKS timings of
// identity.NewVerifierTiming.
func MustVerifierTiming(tb testing.TB, cfg identity.Config, refresh, minRefresh, timeout time.Duration) *identity.Verifier {
	tb.Helper()
	cfg.Issuer, cfg.Audience = "iss-1", "aud-1"
	v, err := identity.NewVerifierTiming(cfg, refresh, minRefresh, timeout)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

func jwkWith(jwk map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range jwk {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// eventually polls f until it is true or 5 s have passed.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestJWKSRotation(t *testing.T) {
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	ctx := context.Background()

	t.Run("Periodic", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", &k1.PublicKey))
		v := MustVerifierTiming(t, identity.Config{JWKSURL: srv.URL}, 50*time.Millisecond, time.Hour, time.Second)
		if _, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, k1, "k1", claims(nil))); err != nil {
			t.Fatal(err)
		}
		// Spend the one unknown-kid fetch the limiter allows per hour, so
		// only the background refresh can pick up k2.
		_, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, k1, "spent", claims(nil)))
		wantCode(t, err, apierr.CodeUnauthenticated)

		srv.Set(jwkOf("k2", &k2.PublicKey))
		tok2 := MustSign(t, jwt.SigningMethodRS256, k2, "k2", claims(nil))
		eventually(t, "the new kid to be accepted", func() bool {
			_, err := v.Verify(ctx, tok2)
			return err == nil
		})
		// k1 was withdrawn from the set: it no longer verifies.
		_, err = v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, k1, "k1", claims(nil)))
		wantCode(t, err, apierr.CodeUnauthenticated)
	})

	t.Run("UnknownKID", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", &k1.PublicKey))
		v := MustVerifierTiming(t, identity.Config{JWKSURL: srv.URL}, time.Hour, time.Hour, time.Second)
		srv.Set(jwkOf("k1", &k1.PublicKey), jwkOf("k2", &k2.PublicKey))
		if _, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, k2, "k2", claims(nil))); err != nil {
			t.Fatal(err)
		}
		if got, want := srv.fetches.Load(), int32(2); got != want {
			t.Fatalf("got %d JWKS fetches, want %d (start-up, then the unknown kid)", got, want)
		}
	})
}

func TestJWKSUnknownKIDRateLimit(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := newJWKSServer(t, jwkOf("e1", &ecKey.PublicKey))
	const minRefresh, timeout = 2 * time.Second, 200 * time.Millisecond
	v := MustVerifierTiming(t, identity.Config{JWKSURL: srv.URL}, time.Hour, minRefresh, timeout)
	ctx := context.Background()

	const n = 100
	randomKIDs := func() []string {
		toks := make([]string, n)
		for i := range toks {
			toks[i] = MustSign(t, jwt.SigningMethodES256, ecKey, rand.Text(), claims(nil))
		}
		return toks
	}
	storm := func(toks []string) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for _, tok := range toks {
			wg.Go(func() {
				if _, err := v.Verify(ctx, tok); err == nil {
					t.Error("a token with a random kid was accepted")
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}

	first, second := randomKIDs(), randomKIDs()
	if took := storm(first); took > minRefresh-timeout {
		t.Fatalf("%d refused tokens took %v, want each to wait at most %v", n, took, timeout)
	}
	if got, want := srv.fetches.Load(), int32(2); got != want {
		t.Fatalf("got %d JWKS fetches after %d random kids, want %d (start-up, then one)", got, n, want)
	}
	time.Sleep(minRefresh + 100*time.Millisecond)
	storm(second)
	if got, want := srv.fetches.Load(), int32(3); got != want {
		t.Fatalf("got %d JWKS fetches after a second interval, want %d", got, want)
	}
	// A real kid is still served from the cache.
	if _, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodES256, ecKey, "e1", claims(nil))); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSAlgPinning(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	srv := newJWKSServer(t,
		jwkOf("plain", &rsaKey.PublicKey),
		jwkWith(jwkOf("rs256", &rsaKey.PublicKey), "alg", "RS256"),
		jwkWith(jwkOf("ps256", &rsaKey.PublicKey), "alg", "PS256"),
		jwkWith(jwkOf("enc", &rsaKey.PublicKey), "use", "enc"),
	)
	v := MustVerifier(t, identity.Config{JWKSURL: srv.URL})
	for name, tt := range map[string]struct {
		token string
		ok    bool
	}{
		"OKNoJWKAlg":        {MustSign(t, jwt.SigningMethodRS256, rsaKey, "plain", claims(nil)), true},
		"OKJWKAlgMatches":   {MustSign(t, jwt.SigningMethodRS256, rsaKey, "rs256", claims(nil)), true},
		"OKNoKID":           {MustSign(t, jwt.SigningMethodRS256, rsaKey, "", claims(nil)), true},
		"ErrJWKAlgDiffers":  {MustSign(t, jwt.SigningMethodRS256, rsaKey, "ps256", claims(nil)), false},
		"ErrPS256NotPinned": {MustSign(t, jwt.SigningMethodPS256, rsaKey, "ps256", claims(nil)), false},
		"ErrUseEnc":         {MustSign(t, jwt.SigningMethodRS256, rsaKey, "enc", claims(nil)), false},
		"ErrRS512":          {MustSign(t, jwt.SigningMethodRS512, rsaKey, "plain", claims(nil)), false},
		"ErrAlgNone":        {MustSign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "plain", claims(nil)), false},
		"ErrHS256PublicKey": {MustSign(t, jwt.SigningMethodHS256, pubPEM, "plain", claims(nil)), false},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, apierr.CodeUnauthenticated)
		})
	}
}

func TestJWKSEC(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	srv := newJWKSServer(t, jwkWith(jwkOf("e1", &p256.PublicKey), "alg", "ES256", "use", "sig"))
	v := MustVerifier(t, identity.Config{JWKSURL: srv.URL})
	for name, tt := range map[string]struct {
		token string
		ok    bool
	}{
		"OK":            {MustSign(t, jwt.SigningMethodES256, p256, "e1", claims(nil)), true},
		"ErrOtherKey":   {MustSign(t, jwt.SigningMethodES256, other, "e1", claims(nil)), false},
		"ErrRS256OnEC":  {MustSign(t, jwt.SigningMethodRS256, rsaKey, "e1", claims(nil)), false},
		"ErrHS256OnEC":  {MustSign(t, jwt.SigningMethodHS256, secret, "e1", claims(nil)), false},
		"ErrUnknownKID": {MustSign(t, jwt.SigningMethodES256, p256, "e2", claims(nil)), false},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token)
			if tt.ok {
				if err != nil || p.PartnerID != "p1" {
					t.Fatalf("got %+v, %v; want principal p1", p, err)
				}
				return
			}
			wantCode(t, err, apierr.CodeUnauthenticated)
		})
	}
}

func TestJWKSUnreachableAtStart(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ctx := context.Background()
	const timeout = 300 * time.Millisecond

	t.Run("IdPHangs", func(t *testing.T) {
		var up atomic.Bool
		var fetches atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fetches.Add(1)
			if !up.Load() {
				<-r.Context().Done()
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwkOf("r1", &rsaKey.PublicKey)}})
		}))
		defer srv.Close()
		var log bytes.Buffer
		start := time.Now()
		v := MustVerifierTiming(t, identity.Config{JWKSURL: srv.URL, Log: slog.New(slog.NewTextHandler(&log, nil))}, time.Hour, 50*time.Millisecond, timeout)
		if took := time.Since(start); took > timeout+time.Second {
			t.Fatalf("NewVerifier took %v, want about the %v fetch timeout", took, timeout)
		}
		if !strings.Contains(log.String(), srv.URL) {
			t.Fatalf("got log %q, want the failed fetch of %s reported", log.String(), srv.URL)
		}
		tok := MustSign(t, jwt.SigningMethodRS256, rsaKey, "r1", claims(nil))
		_, err := v.Verify(ctx, tok)
		wantCode(t, err, apierr.CodeUnauthenticated)

		up.Store(true)
		eventually(t, "the token to be accepted once the IdP is up", func() bool {
			_, err := v.Verify(ctx, tok)
			return err == nil
		})
	})

	t.Run("WrongURL", func(t *testing.T) {
		srv := newJWKSServer(t)
		srv.SetStatus(http.StatusNotFound)
		var log bytes.Buffer
		v := MustVerifierTiming(t, identity.Config{JWKSURL: srv.URL + "/wrong", Log: slog.New(slog.NewTextHandler(&log, nil))}, time.Hour, time.Hour, timeout)
		if got := log.String(); !strings.Contains(got, srv.URL+"/wrong") || !strings.Contains(got, "404") {
			t.Fatalf("got log %q, want the URL and the 404", got)
		}
		_, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, rsaKey, "r1", claims(nil)))
		wantCode(t, err, apierr.CodeUnauthenticated)
	})

	t.Run("ErrNotHTTP", func(t *testing.T) {
		for _, u := range []string{"ftp://idp.example/jwks", "idp.example/jwks"} {
			if v, err := identity.NewVerifier(identity.Config{Issuer: "i", Audience: "a", JWKSURL: u}); err == nil {
				_ = v.Close()
				t.Errorf("%s: got nil error", u)
			}
		}
	})
}

func TestJWKSClose(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	srv := newJWKSServer(t, jwkOf("r1", &rsaKey.PublicKey))
	const refresh = 20 * time.Millisecond
	v := MustVerifierTiming(t, identity.Config{JWKSURL: srv.URL}, refresh, time.Hour, time.Second)
	eventually(t, "background refreshes", func() bool { return srv.fetches.Load() >= 3 })

	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * refresh) // a fetch under way when Close was called may finish
	before := srv.fetches.Load()
	time.Sleep(10 * refresh)
	if got := srv.fetches.Load(); got != before {
		t.Fatalf("got %d JWKS fetches after Close, want none", got-before)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The keys already fetched still verify.
	if _, err := v.Verify(context.Background(), MustSign(t, jwt.SigningMethodRS256, rsaKey, "r1", claims(nil))); err != nil {
		t.Fatal(err)
	}
	if err := MustVerifier(t, identity.Config{HS256Secret: secret}).Close(); err != nil {
		t.Fatalf("Close with a static key: %v", err)
	}
}
