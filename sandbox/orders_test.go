package sandbox

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

func TestListCustomerOrders(t *testing.T) {
	f := newFixture(t, KindTier1)

	t.Run("PartnerSeesShowcaseOrders", func(t *testing.T) {
		all := f.orders(t, nil, nil)
		pending, done := 0, 0
		for _, o := range all {
			if deref(o.CustomerId) != f.cust.ID {
				t.Fatalf("order %s of customer %s", deref(o.OrderId), deref(o.CustomerId))
			}
			if len(deref(o.OrderId)) != 17 || deref(o.OrderId)[:2] != "CS" {
				t.Errorf("order id %q is not CS+yyMMddHHmm+5", deref(o.OrderId))
			}
			switch deref(o.Status) {
			case 6:
				pending++
			case 5:
				done++
			}
			if o.OfficialAmount == nil || o.AmountAfterDiscount == nil || deref(o.MeasureId) != 1 || deref(o.Currency) != "CNY" {
				t.Errorf("order %s lacks amounts: %+v", deref(o.OrderId), o)
			}
		}
		if pending < 2 || done < 1 {
			t.Fatalf("got %d pending, %d completed orders; want ≥2, ≥1", pending, done)
		}
	})

	t.Run("AllCustomersDescending", func(t *testing.T) {
		resp, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{Limit: ptr(int32(100))})
		if err != nil {
			t.Fatal(err)
		}
		list := *resp.OrderInfos
		if deref(resp.TotalCount) <= int32(len(f.orders(t, nil, nil))) {
			t.Fatalf("total_count %d: the partner should see more than one customer's orders", deref(resp.TotalCount))
		}
		for i := 1; i < len(list); i++ {
			if deref(list[i-1].CreateTime) < deref(list[i].CreateTime) {
				t.Fatalf("not ordered by -createTime at %d", i)
			}
		}
	})

	t.Run("Filters", func(t *testing.T) {
		six := int32(6)
		for _, o := range f.orders(t, &six, nil) {
			if deref(o.Status) != 6 {
				t.Fatalf("status filter leaked %d", deref(o.Status))
			}
		}
		one := "1"
		for _, o := range f.orders(t, nil, &one) {
			if deref(o.OrderType) != 1 {
				t.Fatalf("order_type filter leaked %d", deref(o.OrderType))
			}
		}
		all := f.orders(t, nil, nil)
		resp, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{OrderId: all[0].OrderId})
		if err != nil || deref(resp.TotalCount) != 1 {
			t.Fatalf("order_id filter: %v %v", deref(resp.TotalCount), err)
		}
	})

	t.Run("CustomerSeesOnlyItself", func(t *testing.T) {
		resp, err := f.cc.ListCustomerOrders(&model.ListCustomerOrdersRequest{Limit: ptr(int32(100))})
		if err != nil {
			t.Fatal(err)
		}
		if int(deref(resp.TotalCount)) != len(f.orders(t, nil, nil)) {
			t.Fatalf("customer sees %d, partner sees %d", deref(resp.TotalCount), len(f.orders(t, nil, nil)))
		}
	})

	t.Run("ForeignCustomerEmpty", func(t *testing.T) {
		other := showcaseOf(f.m, partnerOf(f.m, KindProvider).ID)
		resp, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{CustomerId: ptr(other.ID)})
		if err != nil || deref(resp.TotalCount) != 0 || len(*resp.OrderInfos) != 0 {
			t.Fatalf("foreign customer: %v %v", deref(resp.TotalCount), err)
		}
	})

	t.Run("Tier1SeesResellerCustomers", func(t *testing.T) {
		var t2 ManifestPartner
		for _, p := range f.m.Partners {
			if p.Kind == KindTier2 && p.ParentID == f.partner.ID {
				t2 = p
			}
		}
		rc := showcaseOf(f.m, t2.ID)
		resp, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{CustomerId: ptr(rc.ID), IndirectPartnerId: ptr(t2.ID)})
		if err != nil || deref(resp.TotalCount) < 3 {
			t.Fatalf("reseller's customer via indirect_partner_id: %v %v", deref(resp.TotalCount), err)
		}
		resp, err = f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{CustomerId: ptr(rc.ID)})
		if err != nil || deref(resp.TotalCount) != 0 {
			t.Fatalf("reseller's customer without indirect_partner_id: %v %v", deref(resp.TotalCount), err)
		}
	})

	t.Run("ErrLimit", func(t *testing.T) {
		_, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{Limit: ptr(int32(101))})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		_, err = f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{Limit: ptr(int32(0))})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})

	t.Run("ErrSpanOverOneYear", func(t *testing.T) {
		_, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{
			CreateTimeBegin: ptr("2024-01-01T00:00:00Z"), CreateTimeEnd: ptr("2025-01-02T00:00:00Z"),
		})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		_, err = f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{CreateTimeBegin: ptr("2024-01-01")})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
}

// pendingOrder returns a pending order of the showcase customer that has
// discounts.
func (f *fixture) pendingOrder(t testing.TB, skip int) string {
	t.Helper()
	six := int32(6)
	list := f.orders(t, &six, ptr("1"))
	if len(list) <= skip {
		t.Fatalf("only %d pending orders", len(list))
	}
	return *list[skip].OrderId
}

func TestShowCustomerOrderDetails(t *testing.T) {
	f := newFixture(t, KindProvider)
	id := f.pendingOrder(t, 0)
	for name, c := range map[string]interface {
		ShowCustomerOrderDetails(*model.ShowCustomerOrderDetailsRequest) (*model.ShowCustomerOrderDetailsResponse, error)
	}{"Partner": f.pc, "Customer": f.cc} {
		t.Run(name, func(t *testing.T) {
			resp, err := c.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: id})
			if err != nil {
				t.Fatal(err)
			}
			oi := resp.OrderInfo
			if deref(oi.OrderId) != id || deref(oi.Status) != 6 || deref(oi.UserName) == "" || deref(oi.PendingPaymentEndTime) == "" {
				t.Fatalf("order_info: %+v", oi)
			}
			if deref(resp.TotalCount) < 1 || len(*resp.OrderLineItems) != int(deref(resp.TotalCount)) {
				t.Fatalf("line items: total %d, got %d", deref(resp.TotalCount), len(*resp.OrderLineItems))
			}
			li := (*resp.OrderLineItems)[0]
			if deref(li.OrderId) != id || deref(li.PeriodType) < 2 || deref(li.OfficialAmount) <= 0 {
				t.Fatalf("line item: %+v", li)
			}
		})
	}
	t.Run("LineItemPage", func(t *testing.T) {
		resp, err := f.cc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: id, Offset: ptr(int32(5))})
		if err != nil || len(*resp.OrderLineItems) != 0 || deref(resp.TotalCount) < 1 {
			t.Fatalf("offset past the items: %v", err)
		}
	})
	t.Run("ErrUnknownOrder", func(t *testing.T) {
		_, err := f.pc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: "CS2611220000NOPE0"})
		wantErr(t, err, http.StatusBadRequest, "CBC.30000010")
	})
	t.Run("ErrOtherPartnersOrder", func(t *testing.T) {
		p := partnerOf(f.m, KindTier1)
		_, err := bssClient(t, f.srv.URL, p.AK, p.SK).ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: id})
		wantErr(t, err, http.StatusBadRequest, "CBC.30000010")
	})
}

func TestListOrderDiscounts(t *testing.T) {
	f := newFixture(t, KindTier1)
	id := f.pendingOrder(t, 0)
	resp, err := f.cc.ListOrderDiscounts(&model.ListOrderDiscountsRequest{OrderId: id})
	if err != nil {
		t.Fatal(err)
	}
	ds := *resp.Discounts
	if len(ds) != 2 {
		t.Fatalf("got %d discounts, want 2", len(ds))
	}
	for _, d := range ds {
		if d.DiscountId == "" || d.DiscountValue == "" || len(d.Orders) != 1 || d.Orders[0].OrderId != id ||
			len(d.Orders[0].OrderLineItems) == 0 || d.Orders[0].OrderLineItems[0].DiscountAmount == nil {
			t.Fatalf("discount: %+v", d)
		}
	}
	t.Run("ErrPartnerCaller", func(t *testing.T) {
		_, err := f.pc.ListOrderDiscounts(&model.ListOrderDiscountsRequest{OrderId: id})
		wantErr(t, err, http.StatusForbidden, "CBC.0151")
	})
	t.Run("ErrUnknownOrder", func(t *testing.T) {
		_, err := f.cc.ListOrderDiscounts(&model.ListOrderDiscountsRequest{OrderId: "CS0000000000XXXXX"})
		wantErr(t, err, http.StatusBadRequest, "CBC.30000010")
	})
}

// showcaseCoupon returns a usable coupon of the showcase customer, adding
// a voucher when the seed gave none.
func (f *fixture) showcaseCoupon(t testing.TB, face int64) *Coupon {
	t.Helper()
	var cp *Coupon
	f.locked(func(st *State) {
		cp = &Coupon{
			ID: "CPTEST" + strconv.Itoa(len(st.coupons)), CustomerID: f.cust.ID, IssuerID: f.partner.ID, Type: 1,
			FaceValue: decimal.NewFromInt(face), Balance: decimal.NewFromInt(face), Status: 2,
			Effective: st.now().Add(-time.Hour), Expire: st.now().AddDate(0, 1, 0), Created: st.now().Add(-time.Hour),
		}
		st.coupons = append(st.coupons, cp)
		st.couponByID[cp.ID] = cp
	})
	return cp
}

func TestListOrderCouponsByOrderId(t *testing.T) {
	f := newFixture(t, KindTier1)
	cp := f.showcaseCoupon(t, 50)
	id := f.pendingOrder(t, 0)
	resp, err := f.cc.ListOrderCouponsByOrderId(&model.ListOrderCouponsByOrderIdRequest{OrderId: id})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range *resp.UserCoupons {
		if deref(c.CouponId) == cp.ID {
			found = deref(c.Balance) == 50 && deref(c.FaceValue) == 50 && deref(c.CouponType) == 1
		}
	}
	if !found || int(deref(resp.Count)) != len(*resp.UserCoupons) {
		t.Fatalf("coupon %s not listed right: count %d %+v", cp.ID, deref(resp.Count), *resp.UserCoupons)
	}
	t.Run("ErrPartnerCaller", func(t *testing.T) {
		_, err := f.pc.ListOrderCouponsByOrderId(&model.ListOrderCouponsByOrderIdRequest{OrderId: id})
		wantErr(t, err, http.StatusForbidden, "CBC.0151")
	})
}

func TestPayOrders(t *testing.T) {
	f := newFixture(t, KindTier1)

	t.Run("DiscountCouponAndBalance", func(t *testing.T) {
		id := f.pendingOrder(t, 0)
		cp := f.showcaseCoupon(t, 30)
		disc, err := f.cc.ListOrderDiscounts(&model.ListOrderDiscountsRequest{OrderId: id})
		if err != nil {
			t.Fatal(err)
		}
		d := (*disc.Discounts)[0]
		detail, err := f.cc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: id})
		if err != nil {
			t.Fatal(err)
		}
		official := decimal.NewFromFloat(deref(detail.OrderInfo.OfficialAmount))
		discAmt := *d.Orders[0].OrderLineItems[0].DiscountAmount
		before := f.balance()
		var spentBefore decimal.Decimal
		f.locked(func(st *State) { spentBefore = st.spentCash })

		_, err = f.cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{
			OrderId: id, UseCoupon: "YES", UseDiscount: "YES",
			CouponInfos:   &[]model.CouponSimpleInfoOrderPayV3{{Id: cp.ID, Type: 301}},
			DiscountInfos: &[]model.DiscountSimpleInfoV3{{Id: d.DiscountId, Type: d.DiscountType}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		cash := official.Sub(discAmt).Sub(decimal.NewFromInt(30))
		if got := before.Sub(f.balance()); !got.Equal(cash) {
			t.Fatalf("balance debited %s, want %s (official %s - discount %s - coupon 30)", got, cash, official, discAmt)
		}
		f.locked(func(st *State) {
			if cp.Status != 3 || !cp.Balance.IsZero() || cp.OrderID != id {
				t.Errorf("coupon after payment: status %d balance %s order %s", cp.Status, cp.Balance, cp.OrderID)
			}
			if !st.spentCash.Sub(spentBefore).Equal(cash) {
				t.Errorf("spentCash moved %s, want %s", st.spentCash.Sub(spentBefore), cash)
			}
			last := st.customerChanges[len(st.customerChanges)-1]
			if last.TradeType != "DEDEUCT" || last.TradeID != id || !last.Amount.Equal(cash.Neg()) {
				t.Errorf("account change: %+v", last)
			}
		})
		after, err := f.cc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: id})
		if err != nil {
			t.Fatal(err)
		}
		if deref(after.OrderInfo.Status) != 5 || deref(after.OrderInfo.PaymentTime) == "" ||
			deref(after.OrderInfo.AmountInfo.CouponAmount) != 30 {
			t.Fatalf("order after payment: %+v", after.OrderInfo)
		}
		li := (*after.OrderLineItems)[0]
		if deref(li.EffectiveTime) == "" || deref(li.ExpireTime) == "" {
			t.Fatalf("line item times not set: %+v", li)
		}
		res, err := f.cc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{OrderId: ptr(id)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(*res.Data) == 0 {
			t.Fatal("the paid order produced no resources")
		}
		for _, r := range *res.Data {
			if deref(r.Status) != 2 || deref(r.ExpireTime) != deref(li.ExpireTime) {
				t.Fatalf("resource after payment: status %d expire %s", deref(r.Status), deref(r.ExpireTime))
			}
		}
		t.Run("ErrAlreadyPaid", func(t *testing.T) {
			_, err := f.cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"}})
			wantErr(t, err, http.StatusBadRequest, "CBC.99003106")
		})
		t.Run("ErrCouponUsed", func(t *testing.T) {
			_, err := f.cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{
				OrderId: f.pendingOrder(t, 0), UseCoupon: "YES", UseDiscount: "NO",
				CouponInfos: &[]model.CouponSimpleInfoOrderPayV3{{Id: cp.ID, Type: 301}},
			}})
			wantErr(t, err, http.StatusBadRequest, "CBC.99003112")
		})
	})

	t.Run("Errors", func(t *testing.T) {
		id := f.pendingOrder(t, 0)
		pay := func(req model.PayCustomerOrderV3Req) error {
			_, err := f.cc.PayOrders(&model.PayOrdersRequest{Body: &req})
			return err
		}
		cases := map[string]struct {
			req  model.PayCustomerOrderV3Req
			code string
		}{
			"UnknownOrder":     {model.PayCustomerOrderV3Req{OrderId: "CS0000000000XXXXX", UseCoupon: "NO", UseDiscount: "NO"}, "CBC.30000010"},
			"BadDiscount":      {model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "YES", DiscountInfos: &[]model.DiscountSimpleInfoV3{{Id: "nope", Type: 3}}}, "CBC.99003108"},
			"CashWithDiscount": {model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "YES", UseDiscount: "YES", CouponInfos: &[]model.CouponSimpleInfoOrderPayV3{{Id: "x", Type: 302}}, DiscountInfos: &[]model.DiscountSimpleInfoV3{{Id: "y", Type: 3}}}, "CBC.99003116"},
			"FourCoupons":      {model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "YES", UseDiscount: "NO", CouponInfos: &[]model.CouponSimpleInfoOrderPayV3{{Id: "a", Type: 301}, {Id: "b", Type: 301}, {Id: "c", Type: 301}, {Id: "d", Type: 301}}}, "CBC.0100"},
			"UnknownCoupon":    {model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "YES", UseDiscount: "NO", CouponInfos: &[]model.CouponSimpleInfoOrderPayV3{{Id: "nope", Type: 301}}}, "CBC.99003112"},
			"BadYesNo":         {model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "yes", UseDiscount: "NO"}, "CBC.0100"},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				wantErr(t, pay(tc.req), http.StatusBadRequest, tc.code)
			})
		}
		t.Run("InsufficientBalanceChangesNothing", func(t *testing.T) {
			var saved decimal.Decimal
			f.locked(func(st *State) {
				c := st.customerByID[f.cust.ID]
				saved, c.Balance = c.Balance, decimal.New(1, -2)
			})
			err := pay(model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"})
			wantErr(t, err, http.StatusBadRequest, "CBC.99005003")
			f.locked(func(st *State) {
				if o := st.orders[id]; o.Status != 6 {
					t.Errorf("order status %d after a failed payment", o.Status)
				}
				st.customerByID[f.cust.ID].Balance = saved
			})
		})
		t.Run("DeadlinePassed", func(t *testing.T) {
			var saved time.Time
			f.locked(func(st *State) {
				o := st.orders[id]
				saved, o.PaymentDeadline = o.PaymentDeadline, st.now().Add(-time.Minute)
			})
			err := pay(model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"})
			wantErr(t, err, http.StatusBadRequest, "CBC.99003110")
			f.locked(func(st *State) { st.orders[id].PaymentDeadline = saved })
		})
		t.Run("PartnerCaller", func(t *testing.T) {
			_, err := f.pc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"}})
			wantErr(t, err, http.StatusForbidden, "CBC.0151")
		})
	})
}

func TestCancelCustomerOrder(t *testing.T) {
	f := newFixture(t, KindTier2)
	id := f.pendingOrder(t, 0)
	var cp *Coupon
	f.locked(func(st *State) {
		for _, c := range st.coupons {
			if c.CustomerID == f.cust.ID {
				cp = c
			}
		}
		if cp != nil {
			cp.LockOrder = id
		}
	})
	resp, err := f.cc.CancelCustomerOrder(&model.CancelCustomerOrderRequest{Body: &model.CancelCustomerOrderReq{OrderId: id}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.HttpStatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.HttpStatusCode)
	}
	d, err := f.cc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: id})
	if err != nil || deref(d.OrderInfo.Status) != 4 {
		t.Fatalf("status after cancel: %v %v", deref(d.OrderInfo.Status), err)
	}
	f.locked(func(st *State) {
		if cp != nil && cp.LockOrder != "" {
			t.Errorf("coupon still locked by %s", cp.LockOrder)
		}
	})
	t.Run("ErrNotPending", func(t *testing.T) {
		_, err := f.cc.CancelCustomerOrder(&model.CancelCustomerOrderRequest{Body: &model.CancelCustomerOrderReq{OrderId: id}})
		wantErr(t, err, http.StatusBadRequest, "CBC.99005010")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := f.cc.CancelCustomerOrder(&model.CancelCustomerOrderRequest{Body: &model.CancelCustomerOrderReq{OrderId: "CS0000000000XXXXX"}})
		wantErr(t, err, http.StatusBadRequest, "CBC.30000010")
	})
}

// BenchmarkListCustomerOrders100 lists a partner's newest 100 orders over
// all its customers in a 10 000-customer sandbox.
func BenchmarkListCustomerOrders100(b *testing.B) {
	_, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	client := bssClient(b, srv.URL, p.AK, p.SK)
	req := &model.ListCustomerOrdersRequest{Limit: ptr(int32(100))}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.ListCustomerOrders(req)
		if err != nil || len(*resp.OrderInfos) != 100 {
			b.Fatalf("%v", err)
		}
	}
}

// agentPayOrders lists the pending orders addressed to a partner among
// customer id's orders, as the partner sees them.
func agentPayOrders(t *testing.T, c *bss.BssClient, customerID string, indirect *string) (agent, other []model.CustomerOrderV2) {
	t.Helper()
	resp, err := c.ListCustomerOrders(&model.ListCustomerOrdersRequest{CustomerId: &customerID, Status: ptr(int32(6)), Limit: ptr(int32(100)), IndirectPartnerId: indirect})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range *resp.OrderInfos {
		if o.AgentPayInfo != nil && deref(o.AgentPayInfo.IsAgentPay) {
			agent = append(agent, o)
		} else {
			other = append(other, o)
		}
	}
	return agent, other
}

func TestAgentPayOrders(t *testing.T) {
	f := newFixture(t, KindProvider)
	// Seeded: the showcase customer has one addressed to its partner, listed
	// after its other pending orders; the others carry no agent_pay_info.
	agent, other := agentPayOrders(t, f.pc, f.cust.ID, nil)
	if len(agent) != 1 || len(other) < 2 || deref(agent[0].AgentPayInfo.PayingAgentId) != f.partner.ID {
		t.Fatalf("agent %+v other %d", agent, len(other))
	}
	for _, o := range other {
		if o.AgentPayInfo != nil {
			t.Fatalf("ordinary order with agent_pay_info %+v", o)
		}
	}
	all := f.orders(t, ptr(int32(6)), nil)
	if *all[len(all)-1].OrderId != *agent[0].OrderId {
		t.Fatal("the agent-pay order does not list last")
	}
	// The tier-1 showcase keeps its two pending orders; the agent-pay one is
	// on its next resale customer, addressed to the tier-1.
	t1 := partnerOf(f.m, KindTier1)
	c1 := bssClient(t, f.srv.URL, t1.AK, t1.SK)
	if a, o := agentPayOrders(t, c1, showcaseOf(f.m, t1.ID).ID, nil); len(a) != 0 || len(o) != 2 {
		t.Fatalf("tier-1 showcase: %d agent, %d other", len(a), len(o))
	}
	found := 0
	f.locked(func(st *State) {
		for _, o := range st.orders {
			if o.AgentPayerID != "" {
				found++
				if st.customerByID[o.CustomerID].PartnerID != o.AgentPayerID || o.Status != 6 {
					t.Errorf("order %s addressed to %s", o.ID, o.AgentPayerID)
				}
			}
		}
	})
	if found != len(f.m.Partners) {
		t.Fatalf("%d agent-pay orders, want one per partner", found)
	}

	// The addressed partner pays it through its customer token: its balance
	// pays, the customer's does not move.
	id := *agent[0].OrderId
	var partnerBefore, amount decimal.Decimal
	f.locked(func(st *State) {
		partnerBefore = st.partnerByID[f.partner.ID].Balance
		amount = st.orders[id].OfficialAmount
	})
	custBefore := f.balance()
	if _, err := f.cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"}}); err != nil {
		t.Fatal(err)
	}
	var partnerAfter decimal.Decimal
	f.locked(func(st *State) { partnerAfter = st.partnerByID[f.partner.ID].Balance })
	if !partnerAfter.Equal(partnerBefore.Sub(amount)) || !f.balance().Equal(custBefore) {
		t.Fatalf("partner %s → %s (order %s), customer %s → %s", partnerBefore, partnerAfter, amount, custBefore, f.balance())
	}
	ch, err := f.pc.ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{BalanceType: "BALANCE_TYPE_DEBIT", TradeType: ptr("DEDEUCT"), Limit: ptr(int32(1))})
	if err != nil || *(*ch.Records)[0].TradeId != id || deref((*ch.Records)[0].CustomerId) != f.cust.ID || *(*ch.Records)[0].ChangeAmount != amount.StringFixed(2) {
		t.Fatalf("partner change record %+v %v", ch, err)
	}
	done, err := f.pc.ListCustomerOrders(&model.ListCustomerOrdersRequest{OrderId: &id})
	if err != nil || *(*done.OrderInfos)[0].Status != 5 || !deref((*done.OrderInfos)[0].AgentPayInfo.IsAgentPay) {
		t.Fatalf("paid order %+v %v", done, err)
	}
	if n := len(f.resources(t, true)); n == 0 {
		t.Fatal("no resources")
	}
}

// A reseller's agent-pay order: its tier-1's token may pay it (from the
// reseller's balance); a short balance refuses it and changes nothing.
func TestAgentPayOrderReseller(t *testing.T) {
	f := newFixture(t, KindTier1)
	t2 := f.m.Partners[1]
	cust := showcaseOf(f.m, t2.ID)
	agent, _ := agentPayOrders(t, f.pc, cust.ID, &t2.ID)
	if len(agent) != 1 || deref(agent[0].AgentPayInfo.PayingAgentId) != t2.ID {
		t.Fatalf("reseller's agent-pay orders %+v", agent)
	}
	id := *agent[0].OrderId
	cc := bssTokenClient(t, f.srv.URL, customerToken(t, f.srv.URL, f.partner, cust.ID)) // the tier-1 assumes into the reseller's customer
	pay := func() error {
		_, err := cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"}})
		return err
	}
	var saved decimal.Decimal
	f.locked(func(st *State) {
		p := st.partnerByID[t2.ID]
		saved = p.Balance
		p.Balance = p.Designated.Add(decimal.NewFromInt(1)) // 1 yuan allocatable
	})
	wantErr(t, pay(), 400, "CBC.99005003")
	f.locked(func(st *State) {
		if st.orders[id].Status != 6 {
			t.Errorf("order status %d after a refused payment", st.orders[id].Status)
		}
		st.partnerByID[t2.ID].Balance = saved
	})
	if err := pay(); err != nil {
		t.Fatal(err)
	}
	f.locked(func(st *State) {
		if !st.partnerByID[t2.ID].Balance.Equal(saved.Sub(st.orders[id].OfficialAmount)) {
			t.Errorf("reseller balance %s", st.partnerByID[t2.ID].Balance)
		}
	})
}

// A customer token assumed by a partner that is neither the addressed one
// nor its tier-1 cannot pay an agent-pay order.
func TestAgentPayOrderOtherPayer(t *testing.T) {
	f := newFixture(t, KindTier1)
	t2 := f.m.Partners[1]
	var id, custID string
	f.locked(func(st *State) {
		for _, o := range st.orders {
			if o.AgentPayerID == t2.ID {
				id, custID = o.ID, o.CustomerID
			}
		}
		st.orders[id].AgentPayerID = partnerOf(f.m, KindProvider).ID
	})
	cc := bssTokenClient(t, f.srv.URL, customerToken(t, f.srv.URL, t2, custID))
	_, err := cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"}})
	wantErr(t, err, 403, "CBC.0151")
}
