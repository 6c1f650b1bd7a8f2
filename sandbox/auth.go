package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Authentication as the API gateway in front of BSS and IAM does it:
//
//   - Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex
//     with X-Sdk-Date (20060102T150405Z) among the signed headers, at most
//     15 minutes off the sandbox clock. The canonical request is rebuilt from
//     the received method, path, query, signed headers and raw body exactly
//     as core/auth/signer does it (BSS-API.md §2.2).
//   - X-Auth-Token: a token issued by POST /v3/auth/tokens, valid 24 h.
//
// Every failure is 401 APIG.0301 with the gateway's message. An AK is locked
// for 5 minutes after more than 5 consecutive signature failures (Huawei's
// documented behaviour); a valid signature resets the counter.

const (
	sdkDateLayout   = "20060102T150405Z"
	signatureSkew   = 15 * time.Minute
	akLockFailures  = 5
	akLockDuration  = 5 * time.Minute
	authErrorPrefix = "Incorrect IAM authentication information: "
)

func authErr(msg string) *apiError {
	return errf(http.StatusUnauthorized, "APIG.0301", "%s%s", authErrorPrefix, msg)
}

// akFailure counts consecutive signature failures of one AK.
type akFailure struct {
	n           int
	lockedUntil time.Time
}

// authenticate verifies the SDK-HMAC-SHA256 signature or the X-Auth-Token.
func (s *Sandbox) authenticate(r *http.Request, body []byte) (principal, *apiError) {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" && r.Header.Get("Authorization") == "" {
		return s.authenticateToken(tok)
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return principal{}, authErr("x-auth-token not found")
	}
	return s.authenticateSignature(r, authz, body)
}

func (s *Sandbox) authenticateToken(value string) (principal, *apiError) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.tokens[value]
	if t == nil {
		return principal{}, authErr("decrypt token fail")
	}
	if !st.now().Before(t.Expires) {
		return principal{}, authErr("token expires")
	}
	if t.CustomerID != "" {
		c := st.customerByID[t.CustomerID]
		if c == nil {
			return principal{}, authErr("decrypt token fail")
		}
		return principal{Customer: c, Token: t}, nil
	}
	p := st.partnerByID[t.PartnerID]
	if p == nil {
		return principal{}, authErr("decrypt token fail")
	}
	return principal{Partner: p, Token: t}, nil
}

// parseAuthorization splits "SDK-HMAC-SHA256 Access=..., SignedHeaders=...,
// Signature=...".
func parseAuthorization(v string) (ak string, signed []string, sig string, ok bool) {
	const alg = "SDK-HMAC-SHA256 "
	if !strings.HasPrefix(v, alg) {
		return "", nil, "", false
	}
	for _, part := range strings.Split(v[len(alg):], ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, "", false
		}
		switch k {
		case "Access":
			ak = val
		case "SignedHeaders":
			signed = strings.Split(val, ";")
		case "Signature":
			sig = val
		}
	}
	return ak, signed, sig, ak != "" && len(signed) > 0 && sig != ""
}

func (s *Sandbox) authenticateSignature(r *http.Request, authz string, body []byte) (principal, *apiError) {
	ak, signed, sig, ok := parseAuthorization(authz)
	if !ok {
		return principal{}, authErr("verify aksk signature fail")
	}
	p := s.state.partnerByAK[ak] // partners are immutable after seeding
	if p == nil {
		return principal{}, authErr("verify aksk signature fail")
	}
	now := s.opts.Now().UTC()
	if locked := s.akLocked(ak, now); locked {
		return principal{}, authErr("the access key is locked for 5 minutes after too many signature failures")
	}
	hasDate := false
	for _, h := range signed {
		if h == "x-sdk-date" {
			hasDate = true
		}
	}
	date := r.Header.Get("X-Sdk-Date")
	if !hasDate || date == "" {
		s.akFailed(ak, now)
		return principal{}, authErr("x-sdk-date not found")
	}
	t, err := time.Parse(sdkDateLayout, date)
	if err != nil {
		s.akFailed(ak, now)
		return principal{}, authErr("verify aksk signature fail")
	}
	if d := now.Sub(t); d > signatureSkew || d < -signatureSkew {
		s.akFailed(ak, now)
		return principal{}, authErr("signature expired, signature time:" + date + ",server time:" + now.Format(sdkDateLayout))
	}
	want := signRequest(r.Method, r.URL.Path, r.URL.Query(), r.Header, signed, body, date, p.SK)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		s.akFailed(ak, now)
		return principal{}, authErr("verify aksk signature fail")
	}
	s.akSucceeded(ak)
	return principal{Partner: p}, nil
}

func (s *Sandbox) akLocked(ak string, now time.Time) bool {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	f := s.akFails[ak]
	return f != nil && now.Before(f.lockedUntil)
}

func (s *Sandbox) akFailed(ak string, now time.Time) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	f := s.akFails[ak]
	if f == nil {
		f = &akFailure{}
		s.akFails[ak] = f
	}
	f.n++
	if f.n > akLockFailures {
		f.lockedUntil = now.Add(akLockDuration)
		f.n = 0
	}
}

func (s *Sandbox) akSucceeded(ak string) {
	s.authMu.Lock()
	delete(s.akFails, ak)
	s.authMu.Unlock()
}

// signRequest computes the SDK-HMAC-SHA256 signature (lower hex) the SDK
// would have sent for this request: BSS-API.md §2.2 steps 2–9.
func signRequest(method, path string, query url.Values, header http.Header, signed []string, body []byte, date, sk string) string {
	var cr strings.Builder
	cr.WriteString(method)
	cr.WriteByte('\n')
	// CanonicalURI: each segment escaped, trailing slash appended.
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		segs[i] = sigEscape(seg)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	cr.WriteString(uri)
	cr.WriteByte('\n')
	// CanonicalQueryString: sorted keys, sorted values, key=value pairs.
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	first := true
	for _, k := range keys {
		vs := append([]string(nil), query[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			if !first {
				cr.WriteByte('&')
			}
			first = false
			cr.WriteString(sigEscape(k))
			cr.WriteByte('=')
			cr.WriteString(sigEscape(v))
		}
	}
	cr.WriteByte('\n')
	// CanonicalHeaders and SignedHeaders.
	for _, h := range signed {
		vs := append([]string(nil), header.Values(h)...)
		sort.Strings(vs)
		for _, v := range vs {
			cr.WriteString(h)
			cr.WriteByte(':')
			cr.WriteString(strings.TrimSpace(v))
			cr.WriteByte('\n')
		}
	}
	cr.WriteByte('\n')
	cr.WriteString(strings.Join(signed, ";"))
	cr.WriteByte('\n')
	// HashedPayload.
	if v := header.Get("X-Sdk-Content-Sha256"); v != "" {
		cr.WriteString(v)
	} else {
		sum := sha256.Sum256(body)
		cr.WriteString(hex.EncodeToString(sum[:]))
	}
	crHash := sha256.Sum256([]byte(cr.String()))
	sts := "SDK-HMAC-SHA256\n" + date + "\n" + hex.EncodeToString(crHash[:])
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte(sts))
	return hex.EncodeToString(mac.Sum(nil))
}

// sigEscape percent-encodes everything but the RFC 3986 unreserved set.
func sigEscape(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '~' || c == '.' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}
