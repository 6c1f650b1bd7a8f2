package gateway

// Orders: a customer's yearly/monthly orders. Reads go with the partner's
// keys where the upstream allows (ListCustomerOrders,
// ShowCustomerOrderDetails, ShowRefundOrderDetails); discounts, coupons,
// payment and cancellation accept only the customer's identity and go with
// a customer token (custCall).

import (
	"context"
	"fmt"
	"strconv"

	"partnergraph/apierr"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// Order statuses as the upstream numbers them.
const (
	OrderPendingApproval = 1
	OrderProcessing      = 3
	OrderCancelled       = 4
	OrderCompleted       = 5
	OrderPendingPayment  = 6
	OrderToBeConfirmed   = 9
)

// Order types as the upstream numbers them (order_type).
const (
	OrderNew             = "1"
	OrderRenewal         = "2"
	OrderChange          = "3"
	OrderUnsubscribe     = "4"
	OrderToOnDemand      = "10"
	OrderToYearlyMonthly = "11"
)

// MaxPayCoupons is how many coupons one payment may use (PayOrders
// coupon_infos).
const MaxPayCoupons = 3

// Pay-time coupon types (PayOrders coupon_infos[].type) and the coupon
// types they address: 301 voucher (coupon type 1), 302 cash coupon (4).
const (
	PayCouponVoucher = 301
	PayCouponCash    = 302
)

// Order is an order as ListCustomerOrders / ShowCustomerOrderDetails
// describe it. Amounts are converted from the upstream float64 once, here.
type Order struct {
	ID, CustomerID                   string
	ServiceTypeCode, ServiceTypeName string
	Status                           int
	Type                             string // OrderNew … OrderToYearlyMonthly
	SourceType                       int
	Official, AfterDiscount          Money
	CouponAmount                     Money
	DiscountAmount                   Money // Σ amount_info.discounts
	CreateTime, PaymentTime          string
	PaymentDeadline                  string // pending orders, details only
	// PayOnBehalf: the customer asked partner PayingPartnerID to pay the
	// order (agent_pay_info; ListCustomerOrders only).
	PayOnBehalf     bool
	PayingPartnerID string
}

// OrderQuery filters ListCustomerOrders.
type OrderQuery struct {
	Window
	CustomerID  string
	OrderID     string
	Status      int // 0 = any
	OrderType   string
	ServiceType string
	CreatedFrom string // upstream UTC form
	CreatedTo   string
}

// OrderList is one page of orders and the total.
type OrderList struct {
	Orders []Order
	Total  int
}

// OrderLineItem is one product of an order.
type OrderLineItem struct {
	ID                               string
	ServiceTypeCode, ServiceTypeName string
	ResourceTypeCode                 string
	ProductID, ProductSpecDesc       string
	PeriodType, PeriodNum            int // 2 month, 3 year
	SubscriptionNum                  int
	EffectiveTime, ExpireTime        string
	Official, AfterDiscount          Money
}

// OrderDetail is an order with one page of its line items.
type OrderDetail struct {
	Order      Order
	LineItems  []OrderLineItem
	TotalItems int
}

// OrderDiscount is a discount a pending order may use.
type OrderDiscount struct {
	ID     string
	Type   int // 0 promotion, 2 commercial, 3 partner-granted
	Value  string
	Amount *Money // what it takes off the order
	Ratio  *decimal.Decimal
}

// OrderCoupon is a coupon of the customer usable for a pending order.
type OrderCoupon struct {
	ID                        string
	CouponType                int // 1 voucher, 4 cash coupon
	Status                    int
	FaceValue, Balance        Money
	EffectiveTime, ExpireTime string
	ServiceTypes              []string // use limits: cloud service types
}

// PayCouponType is the PayOrders coupon type of the coupon (0 if unknown).
func (c OrderCoupon) PayCouponType() int {
	switch c.CouponType {
	case 1:
		return PayCouponVoucher
	case 4:
		return PayCouponCash
	}
	return 0
}

// OrderCoupons are the usable coupons and how many of each type one
// payment may use.
type OrderCoupons struct {
	Coupons []OrderCoupon
	MaxUse  map[int]int // coupon type → max per payment
}

// PayCoupon is a coupon chosen for a payment.
type PayCoupon struct {
	ID   string
	Type int // PayCouponVoucher or PayCouponCash
}

// PayInput is what PayOrders needs.
type PayInput struct {
	OrderID      string
	Coupons      []PayCoupon
	DiscountID   string
	DiscountType int
}

// RefundLine is one refund of an unsubscribe order (amount positive).
type RefundLine struct {
	ID                                 string
	Amount                             Money
	ServiceTypeCode, ServiceTypeName   string
	ResourceTypeCode, ResourceTypeName string
	RegionCode, BaseOrderID            string
}

func orderFrom(o model.CustomerOrderV2) Order {
	cur := currency(o.Currency)
	out := Order{
		ID: str(o.OrderId), CustomerID: str(o.CustomerId), ServiceTypeCode: str(o.ServiceTypeCode), ServiceTypeName: str(o.ServiceTypeName),
		Status: i32(o.Status), SourceType: i32(o.SourceType), CreateTime: str(o.CreateTime), PaymentTime: str(o.PaymentTime),
	}
	if o.OrderType != nil {
		out.Type = strconv.Itoa(int(*o.OrderType))
	}
	out.Official = optFloatMoney(o.OfficialAmount, cur)
	out.AfterDiscount = optFloatMoney(o.AmountAfterDiscount, cur)
	out.CouponAmount, out.DiscountAmount = amountInfo(o.AmountInfo, cur)
	if a := o.AgentPayInfo; a != nil && a.IsAgentPay != nil && *a.IsAgentPay {
		out.PayOnBehalf, out.PayingPartnerID = true, str(a.PayingAgentId)
	}
	return out
}

// amountInfo is an order's coupon amount and the sum of its discounts.
func amountInfo(ai *model.AmountInfomationV2, cur string) (coupon, discount Money) {
	coupon, discount = Money{Amount: decimal.Zero, Currency: cur}, Money{Amount: decimal.Zero, Currency: cur}
	if ai == nil {
		return
	}
	coupon = optFloatMoney(ai.CouponAmount, cur)
	for _, d := range rows(ai.Discounts) {
		if d.DiscountAmount != nil {
			discount.Amount = discount.Amount.Add(floatMoney(*d.DiscountAmount, cur).Amount)
		}
	}
	return
}

// lineItemFrom converts a line item; cur is the order's currency, for the
// items that carry none.
func lineItemFrom(li model.OrderLineItemEntityV2, cur string) OrderLineItem {
	if li.Currency != nil && *li.Currency != "" {
		cur = *li.Currency
	}
	return OrderLineItem{
		ID: str(li.OrderLineItemId), ServiceTypeCode: str(li.ServiceTypeCode), ServiceTypeName: str(li.ServiceTypeName),
		ResourceTypeCode: str(li.CategoryCode), ProductID: str(li.ProductId), ProductSpecDesc: str(li.ProductSpecDesc),
		PeriodType: i32(li.PeriodType), PeriodNum: i32(li.PeriodNum), SubscriptionNum: i32(li.SubscriptionNum),
		EffectiveTime: str(li.EffectiveTime), ExpireTime: str(li.ExpireTime),
		Official: optFloatMoney(li.OfficialAmount, cur), AfterDiscount: optFloatMoney(li.AmountAfterDiscount, cur),
	}
}

// discountFrom converts a discount with what it takes off orderID: the sum
// of its line items' discount amounts and the first ratio.
func discountFrom(d model.DiscountInfoV3, orderID string) OrderDiscount {
	od := OrderDiscount{ID: d.DiscountId, Type: int(d.DiscountType), Value: d.DiscountValue}
	sum, found := decimal.Zero, false
	for _, o := range d.Orders {
		if o.OrderId != orderID {
			continue
		}
		for _, li := range o.OrderLineItems {
			if li.DiscountAmount != nil {
				sum, found = sum.Add(*li.DiscountAmount), true
			}
			if li.DiscountRatio != nil && od.Ratio == nil {
				r := *li.DiscountRatio
				od.Ratio = &r
			}
		}
	}
	if found {
		od.Amount = &Money{Amount: sum, Currency: defaultCurrency}
	}
	return od
}

// orderCouponFrom converts a coupon usable for an order, with the cloud
// service types it is limited to.
func orderCouponFrom(cp model.CouponInfoV2) OrderCoupon {
	oc := OrderCoupon{ID: str(cp.CouponId), CouponType: i32(cp.CouponType), Status: i32(cp.Status),
		FaceValue: optFloatMoney(cp.FaceValue, defaultCurrency), Balance: optFloatMoney(cp.Balance, defaultCurrency),
		EffectiveTime: str(cp.EffectiveTime), ExpireTime: str(cp.ExpireTime)}
	for _, l := range rows(cp.UseLimits) {
		if str(l.LimitKey) == "cloud_service_types" && l.Value1 != nil {
			oc.ServiceTypes = append(oc.ServiceTypes, *l.Value1)
		}
	}
	return oc
}

// Orders lists a customer's orders with the partner's keys.
func (c *Client) Orders(ctx context.Context, s Scope, q OrderQuery) (OrderList, error) {
	off, lim := page(q.Window)
	req := &model.ListCustomerOrdersRequest{
		CustomerId: optStr(q.CustomerID), OrderId: optStr(q.OrderID), OrderType: optStr(q.OrderType),
		ServiceTypeCode: optStr(q.ServiceType), CreateTimeBegin: optStr(q.CreatedFrom), CreateTimeEnd: optStr(q.CreatedTo),
		IndirectPartnerId: optStr(s.Indirect), Offset: off, Limit: lim,
	}
	if q.Status != 0 {
		req.Status = ptr(int32(q.Status))
	}
	resp, err := call(ctx, c, s, "ListCustomerOrders", (*bss.BssClient).ListCustomerOrders, req)
	if err != nil {
		return OrderList{}, err
	}
	return OrderList{Orders: convert(resp.OrderInfos, orderFrom), Total: i32(resp.TotalCount)}, nil
}

// Order reads one order of a customer, or NOT_FOUND.
func (c *Client) Order(ctx context.Context, s Scope, customerID, orderID string) (Order, error) {
	if orderID == "" {
		return Order{}, apierr.NotFound("order")
	}
	l, err := c.Orders(ctx, s, OrderQuery{Window: Window{Limit: 1}, CustomerID: customerID, OrderID: orderID})
	if err != nil {
		return Order{}, err
	}
	for _, o := range l.Orders {
		if o.ID == orderID && o.CustomerID == customerID {
			return o, nil
		}
	}
	return Order{}, apierr.NotFound("order")
}

// orderNotFound maps the upstream's "order invalid" to NOT_FOUND.
func orderNotFound(err error) error {
	if e, ok := err.(*apierr.Error); ok && e.UpstreamCode == "CBC.30000010" {
		e.Code, e.Message = apierr.CodeNotFound, "order not found"
	}
	return err
}

// OrderDetail reads an order and one page of its line items.
func (c *Client) OrderDetail(ctx context.Context, s Scope, orderID string, p Window) (OrderDetail, error) {
	off, lim := page(p)
	req := &model.ShowCustomerOrderDetailsRequest{OrderId: orderID, Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ShowCustomerOrderDetails", (*bss.BssClient).ShowCustomerOrderDetails, req)
	if err != nil {
		return OrderDetail{}, orderNotFound(err)
	}
	var out OrderDetail
	cur := defaultCurrency
	if o := resp.OrderInfo; o != nil {
		cur = currency(o.Currency)
		out.Order = orderFrom(model.CustomerOrderV2{
			OrderId: o.OrderId, CustomerId: o.CustomerId, ServiceTypeCode: o.ServiceTypeCode, ServiceTypeName: o.ServiceTypeName,
			SourceType: o.SourceType, Status: o.Status, OrderType: o.OrderType, AmountAfterDiscount: o.AmountAfterDiscount,
			OfficialAmount: o.OfficialAmount, CreateTime: o.CreateTime, PaymentTime: o.PaymentTime, Currency: o.Currency, AmountInfo: o.AmountInfo,
		})
		out.Order.PaymentDeadline = str(o.PendingPaymentEndTime)
	}
	out.TotalItems = i32(resp.TotalCount)
	out.LineItems = convert(resp.OrderLineItems, func(li model.OrderLineItemEntityV2) OrderLineItem { return lineItemFrom(li, cur) })
	return out, nil
}

// OrderDiscounts lists the discounts a pending order may use (customer token).
func (c *Client) OrderDiscounts(ctx context.Context, s Scope, customerID, orderID string) ([]OrderDiscount, error) {
	resp, err := custCall(ctx, c, s, customerID, "ListOrderDiscounts", (*bss.BssClient).ListOrderDiscounts, &model.ListOrderDiscountsRequest{OrderId: orderID})
	if err != nil {
		return nil, orderNotFound(err)
	}
	out := []OrderDiscount{}
	for _, d := range rows(resp.Discounts) {
		out = append(out, discountFrom(d, orderID))
	}
	return out, nil
}

// OrderCoupons lists the customer's coupons usable for a pending order
// (customer token).
func (c *Client) OrderCoupons(ctx context.Context, s Scope, customerID, orderID string) (OrderCoupons, error) {
	resp, err := custCall(ctx, c, s, customerID, "ListOrderCouponsByOrderId", (*bss.BssClient).ListOrderCouponsByOrderId, &model.ListOrderCouponsByOrderIdRequest{OrderId: orderID})
	if err != nil {
		return OrderCoupons{}, orderNotFound(err)
	}
	out := OrderCoupons{Coupons: []OrderCoupon{}, MaxUse: map[int]int{}}
	for _, cp := range rows(resp.UserCoupons) {
		out.Coupons = append(out.Coupons, orderCouponFrom(cp))
	}
	for _, m := range rows(resp.CouponMaxUseQuantity) {
		if m.CouponType != nil && m.UseQuantityValue != nil {
			out.MaxUse[int(*m.CouponType)] = int(*m.UseQuantityValue)
		}
	}
	return out, nil
}

// CheckPayInput applies the payment rules the upstream documents, so a bad
// payment is refused before any call: at most 3 coupons, no coupon twice,
// only voucher and cash-coupon types, and a cash coupon never together
// with a discount (upstream CBC.99003116).
func CheckPayInput(in PayInput) error {
	if len(in.Coupons) > MaxPayCoupons {
		return apierr.Errorf(apierr.CodeBadUserInput, "at most %d coupons can pay one order", MaxPayCoupons)
	}
	seen := map[string]bool{}
	for _, cp := range in.Coupons {
		if cp.ID == "" {
			return apierr.Errorf(apierr.CodeBadUserInput, "a coupon id is empty")
		}
		if seen[cp.ID] {
			return apierr.Errorf(apierr.CodeBadUserInput, "coupon %s is given twice", cp.ID)
		}
		seen[cp.ID] = true
		if cp.Type != PayCouponVoucher && cp.Type != PayCouponCash {
			return apierr.Errorf(apierr.CodeBadUserInput, "coupon %s has an unsupported type", cp.ID)
		}
		if cp.Type == PayCouponCash && in.DiscountID != "" {
			return apierr.Errorf(apierr.CodeBadUserInput, "a cash coupon cannot be combined with a discount")
		}
	}
	return nil
}

// PayOrder pays a pending order from the customer's balance, with the
// chosen coupons and discount (customer token).
func (c *Client) PayOrder(ctx context.Context, s Scope, customerID string, in PayInput) error {
	if err := CheckPayInput(in); err != nil {
		return err
	}
	body := &model.PayCustomerOrderV3Req{OrderId: in.OrderID, UseCoupon: "NO", UseDiscount: "NO"}
	if len(in.Coupons) > 0 {
		cs := make([]model.CouponSimpleInfoOrderPayV3, len(in.Coupons))
		for i, cp := range in.Coupons {
			cs[i] = model.CouponSimpleInfoOrderPayV3{Id: cp.ID, Type: int32(cp.Type)}
		}
		body.UseCoupon, body.CouponInfos = "YES", &cs
	}
	if in.DiscountID != "" {
		body.UseDiscount, body.DiscountInfos = "YES", &[]model.DiscountSimpleInfoV3{{Id: in.DiscountID, Type: int32(in.DiscountType)}}
	}
	_, err := custCall(ctx, c, s, customerID, "PayOrders", (*bss.BssClient).PayOrders, &model.PayOrdersRequest{Body: body})
	return payError(orderNotFound(err))
}

// payMessages are the messages of the payment refusals a client can act on.
var payMessages = map[string]string{
	"CBC.99005003": "insufficient balance",
	"CBC.99003106": "the order is no longer pending payment",
	"CBC.99003110": "the payment deadline of the order has passed",
	"CBC.99003108": "the discount is not applicable to the order",
	"CBC.99003112": "a coupon cannot be used for the order",
	"CBC.99003116": "a cash coupon cannot be combined with a discount",
}

// payError gives the payment refusals a client can act on their own
// message; they stay UPSTREAM_ERROR with the upstream code.
func payError(err error) error {
	if e, ok := err.(*apierr.Error); ok {
		if msg, ok := payMessages[e.UpstreamCode]; ok {
			e.Message = msg
		}
	}
	return err
}

// CancelOrder cancels a pending order (customer token).
func (c *Client) CancelOrder(ctx context.Context, s Scope, customerID, orderID string) error {
	_, err := custCall(ctx, c, s, customerID, "CancelCustomerOrder", (*bss.BssClient).CancelCustomerOrder, &model.CancelCustomerOrderRequest{Body: &model.CancelCustomerOrderReq{OrderId: orderID}})
	return orderNotFound(err)
}

// RefundLines reads the refunds of an unsubscribe order (partner keys).
func (c *Client) RefundLines(ctx context.Context, s Scope, customerID, orderID string) ([]RefundLine, error) {
	req := &model.ShowRefundOrderDetailsRequest{OrderId: orderID, CustomerId: optStr(customerID), IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ShowRefundOrderDetails", (*bss.BssClient).ShowRefundOrderDetails, req)
	if err != nil {
		return nil, orderNotFound(err)
	}
	out := []RefundLine{}
	for _, r := range rows(resp.RefundInfos) {
		amt := decimal.Zero
		if r.Amount != nil {
			amt = r.Amount.Abs() // upstream sends refunds negative
		}
		if r.MeasureId != "" && r.MeasureId != "1" {
			return nil, &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream sent an unreadable answer", Op: "ShowRefundOrderDetails", Err: fmt.Errorf("unexpected measure_id %q", r.MeasureId)}
		}
		out = append(out, RefundLine{ID: r.Id, Amount: Money{Amount: amt, Currency: defaultCurrency},
			ServiceTypeCode: r.ServiceTypeCode, ServiceTypeName: str(r.ServiceTypeName), ResourceTypeCode: r.ResourceTypeCode,
			ResourceTypeName: str(r.ResourceTypeName), RegionCode: r.RegionCode, BaseOrderID: str(r.BaseOrderId)})
	}
	return out, nil
}
