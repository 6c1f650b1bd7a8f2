package sandbox

import (
	"net/http"
	"strings"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// Prices: ListRateOnPeriodDetail (yearly/monthly quotes) and
// ListOnDemandResourceRatings (on-demand quotes), up to 100 products per
// call, for a partner (quoting for itself) or a customer token (quoting for
// the customer).
//
// The price list is the catalogue the seed sells (seed_orders.go): every
// main and child product of the yearly/monthly orders and every on-demand
// product, keyed by cloud_service_type, resource_type and resource_spec and
// sold in the seed's regions. A yearly/monthly quote costs what an order of
// the same product costs: the monthly price × months, a year costing 10
// months (periodPrice), per GB or Mbit/s for the sized products (volumes and
// bandwidth, which need resource_size and size_measure_id 17 GB / 15 Mbps),
// × subscription_num. An order's official amount is the sum of the quotes of
// its main product and children. On-demand rates are 1.5 × the monthly price
// spread over 720 hours (storage: per GB stored per hour), in the usage
// factor's unit (Duration: hours; storage: GB); usage_value is converted
// from usage_measure_id with the ListConversions table. product_id is the
// orders' and resources' OFFI<spec> (on demand: OFFI<spec>.ondemand).
//
// Discounts: every buyer has a commercial discount (605, 90%); a resale
// customer also its partner's discount (606, 85%), the ratios of the
// discounts pending orders offer. ListRateOnPeriodDetail answers one
// optional_discount_rating_results group per discount, best_offer 1 on the
// one taking off most (605 first on a tie); the group's discount_amount is
// what paying an order of that total with the discount takes off
// (discountAmount, floored to the fen), each product's its own share floored
// alike. On-demand quotes apply the best discount to each product.
//
// Errors: project_id must be one of the caller's projects (projectOf: one
// per seeded region) else 400 CBC.0100; product_infos 1–100 with unique
// ids, period_type 2 or 3 with period_num 1–11 / 1–3, subscription_num ≥ 1,
// usage_value > 0, inquiry_precision 0 or 1 (else CBC.0100). The SDK's
// response models carry no per-product failure, so a product the catalogue
// does not sell (unknown service, resource type, spec, region or zone, a
// usage factor the product is not billed by, day or hour periods) fails the
// whole call with 400 CBC.99006006 naming its id, as the upstream documents;
// a total above 10 000 000 000 is 400 CBC.99006055.

func (s *Sandbox) registerPricesRoutes() {
	s.handle(http.MethodPost, "/v2/bills/ratings/period-resources/subscribe-rate", "ListRateOnPeriodDetail", callerAny, s.listRateOnPeriodDetail)
	s.handle(http.MethodPost, "/v2/bills/ratings/on-demand-resources", "ListOnDemandResourceRatings", callerAny, s.listOnDemandResourceRatings)
}

const maxQuoteProducts = 100

// priceItem is one product of the price list.
type priceItem struct {
	service, resType, spec string
	productID              string
	monthly                decimal.Decimal // per month; per size unit when sized
	sizeMeasure            int32           // size_measure_id of a sized product (17 GB, 15 Mbps), 0 otherwise
	period                 bool            // sold yearly/monthly
	onDemand               bool            // sold on demand
	usage                  string          // on-demand usage factor
	usageMeasure           int32           // the measure the on-demand rate is per (4 hour, 10 GB)
}

// sizeMeasures are the resource types bought by size, with the size's
// measure id as the SDK documents size_measure_id.
var sizeMeasures = map[string]int32{
	"hws.resource.type.volume":     17,
	"hws.resource.type.rds.volume": 17,
	"hws.resource.type.bandwidth":  15,
}

// priceList is built once from the seed's catalogue.
var priceList = buildPriceList()

func priceKey(service, resType, spec string) string { return service + "|" + resType + "|" + spec }

func buildPriceList() map[string]*priceItem {
	list := map[string]*priceItem{}
	add := func(service, resType, spec string, price decimal.Decimal, size float64) *priceItem {
		k := priceKey(service, resType, spec)
		if it := list[k]; it != nil {
			return it
		}
		it := &priceItem{service: service, resType: resType, spec: spec, productID: "OFFI" + spec, monthly: price,
			sizeMeasure: sizeMeasures[resType], usage: "Duration", usageMeasure: 4}
		if it.sizeMeasure != 0 && size > 0 {
			it.monthly = price.Div(decimal.NewFromFloat(size))
		}
		list[k] = it
		return it
	}
	for _, p := range products {
		add(p.service, p.resType, p.specCode, decimal.NewFromInt(p.price), p.specSize).period = true
		for _, ch := range p.children {
			add(ch.service, ch.resType, ch.specCode, decimal.NewFromInt(ch.price), ch.specSize).period = true
		}
	}
	for _, it := range list {
		it.onDemand = true // everything sold yearly/monthly also runs on demand
	}
	for _, p := range onDemandProducts {
		it := add(p.service, p.resType, p.specCode, decimal.RequireFromString(p.monthly), 0)
		it.onDemand = true
		if p.resType == "hws.resource.type.obs" {
			it.usage, it.usageMeasure = "storage", 10
		}
	}
	return list
}

// hourlyRate is an on-demand rate: 1.5 × the monthly price over 720 hours.
func (it *priceItem) hourlyRate() decimal.Decimal {
	return it.monthly.Mul(decimal.New(15, -1)).Div(decimal.NewFromInt(720))
}

// projectOf is the id of domainID's project in region (one per region).
func projectOf(domainID, region string) string {
	return domainID[:16] + region[len(region)-1:] + domainID[17:]
}

// domainOf is the caller's domain id: the customer's or the partner's.
func domainOf(who principal) string {
	if who.Customer != nil {
		return who.Customer.ID
	}
	return who.Partner.ID
}

// quoteDomain checks that projectID is one of the caller's projects.
func quoteDomain(who principal, projectID string) error {
	if projectID == "" || len(projectID) > 64 {
		return badParam("project_id is required (at most 64 characters)")
	}
	for _, r := range regionCodes {
		if projectOf(domainOf(who), r) == projectID {
			return nil
		}
	}
	return badParam("project_id %s is not a project of the caller", projectID)
}

// quoteTerms checks the caller's project (quoteDomain) and returns its
// discounts (quoteDiscounts).
func (s *Sandbox) quoteTerms(who principal, projectID string) ([]quoteDiscount, error) {
	if err := quoteDomain(who, projectID); err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.quoteDiscounts(who), nil
}

// quoteDiscount is a discount a buyer quotes with.
type quoteDiscount struct {
	id, name string
	typ      int32 // 605 commercial, 606 partner-granted
	ratio    decimal.Decimal
}

// quoteDiscounts are the caller's optional discounts (see above). Callers
// hold st.mu.
func (st *State) quoteDiscounts(who principal) []quoteDiscount {
	domain := domainOf(who)
	out := []quoteDiscount{{id: "BE" + strings.ToUpper(domain[:12]), name: "商务授权折扣", typ: 605, ratio: decimal.New(90, -2)}}
	if cu := who.Customer; cu != nil && cu.AssociationType == "2" {
		out = append(out, quoteDiscount{id: "PT" + strings.ToUpper(cu.PartnerID[:6]+domain[:6]), name: "伙伴授予折扣", typ: 606, ratio: decimal.New(85, -2)})
	}
	return out
}

func productNotFound(id string) error {
	return errf(http.StatusBadRequest, "CBC.99006006", "the product of product_infos id %s was not found", id)
}

var maxQuote = decimal.New(1, 10)

// findProduct resolves a product info: the price item and the size it is
// bought by (1 when not sized).
func findProduct(id, service, resType, spec, region string, az *string, size, sizeMeasure *int32, onDemand bool) (*priceItem, decimal.Decimal, error) {
	it := priceList[priceKey(service, resType, spec)]
	if it == nil || (onDemand && !it.onDemand) || (!onDemand && !it.period) {
		return nil, decimal.Zero, productNotFound(id)
	}
	known := false
	for _, r := range regionCodes {
		known = known || r == region
	}
	if !known || (az != nil && *az != "" && !strings.HasPrefix(strings.ToLower(*az), region)) {
		return nil, decimal.Zero, productNotFound(id)
	}
	if it.sizeMeasure == 0 {
		return it, decimal.NewFromInt(1), nil
	}
	if size == nil || *size < 1 {
		return nil, decimal.Zero, badParam("product_infos id %s: resource_size is required for %s", id, resType)
	}
	if sizeMeasure == nil || *sizeMeasure != it.sizeMeasure {
		return nil, decimal.Zero, badParam("product_infos id %s: size_measure_id must be %d", id, it.sizeMeasure)
	}
	return it, decimal.NewFromInt(int64(*size)), nil
}

// checkQuoteIDs validates the number of products and their ids.
func checkQuoteIDs(n int, idOf func(int) string) error {
	if n < 1 || n > maxQuoteProducts {
		return badParam("product_infos must hold 1 to %d products", maxQuoteProducts)
	}
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		id := idOf(i)
		if id == "" || len(id) > 64 || seen[id] {
			return badParam("product_infos ids must be non-empty, at most 64 characters and unique (%q)", id)
		}
		seen[id] = true
	}
	return nil
}

// ListRateOnPeriodDetail: POST /v2/bills/ratings/period-resources/subscribe-rate.
func (s *Sandbox) listRateOnPeriodDetail(c *call) (any, error) {
	var req model.RateOnPeriodReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	infos := req.ProductInfos
	if err := checkQuoteIDs(len(infos), func(i int) string { return infos[i].Id }); err != nil {
		return nil, err
	}
	type quoted struct {
		id, productID string
		official      decimal.Decimal
	}
	lines := make([]quoted, 0, len(infos))
	total := decimal.Zero
	for _, pi := range infos {
		switch pi.PeriodType {
		case 2, 3:
			if err := checkPeriod(pi.PeriodType, pi.PeriodNum); err != nil {
				return nil, err
			}
		case 0, 4: // day and hour periods: nothing in the catalogue is sold so
			return nil, productNotFound(pi.Id)
		default:
			return nil, badParam("period_type must be 0, 2, 3 or 4")
		}
		if pi.SubscriptionNum < 1 {
			return nil, badParam("subscription_num must be at least 1")
		}
		it, size, err := findProduct(pi.Id, pi.CloudServiceType, pi.ResourceType, pi.ResourceSpec, pi.Region, pi.AvailableZone, pi.ResourceSize, pi.SizeMeasureId, false)
		if err != nil {
			return nil, err
		}
		amt := periodPrice(it.monthly.Mul(size), pi.PeriodType, pi.PeriodNum).Mul(decimal.NewFromInt(int64(pi.SubscriptionNum)))
		if amt.GreaterThan(maxQuote) {
			return nil, errf(http.StatusBadRequest, "CBC.99006055", "the quote exceeds the maximum amount")
		}
		lines = append(lines, quoted{pi.Id, it.productID, amt})
		total = total.Add(amt)
	}
	if total.GreaterThan(maxQuote) {
		return nil, errf(http.StatusBadRequest, "CBC.99006055", "the quote exceeds the maximum amount")
	}
	discounts, err := s.quoteTerms(c.who, req.ProjectId)
	if err != nil {
		return nil, err
	}

	official := make([]model.PeriodProductOfficialRatingResult, 0, len(lines))
	for _, l := range lines {
		official = append(official, model.PeriodProductOfficialRatingResult{
			Id: ptr(l.id), ProductId: ptr(l.productID), OfficialWebsiteAmount: ptr(l.official), MeasureId: ptr(int32(1)),
		})
	}
	groups := make([]model.OptionalDiscountRatingResult, 0, len(discounts))
	best, bestAmt := -1, decimal.Zero
	for i, d := range discounts {
		dd := &Discount{Ratio: d.ratio}
		off := discountAmount(total, dd)
		if best < 0 || off.GreaterThan(bestAmt) {
			best, bestAmt = i, off
		}
		per := make([]model.PeriodProductRatingResult, 0, len(lines))
		for _, l := range lines {
			lo := discountAmount(l.official, dd)
			per = append(per, model.PeriodProductRatingResult{
				Id: ptr(l.id), ProductId: ptr(l.productID), Amount: ptr(l.official.Sub(lo)), OfficialWebsiteAmount: ptr(l.official),
				DiscountAmount: ptr(lo), MeasureId: ptr(int32(1)),
			})
		}
		groups = append(groups, model.OptionalDiscountRatingResult{
			DiscountId: ptr(d.id), Amount: ptr(total.Sub(off)), OfficialWebsiteAmount: ptr(total), DiscountAmount: ptr(off),
			MeasureId: ptr(int32(1)), DiscountType: ptr(d.typ), DiscountName: ptr(d.name), BestOffer: ptr(int32(0)),
			ProductRatingResults: &per,
		})
	}
	if best >= 0 {
		groups[best].BestOffer = ptr(int32(1))
	}
	return &model.ListRateOnPeriodDetailResponse{
		OfficialWebsiteRatingResult: &model.OfficialWebsiteRatingResult{
			OfficialWebsiteAmount: ptr(total), MeasureId: ptr(int32(1)), ProductRatingResults: &official,
		},
		OptionalDiscountRatingResults: &groups,
		Currency:                      ptr(currencyCNY),
	}, nil
}

// ListOnDemandResourceRatings: POST /v2/bills/ratings/on-demand-resources.
func (s *Sandbox) listOnDemandResourceRatings(c *call) (any, error) {
	var req model.RateOnDemandReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	places := int32(6)
	if req.InquiryPrecision != nil {
		switch *req.InquiryPrecision {
		case 0:
		case 1:
			places = 10
		default:
			return nil, badParam("inquiry_precision must be 0 or 1")
		}
	}
	infos := req.ProductInfos
	if err := checkQuoteIDs(len(infos), func(i int) string { return infos[i].Id }); err != nil {
		return nil, err
	}
	discounts, err := s.quoteTerms(c.who, req.ProjectId)
	if err != nil {
		return nil, err
	}
	best := discounts[0]
	for _, d := range discounts[1:] {
		if d.ratio.LessThan(best.ratio) {
			best = d
		}
	}
	results := make([]model.DemandProductRatingResult, 0, len(infos))
	var total, totalOff decimal.Decimal
	for _, pi := range infos {
		if pi.SubscriptionNum < 1 {
			return nil, badParam("subscription_num must be at least 1")
		}
		if pi.UsageValue == nil || !pi.UsageValue.IsPositive() {
			return nil, badParam("product_infos id %s: usage_value must be greater than 0", pi.Id)
		}
		it, size, err := findProduct(pi.Id, pi.CloudServiceType, pi.ResourceType, pi.ResourceSpec, pi.Region, pi.AvailableZone, pi.ResourceSize, pi.SizeMeasureId, true)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(pi.UsageFactor, it.usage) {
			return nil, productNotFound(pi.Id)
		}
		usage, ok := convertMeasure(*pi.UsageValue, pi.UsageMeasureId, it.usageMeasure)
		if !ok {
			return nil, badParam("product_infos id %s: usage_measure_id %d cannot be converted to measure %d", pi.Id, pi.UsageMeasureId, it.usageMeasure)
		}
		official := it.hourlyRate().Mul(usage).Mul(size).Mul(decimal.NewFromInt(int64(pi.SubscriptionNum))).Truncate(places)
		if official.GreaterThan(maxQuote) {
			return nil, errf(http.StatusBadRequest, "CBC.99006055", "the quote exceeds the maximum amount")
		}
		off := official.Mul(decimal.NewFromInt(1).Sub(best.ratio)).Truncate(places)
		total, totalOff = total.Add(official), totalOff.Add(off)
		results = append(results, model.DemandProductRatingResult{
			Id: ptr(pi.Id), ProductId: ptr(it.productID + ".ondemand"), Amount: ptr(official.Sub(off)), DiscountAmount: ptr(off),
			OfficialWebsiteAmount: ptr(official), MeasureId: ptr(int32(1)),
			DiscountRatingResults: &[]model.DemandDiscountRatingResult{{
				DiscountId: ptr(best.id), DiscountType: ptr(best.typ), Amount: ptr(off), MeasureId: ptr(int32(1)), DiscountName: ptr(best.name),
			}},
		})
	}
	return &model.ListOnDemandResourceRatingsResponse{
		Amount: ptr(total.Sub(totalOff)), DiscountAmount: ptr(totalOff), OfficialWebsiteAmount: ptr(total),
		MeasureId: ptr(int32(1)), Currency: ptr(currencyCNY), ProductRatingResults: &results,
	}, nil
}

// convertMeasure converts v from measure from to measure to along the
// ListConversions table (both ways; measure ids of one measure type).
func convertMeasure(v decimal.Decimal, from, to int32) (decimal.Decimal, bool) {
	if from == to {
		return v, true
	}
	// Breadth-first over the conversion edges: measure_id × ratio = ref.
	factor := map[int32]decimal.Decimal{from: decimal.NewFromInt(1)}
	queue := []int32{from}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		for _, cv := range conversions {
			r := decimal.NewFromInt(cv.ratio)
			var next int32
			var f decimal.Decimal
			switch m {
			case cv.id:
				next, f = cv.ref, factor[m].Mul(r)
			case cv.ref:
				next, f = cv.id, factor[m].DivRound(r, 20)
			default:
				continue
			}
			if _, seen := factor[next]; seen {
				continue
			}
			factor[next] = f
			if next == to {
				return v.Mul(f), true
			}
			queue = append(queue, next)
		}
	}
	return decimal.Zero, false
}
