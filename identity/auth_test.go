package identity_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"partnergraph/apierr"
	"partnergraph/identity"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func claims(mod func(*identity.Claims)) identity.Claims {
	now := time.Now()
	c := identity.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "iss-1", Audience: jwt.ClaimStrings{"aud-1"}, Subject: "u1",
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		},
		Role: identity.RolePartner, PartnerID: "p1",
	}
	if mod != nil {
		mod(&c)
	}
	return c
}

func MustVerifier(tb testing.TB, cfg identity.Config) *identity.Verifier {
	tb.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer, cfg.Audience = "iss-1", "aud-1"
	}
	v, err := identity.NewVerifier(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

func MustSign(tb testing.TB, m jwt.SigningMethod, key any, kid string, c identity.Claims) string {
	tb.Helper()
	s, err := identity.MintWith(m, key, kid, c)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, code apierr.Code) {
	t.Helper()
	var ge *apierr.Error
	if !errors.As(err, &ge) || ge.Code != code {
		t.Fatalf("got %v, want code %s", err, code)
	}
}

func TestVerifyHS256(t *testing.T) {
	v := MustVerifier(t, identity.Config{HS256Secret: secret})
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tests := map[string]struct {
		token string
		ok    bool
	}{
		"OK":                    {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(nil)), true},
		"OKWithinLeeway":        {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-10 * time.Second)) })), true},
		"ErrExpired":            {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour)) })), false},
		"ErrNoExp":              {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.ExpiresAt = nil })), false},
		"ErrNotYetValid":        {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour)) })), false},
		"ErrIssuer":             {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.Issuer = "evil" })), false},
		"ErrAudience":           {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.Audience = jwt.ClaimStrings{"other"} })), false},
		"ErrSecret":             {MustSign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), "", claims(nil)), false},
		"ErrAlgNotAllowed":      {MustSign(t, jwt.SigningMethodRS256, rsaKey, "", claims(nil)), false},
		"ErrAlgNone":            {MustSign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims(nil)), false},
		"ErrNoRole":             {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.Role = "" })), false},
		"ErrCustomerNoID":       {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.Role = identity.RoleCustomer })), false},
		"ErrGarbage":            {"not.a.jwt", false},
		"ErrPartnerNoPartnerID": {MustSign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *identity.Claims) { c.PartnerID = "" })), false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token)
			if tt.ok {
				if err != nil || p.PartnerID != "p1" || p.Role != identity.RolePartner {
					t.Fatalf("got %+v, %v; want principal p1", p, err)
				}
				return
			}
			wantCode(t, err, apierr.CodeUnauthenticated)
		})
	}
}

func TestVerifyPEM(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pemOf := func(pub any) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	t.Run("RS256", func(t *testing.T) {
		v := MustVerifier(t, identity.Config{PublicKeyPEM: pemOf(&rsaKey.PublicKey)})
		if _, err := v.Verify(context.Background(), MustSign(t, jwt.SigningMethodRS256, rsaKey, "", claims(nil))); err != nil {
			t.Fatal(err)
		}
		// HS256 signed with the public key bytes: the classic confusion attack.
		forged := MustSign(t, jwt.SigningMethodHS256, pemOf(&rsaKey.PublicKey), "", claims(nil))
		_, err := v.Verify(context.Background(), forged)
		wantCode(t, err, apierr.CodeUnauthenticated)
	})
	t.Run("ES256", func(t *testing.T) {
		v := MustVerifier(t, identity.Config{PublicKeyPEM: pemOf(&ecKey.PublicKey)})
		if _, err := v.Verify(context.Background(), MustSign(t, jwt.SigningMethodES256, ecKey, "", claims(nil))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrBadConfig", func(t *testing.T) {
		for name, cfg := range map[string]identity.Config{
			"NoKey":       {Issuer: "i", Audience: "a"},
			"ShortSecret": {Issuer: "i", Audience: "a", HS256Secret: []byte("short")},
			"TwoKeys":     {Issuer: "i", Audience: "a", HS256Secret: secret, JWKSURL: "https://x"},
			"BadPEM":      {Issuer: "i", Audience: "a", PublicKeyPEM: []byte("nope")},
			"NoIssuer":    {Audience: "a", HS256Secret: secret},
		} {
			if _, err := identity.NewVerifier(cfg); err == nil {
				t.Errorf("%s: got nil error", name)
			}
		}
	})
}

func jwkOf(kid string, pub any) map[string]string {
	b64 := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N), "e": b64(big.NewInt(int64(k.E)))}
	case *ecdsa.PublicKey:
		return map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(k.X), "y": b64(k.Y)}
	}
	return nil
}

func TestVerifyJWKS(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var mu sync.Mutex
	keys := []map[string]string{jwkOf("r1", &rsaKey.PublicKey)}
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		mu.Lock()
		defer mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	}))
	defer srv.Close()
	v := MustVerifier(t, identity.Config{JWKSURL: srv.URL})
	ctx := context.Background()

	if _, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, rsaKey, "r1", claims(nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, rsaKey, "r1", claims(nil))); err != nil {
		t.Fatal(err)
	}
	if got := fetches.Load(); got != 1 {
		t.Fatalf("got %d JWKS fetches, want 1 (cached)", got)
	}
	// key rotation: a new kid appears; the unknown kid triggers a refresh
	// (after the minimum refresh interval, which the first fetch just used).
	mu.Lock()
	keys = append(keys, jwkOf("e1", &ecKey.PublicKey))
	mu.Unlock()
	identity.SetJWKSMinRefresh(v, 0)
	if _, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodES256, ecKey, "e1", claims(nil))); err != nil {
		t.Fatal(err)
	}
	if got := fetches.Load(); got != 2 {
		t.Fatalf("got %d JWKS fetches, want 2 (refreshed on unknown kid)", got)
	}
	_, err := v.Verify(ctx, MustSign(t, jwt.SigningMethodES256, ecKey, "zzz", claims(nil)))
	wantCode(t, err, apierr.CodeUnauthenticated)
	// alg/key mismatch: RS256 header with an EC kid
	_, err = v.Verify(ctx, MustSign(t, jwt.SigningMethodRS256, rsaKey, "e1", claims(nil)))
	wantCode(t, err, apierr.CodeUnauthenticated)
}

func TestMiddleware(t *testing.T) {
	v := MustVerifier(t, identity.Config{HS256Secret: secret})
	var got *identity.Principal
	var gotErr error
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotErr = identity.For(r.Context())
	}))
	for name, tt := range map[string]struct {
		header string
		ok     bool
	}{
		"OK":         {"Bearer " + MustSign(t, jwt.SigningMethodHS256, secret, "", claims(nil)), true},
		"ErrMissing": {"", false},
		"ErrScheme":  {"Basic abc", false},
		"ErrBad":     {"Bearer abc", false},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/graphql", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if tt.ok != (gotErr == nil && got != nil) {
				t.Fatalf("got %v, %v", got, gotErr)
			}
			if !tt.ok {
				wantCode(t, gotErr, apierr.CodeUnauthenticated)
			}
		})
	}
}
