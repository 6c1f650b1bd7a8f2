// Package identity verifies the bearer tokens (JWT) callers present and
// carries the resulting Principal in the request context.
//
// With a JWKS URL the keys come from the IdP and only RS256 and ES256 tokens
// are accepted; a key whose "alg" is set must match the token's, a key whose
// "use" is "enc" never verifies, and a token without a kid is tried against
// every signing key. NewVerifier waits at most 5 s for the first fetch and
// does not fail when that fetch fails, since an IdP that is down must not
// keep the gateway from starting: it logs the failure at ERROR with the URL
// (a wrong URL shows from the first second) and starts with an empty set, so
// every token is refused until a fetch succeeds. A token naming an unknown
// kid fetches the set again, at most once per 10 s and waiting at most 5 s;
// a background fetch every 15 min picks up rotated keys and drops withdrawn
// ones. Every failed fetch is logged. Only a URL that is not http(s) makes
// NewVerifier fail. Close stops the background fetch.
package identity

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"partnergraph/apierr"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a principal is to the partner platform.
type Role string

// The roles a token may carry.
const (
	RolePartner  Role = "partner"  // a tier-1 distributor or a solution provider
	RoleReseller Role = "reseller" // a tier-2 reseller
	RoleCustomer Role = "customer" // a customer of a partner or reseller
)

// Principal is a verified caller.
type Principal struct {
	Subject    string
	Role       Role
	PartnerID  string // the partner (for a reseller: the reseller; for a customer: its partner)
	CustomerID string // customers only
	// Email and Phone are the verified contact claims ("email",
	// "phone_number"), where verification codes for sensitive mutations
	// are sent; optional.
	Email, Phone string
}

// Claims is the JWT payload partnergraph reads.
type Claims struct {
	jwt.RegisteredClaims
	Role       Role   `json:"role"`
	PartnerID  string `json:"partner_id"`
	CustomerID string `json:"customer_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone_number,omitempty"`
}

// Config sets how tokens are verified. Exactly one key source is needed:
// HS256Secret, PublicKeyPEM (RS256 or ES256) or JWKSURL.
type Config struct {
	Issuer       string
	Audience     string
	HS256Secret  []byte
	PublicKeyPEM []byte
	JWKSURL      string
	Leeway       time.Duration // default 30s
	HTTPClient   *http.Client  // for the JWKS; each fetch is cut at 5s whatever its Timeout
	Log          *slog.Logger  // JWKS fetch failures; default slog.Default()
}

// Verifier checks tokens.
type Verifier struct {
	cfg     Config
	methods []string
	key     any   // static key, or nil with jwks
	jwks    *jwks // nil with a static key
}

// NewVerifier validates cfg. With a JWKS URL it starts a goroutine that
// refreshes the keys until Close.
func NewVerifier(cfg Config) (*Verifier, error) {
	return newVerifier(cfg, defaultJWKSTiming)
}

func newVerifier(cfg Config, t jwksTiming) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("JWT issuer is empty")
	}
	if cfg.Audience == "" {
		return nil, errors.New("JWT audience is empty")
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	v := &Verifier{cfg: cfg}
	sources := 0
	if len(cfg.HS256Secret) > 0 {
		sources++
		if len(cfg.HS256Secret) < 32 {
			return nil, errors.New("JWT HS256 secret must be at least 32 bytes")
		}
		v.key, v.methods = cfg.HS256Secret, []string{"HS256"}
	}
	if len(cfg.PublicKeyPEM) > 0 {
		sources++
		if k, err := jwt.ParseRSAPublicKeyFromPEM(cfg.PublicKeyPEM); err == nil {
			v.key, v.methods = k, []string{"RS256"}
		} else if k, err := jwt.ParseECPublicKeyFromPEM(cfg.PublicKeyPEM); err == nil {
			if k.Curve.Params().Name != "P-256" {
				return nil, errors.New("JWT public key: only P-256 EC keys (ES256) are accepted")
			}
			v.key, v.methods = k, []string{"ES256"}
		} else {
			return nil, errors.New("JWT public key is neither an RSA nor an EC public key in PEM")
		}
	}
	if cfg.JWKSURL != "" {
		sources++
		if !strings.HasPrefix(cfg.JWKSURL, "https://") && !strings.HasPrefix(cfg.JWKSURL, "http://") {
			return nil, errors.New("JWT JWKS URL must be an http(s) URL")
		}
		v.methods = []string{"RS256", "ES256"}
	}
	if sources != 1 {
		return nil, errors.New("JWT: set exactly one of the HS256 secret, the public key PEM or the JWKS URL")
	}
	if cfg.JWKSURL != "" {
		j, err := newJWKS(cfg.JWKSURL, cfg.HTTPClient, cfg.Log, t)
		if err != nil {
			return nil, err
		}
		v.jwks = j
	}
	return v, nil
}

// Close stops the JWKS refresh goroutine; Verify keeps using the keys
// already fetched. A gateway may leave it running until it exits; anything
// shorter-lived (a test, a reloaded config) should call Close.
func (v *Verifier) Close() error {
	if v.jwks != nil {
		v.jwks.stop()
	}
	return nil
}

// errUnauthenticated is what every failure looks like to a client.
func unauthenticated(reason string, err error) *apierr.Error {
	return &apierr.Error{Code: apierr.CodeUnauthenticated, Message: reason, Err: err}
}

// Verify checks a raw token and returns its principal.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Principal, error) {
	keyOf := func(*jwt.Token) (any, error) { return v.key, nil }
	if v.jwks != nil {
		keyOf = v.jwks.kf.KeyfuncCtx(ctx)
	}
	var c Claims
	// WithValidMethods pins the algorithms (no "none", no HS256 against a
	// public key); the RS256 and ES256 methods refuse a key of the other type.
	_, err := jwt.ParseWithClaims(raw, &c, keyOf,
		jwt.WithValidMethods(v.methods),
		jwt.WithIssuer(v.cfg.Issuer),
		jwt.WithAudience(v.cfg.Audience),
		jwt.WithLeeway(v.cfg.Leeway),
		jwt.WithExpirationRequired(),
	)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, unauthenticated("the token has expired", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, unauthenticated("the token is not valid yet", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, unauthenticated("the token was not issued for this service", err)
	default:
		return nil, unauthenticated("the token is invalid", err)
	}
	p := &Principal{Subject: c.Subject, Role: c.Role, PartnerID: c.PartnerID, CustomerID: c.CustomerID, Email: c.Email, Phone: c.Phone}
	switch p.Role {
	case RolePartner, RoleReseller:
		if p.PartnerID == "" {
			return nil, unauthenticated("the token has no partner_id", nil)
		}
	case RoleCustomer:
		if p.CustomerID == "" || p.PartnerID == "" {
			return nil, unauthenticated("a customer token needs customer_id and partner_id", nil)
		}
	default:
		return nil, unauthenticated("the token has no known role", nil)
	}
	return p, nil
}

type ctxKey struct{}

type ctxValue struct {
	p   *Principal
	err error
}

// WithPrincipal returns ctx carrying p (tests and the middleware use it).
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, ctxValue{p: p})
}

func withError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, ctxKey{}, ctxValue{err: err})
}

// For returns the caller, or an UNAUTHENTICATED error when the request had
// no token or a bad one. It never panics.
func For(ctx context.Context) (*Principal, error) {
	v, _ := ctx.Value(ctxKey{}).(ctxValue)
	if v.err != nil {
		return nil, v.err
	}
	if v.p == nil {
		return nil, unauthenticated("a bearer token is required", nil)
	}
	return v.p, nil
}

// Middleware reads "Authorization: Bearer <jwt>", verifies it and stores the
// principal (or the failure) in the context. It never rejects the request
// itself: fields that need a caller report UNAUTHENTICATED, and schema
// introspection keeps working for the docs explorer.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			next.ServeHTTP(w, r.WithContext(withError(r.Context(), unauthenticated("the Authorization header must be \"Bearer <token>\"", nil))))
			return
		}
		p, err := v.Verify(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			next.ServeHTTP(w, r.WithContext(withError(r.Context(), err)))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// Mint signs an HS256 token for p, valid for ttl. The sandbox's demo tokens
// and the tests use it.
func Mint(secret []byte, issuer, audience string, p Principal, ttl time.Duration) (string, error) {
	now := time.Now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: p.Subject, Audience: jwt.ClaimStrings{audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: p.Role, PartnerID: p.PartnerID, CustomerID: p.CustomerID, Email: p.Email, Phone: p.Phone,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

// MintWith signs claims with any method and key (tests of RS256/ES256).
func MintWith(method jwt.SigningMethod, key crypto.PrivateKey, kid string, c Claims) (string, error) {
	t := jwt.NewWithClaims(method, c)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return s, nil
}
