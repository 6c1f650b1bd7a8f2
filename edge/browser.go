package edge

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
)

// CORS is who may call /graphql from a page of another origin. Identity
// travels only in the Authorization header, which a cross-origin page can
// send only after a preflight this policy answers; cookies carry none, so
// a cross-site form or image is anonymous whatever the policy.
type CORS struct {
	// Origins are the allowed origins, e.g. "https://dash.example.com";
	// one "*" may stand for any part ("https://*.example.com"), and "*"
	// alone allows every origin. None: no CORS headers at all.
	Origins []string
	// Credentials lets browsers send cookies and TLS client certificates
	// cross-origin (off; the gateway reads neither).
	Credentials bool
}

// LoopbackOrigins are the sandbox's default: pages served from this machine.
var LoopbackOrigins = []string{
	"http://localhost", "http://localhost:*",
	"http://127.0.0.1", "http://127.0.0.1:*",
	"http://[::1]", "http://[::1]:*",
}

// corsMaxAge is how long a browser may cache a preflight's answer (the
// most Chromium honours).
const corsMaxAge = 7200

// ParseOrigins reads a comma-separated origin list and checks each entry.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(strings.Replace(o, "*", "x", 1))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || strings.Count(o, "*") > 1 {
				return nil, fmt.Errorf("%q is not an origin like https://app.example.com", excerpt(o, 64))
			}
			o = strings.TrimSuffix(o, "/")
		}
		out = append(out, o)
	}
	return out, nil
}

func (c CORS) handler(next http.Handler) http.Handler {
	if len(c.Origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: c.Origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{
			"Authorization", "Content-Type", "Accept",
			// Apollo Client and the persisted-query links
			"Apollo-Require-Preflight", "X-Apollo-Operation-Name",
			"Apollographql-Client-Name", "Apollographql-Client-Version",
		},
		ExposedHeaders:   []string{"Retry-After"},
		MaxAge:           corsMaxAge,
		AllowCredentials: c.Credentials,
	}).Handler(next)
}

// The Content-Security-Policy of every response but the GraphiQL page: an
// API answer loads nothing and is framed nowhere.
const apiCSP = "default-src 'none'; frame-ancestors 'none'"

// graphiqlCSP lets the GraphiQL page run its own scripts (no inline
// script: the page's settings are a JSON data block read by init.js), its
// stylesheet and the styles React and CodeMirror set, the fonts its CSS
// embeds as data: URLs, and call this origin's /graphql; nothing else.
const graphiqlCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", apiCSP)
		next.ServeHTTP(w, r)
	})
}
