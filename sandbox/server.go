package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// caller says which identities an operation accepts, as upstream enforces
// it: partner credentials on a customer-only operation (and the reverse) get
// 403 CBC.0151.
type caller int

const (
	callerPartner  caller = iota + 1 // any partner: tier-1, tier-2 or provider
	callerTier1                      // tier-1 distributors only
	callerCustomer                   // the customer's own identity only
	callerAny                        // partner or customer
	callerNone                       // no authentication (IAM password login)
)

// handlerFunc serves one operation. It returns the response model (encoded
// as JSON with status 200), or noContent, or an error (an *apiError keeps its
// status and code; anything else is a 500 CBC.0999).
type handlerFunc func(c *call) (any, error)

// noContent answers 204 with no body.
type noContent struct{}

// withStatus answers Body (JSON) with a status other than 200, e.g. IAM's
// 201 Created.
type withStatus struct {
	Status int
	Body   any
}

// rawBody answers Body as it is, with its own status and headers (file
// downloads).
type rawBody struct {
	Status int
	Header http.Header
	Body   []byte
}

type route struct {
	method   string
	segments []string // "{name}" is a path parameter
	name     string   // the SDK operation name, e.g. "ListSubCustomers"
	caller   caller
	h        handlerFunc
	// nameOf, when set, names the operation from the request body (one
	// path serving several SDK operations, e.g. POST /v3/auth/tokens).
	nameOf func(body []byte) string
}

// handle registers an operation. path uses {name} for path parameters.
func (s *Sandbox) handle(method, path, name string, who caller, h handlerFunc) {
	s.routes = append(s.routes, &route{
		method:   method,
		segments: strings.Split(strings.Trim(path, "/"), "/"),
		name:     name,
		caller:   who,
		h:        h,
	})
}

// handleNamed registers a path that serves several SDK operations; nameOf
// picks the operation name (for stats and faults) from the body.
func (s *Sandbox) handleNamed(method, path string, nameOf func(body []byte) string, who caller, h handlerFunc) {
	s.handle(method, path, nameOf(nil), who, h)
	s.routes[len(s.routes)-1].nameOf = nameOf
}

func (rt *route) match(method string, segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segments) {
		return nil, false
	}
	var params map[string]string
	for i, want := range rt.segments {
		if strings.HasPrefix(want, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.Trim(want, "{}")] = segs[i]
			continue
		}
		if segs[i] != want {
			return nil, false
		}
	}
	return params, true
}

// principal is who is calling, after authentication.
type principal struct {
	Partner  *Partner  // set for partner AK/SK or partner tokens
	Customer *Customer // set for customer tokens (assume_role)
	Token    *Token    // set when the call carried X-Auth-Token
}

// call is one request to one operation.
type call struct {
	s      *Sandbox
	r      *http.Request
	w      http.ResponseWriter
	route  *route
	body   []byte
	params map[string]string
	who    principal
	reqID  string
}

// apiError is an upstream error: a non-2xx status with
// {"error_code","error_msg"}.
type apiError struct {
	Status int
	Code   string
	Msg    string
	IAM    bool // IAM shape: {"error":{"code","message","title"}}
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg) }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// badParam is the upstream's catch-all validation error.
func badParam(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "CBC.0100", format, args...)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error_code":"CBC.0999","error_msg":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, e *apiError, reqID string) {
	if e.IAM {
		writeJSON(w, e.Status, map[string]any{"error": map[string]string{
			"code":    e.Code,
			"message": e.Msg,
			"title":   http.StatusText(e.Status),
		}})
		return
	}
	writeJSON(w, e.Status, map[string]string{
		"error_code": e.Code,
		"error_msg":  e.Msg,
		"request_id": reqID,
	})
}

// decode reads the JSON body into v (an SDK request-body model). A body that
// is not JSON of the model's shape is a CBC.0100.
func (c *call) decode(v any) error {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return badParam("the request body is empty")
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return badParam("invalid request body: %v", err)
	}
	return nil
}

// q returns a query parameter ("" when absent).
func (c *call) q(name string) string { return c.r.URL.Query().Get(name) }

// qs returns every value of a repeated query parameter.
func (c *call) qs(name string) []string { return c.r.URL.Query()[name] }

// qInt parses an optional integer query parameter.
func (c *call) qInt(name string) (*int32, error) {
	v := c.q(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return nil, badParam("%s must be an integer", name)
	}
	i := int32(n)
	return &i, nil
}

// qOpt returns an optional query parameter (nil when absent or empty).
func (c *call) qOpt(name string) *string { return strOpt(c.q(name)) }

// pageQuery reads offset/limit from the query string (see page).
func (c *call) pageQuery(defLimit, maxLimit int32) (int, int, error) {
	off, err := c.qInt("offset")
	if err != nil {
		return 0, 0, err
	}
	lim, err := c.qInt("limit")
	if err != nil {
		return 0, 0, err
	}
	return page(off, lim, defLimit, maxLimit)
}

// qTimeRange parses the optional UTC time filters prefix_begin and
// prefix_end of the query string.
func (c *call) qTimeRange(prefix string) (time.Time, time.Time, error) {
	return parseTimeRange(prefix, c.qOpt(prefix+"_begin"), c.qOpt(prefix+"_end"))
}

// page resolves offset/limit with upstream defaults (offset 0, limit
// defLimit) and the documented maximum; out of range → 400 CBC.0100.
func page(offset, limit *int32, defLimit, maxLimit int32) (int, int, error) {
	o, l := int32(0), defLimit
	if offset != nil {
		o = *offset
	}
	if limit != nil {
		l = *limit
	}
	if o < 0 {
		return 0, 0, badParam("offset must be >= 0")
	}
	if l < 1 || (maxLimit > 0 && l > maxLimit) {
		return 0, 0, badParam("limit must be between 1 and %d", maxLimit)
	}
	return int(o), int(l), nil
}

// window returns the [lo, hi) slice bounds of a page over n items.
func window(n, offset, limit int) (int, int) {
	if offset >= n {
		return n, n
	}
	hi := offset + limit
	if hi > n || hi < 0 {
		hi = n
	}
	return offset, hi
}

// pageOf converts the page [offset, offset+limit) of all (see window)
// with row.
func pageOf[T, R any](all []T, offset, limit int, row func(T) R) []R {
	lo, hi := window(len(all), offset, limit)
	out := make([]R, 0, hi-lo)
	for _, x := range all[lo:hi] {
		out = append(out, row(x))
	}
	return out
}

// newestFirst walks rs from the newest record, keeping matches, and
// returns the total and the requested window.
func newestFirst[T any](rs []T, keep func(T) bool, off, lim int) (int, []T) {
	total := 0
	var out []T
	for i := len(rs) - 1; i >= 0; i-- {
		if !keep(rs[i]) {
			continue
		}
		if total >= off && len(out) < lim {
			out = append(out, rs[i])
		}
		total++
	}
	return total, out
}

// money parses a request amount: > 0 with at most 2 decimal places.
func money(field string, d *decimal.Decimal) (decimal.Decimal, error) {
	if d == nil {
		return decimal.Zero, badParam("%s is required", field)
	}
	if !d.IsPositive() {
		return decimal.Zero, badParam("%s must be greater than 0", field)
	}
	if d.Exponent() < -2 && !d.Equal(d.Round(2)) {
		return decimal.Zero, badParam("%s has more than 2 decimal places", field)
	}
	return *d, nil
}

func ptr[T any](v T) *T { return &v }

// strOpt is &v, or nil for "" (optional string fields of the SDK models).
func strOpt(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// valueOf is *p, or the zero value for nil (optional SDK model fields).
func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (s *Sandbox) buildHandler() http.Handler {
	mux := http.NewServeMux()
	s.registerTestEndpoints(mux) // /_sandbox/...
	mux.HandleFunc("/", s.serveAPI)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.serveOBS(w, r) { // /<bucket>/<key> (obs.go)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
			w.Header().Set("X-Request-Id", newRequestID())
		}
		mux.ServeHTTP(w, r)
	})
}

// serveAPI routes an upstream call: request id, routing (unknown → 404
// APIG.0101), faults, authentication, caller rules, the operation, stats.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("X-Request-Id", reqID)
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var rt *route
	var params map[string]string
	pathKnown := false
	for _, cand := range s.routes {
		p, ok := cand.match(r.Method, segs)
		if !ok {
			continue
		}
		pathKnown = true
		if cand.method == r.Method {
			rt, params = cand, p
			break
		}
	}
	if rt == nil {
		msg := "API not exist or not published in the environment"
		if pathKnown {
			msg = "method not found"
		}
		writeError(w, errf(http.StatusNotFound, "APIG.0101", "%s", msg), reqID)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 12<<20)) // APIG's 12 MB: a 4 MB OSM attachment in base64 JSON
	if err != nil {
		writeError(w, errf(http.StatusBadRequest, "APIG.0201", "bad request"), reqID)
		return
	}
	name := rt.name
	if rt.nameOf != nil {
		name = rt.nameOf(body)
	}
	s.stats.inc(name)
	s.stats.record(requestOf(name, reqID, r))
	s.state.settlePending()
	fault := s.faults.pick(name)
	if fault != nil {
		if fault.latency > 0 {
			select {
			case <-time.After(fault.latency):
			case <-r.Context().Done():
				return
			}
		}
		if fault.drop {
			dropConnection(w)
			return
		}
		if fault.err != nil {
			writeError(w, fault.err, reqID)
			return
		}
		if fault.dropAfter {
			// Apply the operation, lose its reply.
			defer dropConnection(w)
			w = &discardWriter{h: http.Header{}}
		}
	}
	c := &call{s: s, r: r, w: w, route: rt, body: body, params: params, reqID: reqID}
	if rt.caller != callerNone {
		who, aerr := s.authenticate(r, body)
		if aerr != nil {
			writeError(w, aerr, reqID)
			return
		}
		if aerr := checkCaller(rt.caller, who); aerr != nil {
			writeError(w, aerr, reqID)
			return
		}
		c.who = who
	}
	resp, herr := rt.h(c)
	if herr != nil {
		ae, ok := herr.(*apiError)
		if !ok {
			ae = errf(http.StatusInternalServerError, "CBC.0999", "internal error")
		}
		writeError(w, ae, reqID)
		return
	}
	switch v := resp.(type) {
	case noContent:
		w.WriteHeader(http.StatusNoContent)
	case withStatus:
		writeJSON(w, v.Status, v.Body)
	case rawBody:
		for k, vs := range v.Header {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(v.Body)))
		w.WriteHeader(v.Status)
		_, _ = w.Write(v.Body)
	case nil:
		writeJSON(w, http.StatusOK, struct{}{})
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// checkCaller applies the upstream's caller-type rules.
func checkCaller(want caller, who principal) *apiError {
	denied := errf(http.StatusForbidden, "CBC.0151", "Access denied.")
	switch want {
	case callerPartner:
		if who.Partner == nil {
			return denied
		}
	case callerTier1:
		if who.Partner == nil || who.Partner.Kind != KindTier1 {
			return denied
		}
	case callerCustomer:
		if who.Customer == nil {
			return denied
		}
	case callerAny:
		if who.Partner == nil && who.Customer == nil {
			return denied
		}
	}
	return nil
}

// withOwner runs fn under st.mu for a partner caller acting for ownerID:
// itself, or with indirect (indirect_partner_id) its reseller (see
// visibleOwner, whose CBC.99000037 it answers).
func (s *Sandbox) withOwner(c *call, indirect *string, fn func(st *State, ownerID string) (any, error)) (any, error) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	ownerID, err := st.visibleOwner(c.who.Partner, indirect)
	if err != nil {
		return nil, err
	}
	return fn(st, ownerID)
}

// registerRoutes registers every emulated operation: each domain's
// register<Domain>Routes is at the top of its <domain>.go.
func (s *Sandbox) registerRoutes() {
	s.registerIAMRoutes()
	s.registerCustomersRoutes()
	s.registerResellersRoutes()
	s.registerRegistrationRoutes()
	s.registerFundsRoutes()
	s.registerCouponsRoutes()
	s.registerCatalogueRoutes()
	s.registerPricesRoutes()
	s.registerOrdersRoutes()
	s.registerResourcesRoutes()
	s.registerTicketsRoutes()
}
