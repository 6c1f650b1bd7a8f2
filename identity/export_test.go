package identity

import "time"

// SetJWKSMinRefresh lets tests refresh the JWKS without waiting.
func SetJWKSMinRefresh(v *Verifier, d time.Duration) {
	v.jwks.mu.Lock()
	defer v.jwks.mu.Unlock()
	v.jwks.minRefresh = d
}
