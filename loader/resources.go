package loader

import (
	"context"
	"sync"

	"github.com/graph-gophers/dataloader/v7"

	"partnergraph/gateway"
)

// Resource loaders: resources by id (≤ 50 per upstream call),
// renewal quotes (≤ 10 per call), free-resource usages (≤ 100 per call)
// and on-demand resources for a page of customers (one call per customer,
// as the upstream takes one customer per call, deduplicated and side by
// side).
//
// As for the core loaders, lists do not rely on the wait window: a list
// of resources or packages is wrapped in a ResourcePage, and the first
// field of the page that needs a quote or a usage fetches for the whole
// page and primes the loader.

// CustKey is an object of one customer, read under a scope.
type CustKey struct {
	Scope    gateway.Scope
	Customer string
	ID       string
}

// QuoteKey is one resource's renewal quote for a period.
type QuoteKey struct {
	CustKey
	PeriodType, PeriodNum int
}

// ResourceQuote is one resource's share of a renewal quote: its official
// renewal price (children included), or why upstream would not quote it.
type ResourceQuote struct {
	Amount  *gateway.Money
	Failure *gateway.ItemFailure
}

// OnDemandKey is one page of a customer's on-demand resources.
type OnDemandKey struct {
	CustKey
	Offset, Limit int
}

// ResourcePage is a page of one customer's resources (or free-resource
// items) listed together.
type ResourcePage struct {
	Scope    gateway.Scope
	Customer string
	IDs      []string

	mu     sync.Mutex
	quotes map[[2]int]*onceErr
	usages onceErr
	memo   map[string]*memoEntry
}

type memoEntry struct {
	once sync.Once
	v    any
	err  error
}

// Memo runs f once per page and key (e.g. one walk of the customer's
// resources for all children fields of the page) and shares its result.
func (p *ResourcePage) Memo(key string, f func() (any, error)) (any, error) {
	p.mu.Lock()
	if p.memo == nil {
		p.memo = map[string]*memoEntry{}
	}
	e, ok := p.memo[key]
	if !ok {
		e = &memoEntry{}
		p.memo[key] = e
	}
	p.mu.Unlock()
	e.once.Do(func() { e.v, e.err = f() })
	return e.v, e.err
}

// NewResourcePage returns a page of ids of one customer.
func NewResourcePage(s gateway.Scope, customer string, ids []string) *ResourcePage {
	return &ResourcePage{Scope: s, Customer: customer, IDs: ids, quotes: map[[2]int]*onceErr{}}
}

func (p *ResourcePage) keys() []CustKey {
	ks := make([]CustKey, len(p.IDs))
	for i, id := range p.IDs {
		ks[i] = CustKey{Scope: p.Scope, Customer: p.Customer, ID: id}
	}
	return ks
}

type commerceLoaders struct {
	src Source

	resource    *dataloader.Loader[CustKey, *gateway.Resource]
	quoteCache  *dataloader.InMemoryCache[QuoteKey, *ResourceQuote]
	quote       *dataloader.Loader[QuoteKey, *ResourceQuote]
	usageCache  *dataloader.InMemoryCache[CustKey, *gateway.FreeResourceUsage]
	usage       *dataloader.Loader[CustKey, *gateway.FreeResourceUsage]
	onDemandC   *dataloader.InMemoryCache[OnDemandKey, gateway.OnDemandList]
	onDemand    *dataloader.Loader[OnDemandKey, gateway.OnDemandList]
	onDemandPgs sync.Map // *Page → *onceErr
}

func newCommerce(src Source) *commerceLoaders {
	c := &commerceLoaders{src: src}
	c.resource = dataloader.NewBatchedLoader(c.batchResources,
		dataloader.WithWait[CustKey, *gateway.Resource](wait))
	c.quoteCache = dataloader.NewCache[QuoteKey, *ResourceQuote]()
	c.quote = dataloader.NewBatchedLoader(c.batchQuotes,
		dataloader.WithCache[QuoteKey, *ResourceQuote](c.quoteCache),
		dataloader.WithWait[QuoteKey, *ResourceQuote](wait))
	c.usageCache = dataloader.NewCache[CustKey, *gateway.FreeResourceUsage]()
	c.usage = dataloader.NewBatchedLoader(c.batchUsages,
		dataloader.WithCache[CustKey, *gateway.FreeResourceUsage](c.usageCache),
		dataloader.WithWait[CustKey, *gateway.FreeResourceUsage](wait))
	c.onDemandC = dataloader.NewCache[OnDemandKey, gateway.OnDemandList]()
	c.onDemand = dataloader.NewBatchedLoader(c.batchOnDemand,
		dataloader.WithCache[OnDemandKey, gateway.OnDemandList](c.onDemandC),
		dataloader.WithWait[OnDemandKey, gateway.OnDemandList](wait))
	return c
}

// groupByCustomer splits keys by (scope, customer), keeping indexes.
func groupByCustomer[K any](keys []K, id func(K) CustKey) map[CustKey][]int {
	g := map[CustKey][]int{}
	for i, k := range keys {
		ck := id(k)
		ck.ID = ""
		g[ck] = append(g[ck], i)
	}
	return g
}

// perCustomerIDs answers keys of several customers with one read per
// customer: read maps the ids of one customer to their values (absent: nil).
func perCustomerIDs[V any](ctx context.Context, name string, keys []CustKey, read func(ctx context.Context, s gateway.Scope, customer string, ids []string) (map[string]V, error)) []*dataloader.Result[*V] {
	ctx, end := batch(ctx, name, len(keys))
	defer end()
	out := make([]*dataloader.Result[*V], len(keys))
	for g, idx := range groupByCustomer(keys, func(k CustKey) CustKey { return k }) {
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = keys[i].ID
		}
		m, err := read(ctx, g.Scope, g.Customer, ids)
		for _, i := range idx {
			r := &dataloader.Result[*V]{Error: err}
			if v, ok := m[keys[i].ID]; ok && err == nil {
				r.Data = &v
			}
			out[i] = r
		}
	}
	return out
}

func (c *commerceLoaders) batchResources(ctx context.Context, keys []CustKey) []*dataloader.Result[*gateway.Resource] {
	return perCustomerIDs(ctx, "resources", keys, c.src.ResourcesByID) // ≤ 50 per call inside
}

// quoteGroup is the keys one quote call may carry together.
type quoteGroup struct {
	CustKey
	pt, pn int
}

func (c *commerceLoaders) batchQuotes(ctx context.Context, keys []QuoteKey) []*dataloader.Result[*ResourceQuote] {
	ctx, end := batch(ctx, "renewalQuotes", len(keys))
	defer end()
	out := make([]*dataloader.Result[*ResourceQuote], len(keys))
	groups := map[quoteGroup][]int{}
	for i, k := range keys {
		g := quoteGroup{CustKey{Scope: k.Scope, Customer: k.Customer}, k.PeriodType, k.PeriodNum}
		groups[g] = append(groups[g], i)
	}
	type chunk struct {
		g   quoteGroup
		idx []int
	}
	var chunks []chunk
	for g, idx := range groups {
		for lo := 0; lo < len(idx); lo += gateway.MaxRenewBatch {
			chunks = append(chunks, chunk{g, idx[lo:min(lo+gateway.MaxRenewBatch, len(idx))]})
		}
	}
	parallel(len(chunks), func(n int) {
		ch := chunks[n]
		ids := make([]string, len(ch.idx))
		for j, i := range ch.idx {
			ids[j] = keys[i].ID
		}
		q, err := c.src.RenewalQuote(ctx, ch.g.Scope, ch.g.Customer, ids, ch.g.pt, ch.g.pn)
		fails := map[string]*gateway.ItemFailure{}
		for k := range q.Failures {
			fails[q.Failures[k].ID] = &q.Failures[k]
		}
		for _, i := range ch.idx {
			r := &dataloader.Result[*ResourceQuote]{Error: err}
			if err == nil {
				rq := &ResourceQuote{Failure: fails[keys[i].ID]}
				if m, ok := q.Amounts[keys[i].ID]; ok {
					rq.Amount = &m
				}
				r.Data = rq
			}
			out[i] = r
		}
	})
	return out
}

func (c *commerceLoaders) batchUsages(ctx context.Context, keys []CustKey) []*dataloader.Result[*gateway.FreeResourceUsage] {
	return perCustomerIDs(ctx, "freeResourceUsages", keys, c.src.FreeResourceUsages) // ≤ 100 per call inside
}

func (c *commerceLoaders) batchOnDemand(ctx context.Context, keys []OnDemandKey) []*dataloader.Result[gateway.OnDemandList] {
	ctx, end := batch(ctx, "onDemandResources", len(keys))
	defer end()
	out := make([]*dataloader.Result[gateway.OnDemandList], len(keys))
	parallel(len(keys), func(i int) {
		k := keys[i]
		l, err := c.src.OnDemandResources(ctx, k.Scope, k.Customer, gateway.Window{Offset: k.Offset, Limit: k.Limit})
		out[i] = &dataloader.Result[gateway.OnDemandList]{Data: l, Error: err}
	})
	return out
}

// Resource returns a customer's resource by id (nil when there is none).
func (l *Loaders) Resource(ctx context.Context, s gateway.Scope, customer, id string) (*gateway.Resource, error) {
	c := l.commerce
	return c.resource.Load(ctx, CustKey{Scope: s, Customer: customer, ID: id})()
}

// RenewalQuote returns one resource's renewal quote for a period. With a
// page, the first call quotes the whole page, 10 resources per call.
func (l *Loaders) RenewalQuote(ctx context.Context, s gateway.Scope, customer, id string, periodType, periodNum int, p *ResourcePage) (*ResourceQuote, error) {
	c := l.commerce
	if err := gateway.CheckPeriod(periodType, periodNum); err != nil {
		return nil, err
	}
	if p != nil {
		p.mu.Lock()
		o, ok := p.quotes[[2]int{periodType, periodNum}]
		if !ok {
			o = &onceErr{}
			p.quotes[[2]int{periodType, periodNum}] = o
		}
		p.mu.Unlock()
		err := o.do(func() error {
			l.prefetch.Lock()
			defer l.prefetch.Unlock()
			ks := make([]QuoteKey, 0, len(p.IDs))
			for _, k := range p.keys() {
				ks = append(ks, QuoteKey{CustKey: k, PeriodType: periodType, PeriodNum: periodNum})
			}
			ks = missing(ctx, c.quoteCache, ks)
			if len(ks) == 0 {
				return nil
			}
			res := c.batchQuotes(ctx, ks)
			for i, k := range ks {
				if res[i].Error != nil {
					return res[i].Error
				}
				c.quote.Prime(ctx, k, res[i].Data)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return c.quote.Load(ctx, QuoteKey{CustKey: CustKey{Scope: s, Customer: customer, ID: id}, PeriodType: periodType, PeriodNum: periodNum})()
}

// FreeResourceUsage returns the usage of a free-resource item (nil when
// upstream has none). With a page of items, the first call reads the
// whole page, 100 items per call.
func (l *Loaders) FreeResourceUsage(ctx context.Context, s gateway.Scope, customer, id string, p *ResourcePage) (*gateway.FreeResourceUsage, error) {
	c := l.commerce
	if p != nil {
		err := p.usages.do(func() error {
			l.prefetch.Lock()
			defer l.prefetch.Unlock()
			ks := missing(ctx, c.usageCache, p.keys())
			if len(ks) == 0 {
				return nil
			}
			res := c.batchUsages(ctx, ks)
			for i, k := range ks {
				if res[i].Error != nil {
					return res[i].Error
				}
				c.usage.Prime(ctx, k, res[i].Data)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return c.usage.Load(ctx, CustKey{Scope: s, Customer: customer, ID: id})()
}

// OnDemandResources returns one page of a customer's on-demand resources.
// With the page of customers the customer was listed in, the first call
// reads the same window for every customer of the page, side by side.
func (l *Loaders) OnDemandResources(ctx context.Context, s gateway.Scope, customer string, w gateway.Window, p *Page) (gateway.OnDemandList, error) {
	c := l.commerce
	if p != nil {
		v, _ := c.onDemandPgs.LoadOrStore(onDemandPage{p, w}, &onceErr{})
		_ = v.(*onceErr).do(func() error {
			l.prefetch.Lock()
			defer l.prefetch.Unlock()
			ks := make([]OnDemandKey, len(p.IDs))
			for i, id := range p.IDs {
				ks[i] = OnDemandKey{CustKey: CustKey{Scope: p.Scope, Customer: id}, Offset: w.Offset, Limit: w.Limit}
			}
			ks = missing(ctx, c.onDemandC, ks)
			c.onDemand.LoadMany(ctx, ks) // one batch for the page
			return nil
		})
	}
	return c.onDemand.Load(ctx, OnDemandKey{CustKey: CustKey{Scope: s, Customer: customer}, Offset: w.Offset, Limit: w.Limit})()
}

type onDemandPage struct {
	p *Page
	w gateway.Window
}
