// Package custtoken obtains and caches customer tokens: many BSS operations
// (paying orders, renewing resources, reading resource packages) accept only
// the customer's own identity, so the gateway swaps the partner's identity
// for a customer token through IAM assume_role, as Huawei documents for
// partners ("如何将合作伙伴Token置换为客户Token").
//
// A token is cached per customer until shortly before it expires, fetched
// once however many requests need it at the same moment, and dropped when
// the upstream rejects it (Invalidate), so the next call fetches a new one.
//
// The cache is bounded: tokens that can no longer be handed out are dropped
// whenever a token is stored, and beyond Options.MaxEntries customers the
// soonest-expiring tokens are evicted (they are fetched again on demand).
package custtoken

import (
	"context"
	"errors"
	"sync"
	"time"

	"partnergraph/internal/expiring"
)

// Token is a customer token and its expiry.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

// FetchFunc obtains a fresh token for a customer (one upstream call).
type FetchFunc func(ctx context.Context, customerID string) (Token, error)

// Options tune a Cache.
type Options struct {
	// Margin is how long before expiry a cached token stops being handed
	// out (default 10 minutes): a request must not start with a token that
	// expires while it runs.
	Margin time.Duration
	// FetchTimeout bounds one fetch (default 10 seconds). A fetch runs on
	// its own context, so one waiter giving up does not fail the others.
	FetchTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxEntries caps the number of cached tokens (default 10 000).
	MaxEntries int
}

// Cache hands out customer tokens.
type Cache struct {
	fetch FetchFunc
	opts  Options

	mu sync.Mutex
	// tokens expire (for the cache) Margin before the token itself.
	tokens   *expiring.Map[string, Token]
	inflight map[string]*flight
}

type flight struct {
	done chan struct{}
	tok  Token
	err  error
}

// New returns a cache that fetches with fetch.
func New(fetch FetchFunc, opts Options) *Cache {
	if opts.Margin == 0 {
		opts.Margin = 10 * time.Minute
	}
	if opts.FetchTimeout == 0 {
		opts.FetchTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = expiring.DefaultMax
	}
	return &Cache{fetch: fetch, opts: opts, tokens: expiring.New[string, Token](opts.MaxEntries), inflight: map[string]*flight{}}
}

// ErrNoCustomer is returned for an empty customer id.
var ErrNoCustomer = errors.New("custtoken: empty customer id")

// Token returns a valid token for the customer, fetching it if needed.
// Concurrent callers for the same customer share one fetch; each stops
// waiting when its own ctx ends.
func (c *Cache) Token(ctx context.Context, customerID string) (string, error) {
	t, err := c.Get(ctx, customerID)
	return t.Value, err
}

// Get is Token with the token's expiry.
func (c *Cache) Get(ctx context.Context, customerID string) (Token, error) {
	if customerID == "" {
		return Token{}, ErrNoCustomer
	}
	c.mu.Lock()
	if t, until, ok := c.tokens.Get(customerID); ok && c.opts.Now().Before(until) {
		c.mu.Unlock()
		return t, nil
	}
	f, ok := c.inflight[customerID]
	if !ok {
		f = &flight{done: make(chan struct{})}
		c.inflight[customerID] = f
		go c.run(customerID, f)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
		if f.err != nil {
			return Token{}, f.err
		}
		return f.tok, nil
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
}

func (c *Cache) run(customerID string, f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.FetchTimeout)
	defer cancel()
	f.tok, f.err = c.fetch(ctx, customerID)
	if f.err == nil && f.tok.Value == "" {
		f.err = errors.New("custtoken: the upstream returned an empty token")
	}
	c.mu.Lock()
	delete(c.inflight, customerID)
	if f.err == nil {
		// Stored until Margin before expiry; storing also drops the tokens
		// past that point and evicts beyond MaxEntries.
		c.tokens.Put(customerID, f.tok, f.tok.ExpiresAt.Add(-c.opts.Margin), c.opts.Now())
	}
	c.mu.Unlock()
	close(f.done)
}

// Invalidate drops the customer's cached token if it is still value (the
// token the upstream just rejected), so a newer token fetched meanwhile by
// another request survives.
func (c *Cache) Invalidate(customerID, value string) {
	c.mu.Lock()
	if t, _, ok := c.tokens.Get(customerID); ok && t.Value == value {
		c.tokens.Delete(customerID)
	}
	c.mu.Unlock()
}

// Len is the number of cached tokens (tests, metrics).
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens.Len()
}
