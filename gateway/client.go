package gateway

// The SDK clients and the one path every upstream call takes: call (a
// partner's keys), custCall (a customer token), callWith (a given BSS
// client) and, for tickets, osmCallWith (tickets.go) all end in send, which
// bounds the call by the request, traces and measures it, retries reads, keeps
// the breakers and in-flight bounds (resilience.go), records its request
// id when asked (requestid.go) and maps SDK errors to apierr codes.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"partnergraph/apierr"
	"partnergraph/gateway/custtoken"
	"partnergraph/telemetry"
)

// Config says where the upstream is and which partner accounts we hold keys for.
type Config struct {
	Endpoint    string // BSS endpoint, e.g. https://bss.myhuaweicloud.com
	IAMEndpoint string // IAM endpoint (for later customer tokens)
	Accounts    []Account
	// CallTimeout bounds each upstream call (default 10s); a shorter
	// request deadline wins.
	CallTimeout time.Duration
	// Log receives what the gateway cannot answer a client with (default
	// slog.Default()).
	Log *slog.Logger
	// Now is the clock of the customer-token cache (default time.Now);
	// tests inject one to let tokens expire.
	Now func() time.Time
	// RegionTTL is how long the administrative regions (provinces, cities,
	// counties) are cached (default 24h).
	RegionTTL time.Duration
	// MaxCustomers caps the customer tokens cached per partner account and
	// the customer SDK clients kept (default custtoken.DefaultMaxEntries):
	// beyond it the least recently used are dropped and rebuilt on demand.
	MaxCustomers int
	// OSMEndpoint is the service-ticket (OSM v2) endpoint, e.g.
	// DefaultOSMEndpoint; empty: no ticket operations (tickets.go).
	OSMEndpoint string
	// OSMLanguage is the X-Language of ticket calls, which localises the
	// upstream's names (default "en-us").
	OSMLanguage string

	// The resilience of the call path (resilience.go). The zero value of
	// each is off: one attempt, no breaker, no bound; the gateway's
	// configuration turns them all on.
	//
	// MaxAttempts is how many times a read is sent at most.
	MaxAttempts int
	// BreakerFailures is how many consecutive unavailable answers open an
	// operation's breaker; BreakerCooldown how long it stays open.
	BreakerFailures int
	BreakerCooldown time.Duration
	// MaxInFlight bounds the calls in flight per partner credential.
	MaxInFlight int
	// Metrics receives the calls, retries, breaker states and calls in
	// flight (nil: none).
	Metrics *telemetry.Metrics
}

// Client calls the BSS v2 APIs with the right partner's credentials.
type Client struct {
	log      *slog.Logger
	cfg      Config
	metrics  *telemetry.Metrics
	res      *resilience
	accounts map[string]Account
	bss      map[string]*bss.BssClient // by account id, for the accounts with keys

	// ids is the RoundTripper shared by every SDK client: connection reuse
	// across customers, and the upstream request ids of tracked calls
	// (requestid.go).
	ids *idTransport

	// Customer tokens (custtoken/): one cache per account with keys and
	// an agency name, and one SDK client per customer's current token,
	// until that token expires (bounded, see customerClient).
	tokens map[string]*custtoken.Cache
	// custMu makes a look-up and the store of its rebuilt client, and
	// dropToken's compare-and-remove, atomic: the LRU has neither.
	custMu      sync.Mutex
	custClients *expirable.LRU[custKey, tokenClient]

	// osm holds the service-ticket SDK clients (tickets.go).
	osm *osmClients
	// buckets are the partners' OBS buckets (obs.go), by account id.
	buckets map[string]*bucketClient
	// regions caches the administrative regions (catalogue.go): the same
	// for every partner, and they rarely change.
	regions *regionCache
}

// New validates cfg and builds one SDK client per account we hold keys for.
// It makes no network call.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("BSS endpoint is empty")
	}
	if u, err := url.Parse(cfg.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("BSS endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxCustomers <= 0 {
		cfg.MaxCustomers = custtoken.DefaultMaxEntries
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = 10 * time.Second
	}
	res := &resilience{metrics: cfg.Metrics, failures: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown, maxInFlight: int64(cfg.MaxInFlight)}
	c := &Client{cfg: cfg, log: cfg.Log, metrics: cfg.Metrics, res: res, accounts: map[string]Account{}, bss: map[string]*bss.BssClient{}, ids: newIDTransport(),
		tokens: map[string]*custtoken.Cache{}, custClients: expirable.NewLRU[custKey, tokenClient](cfg.MaxCustomers, nil, custtoken.MaxAge),
		buckets: map[string]*bucketClient{}, regions: newRegionCache(cfg.RegionTTL)}
	if err := c.newOSMClients(); err != nil {
		return nil, err
	}
	for _, a := range cfg.Accounts {
		if a.ID == "" {
			return nil, errors.New("partner account with an empty id")
		}
		c.accounts[a.ID] = a
		if a.AK == "" && a.SK == "" {
			continue
		}
		if a.AK == "" || a.SK == "" {
			return nil, fmt.Errorf("partner %s: AK and SK must both be set", a.ID)
		}
		cred, err := global.NewCredentialsBuilder().WithAk(a.AK).WithSk(a.SK).WithDomainId(a.ID).SafeBuild()
		if err != nil {
			return nil, fmt.Errorf("partner %s credentials: %w", a.ID, err)
		}
		hc, err := bss.BssClientBuilder().
			WithEndpoints([]string{cfg.Endpoint}).
			WithCredential(cred).
			WithHttpConfig(c.httpConfig()).
			SafeBuild()
		if err != nil {
			return nil, fmt.Errorf("partner %s BSS client: %w", a.ID, err)
		}
		c.bss[a.ID] = bss.NewBssClient(hc)
		if err := c.addTokenCache(a, cred); err != nil {
			return nil, err
		}
		if err := c.addOSMClient(a, cred); err != nil {
			return nil, err
		}
		if err := c.addBucket(a); err != nil {
			return nil, err
		}
	}
	if len(c.bss) == 0 {
		return nil, errors.New("no partner account with AK/SK configured")
	}
	return c, nil
}

// httpConfig is the SDK HTTP configuration of every client: the per-call
// timeout (plus a second: send stops waiting first) and the shared
// transport.
func (c *Client) httpConfig() *config.HttpConfig {
	return config.DefaultHttpConfig().WithTimeout(c.cfg.CallTimeout + time.Second).WithHttpRoundTripper(c.ids)
}

// CallTimeout bounds one upstream call: after it (and some slack) a call
// whose answer was lost is over upstream too.
func (c *Client) CallTimeout() time.Duration { return c.cfg.CallTimeout }

// Account returns a known partner account.
func (c *Client) Account(id string) (Account, bool) {
	a, ok := c.accounts[id]
	return a, ok
}

// Accounts returns the known partner accounts, sorted by id.
func (c *Client) Accounts() []Account {
	out := make([]Account, 0, len(c.accounts))
	for _, a := range c.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// HasKeys says whether we can sign calls as the account.
func (c *Client) HasKeys(id string) bool { _, ok := c.bss[id]; return ok }

func (c *Client) client(s Scope) (*bss.BssClient, error) {
	cl, ok := c.bss[s.Account]
	if !ok {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("no credentials for partner %q", s.Account)}
	}
	return cl, nil
}

// sdkMethod is an SDK operation as a method expression, e.g.
// (*bss.BssClient).ListSubCustomers: the calls below take it with its
// request, so every operation shows the SDK method and request it uses.
type sdkMethod[Req, Resp any] func(*bss.BssClient, Req) (Resp, error)

// call runs one SDK call, signed with the scope's partner keys, through
// callWith. op names the operation in errors, metrics, spans and request
// ids.
func call[Req, Resp any](ctx context.Context, c *Client, s Scope, op string, method sdkMethod[Req, Resp], req Req) (Resp, error) {
	cl, err := c.client(s)
	if err != nil {
		var zero Resp
		return zero, err
	}
	return callWith(ctx, c, cl, s.Account, op, method, req)
}

// callWith is call with a given SDK client (a partner's or a customer
// token's), account the partner credential it counts against.
func callWith[Req, Resp any](ctx context.Context, c *Client, cl *bss.BssClient, account, op string, method sdkMethod[Req, Resp], req Req) (Resp, error) {
	return send(ctx, c, callSpec[Resp]{service: "BSS", account: account, op: op,
		call: func(h map[string]string) (Resp, error) { return method(withHeaders(cl, h), req) }})
}

// callSpec is one upstream operation as send runs it, whatever its
// service.
type callSpec[Resp any] struct {
	service string // the span's prefix: BSS, OSM
	account string // the partner credential it counts against
	op      string // the SDK operation
	// call sends it once, with the extra headers correlate asks for
	// (nil: none).
	call func(headers map[string]string) (Resp, error)
	// business, when set, makes a 2xx answer whose body carries an
	// error_code an error (OSM's refusals); refine re-codes the service's
	// error answers.
	business func(op string, a answer) *apierr.Error
	refine   func(*apierr.Error) *apierr.Error
}

// send is the one path of every upstream call: the call's span, its
// metrics, the retries of reads, the operation's breaker and the
// credential's in-flight bound (resilience.go), and the request-id
// tracking of audited calls (requestid.go).
func send[Resp any](ctx context.Context, c *Client, sc callSpec[Resp]) (Resp, error) {
	var zero Resp
	op := sc.op
	if err := ctx.Err(); err != nil {
		return zero, unavailable(op, err)
	}
	ctx, span := telemetry.Tracer(ctx).Start(ctx, sc.service+" "+op, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	read := reads[op]
	attempts := 1
	if read {
		attempts = max(c.cfg.MaxAttempts, 1)
	}
	for n := 1; ; n++ {
		v, a, requestID, err := attemptCall(ctx, c, sc, attempts > 1 || span.IsRecording())
		if span.IsRecording() {
			span.SetAttributes(attribute.String("rpc.system", "huaweicloud"), attribute.String("rpc.service", sc.service), attribute.String("rpc.method", op),
				attribute.String("partnergraph.upstream.status", a.status), attribute.Int("partnergraph.upstream.retries", n-1))
			if a.httpStatus != 0 {
				span.SetAttributes(attribute.Int("http.response.status_code", a.httpStatus))
			}
			if requestID != "" {
				span.SetAttributes(attribute.String("partnergraph.upstream.request_id", requestID))
			}
		}
		if err == nil {
			return v, nil
		}
		wait := backoff(n, a.retryAfter)
		if n >= attempts || !a.retryable || !roomFor(ctx, wait) {
			if span.IsRecording() {
				span.SetStatus(codes.Error, string(apierr.ErrorCode(err)))
			}
			return zero, err
		}
		c.metrics.Retry(op, a.reason)
		span.AddEvent("retry", trace.WithAttributes(attribute.String("reason", a.reason), attribute.Int64("wait_ms", wait.Milliseconds())))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return zero, err
		}
	}
}

// roomFor reports whether ctx's deadline leaves room for a wait and
// another call.
func roomFor(ctx context.Context, wait time.Duration) bool {
	d, ok := ctx.Deadline()
	return !ok || time.Until(d) > wait+minCallTime
}

// attemptCall sends one call, bounded by ctx and the per-call timeout: the
// SDK takes no context, so the call runs in a goroutine and we stop
// waiting when ctx ends (the SDK's own HTTP timeout reaps the goroutine).
// want asks for the answer's headers (requestid.go).
func attemptCall[Resp any](ctx context.Context, c *Client, sc callSpec[Resp], want bool) (Resp, attempt, string, error) {
	var zero Resp
	op := sc.op
	release, ok := c.res.acquire(ctx, sc.account)
	if !ok {
		c.metrics.Rejected(op, "saturated")
		if err := ctx.Err(); err != nil {
			return zero, attempt{status: "cancelled"}, "", unavailable(op, err)
		}
		return zero, attempt{status: "saturated"}, "", notSent(op, "the gateway has too many calls in flight for this partner account; retry shortly")
	}
	defer release()
	var done func(error)
	if b := c.res.breaker(op); b != nil {
		var err error
		if done, err = b.Allow(); err != nil {
			c.metrics.Rejected(op, "breaker_open")
			return zero, attempt{status: "breaker_open"}, "", notSent(op, "the upstream is unavailable (circuit open); retry later")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	telemetry.FromContext(ctx).UpstreamCall()
	headers, answered := c.correlate(ctx, op, want, sc.business != nil)
	type result struct {
		v   Resp
		err error
	}
	ch := make(chan result, 1)
	start := time.Now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: fmt.Errorf("%w: %v", errSDKPanic, p)}
			}
		}()
		v, err := sc.call(headers)
		ch <- result{v, err}
	}()
	var (
		v       Resp
		err     error
		callErr error
		ctxErr  error
	)
	select {
	case r := <-ch:
		v, callErr = r.v, r.err
	case <-ctx.Done():
		ctxErr = ctx.Err()
	}
	h := answered(callErr)
	a := classify(callErr, ctxErr)
	a.retryAfter = parseRetryAfter(h.retryAfter, time.Now())
	c.metrics.UpstreamCall(op, a.status, time.Since(start))
	switch {
	case ctxErr != nil:
		err = unavailable(op, ctxErr)
	case callErr != nil:
		e := upstreamError(op, callErr)
		if sc.refine != nil {
			e = sc.refine(e)
		}
		err = e
	case h.code != "" && sc.business != nil:
		err = sc.business(op, h)
	}
	if done != nil {
		switch {
		case a.unavailable:
			done(errUnavailable)
		case ctxErr != nil:
			done(context.Canceled) // the caller went away: no verdict
		default:
			done(nil)
		}
	}
	if err != nil {
		return zero, a, h.requestID, err
	}
	return v, a, h.requestID, nil
}

func unavailable(op string, err error) *apierr.Error {
	msg := "the upstream did not answer in time"
	if errors.Is(err, context.Canceled) {
		msg = "the request was cancelled"
	}
	return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: msg, Op: op, Err: err}
}

// notFoundCodes are upstream codes that mean "not yours or not there".
var notFoundCodes = map[string]bool{
	"CBC.99000037": true, // no permission on this reseller
	"CBC.99000035": true, // not your sub-customer
	"CBC.99000047": true, // account does not exist
	"CBC.99000000": true, // no permission on this customer
}

// upstreamError sorts an SDK error into our codes, keeping the upstream
// code and request id.
func upstreamError(op string, err error) *apierr.Error {
	var se *sdkerr.ServiceResponseError
	if errors.As(err, &se) {
		e := &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream refused the request", UpstreamCode: se.ErrorCode, RequestID: se.RequestId, Op: op, Err: err}
		switch {
		case notFoundCodes[se.ErrorCode]:
			e.Code, e.Message = apierr.CodeNotFound, "not found"
		case se.StatusCode == 429 || se.StatusCode >= 500:
			e.Code, e.Message = apierr.CodeUpstreamUnavailable, "the upstream is unavailable"
		case se.StatusCode < 400:
			e.Message = "the upstream sent an unreadable answer"
		}
		return e
	}
	return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: "the upstream could not be reached", Op: op, Err: err}
}

// Customer tokens: many operations accept only the customer's own
// identity. For those the gateway swaps the partner's identity for a
// customer token (IAM assume_role with the partner's agency, BSS-API.md
// §2.5): the token is cached per customer by custtoken.Cache (one fetch
// however many requests wait for it, not handed out shortly before
// expiry), and the SDK client built on it is cached per customer while
// the token is current; both are bounded (Config.MaxCustomers). The
// partner whose agency is used is the scope's signing account: a tier-1
// assumes into its resellers' customers with its own agency, as IAM
// allows.

// custKey is a customer as seen from one signing account.
type custKey struct{ account, customer string }

// tokenClient is a customer's SDK client and the token it signs with.
type tokenClient struct {
	token string
	cl    *bss.BssClient
}

func (c *Client) addTokenCache(a Account, cred *global.Credentials) error {
	if a.AgencyName == "" || c.cfg.IAMEndpoint == "" {
		return nil // no customer-only operations for this account
	}
	hc, err := iam.IamClientBuilder().
		WithEndpoints([]string{c.cfg.IAMEndpoint}).
		WithCredential(cred).
		WithHttpConfig(c.httpConfig()).
		SafeBuild()
	if err != nil {
		return fmt.Errorf("partner %s IAM client: %w", a.ID, err)
	}
	c.tokens[a.ID] = custtoken.New(custtoken.AssumeRole(iam.NewIamClient(hc), a.AgencyName),
		custtoken.Options{Now: c.cfg.Now, FetchTimeout: c.cfg.CallTimeout, MaxEntries: c.cfg.MaxCustomers})
	return nil
}

// customerClient returns the SDK client of the customer's current token.
// A client serves only while its token is the one the token cache hands
// out; beyond Config.MaxCustomers the least recently used clients are
// dropped, and none is kept longer than a token lives (custtoken.MaxAge). A
// customer seen again after that gets a new client.
func (c *Client) customerClient(ctx context.Context, s Scope, customerID string) (*bss.BssClient, string, error) {
	cache, ok := c.tokens[s.Account]
	if !ok {
		return nil, "", &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("no agency configured for partner %q", s.Account)}
	}
	if customerID == "" {
		return nil, "", apierr.NotFound("customer")
	}
	t, err := cache.Get(ctx, customerID)
	if err != nil {
		return nil, "", tokenError(err)
	}
	tok := t.Value
	k := custKey{s.Account, customerID}
	c.custMu.Lock()
	defer c.custMu.Unlock()
	if tc, ok := c.custClients.Get(k); ok && tc.token == tok {
		return tc.cl, tok, nil
	}
	hc, err := bss.BssClientBuilder().
		WithCredentialsType("global.Credentials,v3.IamCredentials").
		WithEndpoints([]string{c.cfg.Endpoint}).
		WithCredential(iam.NewIamCredentialsBuilder().WithXAuthToken(tok).Build()).
		WithHttpConfig(c.httpConfig()).
		SafeBuild()
	if err != nil {
		return nil, "", &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("customer BSS client: %w", err)}
	}
	cl := bss.NewBssClient(hc)
	c.custClients.Add(k, tokenClient{token: tok, cl: cl})
	return cl, tok, nil
}

// dropToken forgets a token the upstream rejected, and its client.
func (c *Client) dropToken(s Scope, customerID, tok string) {
	c.tokens[s.Account].Invalidate(customerID, tok)
	k := custKey{s.Account, customerID}
	c.custMu.Lock()
	if tc, ok := c.custClients.Peek(k); ok && tc.token == tok {
		c.custClients.Remove(k)
	}
	c.custMu.Unlock()
}

// tokenError sorts a failed token fetch: IAM refusing the agency or the
// domain (403) means the customer is not reachable by this partner.
func tokenError(err error) *apierr.Error {
	const op = "KeystoneCreateAgencyToken"
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return unavailable(op, err)
	}
	var se *sdkerr.ServiceResponseError
	if errors.As(err, &se) && se.StatusCode == 403 {
		return &apierr.Error{Code: apierr.CodeNotFound, Message: "customer not found", UpstreamCode: se.ErrorCode, RequestID: se.RequestId, Op: op, Err: err}
	}
	return upstreamError(op, err)
}

// unauthorized reports whether the upstream rejected the caller's identity.
func unauthorized(err error) bool {
	var se *sdkerr.ServiceResponseError
	return errors.As(err, &se) && se.StatusCode == 401
}

// custCall runs a customer-only operation with the customer's token. A 401
// means the token was rejected and nothing was applied: the token is
// dropped, a new one fetched and the call retried once.
func custCall[Req, Resp any](ctx context.Context, c *Client, s Scope, customerID, op string, method sdkMethod[Req, Resp], req Req) (Resp, error) {
	for attempt := 0; ; attempt++ {
		cl, tok, err := c.customerClient(ctx, s, customerID)
		if err != nil {
			var zero Resp
			return zero, err
		}
		v, err := callWith(ctx, c, cl, s.Account, op, method, req)
		if err != nil && attempt == 0 && unauthorized(err) {
			c.dropToken(s, customerID, tok)
			continue
		}
		return v, err
	}
}

// Ping checks the upstream answers a signed call, for /readyz.
func (c *Client) Ping(ctx context.Context) error {
	for _, a := range c.Accounts() {
		if c.HasKeys(a.ID) {
			_, err := c.MeasureUnits(ctx, Scope{Account: a.ID})
			return err
		}
	}
	return apierr.Errorf(apierr.CodeInternal, "no account")
}
