package resolvers

import (
	"context"
	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/verify"
	"partnergraph/loader"
	"strings"
	"time"
)

var resourceStatuses = map[int]model.ResourceStatus{
	gateway.ResourceInUse: model.ResourceStatusInUse, gateway.ResourceClosed: model.ResourceStatusClosed,
	gateway.ResourceFrozen: model.ResourceStatusFrozen, gateway.ResourceExpired: model.ResourceStatusExpired,
}

var expirePolicies = map[int]model.ExpirePolicy{
	0: model.ExpirePolicyGracePeriod, 1: model.ExpirePolicyToOnDemand, 2: model.ExpirePolicyDelete,
	3: model.ExpirePolicyAutoRenew, 4: model.ExpirePolicyFreeze, 5: model.ExpirePolicyDelete,
}

func resourceModel(s gateway.Scope, customerID string, r gateway.Resource, p *loader.ResourcePage) *model.Resource {
	return &model.Resource{
		ID: globalID("Resource", s, customerID+":"+r.ResourceID), ResourceID: r.ResourceID, CustomerID: customerID,
		InstanceID: opt(r.InstanceID), Name: opt(r.Name), RegionCode: opt(r.RegionCode),
		ServiceTypeCode: opt(r.ServiceTypeCode), ServiceTypeName: opt(r.ServiceTypeName),
		ResourceTypeCode: opt(r.ResourceTypeCode), ResourceTypeName: opt(r.ResourceTypeName),
		SpecCode: opt(r.SpecCode), SpecDescription: opt(r.SpecDesc), IsMain: r.IsMain, ParentResourceID: opt(r.ParentID),
		Status: lookup(resourceStatuses, r.Status), EffectiveAt: opt(r.EffectiveTime), ExpiresAt: opt(r.ExpireTime),
		UpdatedAt: opt(r.UpdateTime), ExpirePolicy: lookup(expirePolicies, r.ExpirePolicy), AutoRenew: r.ExpirePolicy == 3,
		Scope: s, Page: p,
	}
}

// resourceModels converts a list; the page holds its main resources, so
// their quotes are read together.
func resourceModels(s gateway.Scope, customerID string, rs []gateway.Resource) []*model.Resource {
	var mains []string
	for _, r := range rs {
		if r.IsMain {
			mains = append(mains, r.ResourceID)
		}
	}
	p := loader.NewResourcePage(s, customerID, mains)
	out := make([]*model.Resource, len(rs))
	for i, r := range rs {
		out[i] = resourceModel(s, customerID, r, p)
	}
	return out
}

func failureModels(fs []gateway.ItemFailure) []*model.ResourceFailure {
	out := make([]*model.ResourceFailure, len(fs))
	for i, f := range fs {
		out[i] = &model.ResourceFailure{ResourceID: f.ID, Code: f.Code, Message: opt(f.Message)}
	}
	return out
}

func periodArgs(p model.PeriodInput) (int, int, error) {
	pt := gateway.PeriodMonth
	if p.Type == model.PeriodTypeYear {
		pt = gateway.PeriodYear
	}
	return pt, p.Count, gateway.CheckPeriod(pt, p.Count)
}

func periodModel(t int) *model.PeriodType {
	switch t {
	case gateway.PeriodMonth:
		v := model.PeriodTypeMonth
		return &v
	case gateway.PeriodYear:
		v := model.PeriodTypeYear
		return &v
	}
	return nil
}

// checkIDs validates a list of resource ids: 1..max, none empty, no
// duplicates.
func checkIDs(field string, ids []string, max int) error {
	if len(ids) == 0 || len(ids) > max {
		return apierr.Errorf(apierr.CodeBadUserInput, "%s must hold 1-%d resource ids", field, max)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			return apierr.Errorf(apierr.CodeBadUserInput, "%s holds an empty id", field)
		}
		if seen[id] {
			return apierr.Errorf(apierr.CodeBadUserInput, "%s holds %s twice", field, id)
		}
		seen[id] = true
	}
	return nil
}

// maxResourceIDFilter bounds filter.resourceIds (two upstream calls).
const maxResourceIDFilter = 100

// resourcesByID answers filter.resourceIds: the resources in the given
// order (unknown ids left out), 50 per upstream call.
func (r *Resolver) resourcesByID(ctx context.Context, c *model.Customer, ids []string, q gateway.ResourceQuery) (*model.ResourceConnection, error) {
	if len(ids) > maxResourceIDFilter {
		return nil, apierr.Errorf(apierr.CodeBadUserInput, "filter.resourceIds holds at most %d ids", maxResourceIDFilter)
	}
	uniq := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] && id != "" {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	m, err := r.upstream.ResourcesByID(ctx, c.Scope, c.CustomerID, uniq)
	if err != nil {
		return nil, err
	}
	statuses := map[int]bool{}
	for _, s := range q.Statuses {
		statuses[s] = true
	}
	var rs []gateway.Resource
	for _, id := range uniq {
		x, ok := m[id]
		if !ok || (q.OnlyMain && !x.IsMain) || (len(statuses) > 0 && !statuses[x.Status]) || (q.ServiceType != "" && x.ServiceTypeCode != q.ServiceType) {
			continue
		}
		rs = append(rs, x)
	}
	nodes := resourceModels(c.Scope, c.CustomerID, rs)
	p := gateway.Window{Limit: len(nodes)}
	conn := &model.ResourceConnection{Edges: make([]*model.ResourceEdge, len(nodes)), TotalCount: len(nodes), PageInfo: pageInfo(p, len(nodes), len(nodes))}
	for i, n := range nodes {
		conn.Edges[i] = &model.ResourceEdge{Cursor: cursor(i), Node: n}
	}
	return conn, nil
}

// maxChildPages bounds the walk of a customer's resources for children.
const maxChildPages = 10

// allResources walks a customer's resources (500 per call), once per page.
func (r *Resolver) allResources(ctx context.Context, s gateway.Scope, customerID string, p *loader.ResourcePage) ([]gateway.Resource, error) {
	walk := func() (any, error) {
		var all []gateway.Resource
		for i := 0; i < maxChildPages; i++ {
			l, err := r.upstream.Resources(ctx, s, customerID, gateway.ResourceQuery{Window: gateway.Window{Offset: i * gateway.MaxResourcePage, Limit: gateway.MaxResourcePage}})
			if err != nil {
				return nil, err
			}
			all = append(all, l.Resources...)
			if len(l.Resources) < gateway.MaxResourcePage || len(all) >= l.Total {
				break
			}
		}
		return all, nil
	}
	if p == nil {
		v, err := walk()
		if err != nil {
			return nil, err
		}
		return v.([]gateway.Resource), nil
	}
	v, err := p.Memo("all-resources", walk)
	if err != nil {
		return nil, err
	}
	return v.([]gateway.Resource), nil
}

// mainResources checks that ids are main resources of the customer
// (unknown ids are left to the upstream, which reports them per item).
func (r *Resolver) mainResources(ctx context.Context, t target, ids []string) error {
	m, err := r.upstream.ResourcesByID(ctx, t.scope, t.customer, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if x, ok := m[id]; ok && !x.IsMain {
			return apierr.Errorf(apierr.CodeBadUserInput, "resource %s is a child resource: act on its main resource %s", id, x.ParentID)
		}
	}
	return nil
}

// renew renews resources in one order: paid at once with a key's ledger
// (renewResources), left unpaid without one (createRenewalOrder).
func (r *Resolver) renew(ctx context.Context, in model.RenewResourcesInput, l gateway.Ledger) (*model.ResourceOrdersPayload, error) {
	if err := checkIDs("resourceIds", in.ResourceIds, gateway.MaxRenewBatch); err != nil {
		return nil, err
	}
	pt, pn, err := periodArgs(*in.Period)
	if err != nil {
		return nil, err
	}
	t, err := r.commerceTarget(ctx, in.Customer)
	if err != nil {
		return nil, err
	}
	if err := r.mainResources(ctx, t, in.ResourceIds); err != nil {
		return nil, err
	}
	res, err := r.upstream.Renew(ctx, t.scope, t.customer, in.ResourceIds, pt, pn, l != nil, l)
	if err != nil {
		return nil, err
	}
	return r.ordersPayload(ctx, t, res)
}

func (r *Resolver) ordersPayload(ctx context.Context, t target, res gateway.OrderResult) (*model.ResourceOrdersPayload, error) {
	out := &model.ResourceOrdersPayload{Orders: []*model.OrderSnapshot{}, Failures: failureModels(res.Failures)}
	for _, id := range res.OrderIDs {
		o, err := r.upstream.Order(ctx, t.scope, t.customer, id)
		if err != nil {
			return nil, err
		}
		out.Orders = append(out.Orders, snapshot(t.scope, o))
	}
	return out, nil
}

func (r *Resolver) resourcesPayload(ctx context.Context, t target, ids []string, fails []gateway.ItemFailure) (*model.ResourcesPayload, error) {
	m, err := r.upstream.ResourcesByID(ctx, t.scope, t.customer, ids)
	if err != nil {
		return nil, err
	}
	var rs []gateway.Resource
	for _, id := range ids {
		if x, ok := m[id]; ok {
			rs = append(rs, x)
		}
	}
	return &model.ResourcesPayload{Resources: resourceModels(t.scope, t.customer, rs), Failures: failureModels(fails)}, nil
}

// renewResources (which pays at once) and unsubscribeResources are
// sensitive operations for partners.
var (
	renewResources = sensitive[model.RenewResourcesInput, model.ResourceOrdersPayload]{
		op:       model.SensitiveOperationRenewResources,
		reseller: func(in *model.RenewResourcesInput) string { return commerceReseller(in.Customer) },
		describe: func(in *model.RenewResourcesInput) verify.Details {
			return verify.Details{Target: listed("resource", in.ResourceIds)}
		},
	}
	unsubscribeResources = sensitive[model.UnsubscribeResourcesInput, model.ResourceOrdersPayload]{
		op:       model.SensitiveOperationUnsubscribeResources,
		reseller: func(in *model.UnsubscribeResourcesInput) string { return commerceReseller(in.Customer) },
		validate: func(in *model.UnsubscribeResourcesInput, now time.Time) error { return validText("reason", in.Reason) },
		describe: func(in *model.UnsubscribeResourcesInput) verify.Details {
			return verify.Details{Target: listed("resource", in.ResourceIds)}
		},
	}
)
