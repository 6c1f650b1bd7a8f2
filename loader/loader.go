// Package loader holds the per-operation loaders: they batch and deduplicate
// upstream reads within one GraphQL operation. The resolvers' schema builds
// them for every operation (With), so nothing is cached across requests or
// callers.
//
// The dataloader wait window is not relied on for lists: a list resolver
// that holds a page of ids reads a per-row field for the whole page at once
// (ceil(N/100) balance calls for N customers) and the rows read the result.
// Single objects (node(id:)) go through the loaders with a 1ms window, so
// aliased nodes share a call.
package loader

import (
	"context"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/sync/errgroup"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/telemetry"
)

// Source is the upstream reads the loaders batch; *gateway.Client meets it,
// and the package's tests pass a fake.
type Source interface {
	CustomerBalances(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.CustomerBalance, error)
	NewCustomerTags(ctx context.Context, s gateway.Scope, ids []string) (map[string]gateway.NewCustomerTag, error)
	Funds(ctx context.Context, s gateway.Scope) ([]gateway.Fund, error)
	IssuedQuotas(ctx context.Context, s gateway.Scope, q gateway.IssuedQuotaQuery) (gateway.QuotaList, error)
	ResourcesByID(ctx context.Context, s gateway.Scope, customerID string, ids []string) (map[string]gateway.Resource, error)
	RenewalQuote(ctx context.Context, s gateway.Scope, customerID string, ids []string, periodType, periodNum int) (gateway.RenewalQuote, error)
	FreeResourceUsages(ctx context.Context, s gateway.Scope, customerID string, ids []string) (map[string]gateway.FreeResourceUsage, error)
	OnDemandResources(ctx context.Context, s gateway.Scope, customerID string, p gateway.Window) (gateway.OnDemandList, error)
	CouponRecords(ctx context.Context, s gateway.Scope, q gateway.CouponRecordQuery) (gateway.CouponRecordList, error)
}

var _ Source = (*gateway.Client)(nil)

// batch starts one batch read of a loader: every batch function and page
// read of the package begins with it. It observes the batch's size and
// makes its span (a child of the request's); end closes the span.
func batch(ctx context.Context, loader string, keys int) (_ context.Context, end func()) {
	telemetry.FromContext(ctx).Metrics().LoaderBatch(loader, keys)
	ctx, span := telemetry.Tracer(ctx).Start(ctx, "loader "+loader)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("partnergraph.loader", loader), attribute.Int("partnergraph.loader.keys", keys))
	}
	return ctx, func() { span.End() }
}

// Key is an object id within the scope it is read with.
type Key struct {
	Scope gateway.Scope
	ID    string
}

// Page is a page of ids listed together under one scope (customers, or a
// tier-1's resellers). Fields of the page's objects that cost one upstream
// call per object (reseller funds, customers' on-demand resources) read for
// the whole page on first use.
type Page struct {
	Scope gateway.Scope
	IDs   []string

	funds, quotas onceErr

	// quotaLists holds what the page's quota read fetched (nil values
	// included), written inside the once and read after it.
	quotaLists map[string][]gateway.Quota
}

// NewPage returns a page for ids read under s.
func NewPage(s gateway.Scope, ids []string) *Page { return &Page{Scope: s, IDs: ids} }

func (p *Page) keys() []Key {
	ks := make([]Key, len(p.IDs))
	for i, id := range p.IDs {
		ks[i] = Key{Scope: p.Scope, ID: id}
	}
	return ks
}

type onceErr struct {
	once sync.Once
	err  error
}

func (o *onceErr) do(f func() error) error {
	o.once.Do(func() { o.err = f() })
	return o.err
}

// Loaders are one operation's loaders.
type Loaders struct {
	src Source

	// prefetch serialises page reads so two pages listed side by side in
	// one operation never fetch the same key twice.
	prefetch sync.Mutex

	balances *perCustomer[gateway.CustomerBalance]
	tags     *perCustomer[gateway.NewCustomerTag]

	fundsCache  *dataloader.InMemoryCache[gateway.Scope, []gateway.Fund]
	funds       *dataloader.Loader[gateway.Scope, []gateway.Fund]
	quotasCache *dataloader.InMemoryCache[Key, []gateway.Quota]
	quotas      *dataloader.Loader[Key, []gateway.Quota] // child quotas by reseller; Key.Scope is the tier-1's

	commerce *commerceLoaders // resources.go

	// rows bounds the per-row reads in flight that have no batch form
	// (Side).
	rows chan struct{}
}

const wait = time.Millisecond

// New builds an operation's loaders.
func New(src Source) *Loaders {
	l := &Loaders{src: src, commerce: newCommerce(src), rows: make(chan struct{}, sideReads)}
	l.balances = newPerCustomer("balances", src.CustomerBalances, gateway.MaxBalanceBatch)
	l.tags = newPerCustomer("newCustomerTags", src.NewCustomerTags, gateway.MaxTagBatch)
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

// For returns the operation's loaders (nil outside an operation).
func For(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// perCustomer reads one per-customer value (a balance, a new-customer
// tag) for many customers per upstream call. A page asks for all its ids
// at once and they are read at once, without a wait window; a single id
// goes through a dataloader window so aliased single objects share a call.
// Every value read is remembered for the rest of the operation.
type perCustomer[V any] struct {
	name string // the loader, in metrics and spans
	read func(ctx context.Context, s gateway.Scope, ids []string) (map[string]V, error)

	mu    sync.Mutex // held across a page read: no id is read twice
	known map[Key]*V // nil: the upstream has none for that customer

	single *dataloader.Loader[Key, *V]
}

func newPerCustomer[V any](name string, read func(context.Context, gateway.Scope, []string) (map[string]V, error), capacity int) *perCustomer[V] {
	p := &perCustomer[V]{name: name, read: read, known: map[Key]*V{}}
	p.single = dataloader.NewBatchedLoader(p.batch,
		dataloader.WithWait[Key, *V](wait),
		dataloader.WithBatchCapacity[Key, *V](capacity),
		dataloader.WithCache[Key, *V](&dataloader.NoCache[Key, *V]{}))
	return p
}

// store remembers what read answered for ids (absent: nil). Callers hold mu.
func (p *perCustomer[V]) store(s gateway.Scope, ids []string, m map[string]V) {
	for _, id := range ids {
		var v *V
		if got, ok := m[id]; ok {
			v = &got
		}
		p.known[Key{s, id}] = v
	}
}

func (p *perCustomer[V]) batch(ctx context.Context, keys []Key) []*dataloader.Result[*V] {
	ctx, end := batch(ctx, p.name, len(keys))
	defer end()
	out := make([]*dataloader.Result[*V], len(keys))
	for s, idx := range groupByScope(keys) {
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = keys[i].ID
		}
		m, err := p.read(ctx, s, ids)
		p.mu.Lock()
		if err == nil {
			p.store(s, ids, m)
		}
		for _, i := range idx {
			out[i] = &dataloader.Result[*V]{Data: p.known[keys[i]], Error: err}
		}
		p.mu.Unlock()
	}
	return out
}

// load returns the values of ids under s, in the order of ids.
func (p *perCustomer[V]) load(ctx context.Context, s gateway.Scope, ids []string) ([]*V, error) {
	if len(ids) == 1 {
		p.mu.Lock()
		v, ok := p.known[Key{s, ids[0]}]
		p.mu.Unlock()
		if !ok {
			var err error
			if v, err = p.single.Load(ctx, Key{s, ids[0]})(); err != nil {
				return nil, err
			}
		}
		return []*V{v}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if _, ok := p.known[Key{s, id}]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		ctx, end := batch(ctx, p.name, len(missing))
		m, err := p.read(ctx, s, missing)
		end()
		if err != nil {
			return nil, err
		}
		p.store(s, missing, m)
	}
	out := make([]*V, len(ids))
	for i, id := range ids {
		out[i] = p.known[Key{s, id}]
	}
	return out, nil
}

// groupByScope splits keys by scope, keeping each key's index.
func groupByScope(keys []Key) map[gateway.Scope][]int {
	g := map[gateway.Scope][]int{}
	for i, k := range keys {
		g[k.Scope] = append(g[k.Scope], i)
	}
	return g
}

// sideReads is how many per-row reads without a batch form one operation
// runs at a time.
const sideReads = 4

// Side runs read, a per-row upstream read that has no batch form (a
// reseller's own records, one reseller per call), with at most sideReads
// of them in flight in the operation: a list of N rows costs N calls, side
// by side but bounded. It returns ctx's error when ctx ends first.
func (l *Loaders) Side(ctx context.Context, read func() error) error {
	if l == nil {
		return read()
	}
	select {
	case l.rows <- struct{}{}:
	case <-ctx.Done():
		return &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Message: "the request ended before the upstream was asked", Err: ctx.Err()}
	}
	defer func() { <-l.rows }()
	return read()
}

// parallel runs f for 0..n-1, at most 4 at a time: for upstream reads that
// have no batch form.
func parallel(n int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(4)
	for i := range n {
		g.Go(func() error { f(i); return nil })
	}
	_ = g.Wait()
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
