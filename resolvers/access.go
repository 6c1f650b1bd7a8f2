package resolvers

import (
	"context"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/identity"
)

// Who sees what:
//   - a partner (tier-1 or solution provider) sees its own account and
//     customers; a tier-1 also its resellers and, through them, their
//     customers, funds and quotas (indirect_partner_id on its own keys);
//   - a tier-2 reseller sees only its own customers, funds and quotas;
//   - a customer sees only itself.
// Anything else is NOT_FOUND, never FORBIDDEN, so existence is not revealed;
// FORBIDDEN is kept for whole root fields a role may not use.

func forbidden(what string) error {
	return apierr.Errorf(apierr.CodeForbidden, "%s is not available to your role", what)
}

// principal returns the verified caller or UNAUTHENTICATED.
func principal(ctx context.Context) (*identity.Principal, error) { return identity.For(ctx) }

// partnerAccount returns the account of a partner principal; the gateway
// must hold its keys.
func (r *Resolver) partnerAccount(p *identity.Principal) (gateway.Account, error) {
	a, ok := r.upstream.Account(p.PartnerID)
	if !ok || !r.upstream.HasKeys(a.ID) || (a.Kind != gateway.KindTier1 && a.Kind != gateway.KindProvider) {
		return gateway.Account{}, apierr.Errorf(apierr.CodeForbidden, "this gateway does not serve partner %s", p.PartnerID)
	}
	return a, nil
}

// resellerScope returns how to address reseller id: the tier-1's keys with
// indirect_partner_id. tier1 restricts the search to one tier-1 ("" = any
// tier-1 whose keys we hold).
func (r *Resolver) resellerScope(ctx context.Context, id, tier1 string) (gateway.Scope, error) {
	if id == "" {
		return gateway.Scope{}, apierr.NotFound("reseller")
	}
	if a, ok := r.upstream.Account(id); ok && a.Kind == gateway.KindTier2 && a.ParentID != "" && r.upstream.HasKeys(a.ParentID) {
		if tier1 != "" && tier1 != a.ParentID {
			return gateway.Scope{}, apierr.NotFound("reseller")
		}
		return gateway.Scope{Account: a.ParentID, Indirect: id}, nil
	}
	if v, ok := r.resellerParent.Load(id); ok {
		if tier1 != "" && tier1 != v.(string) {
			return gateway.Scope{}, apierr.NotFound("reseller")
		}
		return gateway.Scope{Account: v.(string), Indirect: id}, nil
	}
	for _, a := range r.upstream.Accounts() {
		if a.Kind != gateway.KindTier1 || !r.upstream.HasKeys(a.ID) || (tier1 != "" && a.ID != tier1) {
			continue
		}
		l, err := r.upstream.ListResellers(ctx, gateway.Scope{Account: a.ID}, gateway.Window{Limit: 1}, "", id)
		if err != nil {
			if apierr.ErrorCode(err) == apierr.CodeNotFound {
				continue
			}
			return gateway.Scope{}, err
		}
		for _, rs := range l.Resellers {
			if rs.ID == id {
				r.resellerParent.Store(id, a.ID)
				return gateway.Scope{Account: a.ID, Indirect: id}, nil
			}
		}
	}
	return gateway.Scope{}, apierr.NotFound("reseller")
}

// homeScope is the scope of the caller's own partner account: a partner's
// own keys, a reseller's tier-1 keys + its id, and for a customer the scope
// of the partner (or reseller) it belongs to.
func (r *Resolver) homeScope(ctx context.Context, p *identity.Principal) (gateway.Scope, error) {
	switch p.Role {
	case identity.RolePartner:
		a, err := r.partnerAccount(p)
		if err != nil {
			return gateway.Scope{}, err
		}
		return gateway.Scope{Account: a.ID}, nil
	case identity.RoleReseller:
		s, err := r.resellerScope(ctx, p.PartnerID, "")
		if err != nil {
			return gateway.Scope{}, apierr.Errorf(apierr.CodeForbidden, "this gateway does not serve reseller %s", p.PartnerID)
		}
		return s, nil
	case identity.RoleCustomer:
		if a, ok := r.upstream.Account(p.PartnerID); ok && r.upstream.HasKeys(a.ID) && a.Kind != gateway.KindTier2 {
			return gateway.Scope{Account: a.ID}, nil
		}
		s, err := r.resellerScope(ctx, p.PartnerID, "")
		if err != nil {
			return gateway.Scope{}, apierr.Errorf(apierr.CodeForbidden, "this gateway does not serve partner %s", p.PartnerID)
		}
		return s, nil
	}
	return gateway.Scope{}, apierr.Errorf(apierr.CodeUnauthenticated, "unknown role")
}

// canUse reports whether p may read objects under scope s (and, for a
// customer principal, only its own customer object: customerID).
func (r *Resolver) canUse(ctx context.Context, p *identity.Principal, s gateway.Scope, customerID string) bool {
	home, err := r.homeScope(ctx, p)
	if err != nil {
		return false
	}
	switch p.Role {
	case identity.RolePartner:
		if s == home {
			return true
		}
		// a tier-1 reaches its resellers' objects
		if s.Account != home.Account || s.Indirect == "" {
			return false
		}
		a, _ := r.upstream.Account(home.Account)
		if a.Kind != gateway.KindTier1 {
			return false
		}
		_, err := r.resellerScope(ctx, s.Indirect, home.Account)
		return err == nil
	case identity.RoleReseller:
		return s == home
	case identity.RoleCustomer:
		return s == home && customerID == p.CustomerID
	}
	return false
}

// isTier1 says whether p is a tier-1 partner.
func (r *Resolver) isTier1(p *identity.Principal) bool {
	if p.Role != identity.RolePartner {
		return false
	}
	a, err := r.partnerAccount(p)
	return err == nil && a.Kind == gateway.KindTier1
}
