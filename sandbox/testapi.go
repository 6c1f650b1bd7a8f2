package sandbox

import (
	"encoding/json"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"time"
)

// stats counts calls per SDK operation name and remembers the latest
// requests (GET /_sandbox/requests).
type stats struct {
	mu     sync.Mutex
	calls  map[string]int64
	recent []Request // ring of the last maxRecentRequests, oldest first once full
	next   int
}

// Request is one routed API call as GET /_sandbox/requests reports it: tests
// compare the X-Request-Id the sandbox answered with with what the gateway
// recorded (audit), and see how the call was authenticated.
type Request struct {
	Operation     string `json:"operation"`
	RequestID     string `json:"request_id"`
	Auth          string `json:"auth"`                     // "aksk", "token" or ""
	SignedHeaders string `json:"signed_headers,omitempty"` // as listed in Authorization (AK/SK)
}

const maxRecentRequests = 1000

func newStats() *stats { return &stats{calls: map[string]int64{}} }

func (st *stats) inc(name string) { st.mu.Lock(); st.calls[name]++; st.mu.Unlock() }

// record remembers a request; the oldest goes beyond maxRecentRequests.
func (st *stats) record(rq Request) {
	st.mu.Lock()
	if len(st.recent) < maxRecentRequests {
		st.recent = append(st.recent, rq)
	} else {
		st.recent[st.next] = rq
		st.next = (st.next + 1) % maxRecentRequests
	}
	st.mu.Unlock()
}

// requests returns the remembered requests, oldest first.
func (st *stats) requests() []Request {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]Request, 0, len(st.recent))
	out = append(out, st.recent[st.next:]...)
	return append(out, st.recent[:st.next]...)
}

// requestOf describes r for the request log.
func requestOf(name, reqID string, r *http.Request) Request {
	rq := Request{Operation: name, RequestID: reqID}
	switch {
	case r.Header.Get("Authorization") != "":
		rq.Auth = "aksk"
		if _, signed, _, ok := parseAuthorization(r.Header.Get("Authorization")); ok {
			rq.SignedHeaders = strings.Join(signed, ";")
		}
	case r.Header.Get("X-Auth-Token") != "":
		rq.Auth = "token"
	}
	return rq
}

func (st *stats) snapshot() map[string]int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]int64, len(st.calls))
	for k, v := range st.calls {
		out[k] = v
	}
	return out
}

func (st *stats) reset() {
	st.mu.Lock()
	st.calls, st.recent, st.next = map[string]int64{}, nil, 0
	st.mu.Unlock()
}

// Fault is one injected fault rule; the JSON of POST /_sandbox/faults is
// {"faults":[Fault,...]}. See the package documentation.
type Fault struct {
	// Operation is the SDK operation name (e.g. "UpdateCustomerAccountAmount",
	// "KeystoneCreateUserTokenByPassword"); "" or "*" matches every operation.
	Operation string `json:"operation"`
	// LatencyMS is added before the call is answered, when the rule hits.
	LatencyMS int `json:"latency_ms,omitempty"`
	// ErrorRate is the probability (0..1] that the rule hits a matching call;
	// 0 or absent means 1 (every call).
	ErrorRate float64 `json:"error_rate,omitempty"`
	// Status and Code make a hit answer with this upstream error
	// ({"error_code":Code,"error_msg":Message}); Code defaults to CBC.0999.
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Throttle answers 429 APIG.0308 (the gateway's rate limit message).
	Throttle bool `json:"throttle,omitempty"`
	// Drop closes the connection without a response. With After the
	// operation is applied first and its response is discarded ("upstream
	// applied it but the reply was lost").
	Drop  bool `json:"drop,omitempty"`
	After bool `json:"after,omitempty"`
	// Count limits how many calls the rule hits; 0 means unlimited. Spent
	// rules disappear from GET /_sandbox/faults.
	Count int `json:"count,omitempty"`
}

// faults injects latency, errors, throttling and dropped connections.
type faults struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rules []*Fault
}

func newFaults(seed int64) *faults { return &faults{rng: rand.New(rand.NewSource(seed))} }

// faultAction is what a hit asks serveAPI to do.
type faultAction struct {
	latency   time.Duration
	err       *apiError // answer with this error instead of running the operation
	drop      bool      // close the connection instead of answering
	dropAfter bool      // run the operation, then close the connection
}

// pick returns the action of the first rule that hits op (nil when none).
func (f *faults) pick(op string) *faultAction {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.Operation != "" && r.Operation != "*" && r.Operation != op {
			continue
		}
		if r.ErrorRate > 0 && r.ErrorRate < 1 && f.rng.Float64() >= r.ErrorRate {
			continue
		}
		if r.Count > 0 {
			r.Count--
			if r.Count == 0 {
				f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			}
		}
		a := &faultAction{latency: time.Duration(r.LatencyMS) * time.Millisecond}
		switch {
		case r.Throttle:
			a.err = errf(http.StatusTooManyRequests, "APIG.0308",
				"The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 second")
		case r.Drop && r.After:
			a.dropAfter = true
		case r.Drop:
			a.drop = true
		case r.Status > 0:
			code, msg := r.Code, r.Message
			if code == "" {
				code = "CBC.0999"
			}
			if msg == "" {
				msg = "injected fault"
			}
			a.err = errf(r.Status, code, "%s", msg)
		}
		return a
	}
	return nil
}

func (f *faults) set(rules []*Fault) {
	f.mu.Lock()
	f.rules = rules
	f.mu.Unlock()
}

func (f *faults) list() []*Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*Fault, 0, len(f.rules))
	for _, r := range f.rules {
		c := *r
		out = append(out, &c)
	}
	return out
}

// dropConnection closes the client connection without an HTTP response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the response
}

// discardWriter swallows the response of an operation whose reply is lost.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func (s *Sandbox) registerTestEndpoints(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sandbox/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"calls": s.stats.snapshot()})
	})
	mux.HandleFunc("POST /_sandbox/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		s.stats.reset()
		writeJSON(w, http.StatusOK, map[string]any{"calls": map[string]int64{}})
	})
	mux.HandleFunc("GET /_sandbox/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"requests": s.stats.requests()})
	})
	mux.HandleFunc("GET /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.list()})
	})
	mux.HandleFunc("POST /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Faults []*Fault `json:"faults"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error_code": "CBC.0100", "error_msg": "invalid faults: " + err.Error()})
			return
		}
		for _, f := range req.Faults {
			if f == nil || f.ErrorRate < 0 || f.ErrorRate > 1 || f.Count < 0 || f.LatencyMS < 0 ||
				(f.Status != 0 && (f.Status < 400 || f.Status > 599)) || (f.After && !f.Drop) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error_code": "CBC.0100",
					"error_msg": "invalid fault: error_rate in [0,1], count >= 0, latency_ms >= 0, status 400..599, after needs drop"})
				return
			}
			f.Operation = strings.TrimSpace(f.Operation)
		}
		s.faults.set(req.Faults)
		writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.list()})
	})
	mux.HandleFunc("DELETE /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		s.faults.set(nil)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sandbox/sms", func(w http.ResponseWriter, r *http.Request) {
		st := s.state
		st.mu.Lock()
		out := make([]SMSCode, 0, len(st.sms))
		for _, m := range st.sms {
			out = append(out, *m)
		}
		st.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"messages": out})
	})
}
