package gateway

// Upstream request ids, for the audit of sensitive mutations.
//
// The upstream answers every call with an X-Request-Id header, but the SDK's
// typed responses keep it only on errors (sdkerr.ServiceResponseError). To
// have it on success too:
//
//   - a request that wants the ids of its upstream calls says so with
//     TrackRequestIDs(ctx), which puts a sink in ctx;
//   - send (every SDK call, BSS or OSM, partner or customer token) then adds a
//     correlation header, CallHeader: <random id>, to that one call. The SDK
//     takes no per-call options on its plain methods, so the call runs on a
//     shallow copy of the SDK client whose extra headers are just that
//     header (HcHttpClient.WithExtraHeaders on the copy; extra headers are
//     signed like the SDK's own, BSS-API.md §1.2, and travel next to
//     X-Auth-Token unchanged);
//   - one http.RoundTripper per Client, shared by all its SDK clients
//     (config.HttpConfig.RoundTripper), sees each request and its response
//     and, for a correlation id that a call registered, keeps the
//     response's X-Request-Id. (The SDK's HttpHandler response hook is not
//     enough: it receives the response without its request, so it cannot
//     tell which call an answer belongs to.)
//   - when the call completes or stops waiting (timeout, cancellation), its
//     correlation entry is removed, and the id, if any, goes to the sink. A
//     response arriving after that finds no entry and is ignored, so the
//     table holds at most the calls in flight.
//
// The same correlation gives traced calls their request id and reads that
// may be retried the answer's Retry-After (resilience.go). Other calls
// carry no extra header and cost nothing.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
)

// CallHeader carries the per-call correlation id on upstream requests made
// for a request that tracks its upstream request ids.
const CallHeader = "X-Partnergraph-Call"

// UpstreamCall is one upstream call made for a tracked request.
type UpstreamCall struct {
	Op        string // the SDK operation, e.g. UpdateCustomerAccountAmount
	RequestID string // the upstream's X-Request-Id; "" when it did not answer in time
}

// Write reports whether the call's operation changes upstream state: every
// operation but the reads (resilience.go).
func (u UpstreamCall) Write() bool { return !reads[u.Op] }

// maxTrackedCalls bounds what one tracked request keeps.
const maxTrackedCalls = 256

// RequestIDs collects the upstream calls of a request. It is safe for
// concurrent use.
type RequestIDs struct {
	parent *RequestIDs

	mu      sync.Mutex
	calls   []UpstreamCall
	dropped int
}

type requestIDsKey struct{}

// TrackRequestIDs returns a ctx whose upstream calls are recorded in ids,
// and in any sink an outer TrackRequestIDs put in ctx.
func TrackRequestIDs(ctx context.Context) (context.Context, *RequestIDs) {
	parent, _ := ctx.Value(requestIDsKey{}).(*RequestIDs)
	ids := &RequestIDs{parent: parent}
	return context.WithValue(ctx, requestIDsKey{}, ids), ids
}

func requestIDsFrom(ctx context.Context) *RequestIDs {
	ids, _ := ctx.Value(requestIDsKey{}).(*RequestIDs)
	return ids
}

func (r *RequestIDs) add(u UpstreamCall) {
	for ; r != nil; r = r.parent {
		r.mu.Lock()
		if len(r.calls) < maxTrackedCalls {
			r.calls = append(r.calls, u)
		} else {
			r.dropped++
		}
		r.mu.Unlock()
	}
}

// Calls returns the calls recorded so far, in completion order (at most
// 256; later ones are counted, not kept).
func (r *RequestIDs) Calls() []UpstreamCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]UpstreamCall(nil), r.calls...)
}

// MaxSummaryIDs bounds the ids in Summary.
const MaxSummaryIDs = 20

// Summary is the audit form of the recorded ids: the request ids of the
// calls that changed upstream state (Write), or of all calls when none did
// (a move established from the upstream's records), in order, without
// duplicates, comma-separated; at most MaxSummaryIDs, then ",+N" for the
// rest. "" when no call was answered.
func (r *RequestIDs) Summary() string {
	if r == nil {
		return ""
	}
	calls := r.Calls()
	pick := func(writes bool) []string {
		var out []string
		seen := map[string]bool{}
		for _, c := range calls {
			if c.RequestID == "" || seen[c.RequestID] || (writes && !c.Write()) {
				continue
			}
			seen[c.RequestID] = true
			out = append(out, c.RequestID)
		}
		return out
	}
	ids := pick(true)
	if len(ids) == 0 {
		ids = pick(false)
	}
	if len(ids) > MaxSummaryIDs {
		more := len(ids) - MaxSummaryIDs
		ids = append(ids[:MaxSummaryIDs], "+"+strconv.Itoa(more))
	}
	return strings.Join(ids, ",")
}

// idTransport is the RoundTripper of all of a Client's SDK clients (BSS,
// IAM and OSM). It maps the correlation ids of the calls in flight to the
// X-Request-Id (and the Retry-After, for the retries of reads) of their
// answers and, for a call that asks for it (OSM, which answers some
// refusals with status 200), the error_code of a 2xx JSON body.
type idTransport struct {
	base http.RoundTripper

	mu      sync.Mutex
	pending map[string]*pendingCall // correlation id → its call
}

type pendingCall struct {
	peek bool   // read a 2xx JSON body for error_code
	a    answer // zero until answered
}

// answer is what a call keeps of its answer.
type answer struct {
	requestID  string
	retryAfter string
	// code and msg are the error_code and error_msg of a 2xx JSON body
	// (peeked calls only): a business refusal with a success status.
	code, msg string
}

// newIDTransport wraps a transport configured like the SDK's default one
// (TLS verification on, no proxy) with connection reuse tuned for one
// transport shared by every partner and customer SDK client.
func newIDTransport() *idTransport {
	base := &http.Transport{
		TLSClientConfig:     &tls.Config{},
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &idTransport{base: base, pending: map[string]*pendingCall{}}
}

// RoundTrip sends req and, when it carries the correlation id of a call
// in flight, keeps the X-Request-Id and Retry-After of its answer for
// that call.
func (t *idTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	corr := req.Header.Get(CallHeader)
	if corr == "" {
		return resp, nil
	}
	t.mu.Lock()
	p, ok := t.pending[corr]
	peek := ok && p.peek
	t.mu.Unlock()
	if !ok {
		return resp, nil
	}
	a := answer{requestID: resp.Header.Get("X-Request-Id"), retryAfter: resp.Header.Get("Retry-After")}
	if peek {
		if err := peekBusinessError(resp, &a); err != nil {
			return nil, err
		}
	}
	t.mu.Lock()
	if p, ok := t.pending[corr]; ok {
		p.a = a
	}
	t.mu.Unlock()
	return resp, nil
}

// maxPeek bounds the body read to find a business error code.
const maxPeek = 16 << 20

// peekBusinessError reads a 2xx JSON answer's error_code and error_msg into
// a, leaving the body for the SDK to decode.
func peekBusinessError(resp *http.Response, a *answer) error {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode/100 != 2 || mt != "application/json" || resp.ContentLength > maxPeek {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPeek+1))
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if !bytes.Contains(body, []byte(`"error_code"`)) {
		return nil
	}
	var e struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		a.code, a.msg = e.Code, e.Msg
		if len(a.msg) > 300 {
			a.msg = a.msg[:300]
		}
	}
	return nil
}

// begin registers a new correlation id; peek asks for the body's
// business error.
func (t *idTransport) begin(peek bool) string {
	corr := rand.Text()
	t.mu.Lock()
	t.pending[corr] = &pendingCall{peek: peek}
	t.mu.Unlock()
	return corr
}

// end forgets corr and returns what its answer carried.
func (t *idTransport) end(corr string) answer {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pending[corr]
	delete(t.pending, corr)
	if p == nil {
		return answer{}
	}
	return p.a
}

// withHeaders returns cl, or with extra headers a copy of cl that adds
// them to its calls. The copy shares the original's HTTP client,
// credentials and endpoints; we set no client-wide extra headers, so
// replacing them loses nothing.
func withHeaders(cl *bss.BssClient, h map[string]string) *bss.BssClient {
	if h == nil {
		return cl
	}
	hc := *cl.HcClient
	hc.WithExtraHeaders(h)
	return bss.NewBssClient(&hc)
}

// correlate prepares one call whose answer is wanted: the call is tracked
// (TrackRequestIDs), traced, a read that may be retried (its Retry-After),
// or peeked for a business error. It returns the extra headers to send
// (nil: none) and a function to run once the call is over (with its error,
// nil when it stopped waiting), which records the call in ctx's sink and
// returns what the answer carried. A call that wants nothing is sent as it
// is, and costs nothing.
func (c *Client) correlate(ctx context.Context, op string, want, peek bool) (map[string]string, func(err error) answer) {
	ids := requestIDsFrom(ctx)
	if (ids == nil && !want && !peek) || c.ids == nil {
		return nil, func(error) answer { return answer{} }
	}
	corr := c.ids.begin(peek)
	return map[string]string{CallHeader: corr}, func(err error) answer {
		a := c.ids.end(corr)
		var se *sdkerr.ServiceResponseError
		if a.requestID == "" && errors.As(err, &se) {
			a.requestID = se.RequestId
		}
		if ids != nil {
			ids.add(UpstreamCall{Op: op, RequestID: a.requestID})
		}
		return a
	}
}
