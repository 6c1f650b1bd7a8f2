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
// The cache is bounded: beyond Options.MaxEntries customers the least
// recently used tokens are evicted, and no token is kept longer than MaxAge
// (both are fetched again on demand).
package custtoken

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"
)

// DefaultMaxEntries is the number of cached tokens when Options.MaxEntries
// is not set: a long-running gateway serving many customers must not grow
// without bound.
const DefaultMaxEntries = 10000

// MaxAge is the longest IAM keeps a token valid (24 hours): no cache entry
// built on a token needs to outlive it, whatever expiry the token claims.
const MaxAge = 24 * time.Hour

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
	// Now is the clock of the tokens' expiry (default time.Now).
	Now func() time.Time
	// MaxEntries caps the number of cached tokens (default
	// DefaultMaxEntries).
	MaxEntries int
}

// Cache hands out customer tokens. It is safe for concurrent use.
type Cache struct {
	fetch FetchFunc
	opts  Options

	// tokens bounds the cache by size and age; the LRU has one TTL for all
	// entries, so each token's own expiry is checked on read (cached).
	tokens  *expirable.LRU[string, Token]
	flights singleflight.Group
	// storeMu makes Invalidate's compare-and-remove atomic with stores: the LRU has no compare-and-delete.
	storeMu sync.Mutex
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
		opts.MaxEntries = DefaultMaxEntries
	}
	return &Cache{fetch: fetch, opts: opts, tokens: expirable.NewLRU[string, Token](opts.MaxEntries, nil, MaxAge)}
}

// ErrNoCustomer is returned for an empty customer id.
var ErrNoCustomer = errors.New("custtoken: empty customer id")

// Get returns a valid token for the customer and its expiry, fetching it if
// needed. Concurrent callers for the same customer share one fetch; each
// stops waiting when its own ctx ends.
func (c *Cache) Get(ctx context.Context, customerID string) (Token, error) {
	if customerID == "" {
		return Token{}, ErrNoCustomer
	}
	if t, ok := c.cached(customerID); ok {
		return t, nil
	}
	select {
	case r := <-c.flights.DoChan(customerID, func() (any, error) { return c.run(customerID) }):
		if r.Err != nil {
			return Token{}, r.Err
		}
		return r.Val.(Token), nil
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
}

// cached returns the customer's token unless it is within Margin of its
// expiry.
func (c *Cache) cached(customerID string) (Token, bool) {
	t, ok := c.tokens.Get(customerID)
	if !ok || !c.opts.Now().Before(t.ExpiresAt.Add(-c.opts.Margin)) {
		return Token{}, false
	}
	return t, true
}

// run is one fetch, shared by every caller waiting for the customer. It
// runs on its own context, not a caller's, so one caller giving up does not
// fail the others.
func (c *Cache) run(customerID string) (Token, error) {
	// A fetch that completed between the caller's look-up and this flight
	// already stored a token.
	if t, ok := c.cached(customerID); ok {
		return t, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.FetchTimeout)
	defer cancel()
	t, err := c.fetch(ctx, customerID)
	if err == nil && t.Value == "" {
		err = errors.New("custtoken: the upstream returned an empty token")
	}
	if err != nil {
		return Token{}, err
	}
	c.storeMu.Lock()
	c.tokens.Add(customerID, t)
	c.storeMu.Unlock()
	return t, nil
}

// Invalidate drops the customer's cached token if it is still value (the
// token the upstream just rejected), so a newer token fetched meanwhile by
// another request survives.
func (c *Cache) Invalidate(customerID, value string) {
	c.storeMu.Lock()
	defer c.storeMu.Unlock()
	if t, ok := c.tokens.Peek(customerID); ok && t.Value == value {
		c.tokens.Remove(customerID)
	}
}

// Len is the number of cached tokens, those past their margin but not yet
// replaced or evicted included: what Options.MaxEntries bounds.
func (c *Cache) Len() int { return c.tokens.Len() }
