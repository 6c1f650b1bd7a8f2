// Package loader holds the per-request loaders: they batch and deduplicate
// upstream reads within one GraphQL request. They are built per request by
// Middleware, so nothing is cached across requests or callers.
//
// The dataloader wait window is not relied on for lists: when a list
// resolver already holds a page of ids it wraps them in a Page, and the
// first field that needs e.g. a balance fetches the whole page in
// ceil(N/100) calls and primes the loader. Single objects (node(id:))
// go through the loaders with a 1ms window.
package loader

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"partnergraph/gateway"
)

// Source is the upstream reads the loaders batch; *gateway.Client meets it.
type Source interface {
	CustomerBalances(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.CustomerBalance, error)
	NewCustomerTags(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.NewCustomerTag, error)
	Funds(ctx context.Context, s gateway.Scope) ([]gateway.Fund, error)
	IssuedQuotas(ctx context.Context, s gateway.Scope, q gateway.IssuedQuotaQuery) (gateway.QuotaList, error)
}

var _ Source = (*gateway.Client)(nil)

// Key is an object id within the scope it is read with.
type Key struct {
	Scope gateway.Scope
	ID    string
}

// Page is a page of ids listed together under one scope. Fields of the
// page's objects fetch for the whole page at once.
type Page struct {
	Scope gateway.Scope
	IDs   []string

	balance, tag, funds, quotas onceErr

	// balances, tags and quotaLists hold what the page's own prefetch
	// fetched (nil values included), written inside the once and read after
	// it: a row's field then costs a map read instead of a dataloader Load.
	// Keys an earlier page had already cached are not here; they go through
	// Load.
	balances   map[string]*gateway.CustomerBalance
	tags       map[string]*gateway.NewCustomerTag
	quotaLists map[string][]gateway.Quota
}

type onceErr struct {
	once sync.Once
	err  error
}

func (o *onceErr) do(f func() error) error {
	o.once.Do(func() { o.err = f() })
	return o.err
}

// NewPage returns a page for ids read under s.
func NewPage(s gateway.Scope, ids []string) *Page { return &Page{Scope: s, IDs: ids} }

// Loaders are one request's loaders.
type Loaders struct {
	src Source

	// prefetch serialises page prefetches so two pages listed side by side
	// in one request never fetch the same key twice.
	prefetch sync.Mutex
	// balancePrefetch and tagPrefetch do the same for customer balances and
	// tags; they are separate so a page's balance and tag calls can overlap
	// (PrefetchCustomerPage).
	balancePrefetch, tagPrefetch sync.Mutex

	balanceCache *dataloader.InMemoryCache[Key, *gateway.CustomerBalance]
	balance      *dataloader.Loader[Key, *gateway.CustomerBalance]
	tagCache     *dataloader.InMemoryCache[Key, *gateway.NewCustomerTag]
	tag          *dataloader.Loader[Key, *gateway.NewCustomerTag]
	fundsCache   *dataloader.InMemoryCache[gateway.Scope, []gateway.Fund]
	funds        *dataloader.Loader[gateway.Scope, []gateway.Fund]
	quotasCache  *dataloader.InMemoryCache[Key, []gateway.Quota]
	quotas       *dataloader.Loader[Key, []gateway.Quota] // child quotas by reseller; Key.Scope is the tier-1's

	commerce *commerceLoaders // commerce.go; nil when src has no commerce reads
}

const wait = time.Millisecond

// New builds a request's loaders.
func New(src Source) *Loaders {
	l := &Loaders{src: src, commerce: newCommerce(src)}
	l.balanceCache = dataloader.NewCache[Key, *gateway.CustomerBalance]()
	l.balance = dataloader.NewBatchedLoader(l.batchBalances,
		dataloader.WithCache[Key, *gateway.CustomerBalance](l.balanceCache),
		dataloader.WithWait[Key, *gateway.CustomerBalance](wait),
		dataloader.WithBatchCapacity[Key, *gateway.CustomerBalance](gateway.MaxBalanceBatch))
	l.tagCache = dataloader.NewCache[Key, *gateway.NewCustomerTag]()
	l.tag = dataloader.NewBatchedLoader(l.batchTags,
		dataloader.WithCache[Key, *gateway.NewCustomerTag](l.tagCache),
		dataloader.WithWait[Key, *gateway.NewCustomerTag](wait),
		dataloader.WithBatchCapacity[Key, *gateway.NewCustomerTag](gateway.MaxTagBatch))
	l.fundsCache = dataloader.NewCache[gateway.Scope, []gateway.Fund]()
	l.funds = dataloader.NewBatchedLoader(l.batchFunds,
		dataloader.WithCache[gateway.Scope, []gateway.Fund](l.fundsCache),
		dataloader.WithWait[gateway.Scope, []gateway.Fund](wait))
	l.quotasCache = dataloader.NewCache[Key, []gateway.Quota]()
	l.quotas = dataloader.NewBatchedLoader(l.batchQuotas,
		dataloader.WithCache[Key, []gateway.Quota](l.quotasCache),
		dataloader.WithWait[Key, []gateway.Quota](wait))
	return l
}

type ctxKey struct{}

// With returns ctx carrying fresh loaders over src.
func With(ctx context.Context, src Source) context.Context {
	return context.WithValue(ctx, ctxKey{}, New(src))
}

// For returns the request's loaders, or nil outside a request.
func For(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// Middleware gives every request its own loaders.
func Middleware(src Source, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(With(r.Context(), src)))
	})
}

// groupByScope splits keys by scope, keeping each key's index.
func groupByScope(keys []Key) map[gateway.Scope][]int {
	g := map[gateway.Scope][]int{}
	for i, k := range keys {
		g[k.Scope] = append(g[k.Scope], i)
	}
	return g
}

func (l *Loaders) batchBalances(ctx context.Context, keys []Key) []*dataloader.Result[*gateway.CustomerBalance] {
	out := make([]*dataloader.Result[*gateway.CustomerBalance], len(keys))
	for s, idx := range groupByScope(keys) {
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = keys[i].ID
		}
		m, err := l.src.CustomerBalances(ctx, s, ids)
		for _, i := range idx {
			r := &dataloader.Result[*gateway.CustomerBalance]{Error: err}
			if b, ok := m[keys[i].ID]; ok && err == nil {
				r.Data = &b
			}
			out[i] = r
		}
	}
	return out
}

func (l *Loaders) batchTags(ctx context.Context, keys []Key) []*dataloader.Result[*gateway.NewCustomerTag] {
	out := make([]*dataloader.Result[*gateway.NewCustomerTag], len(keys))
	for s, idx := range groupByScope(keys) {
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = keys[i].ID
		}
		m, err := l.src.NewCustomerTags(ctx, s, ids)
		for _, i := range idx {
			r := &dataloader.Result[*gateway.NewCustomerTag]{Error: err}
			if t, ok := m[keys[i].ID]; ok && err == nil {
				r.Data = &t
			}
			out[i] = r
		}
	}
	return out
}

// parallel runs f for 0..n-1 with at most 4 at a time.
func parallel(n int, f func(i int)) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// batchFunds reads each partner's funds: the upstream has no batch form,
// so the batch deduplicates and runs the calls side by side.
func (l *Loaders) batchFunds(ctx context.Context, keys []gateway.Scope) []*dataloader.Result[[]gateway.Fund] {
	out := make([]*dataloader.Result[[]gateway.Fund], len(keys))
	parallel(len(keys), func(i int) {
		f, err := l.src.Funds(ctx, keys[i])
		out[i] = &dataloader.Result[[]gateway.Fund]{Data: f, Error: err}
	})
	return out
}

func (l *Loaders) batchQuotas(ctx context.Context, keys []Key) []*dataloader.Result[[]gateway.Quota] {
	out := make([]*dataloader.Result[[]gateway.Quota], len(keys))
	parallel(len(keys), func(i int) {
		q, err := l.allIssuedQuotas(ctx, keys[i].Scope, keys[i].ID)
		out[i] = &dataloader.Result[[]gateway.Quota]{Error: err}
		if err == nil {
			out[i].Data = q
		}
	})
	return out
}

// maxQuotaPages bounds how many pages of issued quotas one read walks.
const maxQuotaPages = 20

// allIssuedQuotas walks ListIssuedCouponQuotas (100 per call) for one
// reseller, or for all resellers when resellerID is empty.
func (l *Loaders) allIssuedQuotas(ctx context.Context, s gateway.Scope, resellerID string) ([]gateway.Quota, error) {
	var all []gateway.Quota
	for p := 0; p < maxQuotaPages; p++ {
		res, err := l.src.IssuedQuotas(ctx, s, gateway.IssuedQuotaQuery{Page: gateway.Page{Offset: p * gateway.MaxPageSize, Limit: gateway.MaxPageSize}, ResellerID: resellerID})
		if err != nil {
			return nil, err
		}
		all = append(all, res.Quotas...)
		if len(res.Quotas) < gateway.MaxPageSize || len(all) >= res.Total {
			break
		}
	}
	return all, nil
}

func missing[K comparable, V any](ctx context.Context, c *dataloader.InMemoryCache[K, V], keys []K) []K {
	var out []K
	for _, k := range keys {
		if _, ok := c.Get(ctx, k); !ok {
			out = append(out, k)
		}
	}
	return out
}

func (p *Page) keys() []Key {
	ks := make([]Key, len(p.IDs))
	for i, id := range p.IDs {
		ks[i] = Key{Scope: p.Scope, ID: id}
	}
	return ks
}

func ids(ks []Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID
	}
	return out
}

// CustomerBalance returns a customer's balance (nil when the upstream has
// none). With a page, the first call fetches the whole page.
func (l *Loaders) CustomerBalance(ctx context.Context, s gateway.Scope, id string, p *Page) (*gateway.CustomerBalance, error) {
	if p != nil {
		if err := l.pageBalances(ctx, p); err != nil {
			return nil, err
		}
		if v, ok := p.balances[id]; ok && s == p.Scope {
			return v, nil
		}
	}
	return l.balance.Load(ctx, Key{Scope: s, ID: id})()
}

// pageBalances fetches the balances of the page's ids not cached yet, once.
func (l *Loaders) pageBalances(ctx context.Context, p *Page) error {
	return p.balance.do(func() error {
		l.balancePrefetch.Lock()
		defer l.balancePrefetch.Unlock()
		ks := missing(ctx, l.balanceCache, p.keys())
		if len(ks) == 0 {
			return nil
		}
		m, err := l.src.CustomerBalances(ctx, p.Scope, ids(ks))
		if err != nil {
			return err
		}
		p.balances = make(map[string]*gateway.CustomerBalance, len(ks))
		for _, k := range ks {
			var v *gateway.CustomerBalance
			if b, ok := m[k.ID]; ok {
				v = &b
			}
			l.balance.Prime(ctx, k, v)
			p.balances[k.ID] = v
		}
		return nil
	})
}

// NewCustomerTag returns a customer's new-customer tag (nil when none).
func (l *Loaders) NewCustomerTag(ctx context.Context, s gateway.Scope, id string, p *Page) (*gateway.NewCustomerTag, error) {
	if p != nil {
		if err := l.pageTags(ctx, p); err != nil {
			return nil, err
		}
		if v, ok := p.tags[id]; ok && s == p.Scope {
			return v, nil
		}
	}
	return l.tag.Load(ctx, Key{Scope: s, ID: id})()
}

// pageTags fetches the tags of the page's ids not cached yet, once.
func (l *Loaders) pageTags(ctx context.Context, p *Page) error {
	return p.tag.do(func() error {
		l.tagPrefetch.Lock()
		defer l.tagPrefetch.Unlock()
		ks := missing(ctx, l.tagCache, p.keys())
		if len(ks) == 0 {
			return nil
		}
		m, err := l.src.NewCustomerTags(ctx, p.Scope, ids(ks))
		if err != nil {
			return err
		}
		p.tags = make(map[string]*gateway.NewCustomerTag, len(ks))
		for _, k := range ks {
			var v *gateway.NewCustomerTag
			if t, ok := m[k.ID]; ok {
				v = &t
			}
			l.tag.Prime(ctx, k, v)
			p.tags[k.ID] = v
		}
		return nil
	})
}

// PrefetchCustomerPage runs the page's balance and tag fetches side by side
// when both are wanted. gqlgen resolves a row's balance and newCustomerTag
// one after the other, on the row's goroutine (graph/model/customer.go), so
// without this the page's two calls would run one after the other. Errors
// stay with the page: each row's field reports them as before.
func (l *Loaders) PrefetchCustomerPage(ctx context.Context, p *Page, balance, tag bool) {
	if p == nil || len(p.IDs) == 0 || !balance || !tag {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = l.pageBalances(ctx, p)
	}()
	_ = l.pageTags(ctx, p)
	<-done
}

// QueueCustomer queues a customer's balance and tag reads without waiting
// for them, so both join the current batch windows; later
// CustomerBalance/NewCustomerTag calls (without a page) get the same
// results from the loaders' caches.
func (l *Loaders) QueueCustomer(ctx context.Context, s gateway.Scope, id string) {
	k := Key{Scope: s, ID: id}
	l.balance.Load(ctx, k)
	l.tag.Load(ctx, k)
}

// Funds returns the funds of the scope's partner. With a page of resellers
// (scope = the tier-1, ids = reseller ids), the page's funds are read side
// by side on first use.
func (l *Loaders) Funds(ctx context.Context, s gateway.Scope, p *Page) ([]gateway.Fund, error) {
	if p != nil {
		_ = p.funds.do(func() error {
			l.prefetch.Lock()
			defer l.prefetch.Unlock()
			scopes := make([]gateway.Scope, len(p.IDs))
			for i, id := range p.IDs {
				scopes[i] = gateway.Scope{Account: p.Scope.Account, Indirect: id}
			}
			scopes = missing(ctx, l.fundsCache, scopes)
			l.funds.LoadMany(ctx, scopes) // one batch for the page, capacity is unbounded
			return nil
		})
	}
	return l.funds.Load(ctx, s)()
}

// ResellerQuotas returns the child quotas a tier-1 (scope) issued to a
// reseller. With a page of resellers, all issued quotas are read once
// (100 per call) and grouped by reseller.
func (l *Loaders) ResellerQuotas(ctx context.Context, tier1 gateway.Scope, resellerID string, p *Page) ([]gateway.Quota, error) {
	if p != nil {
		err := p.quotas.do(func() error {
			l.prefetch.Lock()
			defer l.prefetch.Unlock()
			ks := missing(ctx, l.quotasCache, p.keys())
			if len(ks) == 0 {
				return nil
			}
			all, err := l.allIssuedQuotas(ctx, p.Scope, "")
			if err != nil {
				return err
			}
			by := map[string][]gateway.Quota{}
			for _, q := range all {
				by[q.ResellerID] = append(by[q.ResellerID], q)
			}
			p.quotaLists = make(map[string][]gateway.Quota, len(ks))
			for _, k := range ks {
				l.quotas.Prime(ctx, k, by[k.ID])
				p.quotaLists[k.ID] = by[k.ID]
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if v, ok := p.quotaLists[resellerID]; ok && tier1 == p.Scope {
			return v, nil
		}
	}
	return l.quotas.Load(ctx, Key{Scope: tier1, ID: resellerID})()
}
