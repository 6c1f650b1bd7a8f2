package resolvers

import (
	"context"
	"strings"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/identity"
)

// Commerce writes (issue 5). Every write names its customer
// (CommerceTarget) and is checked before any upstream write:
//
//   - a customer acts only for itself; a partner for its own customers, a
//     tier-1 also for its resellers' customers (resellerId), a reseller
//     for its own; anyone else → NOT_FOUND;
//   - partners act only for RESALE customers (a consultant-sale customer
//     manages and pays its own orders) → BAD_USER_INPUT;
//   - what upstream would refuse is refused first with BAD_USER_INPUT:
//     paying or cancelling an order that is not pending payment, more than
//     3 coupons, a coupon or discount the order does not offer, a cash
//     coupon with a discount, a child resource, more resources than one
//     call takes;
//   - per-resource failures of the upstream's 200 answers come back per
//     item (failures).
//
// payOrder, renewResources (which pays at once) and unsubscribeResources
// carry @verified: a partner needs a code, a customer acting for itself
// does not, and a replayed idempotency key answers the stored payload
// (plain snapshots, see OrderSnapshot).

func init() {
	payloadTypes[model.SensitiveOperationPayOrder] = func() any { return new(model.PayOrderPayload) }
	payloadTypes[model.SensitiveOperationRenewResources] = func() any { return new(model.ResourceOrdersPayload) }
	payloadTypes[model.SensitiveOperationUnsubscribeResources] = func() any { return new(model.ResourceOrdersPayload) }
}

// target is the customer a write acts for.
type target struct {
	scope    gateway.Scope
	customer string
}

// commerceTarget resolves and authorizes the customer of a write.
func (r *Resolver) commerceTarget(ctx context.Context, t *model.CommerceTarget) (target, error) {
	p, err := principal(ctx)
	if err != nil {
		return target{}, err
	}
	if t == nil || strings.TrimSpace(t.CustomerID) == "" {
		return target{}, apierr.Errorf(apierr.CodeBadUserInput, "customer.customerId is required")
	}
	reseller := ""
	if t.ResellerID != nil {
		reseller = *t.ResellerID
	}
	home, err := r.homeScope(ctx, p)
	if err != nil {
		return target{}, err
	}
	s := home
	switch p.Role {
	case identity.RoleCustomer:
		if t.CustomerID != p.CustomerID || reseller != "" {
			return target{}, apierr.NotFound("customer")
		}
		return target{scope: s, customer: t.CustomerID}, nil
	case identity.RoleReseller:
		if reseller != "" && reseller != home.Indirect {
			return target{}, apierr.NotFound("customer")
		}
	case identity.RolePartner:
		if reseller != "" {
			if !r.isTier1(p) {
				return target{}, apierr.NotFound("customer")
			}
			if s, err = r.resellerScope(ctx, reseller, home.Account); err != nil {
				return target{}, apierr.NotFound("customer")
			}
		}
	}
	if !r.canUse(ctx, p, s, t.CustomerID) {
		return target{}, apierr.NotFound("customer")
	}
	c, err := r.fetchCustomer(ctx, s, t.CustomerID)
	if err != nil {
		return target{}, err
	}
	if c.AssociationType == nil || *c.AssociationType != model.AssociationTypeResale {
		return target{}, apierr.Errorf(apierr.CodeBadUserInput, "a partner acts only for resale customers; a consultant-sale customer manages its own orders and resources")
	}
	return target{scope: s, customer: t.CustomerID}, nil
}

func snapshot(s gateway.Scope, o gateway.Order) *model.OrderSnapshot {
	m := orderModel(s, o)
	return &model.OrderSnapshot{ID: m.ID, OrderID: m.OrderID, CustomerID: m.CustomerID, Status: m.Status, Type: m.Type,
		OfficialAmount: m.OfficialAmount, AmountAfterDiscount: m.AmountAfterDiscount, CouponAmount: m.CouponAmount,
		DiscountAmount: m.DiscountAmount, CreatedAt: m.CreatedAt, PaidAt: m.PaidAt}
}

// pendingOrder reads the order and requires it to be pending payment.
func (r *Resolver) pendingOrder(ctx context.Context, t target, orderID, verb string) (gateway.Order, error) {
	if strings.TrimSpace(orderID) == "" {
		return gateway.Order{}, apierr.Errorf(apierr.CodeBadUserInput, "orderId is required")
	}
	o, err := r.Up.Order(ctx, t.scope, t.customer, orderID)
	if err != nil {
		return o, err
	}
	if o.Status != gateway.OrderPendingPayment {
		return o, apierr.Errorf(apierr.CodeBadUserInput, "only an order pending payment can be %s; this one is %s", verb, strings.ToLower(statusName(o.Status)))
	}
	return o, nil
}

func statusName(n int) string {
	if s, ok := orderStatuses[n]; ok {
		return strings.ReplaceAll(string(s), "_", " ")
	}
	return "in an unknown status"
}

// mainResources checks that ids are main resources of the customer
// (unknown ids are left to the upstream, which reports them per item).
func (r *Resolver) mainResources(ctx context.Context, t target, ids []string) error {
	m, err := r.Up.ResourcesByID(ctx, t.scope, t.customer, ids)
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

func (r *Resolver) renew(ctx context.Context, in model.RenewResourcesInput, autoPay bool) (*model.ResourceOrdersPayload, error) {
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
	res, err := r.Up.Renew(ctx, t.scope, t.customer, in.ResourceIds, pt, pn, autoPay)
	if err != nil {
		return nil, err
	}
	return r.ordersPayload(ctx, t, res)
}

func (r *Resolver) ordersPayload(ctx context.Context, t target, res gateway.OrderResult) (*model.ResourceOrdersPayload, error) {
	out := &model.ResourceOrdersPayload{Orders: []*model.OrderSnapshot{}, Failures: failureModels(res.Failures)}
	for _, id := range res.OrderIDs {
		o, err := r.Up.Order(ctx, t.scope, t.customer, id)
		if err != nil {
			return nil, err
		}
		out.Orders = append(out.Orders, snapshot(t.scope, o))
	}
	return out, nil
}

func (r *Resolver) resourcesPayload(ctx context.Context, t target, ids []string, fails []gateway.ItemFailure) (*model.ResourcesPayload, error) {
	m, err := r.Up.ResourcesByID(ctx, t.scope, t.customer, ids)
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
