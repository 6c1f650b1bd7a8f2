package resolvers

import (
	"context"
	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/verify"
	"partnergraph/identity"
	"partnergraph/loader"
	"strings"
)

// Orders and resources: every write names its customer
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

var orderStatuses = map[int]model.OrderStatus{
	gateway.OrderPendingApproval: model.OrderStatusPendingApproval, gateway.OrderProcessing: model.OrderStatusProcessing,
	gateway.OrderCancelled: model.OrderStatusCancelled, gateway.OrderCompleted: model.OrderStatusCompleted,
	gateway.OrderPendingPayment: model.OrderStatusPendingPayment, gateway.OrderToBeConfirmed: model.OrderStatusToBeConfirmed,
}

var orderTypes = map[string]model.OrderType{
	gateway.OrderNew: model.OrderTypeNew, gateway.OrderRenewal: model.OrderTypeRenewal, gateway.OrderChange: model.OrderTypeChange,
	gateway.OrderUnsubscribe: model.OrderTypeUnsubscribe, gateway.OrderToOnDemand: model.OrderTypeToOnDemand,
	gateway.OrderToYearlyMonthly: model.OrderTypeToYearlyMonthly,
}

func orderModel(s gateway.Scope, o gateway.Order) *model.Order {
	return &model.Order{
		ID: globalID("Order", s, o.CustomerID+":"+o.ID), OrderID: o.ID, CustomerID: o.CustomerID,
		ServiceTypeCode: opt(o.ServiceTypeCode), ServiceTypeName: opt(o.ServiceTypeName),
		Status: lookup(orderStatuses, o.Status), Type: lookup(orderTypes, o.Type),
		OfficialAmount: money(o.Official), AmountAfterDiscount: money(o.AfterDiscount),
		CouponAmount: money(o.CouponAmount), DiscountAmount: money(o.DiscountAmount),
		CreatedAt: opt(o.CreateTime), PaidAt: opt(o.PaymentTime), Scope: s,
		PayOnBehalf: &model.PayOnBehalf{Requested: o.PayOnBehalf, PayingPartnerID: opt(o.PayingPartnerID)},
	}
}

// maxLineItemPages bounds the line items read for one order (100 per call).
const maxLineItemPages = 5

func awaitingPayment(o *model.Order) bool {
	return o.Status != nil && *o.Status == model.OrderStatusPendingPayment
}

// target is the customer a write acts for.
type target struct {
	scope    gateway.Scope
	customer string
}

// commerceTarget resolves and authorizes the customer of a write: the
// caller's own (ownCustomer), and for a partner a RESALE one.
func (r *Resolver) commerceTarget(ctx context.Context, t *model.CommerceTarget) (target, error) {
	tg, c, err := r.ownCustomer(ctx, t)
	if err != nil || c == nil {
		return tg, err
	}
	if c.AssociationType == nil || *c.AssociationType != model.AssociationTypeResale {
		return target{}, apierr.Errorf(apierr.CodeBadUserInput, "a partner acts only for resale customers; a consultant-sale customer manages its own orders and resources")
	}
	return tg, nil
}

// ownCustomer resolves the customer t names and checks it is the caller's:
// a customer names only itself (c is then nil: it was not read); a partner
// or reseller one of its customers, read to be sure (one upstream call).
func (r *Resolver) ownCustomer(ctx context.Context, t *model.CommerceTarget) (target, *model.Customer, error) {
	p, err := principal(ctx)
	if err != nil {
		return target{}, nil, err
	}
	if t == nil || strings.TrimSpace(t.CustomerID) == "" {
		return target{}, nil, apierr.Errorf(apierr.CodeBadUserInput, "customer.customerId is required")
	}
	reseller := ""
	if t.ResellerID != nil {
		reseller = *t.ResellerID
	}
	home, err := r.homeScope(ctx, p)
	if err != nil {
		return target{}, nil, err
	}
	s := home
	switch p.Role {
	case identity.RoleCustomer:
		if t.CustomerID != p.CustomerID || reseller != "" {
			return target{}, nil, apierr.NotFound("customer")
		}
		return target{scope: s, customer: t.CustomerID}, nil, nil
	case identity.RoleReseller:
		if reseller != "" && reseller != home.Indirect {
			return target{}, nil, apierr.NotFound("customer")
		}
	case identity.RolePartner:
		if reseller != "" {
			if !r.isTier1(p) {
				return target{}, nil, apierr.NotFound("customer")
			}
			if s, err = r.resellerScope(ctx, reseller, home.Account); err != nil {
				return target{}, nil, apierr.NotFound("customer")
			}
		}
	}
	if !r.canUse(ctx, p, s, t.CustomerID) {
		return target{}, nil, apierr.NotFound("customer")
	}
	c, err := r.fetchCustomer(ctx, s, t.CustomerID)
	if err != nil {
		return target{}, nil, err
	}
	return target{scope: s, customer: t.CustomerID}, c, nil
}

func snapshot(s gateway.Scope, o gateway.Order) *model.OrderSnapshot {
	m := orderModel(s, o)
	return &model.OrderSnapshot{ID: m.ID, OrderID: m.OrderID, CustomerID: m.CustomerID, Status: m.Status, Type: m.Type,
		OfficialAmount: m.OfficialAmount, AmountAfterDiscount: m.AmountAfterDiscount, CouponAmount: m.CouponAmount,
		DiscountAmount: m.DiscountAmount, CreatedAt: m.CreatedAt, PaidAt: m.PaidAt, PayOnBehalf: m.PayOnBehalf}
}

// pendingOrder reads the order and requires it to be pending payment.
func (r *Resolver) pendingOrder(ctx context.Context, t target, orderID, verb string) (gateway.Order, error) {
	if strings.TrimSpace(orderID) == "" {
		return gateway.Order{}, apierr.Errorf(apierr.CodeBadUserInput, "orderId is required")
	}
	o, err := r.upstream.Order(ctx, t.scope, t.customer, orderID)
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

// commerceNode resolves Order and Resource global IDs ("customer:id").
func (r *Resolver) commerceNode(ctx context.Context, p *identity.Principal, typ string, s gateway.Scope, id string) (model.Node, error) {
	customerID, objID, ok := strings.Cut(id, ":")
	if !ok || customerID == "" || objID == "" || !r.canUse(ctx, p, s, customerID) {
		return nil, apierr.NotFound("node")
	}
	switch typ {
	case "Order":
		o, err := r.upstream.Order(ctx, s, customerID, objID)
		if err != nil {
			if apierr.ErrorCode(err) == apierr.CodeNotFound {
				return nil, apierr.NotFound("node")
			}
			return nil, err
		}
		return orderModel(s, o), nil
	case "Resource":
		x, err := loader.For(ctx).Resource(ctx, s, customerID, objID)
		if err != nil {
			if apierr.ErrorCode(err) == apierr.CodeNotFound {
				return nil, apierr.NotFound("node")
			}
			return nil, err
		}
		if x == nil {
			return nil, apierr.NotFound("node")
		}
		return resourceModel(s, customerID, *x, nil), nil
	}
	return nil, apierr.NotFound("node")
}

// commerceReseller is the reseller a commerce write acts for.
func commerceReseller(t *model.CommerceTarget) string {
	if t == nil {
		return ""
	}
	return deref(t.ResellerID)
}

// payOrder pays a pending order: a sensitive operation for partners.
var payOrder = sensitive[model.PayOrderInput, model.PayOrderPayload]{
	op:       model.SensitiveOperationPayOrder,
	reseller: func(in *model.PayOrderInput) string { return commerceReseller(in.Customer) },
	describe: func(in *model.PayOrderInput) verify.Details { return verify.Details{Target: "order " + in.OrderID} },
}

// Pay on behalf (代理支付): ListCustomerOrders marks an order the customer
// asked a partner to pay (agent_pay_info) but has no filter for them, so
// Customer.orders with filter.payOnBehalf reads the customer's orders
// matching the other filters, 100 per call, up to maxPayOnBehalfScan calls,
// keeps those that match and pages them itself: totalCount counts the
// matches among the orders read.

// maxPayOnBehalfScan bounds the calls of one filtered page (1 000 orders).
const maxPayOnBehalfScan = 10

// payOnBehalfMatch is the test of filter f for principal p.
func payOnBehalfMatch(p *identity.Principal, f model.PayOnBehalfFilter) func(gateway.Order) bool {
	if f == model.PayOnBehalfFilterAddressedToMe {
		if p.Role == identity.RoleCustomer { // a customer is never the paying partner
			return func(gateway.Order) bool { return false }
		}
		return func(o gateway.Order) bool { return o.PayOnBehalf && o.PayingPartnerID == p.PartnerID }
	}
	return func(o gateway.Order) bool { return o.PayOnBehalf }
}

// payOnBehalfOrders pages the orders of q's customer under s that match.
func (r *Resolver) payOnBehalfOrders(ctx context.Context, s gateway.Scope, q gateway.OrderQuery, match func(gateway.Order) bool) (*model.OrderConnection, error) {
	p := q.Window
	var kept []gateway.Order
	for pg := 0; pg < maxPayOnBehalfScan; pg++ {
		q.Window = gateway.Window{Offset: pg * gateway.MaxPageSize, Limit: gateway.MaxPageSize}
		l, err := r.upstream.Orders(ctx, s, q)
		if err != nil {
			return nil, err
		}
		for _, o := range l.Orders {
			if o.CustomerID == q.CustomerID && match(o) { // never trust a filter to be applied upstream
				kept = append(kept, o)
			}
		}
		if len(l.Orders) < gateway.MaxPageSize || (pg+1)*gateway.MaxPageSize >= l.Total {
			break
		}
	}
	lo := min(p.Offset, len(kept))
	hi := min(lo+p.Limit, len(kept))
	conn := &model.OrderConnection{Edges: make([]*model.OrderEdge, 0, hi-lo), TotalCount: len(kept), PageInfo: pageInfo(p, hi-lo, len(kept))}
	for i, o := range kept[lo:hi] {
		conn.Edges = append(conn.Edges, &model.OrderEdge{Cursor: cursor(p.Offset + i), Node: orderModel(s, o)})
	}
	return conn, nil
}
