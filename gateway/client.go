package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
)

// Upstream batch limits, from the BSS documentation.
const (
	MaxBalanceBatch = 100 // ListCustomersBalancesDetail customer_infos
	MaxTagBatch     = 200 // ListSubCustomerNewTag customer_ids
	MaxPageSize     = 100 // ListSubCustomers and most other lists
)

// Config says where the upstream is and which partner accounts we hold keys for.
type Config struct {
	Endpoint    string // BSS endpoint, e.g. https://bss.myhuaweicloud.com
	IAMEndpoint string // IAM endpoint (for later customer tokens)
	Accounts    []Account
	// CallTimeout bounds each upstream call (default 10s); a shorter
	// request deadline wins.
	CallTimeout time.Duration
}

// Client calls the BSS v2 APIs with the right partner's credentials.
type Client struct {
	cfg      Config
	accounts map[string]Account
	bss      map[string]*bss.BssClient // by account id, for the accounts with keys
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
	c := &Client{cfg: cfg, accounts: map[string]Account{}, bss: map[string]*bss.BssClient{}}
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
			WithHttpConfig(config.DefaultHttpConfig().WithTimeout(cfg.CallTimeout + time.Second)).
			SafeBuild()
		if err != nil {
			return nil, fmt.Errorf("partner %s BSS client: %w", a.ID, err)
		}
		c.bss[a.ID] = bss.NewBssClient(hc)
	}
	if len(c.bss) == 0 {
		return nil, errors.New("no partner account with AK/SK configured")
	}
	return c, nil
}

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
		return nil, &Error{Code: CodeInternal, Message: "internal error", Err: fmt.Errorf("no credentials for partner %q", s.Account)}
	}
	return cl, nil
}

// call runs one SDK call bounded by ctx and the per-call timeout: the SDK
// takes no context, so the call runs in a goroutine and we stop waiting
// when ctx ends (the SDK's own HTTP timeout reaps the goroutine).
func call[T any](ctx context.Context, c *Client, s Scope, op string, fn func(*bss.BssClient) (T, error)) (T, error) {
	var zero T
	cl, err := c.client(s)
	if err != nil {
		return zero, err
	}
	if err := ctx.Err(); err != nil {
		return zero, unavailable(op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: fmt.Errorf("sdk panic: %v", p)}
			}
		}()
		v, err := fn(cl)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return zero, upstreamError(op, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		return zero, unavailable(op, ctx.Err())
	}
}

func unavailable(op string, err error) *Error {
	msg := "the upstream did not answer in time"
	if errors.Is(err, context.Canceled) {
		msg = "the request was cancelled"
	}
	return &Error{Code: CodeUpstreamUnavailable, Message: msg, Op: op, Err: err}
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
func upstreamError(op string, err error) *Error {
	var se *sdkerr.ServiceResponseError
	if errors.As(err, &se) {
		e := &Error{Code: CodeUpstreamError, Message: "the upstream refused the request", UpstreamCode: se.ErrorCode, RequestID: se.RequestId, Op: op, Err: err}
		switch {
		case notFoundCodes[se.ErrorCode]:
			e.Code, e.Message = CodeNotFound, "not found"
		case se.StatusCode == 429 || se.StatusCode >= 500:
			e.Code, e.Message = CodeUpstreamUnavailable, "the upstream is unavailable"
		case se.StatusCode < 400:
			e.Message = "the upstream sent an unreadable answer"
		}
		return e
	}
	return &Error{Code: CodeUpstreamUnavailable, Message: "the upstream could not be reached", Op: op, Err: err}
}
