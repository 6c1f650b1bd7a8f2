package identity

import (
	"time"

	"golang.org/x/time/rate"
)

// SetJWKSMinRefresh lets tests refresh the JWKS on an unknown kid without
// waiting.
func SetJWKSMinRefresh(v *Verifier, d time.Duration) {
	v.jwks.unknownKID.SetLimit(rate.Every(d))
}

// NewVerifierTiming is NewVerifier with the JWKS timings short enough for a
// test: the background refresh period, the least time between fetches on an
// unknown kid, and the fetch timeout.
func NewVerifierTiming(cfg Config, refresh, minRefresh, timeout time.Duration) (*Verifier, error) {
	return newVerifier(cfg, jwksTiming{refresh: refresh, minRefresh: minRefresh, timeout: timeout})
}
