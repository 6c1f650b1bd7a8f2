package sandbox

import (
	"cmp"
	"fmt"
	"math/rand"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// Orders: ListCustomerOrders, ShowCustomerOrderDetails, ListOrderDiscounts,
// ListOrderCouponsByOrderId, PayOrders, CancelCustomerOrder,
// ShowRefundOrderDetails.
//
// Pay on behalf (代理支付): an order may be addressed to a partner that pays
// it for the customer. ListCustomerOrders answers such an order with
// agent_pay_info {is_agent_pay: true, paying_agent_id: the partner's domain
// id} (other orders carry no agent_pay_info; CustomerOrderV3 of the details
// has no such field). The upstream's ListCustomerOrders has no filter for
// them: a gateway filters the page on agent_pay_info.is_agent_pay. The seed
// addresses one pending new-purchase order to the partner of each tier-2's
// and the provider's showcase customer and of the tier-1's first resale
// customer after its showcase (the tier-1 showcase keeps exactly its two
// pending orders), created before the other pending orders so that they
// list last. PayOrders pays it through the usual path with a customer token
// the addressed partner (or, for a tier-2, its tier-1) assumed: the cash
// part comes from the addressed partner's balance (its amount −
// designated_amount must cover it, else 400 CBC.99005003), recorded as a
// DEDEUCT partner account change with the customer as counterpart; the
// customer's balance is untouched. A token of anyone else → 403 CBC.0151.

func (s *Sandbox) registerOrdersRoutes() {
	s.handle(http.MethodGet, "/v2/orders/customer-orders", "ListCustomerOrders", callerAny, s.listCustomerOrders)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/details/{order_id}", "ShowCustomerOrderDetails", callerAny, s.showCustomerOrderDetails)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/order-discounts", "ListOrderDiscounts", callerCustomer, s.listOrderDiscounts)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/order-coupons", "ListOrderCouponsByOrderId", callerCustomer, s.listOrderCouponsByOrderID)
	s.handle(http.MethodPost, "/v3/orders/customer-orders/pay", "PayOrders", callerCustomer, s.payOrders)
	s.handle(http.MethodPut, "/v2/orders/customer-orders/cancel", "CancelCustomerOrder", callerCustomer, s.cancelCustomerOrder)
	s.handle(http.MethodGet, "/v2/orders/customer-orders/refund-orders", "ShowRefundOrderDetails", callerAny, s.showRefundOrderDetails)
}

// Order is a yearly/monthly order.
type Order struct {
	ID                  string
	CustomerID          string
	ServiceTypeCode     string
	ServiceTypeName     string
	SourceType          int32  // 1 customer, 2 agent
	Status              int32  // 1 pending approval, 3 processing, 4 cancelled, 5 completed, 6 pending payment, 9 to be confirmed
	Type                string // "1" new, "2" renew, "3" change, "4" unsubscribe, "10"/"11" mode switch
	OfficialAmount      decimal.Decimal
	AmountAfterDiscount decimal.Decimal
	CouponAmount        decimal.Decimal
	CashAmount          decimal.Decimal // paid from balance
	Created             time.Time
	Paid                time.Time
	PaymentDeadline     time.Time
	Currency            string
	LineItems           []*LineItem
	ResourceIDs         []string // resources it produced or acts on
	BaseOrderID         string   // for refund orders: the original order
	Discounts           []*Discount
	UsedCoupons         []string
	DiscountAmount      decimal.Decimal // discount applied at payment
	DiscountType        int32           // type of the applied discount
	pendingRes          []*Resource     // resources a new-purchase order creates when paid
	RenewPeriodType     int32           // renew orders: 2 month, 3 year
	RenewPeriodNum      int32
	Refunds             []*RefundLine // refund orders (type "4")
	AgentPayerID        string        // the partner that pays it on the customer's behalf, if any
}

// LineItem is one product of an order.
type LineItem struct {
	ID                  string
	ServiceTypeCode     string
	ServiceTypeName     string
	ResourceTypeCode    string
	RegionCode          string
	ResourceID          string // the main resource it buys or renews
	ProductID           string
	ProductSpecDesc     string
	PeriodType          int32 // 2 month, 3 year
	PeriodNum           int32
	Effective           time.Time
	Expire              time.Time
	SubscriptionNum     int32
	OfficialAmount      decimal.Decimal
	AmountAfterDiscount decimal.Decimal
}

// newLineItem is line n (from 1) of order orderID: pt/pn periods (2 month,
// 3 year) of main resource r for amount.
func newLineItem(orderID string, n int, r *Resource, pt, pn int32, amount decimal.Decimal) *LineItem {
	return &LineItem{
		ID:                  lineID(orderID, n),
		ServiceTypeCode:     r.ServiceTypeCode,
		ServiceTypeName:     r.ServiceTypeName,
		ResourceTypeCode:    r.ResourceTypeCode,
		RegionCode:          r.RegionCode,
		ResourceID:          r.ResourceID,
		ProductID:           r.ProductID,
		ProductSpecDesc:     r.SpecDesc,
		PeriodType:          pt,
		PeriodNum:           pn,
		SubscriptionNum:     1,
		OfficialAmount:      amount,
		AmountAfterDiscount: amount,
	}
}

// lineID is the id of line n (from 1) of an order: "<order id>-000001".
func lineID(orderID string, n int) string { return fmt.Sprintf("%s-%06d", orderID, n) }

// RefundLine is one resource's refund in an unsubscribe order; Amount is
// positive here and negated on the wire (ShowRefundOrderDetails).
type RefundLine struct {
	ID               string
	ResourceID       string
	ServiceTypeCode  string
	ServiceTypeName  string
	ResourceTypeCode string
	ResourceTypeName string
	RegionCode       string
	Amount           decimal.Decimal
	BaseOrderID      string
}

// Discount is a discount a pending order may use.
type Discount struct {
	ID    string
	Type  int32 // 0 promotion, 2 commercial, 3 partner-granted
	Value decimal.Decimal
	Ratio decimal.Decimal // 0..1 of the amount
}

// addOrder indexes an order. Callers hold st.mu.
func (st *State) addOrder(o *Order) {
	st.orders[o.ID] = o
	st.ordersByCustomer[o.CustomerID] = append(st.ordersByCustomer[o.CustomerID], o)
}

// errUnknownOrder is the upstream's answer for an order that does not exist
// or is not the caller's.
func errUnknownOrder(id string) error {
	return errf(http.StatusBadRequest, "CBC.30000010", "the order %s is invalid", id)
}

func orderTypeInt(t string) *int32 {
	n, err := strconv.Atoi(t)
	if err != nil {
		return nil
	}
	return ptr(int32(n))
}

func amountInfo(o *Order) *model.AmountInfomationV2 {
	ai := &model.AmountInfomationV2{
		CouponAmount:              ptr(o.CouponAmount.InexactFloat64()),
		FlexipurchaseCouponAmount: ptr(0.0),
		StoredCardAmount:          ptr(0.0),
		CommissionAmount:          ptr(0.0),
		ConsumedAmount:            ptr(0.0),
	}
	ds := []model.DiscountItemV2{}
	if o.DiscountAmount.IsPositive() {
		ds = append(ds, model.DiscountItemV2{
			DiscountType:   ptr(discountTypeCode(o.DiscountType)),
			DiscountAmount: ptr(o.DiscountAmount.InexactFloat64()),
		})
	}
	ai.Discounts = &ds
	return ai
}

// discountTypeCode maps a pay-time discount type to the order amount_info
// discount_type codes (200 promotion, 301 commercial, 700 partner-granted).
func discountTypeCode(t int32) string {
	switch t {
	case 0:
		return "200"
	case 2:
		return "301"
	default:
		return "700"
	}
}

func orderV2(o *Order) model.CustomerOrderV2 {
	return model.CustomerOrderV2{
		OrderId:             ptr(o.ID),
		CustomerId:          ptr(o.CustomerID),
		ServiceTypeCode:     ptr(o.ServiceTypeCode),
		ServiceTypeName:     ptr(o.ServiceTypeName),
		SourceType:          ptr(o.SourceType),
		Status:              ptr(o.Status),
		OrderType:           orderTypeInt(o.Type),
		AmountAfterDiscount: ptr(o.AmountAfterDiscount.InexactFloat64()),
		OfficialAmount:      ptr(o.OfficialAmount.InexactFloat64()),
		MeasureId:           ptr(int32(1)),
		CreateTime:          ptr(fmtTime(o.Created)),
		PaymentTime:         optTime(o.Paid),
		Currency:            ptr(o.Currency),
		AmountInfo:          amountInfo(o),
		AgentPayInfo:        agentPayInfo(o),
	}
}

func agentPayInfo(o *Order) *model.AgentPayInfoV2 {
	if o.AgentPayerID == "" {
		return nil
	}
	return &model.AgentPayInfoV2{PayingAgentId: ptr(o.AgentPayerID), IsAgentPay: ptr(true)}
}

// ListCustomerOrders: GET /v2/orders/customer-orders (partner or customer).
func (s *Sandbox) listCustomerOrders(c *call) (any, error) {
	var req model.ListCustomerOrdersRequest
	if v := c.q("order_id"); v != "" {
		req.OrderId = &v
	}
	if v := c.q("customer_id"); v != "" {
		req.CustomerId = &v
	}
	for name, dst := range map[string]**string{
		"create_time_begin": &req.CreateTimeBegin, "create_time_end": &req.CreateTimeEnd,
		"payment_time_begin": &req.PaymentTimeBegin, "payment_time_end": &req.PaymentTimeEnd,
		"service_type_code": &req.ServiceTypeCode, "order_type": &req.OrderType,
		"order_by": &req.OrderBy, "indirect_partner_id": &req.IndirectPartnerId,
	} {
		if v := c.q(name); v != "" {
			*dst = &v
		}
	}
	var err error
	if req.Status, err = c.qInt("status"); err != nil {
		return nil, err
	}
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	cb, ce, err := parseTimeRange("create_time", req.CreateTimeBegin, req.CreateTimeEnd)
	if err != nil {
		return nil, err
	}
	if !cb.IsZero() && !ce.IsZero() {
		if ce.Before(cb) {
			return nil, badParam("create_time_end is before create_time_begin")
		}
		if ce.After(cb.AddDate(1, 0, 0)) {
			return nil, badParam("the create time range must not exceed one year")
		}
	}
	pb, pe, err := parseTimeRange("payment_time", req.PaymentTimeBegin, req.PaymentTimeEnd)
	if err != nil {
		return nil, err
	}
	desc := true
	if req.OrderBy != nil {
		switch *req.OrderBy {
		case "createTime":
			desc = false
		case "-createTime":
		default:
			return nil, badParam("order_by must be createTime or -createTime")
		}
	}
	if m := c.q("method"); m != "" && m != "oneself" && m != "sub_customer" {
		return nil, badParam("method must be oneself or sub_customer")
	}
	if req.Status != nil {
		switch *req.Status {
		case 1, 2, 3, 4, 5, 6, 9:
		default:
			return nil, badParam("status is invalid")
		}
	}

	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	var custs []*Customer
	if who := c.who; who.Customer != nil {
		if req.CustomerId == nil || *req.CustomerId == who.Customer.ID {
			custs = []*Customer{who.Customer}
		}
	} else if c.q("method") != "oneself" { // a partner places no orders of its own
		owner, err := st.visibleOwner(who.Partner, req.IndirectPartnerId)
		if err != nil {
			return nil, err
		}
		if req.CustomerId != nil {
			if cu := st.customerVisible(who, owner, *req.CustomerId); cu != nil {
				custs = []*Customer{cu}
			}
		} else {
			custs = st.customersByPartner[owner]
		}
	}
	match := func(o *Order) bool {
		switch {
		case req.OrderId != nil && o.ID != *req.OrderId,
			req.Status != nil && o.Status != *req.Status,
			req.OrderType != nil && o.Type != *req.OrderType,
			req.ServiceTypeCode != nil && o.ServiceTypeCode != *req.ServiceTypeCode,
			!cb.IsZero() && o.Created.Before(cb),
			!ce.IsZero() && o.Created.After(ce),
			!pb.IsZero() && (o.Paid.IsZero() || o.Paid.Before(pb)),
			!pe.IsZero() && (o.Paid.IsZero() || o.Paid.After(pe)):
			return false
		}
		return true
	}
	var hits []*Order
	if req.OrderId != nil {
		if o := st.orders[*req.OrderId]; o != nil && match(o) {
			for _, cu := range custs {
				if cu.ID == o.CustomerID {
					hits = append(hits, o)
				}
			}
		}
	} else {
		for _, cu := range custs {
			for _, o := range st.ordersByCustomer[cu.ID] {
				if match(o) {
					hits = append(hits, o)
				}
			}
		}
		sortOrders(hits, desc)
	}
	out := pageOf(hits, off, lim, orderV2)
	return &model.ListCustomerOrdersResponse{TotalCount: ptr(int32(len(hits))), OrderInfos: &out}, nil
}

// sortOrders sorts by creation time (then id), newest first when desc.
// It sorts on precomputed integer keys: a partner's list may hold thousands
// of orders.
func sortOrders(os []*Order, desc bool) {
	type key struct {
		t int64
		o *Order
	}
	keys := make([]key, len(os))
	for i, o := range os {
		keys[i] = key{o.Created.UnixNano(), o}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.t != b.t {
			if desc {
				return cmp.Compare(b.t, a.t)
			}
			return cmp.Compare(a.t, b.t)
		}
		return strings.Compare(a.o.ID, b.o.ID)
	})
	for i := range keys {
		os[i] = keys[i].o
	}
}

// visibleOrder returns the order if the caller may see it (its own as a
// customer; one of its customers' as a partner, or of its reseller's with
// indirect_partner_id), else CBC.30000010.
func (st *State) visibleOrder(who principal, id string, indirect *string) (*Order, *Customer, error) {
	o := st.orders[id]
	if o == nil {
		return nil, nil, errUnknownOrder(id)
	}
	owner := ""
	if who.Partner != nil {
		var err error
		if owner, err = st.visibleOwner(who.Partner, indirect); err != nil {
			return nil, nil, err
		}
	}
	cu := st.customerVisible(who, owner, o.CustomerID)
	if cu == nil {
		return nil, nil, errUnknownOrder(id)
	}
	return o, cu, nil
}

// withOrder runs fn under st.mu on order id if the caller may see it (see
// visibleOrder, whose CBC.30000010 it answers).
func (s *Sandbox) withOrder(c *call, id string, indirect *string, fn func(st *State, o *Order, cu *Customer) (any, error)) (any, error) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	o, cu, err := st.visibleOrder(c.who, id, indirect)
	if err != nil {
		return nil, err
	}
	return fn(st, o, cu)
}

// ShowCustomerOrderDetails: GET /v2/orders/customer-orders/details/{order_id}
// (partner or customer); the line items are paged.
func (s *Sandbox) showCustomerOrderDetails(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	return s.withOrder(c, c.params["order_id"], c.qOpt("indirect_partner_id"), func(_ *State, o *Order, cu *Customer) (any, error) {
		info := &model.CustomerOrderV3{
			OrderId:             ptr(o.ID),
			CustomerId:          ptr(o.CustomerID),
			ServiceTypeCode:     ptr(o.ServiceTypeCode),
			ServiceTypeName:     ptr(o.ServiceTypeName),
			SourceType:          ptr(o.SourceType),
			Status:              ptr(o.Status),
			OrderType:           orderTypeInt(o.Type),
			AmountAfterDiscount: ptr(o.AmountAfterDiscount.InexactFloat64()),
			OfficialAmount:      ptr(o.OfficialAmount.InexactFloat64()),
			MeasureId:           ptr(int32(1)),
			CreateTime:          ptr(fmtTime(o.Created)),
			PaymentTime:         optTime(o.Paid),
			Currency:            ptr(o.Currency),
			AmountInfo:          amountInfo(o),
			UserName:            ptr(cu.AccountName),
		}
		if o.Status == 6 {
			info.PendingPaymentEndTime = ptr(fmtTime(o.PaymentDeadline))
		}
		items := pageOf(o.LineItems, off, lim, func(li *LineItem) model.OrderLineItemEntityV2 {
			return model.OrderLineItemEntityV2{
				OrderLineItemId:     ptr(li.ID),
				ServiceTypeCode:     ptr(li.ServiceTypeCode),
				ServiceTypeName:     ptr(li.ServiceTypeName),
				ProductId:           ptr(li.ProductID),
				ProductSpecDesc:     ptr(li.ProductSpecDesc),
				PeriodType:          ptr(li.PeriodType),
				PeriodNum:           ptr(li.PeriodNum),
				EffectiveTime:       optTime(li.Effective),
				ExpireTime:          optTime(li.Expire),
				SubscriptionNum:     ptr(li.SubscriptionNum),
				AmountAfterDiscount: ptr(li.AmountAfterDiscount.InexactFloat64()),
				OfficialAmount:      ptr(li.OfficialAmount.InexactFloat64()),
				Currency:            ptr(o.Currency),
				CategoryCode:        ptr(li.ResourceTypeCode),
				ProductOwnerService: ptr(li.ServiceTypeCode),
				BaseProductInfo: &model.ProductObject{
					ProductId:           ptr(li.ProductID),
					ProductSpecDesc:     ptr(li.ProductSpecDesc),
					CategoryCode:        ptr(li.ResourceTypeCode),
					ProductOwnerService: ptr(li.ServiceTypeCode),
				},
				OrderId: ptr(o.ID),
			}
		})
		return &model.ShowCustomerOrderDetailsResponse{
			TotalCount:     ptr(int32(len(o.LineItems))),
			OrderInfo:      info,
			OrderLineItems: &items,
		}, nil
	})
}

// ListOrderDiscounts: GET /v2/orders/customer-orders/order-discounts
// (customer). Discounts are offered on pending orders only.
//
// A Discount's Ratio is the price multiplier (0.85 = pay 85%); it is sent
// as discount_value and discount_ratio, with discount_mode 1 (by ratio).
func (s *Sandbox) listOrderDiscounts(c *call) (any, error) {
	id := c.q("order_id")
	if id == "" {
		return nil, badParam("order_id is required")
	}
	return s.withOrder(c, id, nil, func(_ *State, o *Order, _ *Customer) (any, error) {
		out := []model.DiscountInfoV3{}
		if o.Status == 6 {
			ids := make([]string, len(o.LineItems))
			for i, li := range o.LineItems {
				ids[i] = li.ID
			}
			for _, d := range o.Discounts {
				amt := discountAmount(o.OfficialAmount, d)
				out = append(out, model.DiscountInfoV3{
					DiscountId:    d.ID,
					DiscountValue: d.Ratio.String(),
					DiscountType:  d.Type,
					Orders: []model.OrderV3{{
						OrderId: o.ID,
						OrderLineItems: []model.OrderLineItemV3{{
							OrderLineItemIds: ids,
							DiscountMode:     1,
							DiscountAmount:   &amt,
							DiscountRatio:    ptr(d.Ratio),
						}},
					}},
				})
			}
		}
		return &model.ListOrderDiscountsResponse{Discounts: &out}, nil
	})
}

// discountAmount is what discount d takes off amount (2 decimals, rounded
// down so the payable amount never loses a fen).
func discountAmount(amount decimal.Decimal, d *Discount) decimal.Decimal {
	if d.Value.IsPositive() {
		return decimal.Min(d.Value, amount)
	}
	return amount.Mul(decimal.NewFromInt(1).Sub(d.Ratio)).RoundFloor(2)
}

// couponUsable reports whether coupon cp of the order's customer may pay
// order o now.
func couponUsable(cp *Coupon, o *Order, now time.Time) bool {
	if cp.CustomerID != o.CustomerID || cp.Status != 2 || !cp.Balance.IsPositive() {
		return false
	}
	if (!cp.Effective.IsZero() && now.Before(cp.Effective)) || (!cp.Expire.IsZero() && !now.Before(cp.Expire)) {
		return false
	}
	if cp.LockOrder != "" && cp.LockOrder != o.ID {
		return false
	}
	if len(cp.Services) > 0 {
		ok := false
		for _, sv := range cp.Services {
			if sv == o.ServiceTypeCode {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// ListOrderCouponsByOrderId: GET /v2/orders/customer-orders/order-coupons
// (customer): the customer's usable coupons applicable to a pending order.
func (s *Sandbox) listOrderCouponsByOrderID(c *call) (any, error) {
	id := c.q("order_id")
	if id == "" {
		return nil, badParam("order_id is required")
	}
	return s.withOrder(c, id, nil, func(st *State, o *Order, _ *Customer) (any, error) {
		st.settleCoupons()
		now := st.now()
		out := []model.CouponInfoV2{}
		if o.Status == 6 {
			for _, cp := range st.coupons {
				if !couponUsable(cp, o, now) {
					continue
				}
				var limits []model.LimitInfoV2
				for _, sv := range cp.Services {
					limits = append(limits, model.LimitInfoV2{LimitKey: ptr("cloud_service_types"), Value1: ptr(sv), LimitType: ptr("1")})
				}
				ci := model.CouponInfoV2{
					CouponId:      ptr(cp.ID),
					Status:        ptr(cp.Status),
					CouponType:    ptr(cp.Type),
					MeasureId:     ptr(int32(1)),
					FaceValue:     ptr(cp.FaceValue.InexactFloat64()),
					Balance:       ptr(cp.Balance.InexactFloat64()),
					EffectiveTime: optTime(cp.Effective),
					ExpireTime:    optTime(cp.Expire),
					CreateTime:    optTime(cp.Created),
					LastUsedTime:  optTime(cp.LastUsed),
					CouponVersion: ptr(int32(2)),
					CouponGroup:   ptr(int32(1)),
					PlanName:      ptr(cp.Memo),
				}
				if limits != nil {
					ci.UseLimits = &limits
				}
				out = append(out, ci)
			}
		}
		maxUse := []model.CouponMaxUseQuantity{
			{CouponType: ptr(int32(1)), CouponGroup: ptr(int32(1)), UseQuantityValue: ptr(int32(maxPayCoupons))},
			{CouponType: ptr(int32(4)), CouponGroup: ptr(int32(1)), UseQuantityValue: ptr(int32(maxPayCoupons))},
		}
		return &model.ListOrderCouponsByOrderIdResponse{Count: ptr(int32(len(out))), UserCoupons: &out, CouponMaxUseQuantity: &maxUse}, nil
	})
}

const maxPayCoupons = 3

// Pay-time coupon types (coupon_infos[].type) and the Coupon.Type they
// address: 301 voucher (代金券, type 1), 302 cash coupon (现金券, type 4).
// 300 discount coupons and 303 stored-value cards are not modelled.
var payCouponType = map[int32]int32{301: 1, 302: 4}

// PayOrders: POST /v3/orders/customer-orders/pay (customer). All-or-nothing
// under the state lock:
//
//   - the order must exist and be the caller's (else 400 CBC.30000010) and be
//     pending payment, status 6 (else 400 CBC.99003106 "order status
//     changed"); a passed payment deadline → 400 CBC.99003110;
//   - at most 1 discount (must be one of the order's, else CBC.99003108) and
//     at most 3 coupons (else CBC.0100); a coupon that is not the caller's,
//     not usable for the order or used up → 400 CBC.99003112;
//   - combination rule: a cash coupon (302, 现金券) cannot be combined with a
//     discount → 400 CBC.99003116;
//   - the discount applies first, then the coupons in the given order, each
//     up to its balance (a coupon at 0 becomes status 3 used); the rest is
//     debited from the customer's balance (trade type DEDEUCT, upstream
//     spelling); a short balance → 400 CBC.99005003 and nothing changes;
//   - the order is completed (status 5) and its resources go into use (new
//     purchases: created with effective now and expiry from the line item's
//     period; renewals: expiry extended).
func (s *Sandbox) payOrders(c *call) (any, error) {
	var req model.PayCustomerOrderV3Req
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.OrderId == "" {
		return nil, badParam("order_id is required")
	}
	useCoupon, err := yesNo("use_coupon", req.UseCoupon)
	if err != nil {
		return nil, err
	}
	useDiscount, err := yesNo("use_discount", req.UseDiscount)
	if err != nil {
		return nil, err
	}
	var coupons []model.CouponSimpleInfoOrderPayV3
	if useCoupon && req.CouponInfos != nil {
		coupons = *req.CouponInfos
	}
	var discounts []model.DiscountSimpleInfoV3
	if useDiscount && req.DiscountInfos != nil {
		discounts = *req.DiscountInfos
	}
	if useCoupon && len(coupons) == 0 {
		return nil, badParam("coupon_infos is required when use_coupon is YES")
	}
	if useDiscount && len(discounts) == 0 {
		return nil, badParam("discount_infos is required when use_discount is YES")
	}
	if len(coupons) > maxPayCoupons {
		return nil, badParam("at most %d coupons can be used for one order", maxPayCoupons)
	}
	if len(discounts) > 1 {
		return nil, badParam("at most one discount can be used for one order")
	}
	seen := map[string]bool{}
	for _, ci := range coupons {
		if _, ok := payCouponType[ci.Type]; !ok {
			return nil, badParam("coupon type %d is not supported", ci.Type)
		}
		if seen[ci.Id] {
			return nil, badParam("coupon %s is given twice", ci.Id)
		}
		seen[ci.Id] = true
		if ci.Type == 302 && len(discounts) > 0 {
			return nil, errf(http.StatusBadRequest, "CBC.99003116", "a cash coupon cannot be used together with a discount")
		}
	}

	return s.withOrder(c, req.OrderId, nil, func(st *State, o *Order, cu *Customer) (any, error) {
		if o.AgentPayerID != "" && !st.paysFor(c.who, o.AgentPayerID) {
			return nil, errf(http.StatusForbidden, "CBC.0151", "the order %s is to be paid by its partner", o.ID)
		}
		return nil, st.payOrder(o, cu, discounts, coupons)
	})
}

// paysFor reports whether the caller's customer token was assumed by the
// partner payerID or by its tier-1.
func (st *State) paysFor(who principal, payerID string) bool {
	if who.Token == nil || who.Token.PartnerID == "" {
		return false
	}
	if who.Token.PartnerID == payerID {
		return true
	}
	p := st.partnerByID[payerID]
	return p != nil && p.ParentID != "" && p.ParentID == who.Token.PartnerID
}

func yesNo(field, v string) (bool, error) {
	switch v {
	case "YES":
		return true, nil
	case "NO":
		return false, nil
	}
	return false, badParam("%s must be YES or NO", field)
}

// payOrder settles a pending order (see payOrders). Callers hold st.mu.
func (st *State) payOrder(o *Order, cu *Customer, discounts []model.DiscountSimpleInfoV3, coupons []model.CouponSimpleInfoOrderPayV3) error {
	st.settleCoupons()
	now := st.now()
	if o.Status != 6 {
		return errf(http.StatusBadRequest, "CBC.99003106", "the order status has changed")
	}
	if !o.PaymentDeadline.IsZero() && now.After(o.PaymentDeadline) {
		return errf(http.StatusBadRequest, "CBC.99003110", "the payment deadline of the order has passed")
	}
	due := o.OfficialAmount
	var disc *Discount
	for _, di := range discounts {
		for _, d := range o.Discounts {
			if d.ID == di.Id && d.Type == di.Type {
				disc = d
			}
		}
		if disc == nil {
			return errf(http.StatusBadRequest, "CBC.99003108", "the discount %s is not applicable to the order", di.Id)
		}
	}
	discAmt := decimal.Zero
	if disc != nil {
		discAmt = discountAmount(due, disc)
		due = due.Sub(discAmt)
	}
	type use struct {
		cp  *Coupon
		amt decimal.Decimal
	}
	var uses []use
	couponTotal := decimal.Zero
	for _, ci := range coupons {
		cp := st.couponByID[ci.Id]
		if cp == nil || cp.CustomerID != o.CustomerID || cp.Type != payCouponType[ci.Type] {
			return errf(http.StatusBadRequest, "CBC.99003112", "the coupon %s does not exist or cannot be used", ci.Id)
		}
		if !couponUsable(cp, o, now) {
			return errf(http.StatusBadRequest, "CBC.99003112", "the coupon %s has been used or is not applicable", ci.Id)
		}
		amt := decimal.Min(cp.Balance, due.Sub(couponTotal))
		if !amt.IsPositive() {
			continue
		}
		couponTotal = couponTotal.Add(amt)
		uses = append(uses, use{cp, amt})
	}
	cash := due.Sub(couponTotal)
	payer := st.partnerByID[o.AgentPayerID]
	if payer != nil && allocatable(payer).LessThan(cash) {
		return errf(http.StatusBadRequest, "CBC.99005003", "insufficient balance")
	}
	if payer == nil && cu.Balance.LessThan(cash) {
		return errf(http.StatusBadRequest, "CBC.99005003", "insufficient balance")
	}
	// Commit: nothing below fails.
	for _, u := range uses {
		u.cp.Balance = u.cp.Balance.Sub(u.amt)
		u.cp.LastUsed = now
		u.cp.OrderID = o.ID
		u.cp.LockOrder = ""
		if !u.cp.Balance.IsPositive() {
			u.cp.Status = 3
		}
		o.UsedCoupons = append(o.UsedCoupons, u.cp.ID)
	}
	st.releaseCoupons(o.ID)
	switch {
	case cash.IsPositive() && payer != nil:
		st.partnerChange(payer, cash.Neg(), "DEDEUCT", o.ID, cu.ID, cu.AccountName)
	case cash.IsPositive():
		st.customerChange(cu, cash.Neg(), "DEDEUCT", o.ID)
	}
	st.spentCash = st.spentCash.Add(cash)
	st.spentCoupons = st.spentCoupons.Add(couponTotal)
	o.DiscountAmount = discAmt
	if disc != nil {
		o.DiscountType = disc.Type
	}
	o.AmountAfterDiscount = o.OfficialAmount.Sub(discAmt)
	o.CouponAmount = couponTotal
	o.CashAmount = cash
	o.Status = 5
	o.Paid = now
	st.fulfil(o, now)
	return nil
}

// fulfil puts a paid order's resources into use. Callers hold st.mu.
func (st *State) fulfil(o *Order, now time.Time) {
	switch o.Type {
	case "1":
		for _, r := range o.pendingRes {
			var li *LineItem
			for _, l := range o.LineItems {
				if l.ResourceID == r.ResourceID {
					li = l
				}
			}
			exp := addPeriod(now, 2, 1)
			if li != nil {
				exp = addPeriod(now, li.PeriodType, li.PeriodNum)
				li.Effective, li.Expire = now, exp
			}
			for _, x := range append([]*Resource{r}, r.Children...) {
				x.Status, x.Effective, x.Expire, x.Updated = 2, now, exp, now
			}
			st.addResource(r)
		}
		o.pendingRes = nil
	case "2":
		for _, li := range o.LineItems {
			r := st.resources[li.ResourceID]
			if r == nil {
				continue
			}
			from := r.Expire
			if from.Before(now) {
				from = now
			}
			exp := addPeriod(from, li.PeriodType, li.PeriodNum)
			li.Effective, li.Expire = from, exp
			r.PrevExpire, r.RenewOrderID = r.Expire, o.ID
			for _, x := range append([]*Resource{r}, r.Children...) {
				x.Expire, x.Updated = exp, now
				if x.Status == 5 {
					x.Status = 2
				}
			}
		}
	}
}

// releaseCoupons frees the coupons a pending order holds.
func (st *State) releaseCoupons(orderID string) {
	for _, cp := range st.coupons {
		if cp.LockOrder == orderID {
			cp.LockOrder = ""
		}
	}
}

// CancelCustomerOrder: PUT /v2/orders/customer-orders/cancel (customer).
// Only a pending-payment order (status 6) can be cancelled, else 400
// CBC.99005010; it becomes status 4 and releases the coupons it holds.
func (s *Sandbox) cancelCustomerOrder(c *call) (any, error) {
	var req model.CancelCustomerOrderReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.OrderId == "" {
		return nil, badParam("order_id is required")
	}
	return s.withOrder(c, req.OrderId, nil, func(st *State, o *Order, _ *Customer) (any, error) {
		if o.Status != 6 {
			return nil, errf(http.StatusBadRequest, "CBC.99005010", "the order status does not allow cancellation")
		}
		o.Status = 4
		o.pendingRes = nil
		st.releaseCoupons(o.ID)
		return nil, nil
	})
}

// ShowRefundOrderDetails: GET /v2/orders/customer-orders/refund-orders. A
// partner must pass customer_id; refund amounts are negative, measure_id a
// string. An order that is not a refund order has no refund infos.
func (s *Sandbox) showRefundOrderDetails(c *call) (any, error) {
	id := c.q("order_id")
	if id == "" {
		return nil, badParam("order_id is required")
	}
	cid := c.q("customer_id")
	if c.who.Partner != nil && cid == "" {
		return nil, badParam("customer_id is required")
	}
	return s.withOrder(c, id, c.qOpt("indirect_partner_id"), func(_ *State, o *Order, _ *Customer) (any, error) {
		if cid != "" && cid != o.CustomerID {
			return nil, errUnknownOrder(id)
		}
		out := []model.OrderRefundInfoV2{}
		for _, rl := range o.Refunds {
			amt := rl.Amount.Neg()
			out = append(out, model.OrderRefundInfoV2{
				Id:               rl.ID,
				Amount:           &amt,
				MeasureId:        "1",
				CustomerId:       o.CustomerID,
				ResourceTypeCode: rl.ResourceTypeCode,
				ServiceTypeCode:  rl.ServiceTypeCode,
				ResourceTypeName: ptr(rl.ResourceTypeName),
				ServiceTypeName:  ptr(rl.ServiceTypeName),
				RegionCode:       rl.RegionCode,
				BaseOrderId:      ptr(rl.BaseOrderID),
			})
		}
		return &model.ShowRefundOrderDetailsResponse{TotalCount: ptr(int32(len(out))), RefundInfos: &out}, nil
	})
}

// seedAgentPayOrders addresses one pending order per partner to it (see the
// top of this file), drawing from its own rng so the rest of the dataset
// stays as it was.
func (st *State) seedAgentPayOrders() {
	rng := rand.New(rand.NewSource(st.opts.Seed ^ 0x6167656e74))
	for _, p := range st.partners {
		var cu *Customer
		for i, c := range st.customersByPartner[p.ID] {
			if (p.Kind != KindTier1 && i == 0) || (p.Kind == KindTier1 && i > 0 && c.AssociationType == "2") {
				cu = c
				break
			}
		}
		if cu == nil {
			continue
		}
		created := st.epoch.Add(-time.Duration(72+rng.Intn(48)) * time.Hour)
		pt, pn := int32(2), int32(1+rng.Intn(3))
		o, r := newPurchase(rng, cu, &products[len(products)-1], regionCodes[rng.Intn(len(regionCodes))], created, pt, pn, time.Time{}, time.Time{})
		o.Status, o.PaymentDeadline, o.AgentPayerID = 6, st.epoch.AddDate(0, 0, 7), p.ID
		o.pendingRes = []*Resource{r}
		st.addOrder(o)
	}
}
