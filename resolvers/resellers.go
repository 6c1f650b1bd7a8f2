package resolvers

import (
	"context"
	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/loader"
)

// fetchReseller reads the reseller addressed by s (tier-1 keys + id).
func (r *Resolver) fetchReseller(ctx context.Context, s gateway.Scope) (*model.Reseller, error) {
	l, err := r.upstream.ListResellers(ctx, gateway.Scope{Account: s.Account}, gateway.Window{Limit: 1}, "", s.Indirect)
	if err != nil {
		return nil, err
	}
	for _, rs := range l.Resellers {
		if rs.ID == s.Indirect {
			return reseller(gateway.Scope{Account: s.Account}, rs, nil), nil
		}
	}
	return nil, apierr.NotFound("reseller")
}

func reseller(tier1 gateway.Scope, r gateway.Reseller, p *loader.Page) *model.Reseller {
	s := gateway.Scope{Account: tier1.Account, Indirect: r.ID}
	return &model.Reseller{
		ID: globalID("Reseller", s, r.ID), ResellerID: r.ID, AccountName: opt(r.AccountName), Name: opt(r.Name),
		Email: opt(r.Email), MobilePhone: opt(r.MobilePhone), AssociatedOn: opt(r.AssociatedOn),
		AccountManagerName: opt(r.AccountManagerName), Scope: s, Page: p,
	}
}
