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
