package sandbox

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// periodInfos are the product infos quoting what pending order o buys:
// its main resource and children, for the order's period.
func periodInfos(o *Order) []model.PeriodProductInfo {
	r, li := o.pendingRes[0], o.LineItems[0]
	var out []model.PeriodProductInfo
	for i, x := range append([]*Resource{r}, r.Children...) {
		pi := model.PeriodProductInfo{
			Id: fmt.Sprintf("line-%d", i), CloudServiceType: x.ServiceTypeCode, ResourceType: x.ResourceTypeCode,
			ResourceSpec: x.SpecCode, Region: x.RegionCode, AvailableZone: ptr(x.RegionCode + "a"),
			PeriodType: li.PeriodType, PeriodNum: li.PeriodNum, SubscriptionNum: 1,
		}
		if m := sizeMeasures[x.ResourceTypeCode]; m != 0 {
			pi.ResourceSize, pi.SizeMeasureId = ptr(int32(x.SpecSize)), ptr(m)
		}
		out = append(out, pi)
	}
	return out
}

// A customer's quote of what a pending order buys costs what the order
// costs; its partner discount is the order's 85% discount and the best
// offer.
func TestListRateOnPeriodDetailMatchesOrders(t *testing.T) {
	f := newFixture(t, KindTier1)
	var orders []*Order
	f.locked(func(st *State) {
		for _, o := range st.ordersByCustomer[f.cust.ID] {
			if o.Status == 6 && len(o.pendingRes) == 1 && len(o.pendingRes[0].Children) > 0 {
				orders = append(orders, o)
			}
		}
	})
	if len(orders) == 0 {
		t.Fatal("no pending order with children")
	}
	for _, o := range orders {
		infos := periodInfos(o)
		resp, err := f.cc.ListRateOnPeriodDetail(&model.ListRateOnPeriodDetailRequest{Body: &model.RateOnPeriodReq{
			ProjectId: projectOf(f.cust.ID, infos[0].Region), ProductInfos: infos,
		}})
		if err != nil {
			t.Fatal(err)
		}
		off := resp.OfficialWebsiteRatingResult
		if !deref(off.OfficialWebsiteAmount).Equal(o.OfficialAmount) || deref(resp.Currency) != "CNY" || deref(off.MeasureId) != 1 {
			t.Fatalf("quote %s, order %s costs %s", deref(off.OfficialWebsiteAmount), o.ID, o.OfficialAmount)
		}
		sum := decimal.Zero
		for i, pr := range *off.ProductRatingResults {
			if deref(pr.Id) != infos[i].Id || deref(pr.ProductId) != "OFFI"+infos[i].ResourceSpec {
				t.Fatalf("product result %d: %+v", i, pr)
			}
			sum = sum.Add(deref(pr.OfficialWebsiteAmount))
		}
		if !sum.Equal(o.OfficialAmount) {
			t.Fatalf("products sum to %s, order costs %s", sum, o.OfficialAmount)
		}
		groups := *resp.OptionalDiscountRatingResults
		if len(groups) != 2 || deref(groups[0].DiscountType) != 605 || deref(groups[1].DiscountType) != 606 {
			t.Fatalf("discount groups %+v", groups)
		}
		partner := groups[1]
		if deref(partner.BestOffer) != 1 || deref(groups[0].BestOffer) != 0 {
			t.Fatalf("best offer: %d / %d", deref(groups[0].BestOffer), deref(partner.BestOffer))
		}
		// The order's own 85% discount takes off the same.
		ds, err := f.cc.ListOrderDiscounts(&model.ListOrderDiscountsRequest{OrderId: o.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range *ds.Discounts {
			if d.DiscountType == 3 && !d.Orders[0].OrderLineItems[0].DiscountAmount.Equal(deref(partner.DiscountAmount)) {
				t.Fatalf("order discount %s, quote discount %s", d.Orders[0].OrderLineItems[0].DiscountAmount, deref(partner.DiscountAmount))
			}
		}
		if !deref(partner.Amount).Equal(o.OfficialAmount.Sub(deref(partner.DiscountAmount))) || len(*partner.ProductRatingResults) != len(infos) {
			t.Fatalf("partner group %+v", partner)
		}
	}
}

func TestListRateOnPeriodDetail(t *testing.T) {
	f := newFixture(t, KindProvider)
	region := regionCodes[0]
	vm := model.PeriodProductInfo{Id: "vm", CloudServiceType: "hws.service.type.ec2", ResourceType: "hws.resource.type.vm",
		ResourceSpec: "c7.xlarge.2.linux", Region: region, PeriodType: 3, PeriodNum: 1, SubscriptionNum: 2}
	disk := model.PeriodProductInfo{Id: "disk", CloudServiceType: "hws.service.type.ebs", ResourceType: "hws.resource.type.volume",
		ResourceSpec: "SSD", Region: region, ResourceSize: ptr(int32(50)), SizeMeasureId: ptr(int32(17)), PeriodType: 2, PeriodNum: 3, SubscriptionNum: 1}
	quote := func(c interface {
		ListRateOnPeriodDetail(*model.ListRateOnPeriodDetailRequest) (*model.ListRateOnPeriodDetailResponse, error)
	}, project string, infos ...model.PeriodProductInfo) (*model.ListRateOnPeriodDetailResponse, error) {
		return c.ListRateOnPeriodDetail(&model.ListRateOnPeriodDetailRequest{Body: &model.RateOnPeriodReq{ProjectId: project, ProductInfos: infos}})
	}

	t.Run("PartnerOwnQuote", func(t *testing.T) {
		resp, err := quote(f.pc, projectOf(f.partner.ID, region), vm, disk)
		if err != nil {
			t.Fatal(err)
		}
		// 402 × 10 months × 2, then 70/100 GB × 50 GB × 3 months.
		want := decimal.NewFromInt(8040 + 105)
		if got := deref(resp.OfficialWebsiteRatingResult.OfficialWebsiteAmount); !got.Equal(want) {
			t.Fatalf("official %s, want %s", got, want)
		}
		groups := *resp.OptionalDiscountRatingResults
		if len(groups) != 1 || deref(groups[0].DiscountType) != 605 || deref(groups[0].BestOffer) != 1 ||
			!deref(groups[0].DiscountAmount).Equal(decimal.RequireFromString("814.5")) {
			t.Fatalf("partner discounts %+v", groups)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		project := projectOf(f.cust.ID, region)
		bad := vm
		bad.Id, bad.ResourceSpec = "bad", "no.such.spec"
		_, err := quote(f.cc, project, vm, bad)
		wantErr(t, err, http.StatusBadRequest, "CBC.99006006")
		bad = vm
		bad.Region = "eu-west-101"
		_, err = quote(f.cc, project, bad)
		wantErr(t, err, http.StatusBadRequest, "CBC.99006006")
		bad = vm
		bad.PeriodType = 4
		_, err = quote(f.cc, project, bad)
		wantErr(t, err, http.StatusBadRequest, "CBC.99006006")
		bad = disk
		bad.ResourceSize = nil
		_, err = quote(f.cc, project, bad)
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		bad = vm
		bad.PeriodNum = 4
		_, err = quote(f.cc, project, bad)
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		_, err = quote(f.cc, project, vm, vm) // duplicate id
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		_, err = quote(f.cc, project)
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		many := make([]model.PeriodProductInfo, maxQuoteProducts+1)
		for i := range many {
			many[i] = vm
			many[i].Id = fmt.Sprint(i)
		}
		_, err = quote(f.cc, project, many...)
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		// Another domain's project, or the partner's project with the customer's token.
		_, err = quote(f.cc, projectOf(f.partner.ID, region), vm)
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		big := vm
		big.SubscriptionNum = 2_000_000_000
		_, err = quote(f.cc, project, big)
		wantErr(t, err, http.StatusBadRequest, "CBC.99006055")
	})
	t.Run("Batch", func(t *testing.T) {
		infos := make([]model.PeriodProductInfo, maxQuoteProducts)
		for i := range infos {
			infos[i] = disk
			infos[i].Id = fmt.Sprint(i)
			infos[i].ResourceSize = ptr(int32(i + 1))
		}
		f.sb.ResetStats()
		resp, err := quote(f.cc, projectOf(f.cust.ID, region), infos...)
		if err != nil || len(*resp.OfficialWebsiteRatingResult.ProductRatingResults) != maxQuoteProducts {
			t.Fatalf("batch: %v", err)
		}
		if n := f.sb.Stats()["ListRateOnPeriodDetail"]; n != 1 {
			t.Fatalf("calls %d", n)
		}
		// Σ 0.7 × i × 3 for i = 1..100.
		if got := deref(resp.OfficialWebsiteRatingResult.OfficialWebsiteAmount); !got.Equal(decimal.RequireFromString("10605")) {
			t.Fatalf("batch total %s", got)
		}
	})
}

func TestListOnDemandResourceRatings(t *testing.T) {
	f := newFixture(t, KindTier1)
	region := regionCodes[1]
	vm := model.DemandProductInfo{Id: "vm", CloudServiceType: "hws.service.type.ec2", ResourceType: "hws.resource.type.vm",
		ResourceSpec: "s6.medium.2.linux", Region: region, UsageFactor: "Duration", UsageValue: ptr(decimal.NewFromInt(1)),
		UsageMeasureId: 13, SubscriptionNum: 1} // one month
	disk := model.DemandProductInfo{Id: "disk", CloudServiceType: "hws.service.type.ebs", ResourceType: "hws.resource.type.volume",
		ResourceSpec: "SAS", Region: region, ResourceSize: ptr(int32(40)), SizeMeasureId: ptr(int32(17)), UsageFactor: "duration",
		UsageValue: ptr(decimal.NewFromInt(1)), UsageMeasureId: 4, SubscriptionNum: 1} // one hour
	obs := model.DemandProductInfo{Id: "obs", CloudServiceType: "hws.service.type.obs", ResourceType: "hws.resource.type.obs",
		ResourceSpec: "obs.standard", Region: region, UsageFactor: "storage", UsageValue: ptr(decimal.NewFromInt(1)), UsageMeasureId: 11, SubscriptionNum: 1}
	rate := func(precision *int32, infos ...model.DemandProductInfo) (*model.ListOnDemandResourceRatingsResponse, error) {
		return f.cc.ListOnDemandResourceRatings(&model.ListOnDemandResourceRatingsRequest{Body: &model.RateOnDemandReq{
			ProjectId: projectOf(f.cust.ID, region), InquiryPrecision: precision, ProductInfos: infos,
		}})
	}
	resp, err := rate(nil, vm, disk, obs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"vm":   "126",      // 84 × 1.5 for a month
		"disk": "0.029166", // 0.35 × 1.5 / 720 × 40 GB, 6 decimals
		"obs":  "0.2112",   // 1 TB = 1024 GB × 0.099 × 1.5 / 720
	}
	sum := decimal.Zero
	for _, r := range *resp.ProductRatingResults {
		w := decimal.RequireFromString(want[deref(r.Id)])
		if !deref(r.OfficialWebsiteAmount).Equal(w) {
			t.Fatalf("%s: official %s, want %s", deref(r.Id), deref(r.OfficialWebsiteAmount), w)
		}
		// The resale customer's best discount (its partner's 85%) applies.
		ds := *r.DiscountRatingResults
		if len(ds) != 1 || deref(ds[0].DiscountType) != 606 || !deref(r.Amount).Add(deref(r.DiscountAmount)).Equal(w) ||
			!deref(r.DiscountAmount).Equal(w.Mul(decimal.New(15, -2)).Truncate(6)) {
			t.Fatalf("%s: %+v", deref(r.Id), r)
		}
		sum = sum.Add(w)
	}
	if !deref(resp.OfficialWebsiteAmount).Equal(sum) || deref(resp.Currency) != "CNY" {
		t.Fatalf("total %s, want %s", deref(resp.OfficialWebsiteAmount), sum)
	}
	fine, err := rate(ptr(int32(1)), disk)
	if err != nil || !deref((*fine.ProductRatingResults)[0].OfficialWebsiteAmount).Equal(decimal.RequireFromString("0.0291666666")) {
		t.Fatalf("10 decimals: %+v %v", fine, err)
	}

	bad := vm
	bad.UsageFactor = "upflow"
	_, err = rate(nil, bad)
	wantErr(t, err, http.StatusBadRequest, "CBC.99006006")
	bad = vm
	bad.UsageMeasureId = 10 // GB is no duration
	_, err = rate(nil, bad)
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	bad = vm
	bad.UsageValue = ptr(decimal.Zero)
	_, err = rate(nil, bad)
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	_, err = rate(ptr(int32(2)), vm)
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	bad = vm
	bad.Id, bad.ResourceSpec = "bad", "s6.huge"
	_, err = rate(nil, vm, bad)
	wantErr(t, err, http.StatusBadRequest, "CBC.99006006")
}
