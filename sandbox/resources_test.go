package sandbox

import (
	"math/rand"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

func TestListPayPerUseCustomerResources(t *testing.T) {
	f := newFixture(t, KindTier1)
	all := f.resources(t, false)
	mains := f.resources(t, true)
	if len(mains) < 2 || len(all) <= len(mains) {
		t.Fatalf("showcase resources: %d main of %d", len(mains), len(all))
	}
	for _, r := range mains {
		if deref(r.IsMainResource) != 1 || deref(r.Status) != 2 || r.ParentResourceId != nil {
			t.Fatalf("main resource: %+v", r)
		}
		exp, err := time.Parse(timeLayout, deref(r.ExpireTime))
		if err != nil || !exp.After(f.clock.Now()) {
			t.Fatalf("main resource expiry %q not in the future", deref(r.ExpireTime))
		}
		if deref(r.ServiceTypeCode) == "" || deref(r.ResourceTypeCode) == "" || r.SpecSize == nil {
			t.Fatalf("main resource fields: %+v", r)
		}
	}

	t.Run("PartnerWithCustomerID", func(t *testing.T) {
		resp, err := f.pc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{
			CustomerId: ptr(f.cust.ID), Limit: ptr(int32(500)),
		}})
		if err != nil || int(deref(resp.TotalCount)) != len(all) {
			t.Fatalf("partner view: %v %v", deref(resp.TotalCount), err)
		}
	})
	t.Run("ByIDsAndStatus", func(t *testing.T) {
		ids := []string{*all[0].ResourceId, *all[1].ResourceId, "missing"}
		resp, err := f.cc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{
			ResourceIds: &ids, StatusList: &[]int32{2},
		}})
		if err != nil || deref(resp.TotalCount) != 2 {
			t.Fatalf("by ids: %v %v", deref(resp.TotalCount), err)
		}
		resp, err = f.cc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{
			StatusList: &[]int32{3},
		}})
		if err != nil || deref(resp.TotalCount) != 0 {
			t.Fatalf("closed: %v %v", deref(resp.TotalCount), err)
		}
	})
	t.Run("ForeignCustomerEmpty", func(t *testing.T) {
		other := showcaseOf(f.m, partnerOf(f.m, KindProvider).ID)
		resp, err := f.pc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{CustomerId: ptr(other.ID)}})
		if err != nil || deref(resp.TotalCount) != 0 {
			t.Fatalf("foreign: %v %v", deref(resp.TotalCount), err)
		}
	})
	t.Run("ErrTooManyIDs", func(t *testing.T) {
		ids := make([]string, 51)
		for i := range ids {
			ids[i] = strconv.Itoa(i)
		}
		_, err := f.cc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{ResourceIds: &ids}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	t.Run("ErrPartnerWithoutCustomer", func(t *testing.T) {
		_, err := f.pc.ListPayPerUseCustomerResources(&model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
}

func TestRenewalResources(t *testing.T) {
	f := newFixture(t, KindTier1)
	mainID, childID := f.mainWithChild(t)

	t.Run("ManualCreatesPendingRenewOrder", func(t *testing.T) {
		resp, err := f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{
			ResourceIds: []string{mainID, childID, "missing"}, PeriodType: 2, PeriodNum: 3, IsAutoPay: ptr(int32(0)),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(*resp.OrderIds) != 1 {
			t.Fatalf("order_ids %v", *resp.OrderIds)
		}
		codes := map[string]string{}
		for _, fr := range *resp.FailResourceInfos {
			codes[deref(fr.ResourceId)] = deref(fr.ErrorCode)
		}
		if codes[childID] != "CBC.30050007" || codes["missing"] != "CBC.30050009" || len(codes) != 2 {
			t.Fatalf("fail_resource_infos %v", codes)
		}
		id := (*resp.OrderIds)[0]
		d, err := f.cc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: id})
		if err != nil || deref(d.OrderInfo.Status) != 6 || deref(d.OrderInfo.OrderType) != 2 || deref(d.TotalCount) != 1 {
			t.Fatalf("renew order: %+v %v", d.OrderInfo, err)
		}
		// The resource is now in an unpaid order.
		again, err := f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{
			ResourceIds: []string{mainID}, PeriodType: 2, PeriodNum: 1,
		}})
		if err != nil || len(*again.OrderIds) != 0 || deref((*again.FailResourceInfos)[0].ErrorCode) != "CBC.30050010" {
			t.Fatalf("renew while unpaid: %+v %v", again, err)
		}
		// Paying it extends the expiry by 3 months.
		before := f.resource(t, mainID)
		if _, err := f.cc.PayOrders(&model.PayOrdersRequest{Body: &model.PayCustomerOrderV3Req{OrderId: id, UseCoupon: "NO", UseDiscount: "NO"}}); err != nil {
			t.Fatal(err)
		}
		after := f.resource(t, mainID)
		b, _ := time.Parse(timeLayout, *before.ExpireTime)
		a, _ := time.Parse(timeLayout, *after.ExpireTime)
		if !a.Equal(b.AddDate(0, 3, 0)) {
			t.Fatalf("expiry %s → %s, want +3 months", b, a)
		}
		if c := f.resource(t, childID); deref(c.ExpireTime) != deref(after.ExpireTime) {
			t.Fatalf("child expiry %s, main %s", deref(c.ExpireTime), deref(after.ExpireTime))
		}
	})

	t.Run("AutoPay", func(t *testing.T) {
		mains := f.resources(t, true)
		id := *mains[len(mains)-1].ResourceId
		before := f.balance()
		exp0, _ := time.Parse(timeLayout, *f.resource(t, id).ExpireTime)
		resp, err := f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{
			ResourceIds: []string{id}, PeriodType: 3, PeriodNum: 1, IsAutoPay: ptr(int32(1)),
		}})
		if err != nil || len(*resp.OrderIds) != 1 {
			t.Fatalf("auto-pay renew: %v %v", resp, err)
		}
		d, err := f.cc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: (*resp.OrderIds)[0]})
		if err != nil || deref(d.OrderInfo.Status) != 5 {
			t.Fatalf("auto-paid order status %v %v", deref(d.OrderInfo.Status), err)
		}
		paid := decimal.NewFromFloat(deref(d.OrderInfo.AmountAfterDiscount))
		if got := before.Sub(f.balance()); !got.Equal(paid) || !paid.IsPositive() {
			t.Fatalf("debited %s, order amount %s", got, paid)
		}
		exp1, _ := time.Parse(timeLayout, *f.resource(t, id).ExpireTime)
		if !exp1.Equal(exp0.AddDate(1, 0, 0)) {
			t.Fatalf("expiry %s → %s, want +1 year", exp0, exp1)
		}
	})

	t.Run("AutoPayShortBalanceLeavesPending", func(t *testing.T) {
		mains := f.resources(t, true)
		id := *mains[0].ResourceId
		var saved decimal.Decimal
		f.locked(func(st *State) {
			c := st.customerByID[f.cust.ID]
			saved, c.Balance = c.Balance, decimal.Zero
		})
		defer f.locked(func(st *State) { st.customerByID[f.cust.ID].Balance = saved })
		resp, err := f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{
			ResourceIds: []string{id}, PeriodType: 2, PeriodNum: 1, IsAutoPay: ptr(int32(1)),
		}})
		if err != nil || len(*resp.OrderIds) != 1 {
			t.Fatalf("renew: %v %v", resp, err)
		}
		d, _ := f.cc.ShowCustomerOrderDetails(&model.ShowCustomerOrderDetailsRequest{OrderId: (*resp.OrderIds)[0]})
		if deref(d.OrderInfo.Status) != 6 {
			t.Fatalf("status %d, want 6", deref(d.OrderInfo.Status))
		}
	})

	t.Run("ErrPeriod", func(t *testing.T) {
		for _, p := range [][2]int32{{2, 12}, {3, 4}, {1, 1}, {2, 0}} {
			_, err := f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{
				ResourceIds: []string{mainID}, PeriodType: p[0], PeriodNum: p[1],
			}})
			wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		}
	})
	t.Run("ErrTooMany", func(t *testing.T) {
		ids := make([]string, 11)
		for i := range ids {
			ids[i] = strconv.Itoa(i)
		}
		_, err := f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{ResourceIds: ids, PeriodType: 2, PeriodNum: 1}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	t.Run("ErrPartnerCaller", func(t *testing.T) {
		_, err := f.pc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{ResourceIds: []string{mainID}, PeriodType: 2, PeriodNum: 1}})
		wantErr(t, err, http.StatusForbidden, "CBC.0151")
	})
}

func TestAutoRenewalResources(t *testing.T) {
	f := newFixture(t, KindProvider)
	mainID, childID := f.mainWithChild(t)
	period := model.GetAutoRenewalResourcesReqPeriodTypeEnum().YEAR
	resp, err := f.cc.AutoRenewalResources(&model.AutoRenewalResourcesRequest{ResourceId: mainID, Body: &model.AutoRenewalResourcesReq{
		AutoRenewTimes: ptr(int32(2)), PeriodType: &period,
	}})
	if err != nil || resp.HttpStatusCode != http.StatusOK {
		t.Fatalf("auto-renew on: %v", err)
	}
	if p := deref(f.resource(t, mainID).ExpirePolicy); p != 3 {
		t.Fatalf("expire_policy %d after auto-renew, want 3", p)
	}
	if p := deref(f.resource(t, childID).ExpirePolicy); p != 3 {
		t.Fatalf("child expire_policy %d, want 3", p)
	}
	t.Run("NoBody", func(t *testing.T) {
		if _, err := f.cc.AutoRenewalResources(&model.AutoRenewalResourcesRequest{ResourceId: mainID}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		if _, err := f.cc.CancelAutoRenewalResources(&model.CancelAutoRenewalResourcesRequest{ResourceId: mainID}); err != nil {
			t.Fatal(err)
		}
		if p := deref(f.resource(t, mainID).ExpirePolicy); p != 0 {
			t.Fatalf("expire_policy %d after cancel, want 0", p)
		}
	})
	t.Run("ErrChild", func(t *testing.T) {
		_, err := f.cc.AutoRenewalResources(&model.AutoRenewalResourcesRequest{ResourceId: childID})
		wantErr(t, err, http.StatusBadRequest, "CBC.30050007")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := f.cc.CancelAutoRenewalResources(&model.CancelAutoRenewalResourcesRequest{ResourceId: "missing"})
		wantErr(t, err, http.StatusBadRequest, "CBC.30050009")
	})
	t.Run("ErrTimes", func(t *testing.T) {
		_, err := f.cc.AutoRenewalResources(&model.AutoRenewalResourcesRequest{ResourceId: mainID, Body: &model.AutoRenewalResourcesReq{AutoRenewTimes: ptr(int32(100))}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
}

func TestCancelResourcesSubscription(t *testing.T) {
	f := newFixture(t, KindTier1)
	mainID, childID := f.mainWithChild(t)
	before := f.balance()
	var refundedBefore decimal.Decimal
	f.locked(func(st *State) { refundedBefore = st.refundedCash })
	resp, err := f.cc.CancelResourcesSubscription(&model.CancelResourcesSubscriptionRequest{Body: &model.UnsubscribeResourcesReq{
		ResourceIds: []string{mainID, childID}, UnsubscribeType: 1, UnsubscribeReasonType: ptr(int32(1)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*resp.OrderIds) != 1 || len(*resp.FailResourceInfos) != 1 || deref((*resp.FailResourceInfos)[0].ErrorCode) != "CBC.30050007" {
		t.Fatalf("unsubscribe: %v %+v", *resp.OrderIds, *resp.FailResourceInfos)
	}
	id := (*resp.OrderIds)[0]
	refund := f.balance().Sub(before)
	if !refund.IsPositive() {
		t.Fatalf("no refund into the balance (%s)", refund)
	}
	f.locked(func(st *State) {
		if got := st.refundedCash.Sub(refundedBefore); !got.Equal(refund) {
			t.Errorf("refundedCash moved %s, balance %s", got, refund)
		}
		last := st.customerChanges[len(st.customerChanges)-1]
		if last.TradeType != "REFUND" || last.TradeID != id {
			t.Errorf("account change %+v", last)
		}
	})
	for _, rid := range []string{mainID, childID} {
		if s := deref(f.resource(t, rid).Status); s != 3 {
			t.Fatalf("resource %s status %d, want 3", rid, s)
		}
	}

	check := func(t *testing.T, r *model.ShowRefundOrderDetailsResponse) {
		t.Helper()
		sum := decimal.Zero
		for _, ri := range *r.RefundInfos {
			if !ri.Amount.IsNegative() && !ri.Amount.IsZero() {
				t.Fatalf("refund amount %s is not negative", ri.Amount)
			}
			if ri.MeasureId != "1" || ri.CustomerId != f.cust.ID || deref(ri.BaseOrderId) == "" {
				t.Fatalf("refund info %+v", ri)
			}
			sum = sum.Add(*ri.Amount)
		}
		if deref(r.TotalCount) < 2 || !sum.Neg().Equal(refund) {
			t.Fatalf("refund infos: %d, sum %s, balance refund %s", deref(r.TotalCount), sum, refund)
		}
	}
	t.Run("RefundDetailsCustomer", func(t *testing.T) {
		r, err := f.cc.ShowRefundOrderDetails(&model.ShowRefundOrderDetailsRequest{OrderId: id})
		if err != nil {
			t.Fatal(err)
		}
		check(t, r)
	})
	t.Run("RefundDetailsPartner", func(t *testing.T) {
		r, err := f.pc.ShowRefundOrderDetails(&model.ShowRefundOrderDetailsRequest{OrderId: id, CustomerId: ptr(f.cust.ID)})
		if err != nil {
			t.Fatal(err)
		}
		check(t, r)
		_, err = f.pc.ShowRefundOrderDetails(&model.ShowRefundOrderDetailsRequest{OrderId: id})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	t.Run("RefundOrderListed", func(t *testing.T) {
		four := "4"
		found := false
		for _, o := range f.orders(t, nil, &four) {
			found = found || deref(o.OrderId) == id && deref(o.AmountAfterDiscount) < 0
		}
		if !found {
			t.Fatal("refund order not listed with a negative amount")
		}
	})
	t.Run("ClosedFails", func(t *testing.T) {
		r, err := f.cc.CancelResourcesSubscription(&model.CancelResourcesSubscriptionRequest{Body: &model.UnsubscribeResourcesReq{ResourceIds: []string{mainID}, UnsubscribeType: 1}})
		if err != nil || len(*r.OrderIds) != 0 || deref((*r.FailResourceInfos)[0].ErrorCode) != "CBC.30050009" {
			t.Fatalf("closed resource: %+v %v", r, err)
		}
	})
	t.Run("RenewalOnly", func(t *testing.T) {
		mains := f.resources(t, true)
		var rid string
		for _, r := range mains {
			if deref(r.Status) == 2 {
				rid = *r.ResourceId
			}
		}
		r, err := f.cc.CancelResourcesSubscription(&model.CancelResourcesSubscriptionRequest{Body: &model.UnsubscribeResourcesReq{ResourceIds: []string{rid}, UnsubscribeType: 2}})
		if err != nil || deref((*r.FailResourceInfos)[0].ErrorCode) != "CBC.30050013" {
			t.Fatalf("no renewal to unsubscribe: %+v %v", r, err)
		}
		exp0 := *f.resource(t, rid).ExpireTime
		if _, err := f.cc.RenewalResources(&model.RenewalResourcesRequest{Body: &model.RenewalResourcesReq{ResourceIds: []string{rid}, PeriodType: 2, PeriodNum: 2, IsAutoPay: ptr(int32(1))}}); err != nil {
			t.Fatal(err)
		}
		bal := f.balance()
		r, err = f.cc.CancelResourcesSubscription(&model.CancelResourcesSubscriptionRequest{Body: &model.UnsubscribeResourcesReq{ResourceIds: []string{rid}, UnsubscribeType: 2}})
		if err != nil || len(*r.OrderIds) != 1 {
			t.Fatalf("renewal unsubscribe: %+v %v", r, err)
		}
		res := f.resource(t, rid)
		if *res.ExpireTime != exp0 || deref(res.Status) != 2 || !f.balance().GreaterThan(bal) {
			t.Fatalf("after renewal unsubscribe: expire %s (was %s) status %d", *res.ExpireTime, exp0, deref(res.Status))
		}
	})
	t.Run("ErrType", func(t *testing.T) {
		_, err := f.cc.CancelResourcesSubscription(&model.CancelResourcesSubscriptionRequest{Body: &model.UnsubscribeResourcesReq{ResourceIds: []string{mainID}, UnsubscribeType: 3}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
}

func TestUpdatePeriodToOnDemand(t *testing.T) {
	f := newFixture(t, KindTier2)
	mainID, childID := f.mainWithChild(t)
	resp, err := f.cc.UpdatePeriodToOnDemand(&model.UpdatePeriodToOnDemandRequest{Body: &model.PeriodToOnDemandReq{
		Operation: "SET_UP", ResourceIds: []string{mainID, childID, "missing"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, d := range *resp.ErrorDetails {
		codes[deref(d.Id)] = deref(d.ErrorCode)
	}
	if len(codes) != 2 || codes[childID] != "CBC.30050007" || codes["missing"] != "CBC.30050009" {
		t.Fatalf("error_details %v", codes)
	}
	if p := deref(f.resource(t, mainID).ExpirePolicy); p != 1 {
		t.Fatalf("expire_policy %d after SET_UP, want 1", p)
	}
	if _, err := f.cc.UpdatePeriodToOnDemand(&model.UpdatePeriodToOnDemandRequest{Body: &model.PeriodToOnDemandReq{Operation: "CANCEL", ResourceIds: []string{mainID}}}); err != nil {
		t.Fatal(err)
	}
	if p := deref(f.resource(t, mainID).ExpirePolicy); p != 0 {
		t.Fatalf("expire_policy %d after CANCEL, want 0", p)
	}
	_, err = f.cc.UpdatePeriodToOnDemand(&model.UpdatePeriodToOnDemandRequest{Body: &model.PeriodToOnDemandReq{Operation: "NOW", ResourceIds: []string{mainID}}})
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
}

func TestListRenewRateOnPeriod(t *testing.T) {
	f := newFixture(t, KindTier1)
	mainID, childID := f.mainWithChild(t)
	quote := func(children bool) *model.ListRenewRateOnPeriodResponse {
		resp, err := f.cc.ListRenewRateOnPeriod(&model.ListRenewRateOnPeriodRequest{Body: &model.ListRenewRateOnPeriodReq{
			ResourceIds: []string{mainID, childID}, PeriodType: 2, PeriodNum: 1, IncludeRelativeResources: &children,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	main, all := quote(false), quote(true)
	if len(*main.RenewInquiryResults) != 1 || deref((*main.FailResourceInfos)[0].ErrorCode) != "CBC.30050007" {
		t.Fatalf("renew rate: %+v", main)
	}
	a1, _ := decimal.NewFromString(deref((*main.RenewInquiryResults)[0].Amount))
	a2, _ := decimal.NewFromString(deref((*all.RenewInquiryResults)[0].Amount))
	if !a1.IsPositive() || !a2.GreaterThan(a1) {
		t.Fatalf("amounts main %s, with children %s", a1, a2)
	}
	if deref(all.OfficialWebsiteRatingResult.OfficialWebsiteAmount) != a2.StringFixed(2) || deref(all.Currency) != "CNY" {
		t.Fatalf("official result %+v", all.OfficialWebsiteRatingResult)
	}
	if o := (*all.OptionalDiscountRatingResults)[0]; deref(o.BestOffer) != 1 || deref(o.Amount) == "" {
		t.Fatalf("optional discount %+v", o)
	}
}

func TestListCustomerOnDemandResources(t *testing.T) {
	f := newFixture(t, KindTier1)
	resp, err := f.pc.ListCustomerOnDemandResources(&model.ListCustomerOnDemandResourcesRequest{Body: &model.QueryCustomerOnDemandResourcesReq{
		CustomerId: f.cust.ID, Limit: ptr(int32(100)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	rs := *resp.Resources
	if len(rs) < 3 || int(deref(resp.TotalCount)) != len(rs) {
		t.Fatalf("on-demand: %d listed, total %d", len(rs), deref(resp.TotalCount))
	}
	for _, r := range rs {
		if deref(r.CustomerId) != f.cust.ID || deref(r.ResourceId) == "" || deref(r.Status) != 1 || deref(r.AvailabilityZoneCode) == "" {
			t.Fatalf("resource %+v", r)
		}
	}
	t.Run("ByIDs", func(t *testing.T) {
		r, err := f.pc.ListCustomerOnDemandResources(&model.ListCustomerOnDemandResourcesRequest{Body: &model.QueryCustomerOnDemandResourcesReq{
			CustomerId: f.cust.ID, ResourceIds: &[]string{*rs[0].ResourceId},
		}})
		if err != nil || deref(r.TotalCount) != 1 {
			t.Fatalf("by id: %v %v", deref(r.TotalCount), err)
		}
	})
	t.Run("ForeignEmpty", func(t *testing.T) {
		other := showcaseOf(f.m, partnerOf(f.m, KindProvider).ID)
		r, err := f.pc.ListCustomerOnDemandResources(&model.ListCustomerOnDemandResourcesRequest{Body: &model.QueryCustomerOnDemandResourcesReq{CustomerId: other.ID}})
		if err != nil || deref(r.TotalCount) != 0 {
			t.Fatalf("foreign: %v %v", deref(r.TotalCount), err)
		}
	})
	t.Run("ErrNoCustomer", func(t *testing.T) {
		_, err := f.pc.ListCustomerOnDemandResources(&model.ListCustomerOnDemandResourcesRequest{Body: &model.QueryCustomerOnDemandResourcesReq{}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	t.Run("ErrTooManyIDs", func(t *testing.T) {
		ids := make([]string, 51)
		_, err := f.pc.ListCustomerOnDemandResources(&model.ListCustomerOnDemandResourcesRequest{Body: &model.QueryCustomerOnDemandResourcesReq{CustomerId: f.cust.ID, ResourceIds: &ids}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	t.Run("ErrCustomerCaller", func(t *testing.T) {
		_, err := f.cc.ListCustomerOnDemandResources(&model.ListCustomerOnDemandResourcesRequest{Body: &model.QueryCustomerOnDemandResourcesReq{CustomerId: f.cust.ID}})
		wantErr(t, err, http.StatusForbidden, "CBC.0151")
	})
}

func TestFreeResources(t *testing.T) {
	f := newFixture(t, KindTier1)
	resp, err := f.cc.ListFreeResourceInfos(&model.ListFreeResourceInfosRequest{Body: &model.ListFreeResourceInfosReq{}})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := *resp.FreeResourcePackages
	if len(pkgs) < 1 || deref(resp.TotalCount) != int32(len(pkgs)) {
		t.Fatalf("packages: %d total %d", len(pkgs), deref(resp.TotalCount))
	}
	var ids []string
	for _, p := range pkgs {
		if deref(p.OrderId) == "" || p.FreeResources == nil || len(*p.FreeResources) == 0 {
			t.Fatalf("package %+v", p)
		}
		for _, fr := range *p.FreeResources {
			amt, e1 := decimal.NewFromString(deref(fr.Amount))
			orig, e2 := decimal.NewFromString(deref(fr.OriginalAmount))
			if e1 != nil || e2 != nil || !amt.LessThan(orig) {
				t.Fatalf("free resource amounts %q of %q (used expected)", deref(fr.Amount), deref(fr.OriginalAmount))
			}
			ids = append(ids, *fr.FreeResourceId)
		}
	}
	t.Run("Usages", func(t *testing.T) {
		u, err := f.cc.ListFreeResourceUsages(&model.ListFreeResourceUsagesRequest{Body: &model.ListFreeResourceUsagesReq{FreeResourceIds: append(ids, "unknown")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(*u.FreeResources) != len(ids) {
			t.Fatalf("usages: %d for %d ids", len(*u.FreeResources), len(ids))
		}
		for _, d := range *u.FreeResources {
			if d.Amount == nil || d.OriginalAmount == nil || deref(d.StartTime) == "" || deref(d.UsageTypeName) == "" {
				t.Fatalf("usage %+v", d)
			}
		}
	})
	t.Run("ErrUsagesIDs", func(t *testing.T) {
		_, err := f.cc.ListFreeResourceUsages(&model.ListFreeResourceUsagesRequest{Body: &model.ListFreeResourceUsagesReq{FreeResourceIds: []string{}}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		_, err = f.cc.ListFreeResourceUsages(&model.ListFreeResourceUsagesRequest{Body: &model.ListFreeResourceUsagesReq{FreeResourceIds: make([]string, 101)}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	t.Run("ErrLimit", func(t *testing.T) {
		_, err := f.cc.ListFreeResourceInfos(&model.ListFreeResourceInfosRequest{Body: &model.ListFreeResourceInfosReq{Limit: ptr(int32(101))}})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	t.Run("ErrPartnerCaller", func(t *testing.T) {
		_, err := f.pc.ListFreeResourceInfos(&model.ListFreeResourceInfosRequest{Body: &model.ListFreeResourceInfosReq{}})
		wantErr(t, err, http.StatusForbidden, "CBC.0151")
	})
}

// BenchmarkListPayPerUseCustomerResources50 lists 50 resources by id for
// one customer through the SDK (partner AK/SK, signature verified).
func BenchmarkListPayPerUseCustomerResources50(b *testing.B) {
	sb, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 60})
	p := partnerOf(m, KindTier1)
	cu := showcaseOf(m, p.ID)
	var ids []string
	st := sb.state
	st.mu.Lock()
	rng := rand.New(rand.NewSource(9))
	c := st.customerByID[cu.ID]
	for len(st.resByCustomer[c.ID]) < 60 {
		st.seedCompleted(rng, c, &products[rng.Intn(len(products))], 1)
	}
	for _, r := range st.resByCustomer[c.ID][:50] {
		ids = append(ids, r.ResourceID)
	}
	st.mu.Unlock()
	client := bssClient(b, srv.URL, p.AK, p.SK)
	req := &model.ListPayPerUseCustomerResourcesRequest{Body: &model.QueryResourcesReq{
		CustomerId: &cu.ID, ResourceIds: &ids, Limit: ptr(int32(50)),
	}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.ListPayPerUseCustomerResources(req)
		if err != nil || len(*resp.Data) != 50 {
			b.Fatalf("%v", err)
		}
	}
}
