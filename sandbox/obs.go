package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OBS: the object storage real-name attachments are uploaded to. Every
// partner has one bucket (Manifest: partners[].obs), reached on the
// sandbox's own listener and signed with the partner's AK/SK, as on Huawei
// Cloud, where one account's keys sign both BSS and OBS calls. The real-name
// operations read verified_file_url as keys relative to download/ in the
// calling partner's bucket and refuse one that was never uploaded.
//
// URL scheme: the endpoint is the sandbox's base URL (an IP address, so
// Huawei's OBS SDK addresses buckets path-style): /<bucket>/<object key>.
// A Host of <bucket>.<anything> (virtual-host style, e.g. with a custom
// resolver) reaches the bucket too, the path then being the key. Bucket
// names (<account name with - for _>-realname) never clash with the API's
// first path segments (v2, v3, v4, _sandbox).
//
// Operations: PUT (store, at most 10 MiB, Content-MD5 checked when sent;
// 200 with the ETag), GET and HEAD (404 NoSuchKey), DELETE (204). Errors are
// OBS's XML <Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId>
// </Error>; the request id is also in x-obs-request-id and X-Request-Id.
// Calls count in /_sandbox/stats as obs:PutObject, obs:GetObject,
// obs:HeadObject, obs:DeleteObject (fault rules do not apply).
//
// Authentication, as the OBS SDK (huaweicloud-sdk-go-obs) signs:
//
//   - query string, V2 (CreateSignedUrl's default, and what it produces for
//     an IP endpoint even when asked for the OBS signature):
//     ?AWSAccessKeyId=AK&Expires=<unix>&Signature=<base64 HMAC-SHA1>, or
//     AccessKeyId=… for the OBS flavour (x-obs- headers), over
//     "METHOD\nContent-MD5\nContent-Type\nExpires\n[x-amz-*:v\n…]/bucket/key[?sub-resources]";
//     past Expires (sandbox clock) → 403 AccessDenied "Request has expired";
//   - query string, V4 (WithSignature(SignatureV4)): X-Amz-Algorithm
//     AWS4-HMAC-SHA256, X-Amz-Credential AK/date/region/s3/aws4_request,
//     X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature over
//     the canonical request with UNSIGNED-PAYLOAD; X-Amz-Date +
//     X-Amz-Expires passed → 403 AccessDenied;
//   - an Authorization header: "AWS AK:sig" / "OBS AK:sig" (V2 with the Date
//     header, at most 15 minutes off → else 403 RequestTimeTooSkewed) or
//     "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" (dated by
//     X-Amz-Date, or Date as the OBS SDK sends it).
//
// A wrong signature (a tampered key, query or expiry) → 403
// SignatureDoesNotMatch; an unknown AK → 403 InvalidAccessKeyId; another
// partner's keys, or none → 403 AccessDenied. A path whose first segment is
// no bucket is an API path (unknown: 404 APIG.0101).
//
// The seed puts sample documents (sampleDocuments) under download/ in every
// bucket, so demos can submit them without uploading.

// Bucket is a partner's emulated OBS bucket.
type Bucket struct {
	Name    string
	OwnerID string
	Objects map[string]*Object // by key; guarded by State.mu
}

// Object is one stored object.
type Object struct {
	Data        []byte
	ContentType string
	ETag        string // hex MD5
	Modified    time.Time
}

// ManifestOBS is how a partner reaches its bucket with the OBS SDK:
// obs.New(AK, SK, Endpoint), CreateSignedUrl on Bucket with keys under
// download/ (PathStyle: the endpoint is an IP address, which the SDK always
// addresses path-style).
type ManifestOBS struct {
	Endpoint  string `json:"endpoint"`
	Bucket    string `json:"bucket"`
	AK        string `json:"ak"`
	SK        string `json:"sk"`
	PathStyle bool   `json:"path_style"`
}

const (
	maxObjectSize   = 10 << 20
	realnamePrefix  = "download/"
	obsMaxClockSkew = 15 * time.Minute
)

// sampleDocuments are the keys (relative to download/) the seed stores in
// every bucket: identity documents, licences and face photos for demos and
// for callers that cannot upload.
var sampleDocuments = []string{
	"id/front.jpg", "id/back.jpg", "id/back.png", "id/holding.jpg", "id/holding.pdf", "id/f.jpg", "id/b.jpg",
	"id/passport.jpg", "id/stamp.jpg", "idcard/front.jpg", "idcard/back.jpg", "face/selfie.jpg",
	"corp/licence.jpg", "corp/licence.png", "corp/licence.pdf", "corp/l.jpg", "a.jpg", "b.jpg", "c.jpg", "l.jpg",
}

func bucketName(accountName string) string {
	return strings.ReplaceAll(strings.ToLower(accountName), "_", "-") + "-realname"
}

func contentTypeOf(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".bmp":
		return "image/bmp"
	case ".pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}

// seedBuckets gives every partner its bucket with the sample documents.
func (st *State) seedBuckets() {
	for _, p := range st.partners {
		b := &Bucket{Name: bucketName(p.AccountName), OwnerID: p.ID, Objects: map[string]*Object{}}
		for _, k := range sampleDocuments {
			data := []byte("sandbox sample document " + k + "\n")
			sum := md5.Sum(data)
			b.Objects[realnamePrefix+k] = &Object{Data: data, ContentType: contentTypeOf(k), ETag: hex.EncodeToString(sum[:]), Modified: st.epoch}
		}
		st.buckets[b.Name] = b
		st.bucketByOwner[p.ID] = b
	}
}

// realnameFilesExist checks that every verified_file_url names an object
// under download/ in partner p's bucket. Callers hold st.mu.
func (st *State) realnameFilesExist(p *Partner, files []string) error {
	b := st.bucketByOwner[p.ID]
	for _, f := range files {
		if b == nil || b.Objects[realnamePrefix+f] == nil {
			return badParam("verified_file_url %q: no object %s%s in bucket %s", f, realnamePrefix, f, bucketName(p.AccountName))
		}
	}
	return nil
}

// obsError is an OBS error answer.
type obsError struct {
	Status  int
	Code    string
	Message string
}

func obsErr(status int, code, format string, args ...any) *obsError {
	return &obsError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func writeOBSError(w http.ResponseWriter, r *http.Request, e *obsError, reqID string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	body := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
		HostID    string   `xml:"HostId"`
	}{Code: e.Code, Message: e.Message, RequestID: reqID, HostID: "sandbox"}
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(body)
}

// obsTarget finds the bucket a request addresses (path-style or
// virtual-host style) and the object key, raw (as sent) and decoded. ok is
// false for requests that are not OBS requests.
func (s *Sandbox) obsTarget(r *http.Request) (b *Bucket, rawKey, key string, ok bool) {
	rawPath := r.URL.EscapedPath()
	if i := strings.IndexByte(r.RequestURI, '?'); i >= 0 {
		rawPath = r.RequestURI[:i]
	} else if r.RequestURI != "" {
		rawPath = r.RequestURI
	}
	host := r.Host
	if h, _, found := strings.Cut(host, ":"); found {
		host = h
	}
	if name, _, found := strings.Cut(host, "."); found {
		if b := s.state.buckets[name]; b != nil {
			return b, strings.TrimPrefix(rawPath, "/"), strings.TrimPrefix(r.URL.Path, "/"), true
		}
	}
	first, rest, _ := strings.Cut(strings.TrimPrefix(rawPath, "/"), "/")
	b = s.state.buckets[first]
	if b == nil {
		return nil, "", "", false
	}
	_, key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return b, rest, key, true
}

// serveOBS answers an OBS request; it reports false for requests that are
// not for a bucket, which the API router then serves.
func (s *Sandbox) serveOBS(w http.ResponseWriter, r *http.Request) bool {
	b, rawKey, key, ok := s.obsTarget(r)
	if !ok {
		return false
	}
	reqID := newRequestID()
	w.Header().Set("X-Request-Id", reqID)
	w.Header().Set("x-obs-request-id", reqID)
	op := map[string]string{http.MethodPut: "PutObject", http.MethodGet: "GetObject", http.MethodHead: "HeadObject", http.MethodDelete: "DeleteObject"}[r.Method]
	if op == "" {
		writeOBSError(w, r, obsErr(http.StatusMethodNotAllowed, "MethodNotAllowed", "the method is not allowed against this resource"), reqID)
		return true
	}
	s.stats.inc("obs:" + op)
	s.stats.record(Request{Operation: "obs:" + op, RequestID: reqID, Auth: "obs"})
	if key == "" {
		writeOBSError(w, r, obsErr(http.StatusBadRequest, "InvalidRequest", "an object key is required"), reqID)
		return true
	}
	if e := s.obsAuthorize(r, b, rawKey); e != nil {
		writeOBSError(w, r, e, reqID)
		return true
	}
	st := s.state
	switch r.Method {
	case http.MethodPut:
		data, err := io.ReadAll(io.LimitReader(r.Body, maxObjectSize+1))
		if err != nil {
			writeOBSError(w, r, obsErr(http.StatusBadRequest, "IncompleteBody", "the body could not be read"), reqID)
			return true
		}
		if len(data) > maxObjectSize {
			writeOBSError(w, r, obsErr(http.StatusBadRequest, "EntityTooLarge", "an object may hold at most %d bytes", maxObjectSize), reqID)
			return true
		}
		sum := md5.Sum(data)
		if cm := r.Header.Get("Content-MD5"); cm != "" && cm != base64.StdEncoding.EncodeToString(sum[:]) {
			writeOBSError(w, r, obsErr(http.StatusBadRequest, "BadDigest", "the Content-MD5 does not match the body"), reqID)
			return true
		}
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = contentTypeOf(key)
		}
		obj := &Object{Data: data, ContentType: ct, ETag: hex.EncodeToString(sum[:])}
		st.mu.Lock()
		obj.Modified = st.now()
		b.Objects[key] = obj
		st.mu.Unlock()
		w.Header().Set("ETag", `"`+obj.ETag+`"`)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet, http.MethodHead:
		st.mu.Lock()
		obj := b.Objects[key]
		st.mu.Unlock()
		if obj == nil {
			writeOBSError(w, r, obsErr(http.StatusNotFound, "NoSuchKey", "the specified key does not exist"), reqID)
			return true
		}
		w.Header().Set("Content-Type", obj.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(obj.Data)))
		w.Header().Set("ETag", `"`+obj.ETag+`"`)
		w.Header().Set("Last-Modified", obj.Modified.UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(obj.Data)
		}
	case http.MethodDelete:
		st.mu.Lock()
		delete(b.Objects, key)
		st.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
	return true
}

// obsAuthorize verifies the request's signature (query string or header)
// and that its AK is the bucket owner's.
func (s *Sandbox) obsAuthorize(r *http.Request, b *Bucket, rawKey string) *obsError {
	q := r.URL.Query()
	now := s.state.now()
	var ak, sig, want string
	var expired bool
	switch auth := r.Header.Get("Authorization"); {
	case q.Get("X-Amz-Algorithm") != "":
		if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
			return obsErr(http.StatusBadRequest, "InvalidArgument", "unsupported X-Amz-Algorithm")
		}
		cred := strings.Split(q.Get("X-Amz-Credential"), "/")
		date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
		secs, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
		if len(cred) != 5 || err != nil || err2 != nil || secs < 1 || secs > 7*24*3600 {
			return obsErr(http.StatusBadRequest, "AuthorizationQueryParametersError", "malformed V4 query-string authentication")
		}
		ak, sig = cred[0], q.Get("X-Amz-Signature")
		expired = now.After(date.Add(time.Duration(secs) * time.Second))
		p := s.obsPartner(ak)
		if p == nil {
			return obsErr(http.StatusForbidden, "InvalidAccessKeyId", "the access key id does not exist")
		}
		query := canonicalV4Query(q, "X-Amz-Signature")
		want = signV4(p.SK, r, b, rawKey, query, strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), cred, q.Get("X-Amz-Date"), "UNSIGNED-PAYLOAD")
	case q.Get("Signature") != "":
		obsFlavour := q.Get("AccessKeyId") != ""
		ak = q.Get("AWSAccessKeyId")
		if obsFlavour {
			ak = q.Get("AccessKeyId")
		}
		exp, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
		if ak == "" || err != nil {
			return obsErr(http.StatusForbidden, "AccessDenied", "malformed query-string authentication")
		}
		sig, expired = q.Get("Signature"), now.Unix() > exp
		p := s.obsPartner(ak)
		if p == nil {
			return obsErr(http.StatusForbidden, "InvalidAccessKeyId", "the access key id does not exist")
		}
		want = signV2(p.SK, r, b, rawKey, q.Get("Expires"), obsFlavour)
	case strings.HasPrefix(auth, "AWS4-HMAC-SHA256 "):
		fields := map[string]string{}
		for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			fields[k] = v
		}
		cred := strings.Split(fields["Credential"], "/")
		longDate := r.Header.Get("X-Amz-Date")
		date, err := time.Parse("20060102T150405Z", longDate)
		if longDate == "" { // the OBS SDK signs its Date header instead
			date, err = time.Parse(http.TimeFormat, r.Header.Get("Date"))
			longDate = date.UTC().Format("20060102T150405Z")
		}
		if len(cred) != 5 || err != nil {
			return obsErr(http.StatusBadRequest, "InvalidArgument", "malformed V4 authorization")
		}
		ak, sig = cred[0], fields["Signature"]
		if d := now.Sub(date); d > obsMaxClockSkew || d < -obsMaxClockSkew {
			return obsErr(http.StatusForbidden, "RequestTimeTooSkewed", "the difference between the request time and the server's time is too large")
		}
		p := s.obsPartner(ak)
		if p == nil {
			return obsErr(http.StatusForbidden, "InvalidAccessKeyId", "the access key id does not exist")
		}
		payload := r.Header.Get("X-Amz-Content-Sha256")
		if payload == "" {
			payload = "UNSIGNED-PAYLOAD"
		}
		want = signV4(p.SK, r, b, rawKey, canonicalV4Query(q, ""), strings.Split(fields["SignedHeaders"], ";"), cred, longDate, payload)
	case strings.HasPrefix(auth, "AWS "), strings.HasPrefix(auth, "OBS "):
		obsFlavour := strings.HasPrefix(auth, "OBS ")
		ak, sig, _ = strings.Cut(auth[4:], ":")
		prefix := "x-amz-"
		if obsFlavour {
			prefix = "x-obs-"
		}
		dateItem, when := r.Header.Get("Date"), r.Header.Get("Date")
		if v := r.Header.Get(prefix + "date"); v != "" {
			dateItem, when = "", v
		}
		t, err := time.Parse(http.TimeFormat, when)
		if err != nil {
			return obsErr(http.StatusForbidden, "AccessDenied", "a request date is required")
		}
		if d := now.Sub(t); d > obsMaxClockSkew || d < -obsMaxClockSkew {
			return obsErr(http.StatusForbidden, "RequestTimeTooSkewed", "the difference between the request time and the server's time is too large")
		}
		p := s.obsPartner(ak)
		if p == nil {
			return obsErr(http.StatusForbidden, "InvalidAccessKeyId", "the access key id does not exist")
		}
		want = signV2(p.SK, r, b, rawKey, dateItem, obsFlavour)
	default:
		return obsErr(http.StatusForbidden, "AccessDenied", "anonymous access is not allowed")
	}
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return obsErr(http.StatusForbidden, "SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided")
	}
	if expired {
		return obsErr(http.StatusForbidden, "AccessDenied", "Request has expired")
	}
	if s.obsPartner(ak).ID != b.OwnerID {
		return obsErr(http.StatusForbidden, "AccessDenied", "access denied to bucket %s", b.Name)
	}
	return nil
}

// obsPartner is the partner an AK belongs to (nil when none).
func (s *Sandbox) obsPartner(ak string) *Partner {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.partnerByAK[ak]
}

// signV2 computes the V2 (or OBS-flavoured) signature: base64 HMAC-SHA1 of
// the string to sign the OBS SDK builds; dateItem is Expires for query
// authentication, the Date header (or "" with an x-amz-/x-obs-date) for
// header authentication.
func signV2(sk string, r *http.Request, b *Bucket, rawKey, dateItem string, obsFlavour bool) string {
	prefix := "x-amz-"
	if obsFlavour {
		prefix = "x-obs-"
	}
	var special []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, prefix) {
			vals := make([]string, len(vs))
			for i, v := range vs {
				vals[i] = strings.TrimSpace(v)
			}
			special = append(special, lk+":"+strings.Join(vals, ","))
		}
	}
	sort.Strings(special)
	var sb strings.Builder
	sb.WriteString(r.Method + "\n")
	sb.WriteString(r.Header.Get("Content-MD5") + "\n")
	sb.WriteString(r.Header.Get("Content-Type") + "\n")
	sb.WriteString(dateItem + "\n")
	for _, h := range special {
		sb.WriteString(h + "\n")
	}
	sb.WriteString("/" + b.Name + "/" + rawKey)
	// Sub-resources the SDK signs: its resource parameter names and
	// x-amz-/x-obs- parameters, sorted, "=value" when not empty.
	var subs []string
	for k, vs := range r.URL.Query() {
		lk := strings.ToLower(k)
		if !signedSubResources[lk] && !strings.HasPrefix(lk, prefix) {
			continue
		}
		v := ""
		if len(vs) > 0 && vs[0] != "" {
			v = "=" + vs[0]
		}
		subs = append(subs, url.QueryEscape(k)+v)
	}
	sort.Strings(subs)
	if len(subs) > 0 {
		sb.WriteString("?" + strings.Join(subs, "&"))
	}
	m := hmac.New(sha1.New, []byte(sk))
	m.Write([]byte(sb.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signedSubResources are the query parameters the OBS SDK puts in the V2
// canonical resource (the object operations' share of its list).
var signedSubResources = map[string]bool{
	"acl": true, "policy": true, "torrent": true, "logging": true, "location": true, "storageinfo": true, "quota": true,
	"storageclass": true, "storagepolicy": true, "requestpayment": true, "versions": true, "versioning": true,
	"versionid": true, "uploads": true, "uploadid": true, "partnumber": true, "website": true, "notification": true,
	"lifecycle": true, "deletebucket": true, "delete": true, "cors": true, "restore": true, "encryption": true,
	"tagging": true, "append": true, "modify": true, "position": true, "replication": true, "metadata": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
	"x-image-process": true, "attname": true, "truncate": true, "length": true, "rename": true, "name": true,
}

// canonicalV4Query is the V4 canonical query string: every parameter but
// skip, sorted, key and value query-escaped as the OBS SDK escapes them.
func canonicalV4Query(q url.Values, skip string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != skip {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(q.Get(k)))
	}
	return strings.Join(parts, "&")
}

// signV4 computes an AWS4-HMAC-SHA256 signature (hex) for the request.
// cred is AK/date/region/service/aws4_request.
func signV4(sk string, r *http.Request, b *Bucket, rawKey, query string, signed []string, cred []string, longDate, payload string) string {
	uri := "/" + rawKey
	if !strings.HasPrefix(r.Host, b.Name+".") {
		uri = "/" + b.Name + "/" + rawKey
	}
	var cr bytes.Buffer
	cr.WriteString(r.Method + "\n" + uri + "\n" + query + "\n")
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
			if host, port, ok := strings.Cut(v, ":"); ok && (port == "80" || port == "443") {
				v = host
			}
		}
		cr.WriteString(h + ":" + v + "\n")
	}
	cr.WriteString("\n" + strings.Join(signed, ";") + "\n" + payload)
	sum := sha256.Sum256(cr.Bytes())
	scope := strings.Join(cred[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + longDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + sk)
	for _, part := range cred[1:] {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
