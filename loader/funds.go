package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"partnergraph/gateway"
)

// CustomerBalances returns the balances of ids under s, in the order of
// ids (nil for a customer without one): the ids not read yet in this
// operation in ceil(N/100) calls.
func (l *Loaders) CustomerBalances(ctx context.Context, s gateway.Scope, ids []string) ([]*gateway.CustomerBalance, error) {
	return l.balances.load(ctx, s, ids)
}

// batchFunds reads each partner's funds: the upstream has no batch form,
// so the batch deduplicates and runs the calls side by side.
func (l *Loaders) batchFunds(ctx context.Context, keys []gateway.Scope) []*dataloader.Result[[]gateway.Fund] {
	ctx, end := batch(ctx, "funds", len(keys))
	defer end()
	out := make([]*dataloader.Result[[]gateway.Fund], len(keys))
	parallel(len(keys), func(i int) {
		f, err := l.src.Funds(ctx, keys[i])
		out[i] = &dataloader.Result[[]gateway.Fund]{Data: f, Error: err}
	})
	return out
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
