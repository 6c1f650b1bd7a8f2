package gateway

// Prices: quotes of yearly/monthly products (ListRateOnPeriodDetail: list
// price, the optional discounts priced one by one, the best offer) and of
// on-demand products (ListOnDemandResourceRatings: list price and the
// price with the best discount applied), up to MaxQuoteProducts products
// per call, in the caller's own project (partner keys) or in a customer's
// (a customer token).
//
// Per-product failures: neither response model has a per-product error,
// and the upstream refuses the whole call when one product is wrong (400
// CBC.99006006 "product not found" naming the product's id, or CBC.0100
// naming it for a missing size or unit). So that one bad product does not
// fail a quote of many:
//
//   - each product is checked first (CheckPeriodProduct,
//     CheckOnDemandProduct); a product that fails is not sent and comes
//     back with failure INVALID_PRODUCT;
//   - the products are sent under the gateway's own ids (p000, p001, …),
//     never the caller's, so the id a refusal names is unambiguous;
//   - a 400 that names exactly one product marks that product failed (the
//     upstream's code) and the rest is quoted again without it, at most
//     maxRequotes times; a product still unquoted after that comes back
//     with failure NOT_QUOTED. A refusal that names no product (the project,
//     an amount beyond the upstream's maximum) fails the whole quote.
//
// Amounts are yuan decimals (measure id 1; 2 jiao and 3 fen are converted),
// on-demand ones with 6 or 10 decimals (HighPrecision).

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"

	"partnergraph/apierr"
)

// MaxQuoteProducts is how many products one quote call takes.
const MaxQuoteProducts = 100

// maxRequotes bounds how many times a quote is sent again without a
// product the upstream refused.
const maxRequotes = 3

// Failure codes the gateway gives products it did not have quoted.
const (
	// FailureInvalidProduct: the product failed the gateway's checks and
	// was not sent.
	FailureInvalidProduct = "INVALID_PRODUCT"
	// FailureNotQuoted: the upstream refused more products than the
	// gateway re-quotes without; this one was not quoted.
	FailureNotQuoted = "NOT_QUOTED"
)

// Size units of products bought by size (size_measure_id).
const (
	SizeCount = 14 // pieces
	SizeMbps  = 15 // bandwidth
	SizeGB    = 17 // disks
)

// Product is what the upstream's price list knows a product by.
type Product struct {
	// ID is the caller's id for the product, echoed in the answer.
	ID                        string
	ServiceType, ResourceType string
	Spec                      string
	Region, AvailabilityZone  string
	// Size and SizeUnit (SizeGB, …): for products bought by size; 0 when not.
	Size, SizeUnit int
	// Quantity is how many (subscription_num), at least 1.
	Quantity int
}

// PeriodProduct is a yearly/monthly product to quote.
type PeriodProduct struct {
	Product
	PeriodType, PeriodCount int // PeriodMonth / PeriodYear, CheckPeriod's ranges
}

// OnDemandProduct is an on-demand product to quote for a usage.
type OnDemandProduct struct {
	Product
	UsageFactor    string // a ListUsageTypes code: Duration, upflow, storage, …
	UsageValue     decimal.Decimal
	UsageMeasureID int // the unit of UsageValue (ListMeasureUnits)
}

// ProductFailure is why a product was not quoted.
type ProductFailure struct {
	Code    string // FailureInvalidProduct, FailureNotQuoted or the upstream's (CBC.99006006, …)
	Message string
}

// PeriodDiscount is one optional discount of a yearly/monthly quote, priced
// for all its quoted products.
type PeriodDiscount struct {
	ID, Name                         string
	Type                             int // 605 commercial, 606 partner-granted, 607 partner-set
	Official, DiscountAmount, Amount Money
	Best                             bool
}

// ProductDiscount is one product's share of a discount.
type ProductDiscount struct {
	DiscountID             string
	DiscountAmount, Amount Money
}

// PeriodProductQuote is one yearly/monthly product of a quote.
type PeriodProductQuote struct {
	ID, ProductID string
	Official      *Money
	Discounts     []ProductDiscount // in the order of PeriodQuote.Discounts
	Failure       *ProductFailure
}

// PeriodQuote is a yearly/monthly quote.
type PeriodQuote struct {
	Currency  string
	Official  Money // of the quoted products
	Discounts []PeriodDiscount
	Products  []PeriodProductQuote // one per product asked for, in order
}

// AppliedDiscount is a discount an on-demand quote applied to a product.
type AppliedDiscount struct {
	ID, Name string
	Type     int
	Amount   Money
}

// OnDemandProductQuote is one on-demand product of a quote.
type OnDemandProductQuote struct {
	ID, ProductID                    string
	Official, DiscountAmount, Amount *Money
	Discounts                        []AppliedDiscount
	Failure                          *ProductFailure
}

// OnDemandQuote is an on-demand quote.
type OnDemandQuote struct {
	Currency                         string
	Official, DiscountAmount, Amount Money // of the quoted products
	Products                         []OnDemandProductQuote
}

var (
	reServiceType  = regexp.MustCompile(`^hws\.service\.type\.[A-Za-z0-9_.-]{1,64}$`)
	reResourceType = regexp.MustCompile(`^hws\.resource\.type\.[A-Za-z0-9_.-]{1,64}$`)
	reSpec         = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,128}$`)
	reRegion       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,3}$`)
	reZone         = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	reUsageFactor  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
)

func invalid(format string, args ...any) *ProductFailure {
	return &ProductFailure{Code: FailureInvalidProduct, Message: fmt.Sprintf(format, args...)}
}

// checkProduct applies the checks both kinds share.
func checkProduct(p Product) *ProductFailure {
	switch {
	case !reServiceType.MatchString(p.ServiceType):
		return invalid("serviceTypeCode must be a service type code like hws.service.type.ec2")
	case !reResourceType.MatchString(p.ResourceType):
		return invalid("resourceTypeCode must be a resource type code like hws.resource.type.vm")
	case !reSpec.MatchString(p.Spec):
		return invalid("resourceSpec must be 1-128 letters, digits and . _ - : /")
	case !reRegion.MatchString(p.Region):
		return invalid("region must be a region code like cn-north-4")
	case p.AvailabilityZone != "" && (!reZone.MatchString(p.AvailabilityZone) || !strings.HasPrefix(strings.ToLower(p.AvailabilityZone), p.Region)):
		return invalid("availabilityZone must be a zone of the product's region, like cn-north-4a")
	case p.SizeUnit != 0 && p.SizeUnit != SizeCount && p.SizeUnit != SizeMbps && p.SizeUnit != SizeGB:
		return invalid("the size unit is not one the upstream sizes products in")
	case (p.Size != 0) != (p.SizeUnit != 0) || p.Size < 0:
		return invalid("a size needs a positive value and its unit")
	case p.Quantity < 1:
		return invalid("quantity must be at least 1")
	}
	return nil
}

// CheckPeriodProduct checks what the gateway can of a yearly/monthly
// product before asking the upstream; nil when it may be sent.
func CheckPeriodProduct(p PeriodProduct) *ProductFailure {
	if f := checkProduct(p.Product); f != nil {
		return f
	}
	if err := CheckPeriod(p.PeriodType, p.PeriodCount); err != nil {
		return invalid("period must be 1-11 months or 1-3 years")
	}
	return nil
}

// CheckOnDemandProduct checks what the gateway can of an on-demand product
// before asking the upstream; nil when it may be sent.
func CheckOnDemandProduct(p OnDemandProduct) *ProductFailure {
	if f := checkProduct(p.Product); f != nil {
		return f
	}
	switch {
	case !reUsageFactor.MatchString(p.UsageFactor):
		return invalid("usageFactor must be a usage type code like Duration (see Catalogue.usageTypes)")
	case !p.UsageValue.IsPositive():
		return invalid("usageValue must be greater than 0")
	case p.UsageMeasureID < 1:
		return invalid("usageMeasureId must be a measure unit id (see Catalogue.measureUnits)")
	}
	return nil
}

// wireID is the id the gateway sends for the i-th product of a quote.
func wireID(i int) string { return fmt.Sprintf("p%03d", i) }

// Quoter says who asks for a quote: the scope's partner keys for its own
// project, or, with Customer set, a token of that customer of the scope for
// the customer's project.
type Quoter struct {
	Scope    Scope
	Customer string
}

// quoteCall sends one quote call as q.
func quoteCall[Req, Resp any](ctx context.Context, c *Client, q Quoter, op string, method sdkMethod[Req, Resp], req Req) (Resp, error) {
	if q.Customer != "" {
		return custCall(ctx, c, q.Scope, q.Customer, op, method, req)
	}
	return call(ctx, c, q.Scope, op, method, req)
}

// requote sends the products that passed the checks (wire ids in sent) and
// sends again without a product the upstream refused by name, at most
// maxRequotes times. It returns the last answer (ok false when nothing was
// left to send) and the failures by wire id.
func requote[Resp any](ctx context.Context, sent []string, send func(ctx context.Context, ids []string) (Resp, error)) (resp Resp, ok bool, failed map[string]*ProductFailure, err error) {
	failed = map[string]*ProductFailure{}
	for attempt := 0; len(sent) > 0; attempt++ {
		if attempt > maxRequotes {
			for _, id := range sent {
				failed[id] = &ProductFailure{Code: FailureNotQuoted, Message: fmt.Sprintf("not quoted: the upstream refused more than %d products of this quote; quote it again", maxRequotes)}
			}
			return resp, false, failed, nil
		}
		r, err := send(ctx, sent)
		if err == nil {
			return r, true, failed, nil
		}
		id, f := refusedProduct(err, sent)
		if id == "" {
			return resp, false, nil, quoteError(err)
		}
		failed[id] = f
		kept := make([]string, 0, len(sent)-1)
		for _, s := range sent {
			if s != id {
				kept = append(kept, s)
			}
		}
		sent = kept
	}
	return resp, false, failed, nil
}

// refusedProduct reports the product a refusal names: a 400 whose message
// names exactly one of ids (delimited, so p001 is not found in p0010).
func refusedProduct(err error, ids []string) (string, *ProductFailure) {
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != 400 {
		return "", nil
	}
	found := ""
	for _, id := range ids {
		if namesID(se.ErrorMessage, id) {
			if found != "" {
				return "", nil
			}
			found = id
		}
	}
	if found == "" {
		return "", nil
	}
	// Fixed messages: the upstream's own text may echo the product's input.
	f := &ProductFailure{Code: se.ErrorCode, Message: "the upstream refused this product's parameters (a product bought by size needs its size and unit)"}
	if se.ErrorCode == "CBC.99006006" {
		f.Message = "the upstream does not sell this product (service, resource type, specification, region or zone)"
	}
	return found, f
}

// namesID reports whether msg holds id as a whole word.
func namesID(msg, id string) bool {
	word := func(b byte) bool {
		return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '-' || b == '.'
	}
	for i := 0; ; {
		j := strings.Index(msg[i:], id)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(id)
		if (j == 0 || !word(msg[j-1])) && (end == len(msg) || !word(msg[end])) {
			return true
		}
		i = j + 1
	}
}

// quoteError turns a refusal of a whole quote into BAD_USER_INPUT when it
// is about the request (the project, an amount beyond the upstream's
// maximum), keeping the upstream code and request id; the message is the
// gateway's (the upstream's may echo the input).
func quoteError(err error) error {
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != apierr.CodeUpstreamError {
		return err
	}
	c := *e
	switch e.UpstreamCode {
	case "CBC.0100", "CBC.0101":
		c.Code, c.Message = apierr.CodeBadUserInput, "the upstream refused the quote's parameters (the project must be the caller's own, or the customer's)"
	case "CBC.99006055":
		c.Code, c.Message = apierr.CodeBadUserInput, "the quote exceeds the upstream's largest amount"
	default:
		return err
	}
	return &c
}

// yuan converts an upstream amount in measure (1 yuan, 2 jiao, 3 fen; absent:
// yuan) to yuan.
func yuan(d *decimal.Decimal, measure *int32, cur string) (*Money, error) {
	if d == nil {
		return nil, nil
	}
	v := *d
	switch i32(measure) {
	case 0, 1:
	case 2:
		v = v.Shift(-1)
	case 3:
		v = v.Shift(-2)
	default:
		return nil, &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream sent an unreadable answer", Err: fmt.Errorf("unexpected measure_id %d", *measure)}
	}
	return &Money{Amount: v, Currency: cur}, nil
}

// zeroIfNil is m, or zero in cur.
func zeroIfNil(m *Money, cur string) Money {
	if m == nil {
		return Money{Amount: decimal.Zero, Currency: cur}
	}
	return *m
}

// productInfo is the upstream's shared part of a product info.
func productInfo(p Product) (az *string, size, unit *int32) {
	az = optStr(p.AvailabilityZone)
	if p.SizeUnit != 0 {
		size, unit = ptr(int32(p.Size)), ptr(int32(p.SizeUnit))
	}
	return az, size, unit
}

// QuotePeriod quotes yearly/monthly products in projectID (at most
// MaxQuoteProducts, ids unique: the caller checks) with one
// ListRateOnPeriodDetail call, more only when the upstream refuses a
// product (see the top of the file).
func (c *Client) QuotePeriod(ctx context.Context, q Quoter, projectID string, products []PeriodProduct) (PeriodQuote, error) {
	out := PeriodQuote{Currency: defaultCurrency, Products: make([]PeriodProductQuote, len(products))}
	infos := map[string]model.PeriodProductInfo{}
	index := map[string]int{}
	var sent []string
	for i, p := range products {
		out.Products[i] = PeriodProductQuote{ID: p.ID, Discounts: []ProductDiscount{}}
		if f := CheckPeriodProduct(p); f != nil {
			out.Products[i].Failure = f
			continue
		}
		id := wireID(i)
		az, size, unit := productInfo(p.Product)
		infos[id] = model.PeriodProductInfo{Id: id, CloudServiceType: p.ServiceType, ResourceType: p.ResourceType, ResourceSpec: p.Spec,
			Region: p.Region, AvailableZone: az, ResourceSize: size, SizeMeasureId: unit,
			PeriodType: int32(p.PeriodType), PeriodNum: int32(p.PeriodCount), SubscriptionNum: int32(p.Quantity)}
		index[id] = i
		sent = append(sent, id)
	}
	r, got, failed, err := requote(ctx, sent, func(ctx context.Context, ids []string) (*model.ListRateOnPeriodDetailResponse, error) {
		req := &model.RateOnPeriodReq{ProjectId: projectID, ProductInfos: make([]model.PeriodProductInfo, len(ids))}
		for i, id := range ids {
			req.ProductInfos[i] = infos[id]
		}
		return quoteCall(ctx, c, q, "ListRateOnPeriodDetail", (*bss.BssClient).ListRateOnPeriodDetail, &model.ListRateOnPeriodDetailRequest{Body: req})
	})
	if err != nil {
		return PeriodQuote{}, err
	}
	for id, f := range failed {
		out.Products[index[id]].Failure = f
	}
	out.Official = Money{Amount: decimal.Zero, Currency: out.Currency}
	if !got {
		return out, nil
	}
	cur := currency(r.Currency)
	out.Currency = cur
	if o := r.OfficialWebsiteRatingResult; o != nil {
		total, err := yuan(o.OfficialWebsiteAmount, o.MeasureId, cur)
		if err != nil {
			return PeriodQuote{}, err
		}
		out.Official = zeroIfNil(total, cur)
		for _, pr := range rows(o.ProductRatingResults) {
			i, ok := index[str(pr.Id)]
			if !ok {
				continue
			}
			m, err := yuan(pr.OfficialWebsiteAmount, pr.MeasureId, cur)
			if err != nil {
				return PeriodQuote{}, err
			}
			out.Products[i].ProductID, out.Products[i].Official = str(pr.ProductId), m
		}
	}
	for _, g := range rows(r.OptionalDiscountRatingResults) {
		d := PeriodDiscount{ID: str(g.DiscountId), Name: str(g.DiscountName), Type: i32(g.DiscountType), Best: i32(g.BestOffer) == 1}
		var err error
		var official, off, amount *Money
		if official, err = yuan(g.OfficialWebsiteAmount, g.MeasureId, cur); err != nil {
			return PeriodQuote{}, err
		}
		if off, err = yuan(g.DiscountAmount, g.MeasureId, cur); err != nil {
			return PeriodQuote{}, err
		}
		if amount, err = yuan(g.Amount, g.MeasureId, cur); err != nil {
			return PeriodQuote{}, err
		}
		d.Official, d.DiscountAmount, d.Amount = zeroIfNil(official, cur), zeroIfNil(off, cur), zeroIfNil(amount, cur)
		out.Discounts = append(out.Discounts, d)
		for _, pr := range rows(g.ProductRatingResults) {
			i, ok := index[str(pr.Id)]
			if !ok {
				continue
			}
			poff, err := yuan(pr.DiscountAmount, pr.MeasureId, cur)
			if err != nil {
				return PeriodQuote{}, err
			}
			pamt, err := yuan(pr.Amount, pr.MeasureId, cur)
			if err != nil {
				return PeriodQuote{}, err
			}
			out.Products[i].Discounts = append(out.Products[i].Discounts, ProductDiscount{DiscountID: d.ID, DiscountAmount: zeroIfNil(poff, cur), Amount: zeroIfNil(pamt, cur)})
		}
	}
	unquoted(sent, failed, func(i int) bool { return out.Products[i].Official == nil }, index, func(i int, f *ProductFailure) { out.Products[i].Failure = f })
	return out, nil
}

// QuoteOnDemand quotes on-demand products in projectID (at most
// MaxQuoteProducts, ids unique: the caller checks) with one
// ListOnDemandResourceRatings call, more only when the upstream refuses a
// product (see the top of the file). highPrecision asks for 10 decimals
// instead of 6.
func (c *Client) QuoteOnDemand(ctx context.Context, q Quoter, projectID string, products []OnDemandProduct, highPrecision bool) (OnDemandQuote, error) {
	out := OnDemandQuote{Currency: defaultCurrency, Products: make([]OnDemandProductQuote, len(products))}
	infos := map[string]model.DemandProductInfo{}
	index := map[string]int{}
	var sent []string
	for i, p := range products {
		out.Products[i] = OnDemandProductQuote{ID: p.ID, Discounts: []AppliedDiscount{}}
		if f := CheckOnDemandProduct(p); f != nil {
			out.Products[i].Failure = f
			continue
		}
		id := wireID(i)
		az, size, unit := productInfo(p.Product)
		v := p.UsageValue
		infos[id] = model.DemandProductInfo{Id: id, CloudServiceType: p.ServiceType, ResourceType: p.ResourceType, ResourceSpec: p.Spec,
			Region: p.Region, AvailableZone: az, ResourceSize: size, SizeMeasureId: unit,
			UsageFactor: p.UsageFactor, UsageValue: &v, UsageMeasureId: int32(p.UsageMeasureID), SubscriptionNum: int32(p.Quantity)}
		index[id] = i
		sent = append(sent, id)
	}
	precision := int32(0)
	if highPrecision {
		precision = 1
	}
	r, got, failed, err := requote(ctx, sent, func(ctx context.Context, ids []string) (*model.ListOnDemandResourceRatingsResponse, error) {
		req := &model.RateOnDemandReq{ProjectId: projectID, InquiryPrecision: &precision, ProductInfos: make([]model.DemandProductInfo, len(ids))}
		for i, id := range ids {
			req.ProductInfos[i] = infos[id]
		}
		return quoteCall(ctx, c, q, "ListOnDemandResourceRatings", (*bss.BssClient).ListOnDemandResourceRatings, &model.ListOnDemandResourceRatingsRequest{Body: req})
	})
	if err != nil {
		return OnDemandQuote{}, err
	}
	for id, f := range failed {
		out.Products[index[id]].Failure = f
	}
	zero := Money{Amount: decimal.Zero, Currency: out.Currency}
	out.Official, out.DiscountAmount, out.Amount = zero, zero, zero
	if !got {
		return out, nil
	}
	cur := currency(r.Currency)
	out.Currency = cur
	var total [3]*Money
	for i, d := range []*decimal.Decimal{r.OfficialWebsiteAmount, r.DiscountAmount, r.Amount} {
		if total[i], err = yuan(d, r.MeasureId, cur); err != nil {
			return OnDemandQuote{}, err
		}
	}
	out.Official, out.DiscountAmount, out.Amount = zeroIfNil(total[0], cur), zeroIfNil(total[1], cur), zeroIfNil(total[2], cur)
	for _, pr := range rows(r.ProductRatingResults) {
		i, ok := index[str(pr.Id)]
		if !ok {
			continue
		}
		p := &out.Products[i]
		p.ProductID = str(pr.ProductId)
		var err error
		if p.Official, err = yuan(pr.OfficialWebsiteAmount, pr.MeasureId, cur); err != nil {
			return OnDemandQuote{}, err
		}
		if p.DiscountAmount, err = yuan(pr.DiscountAmount, pr.MeasureId, cur); err != nil {
			return OnDemandQuote{}, err
		}
		if p.Amount, err = yuan(pr.Amount, pr.MeasureId, cur); err != nil {
			return OnDemandQuote{}, err
		}
		for _, d := range rows(pr.DiscountRatingResults) {
			amt, err := yuan(d.Amount, d.MeasureId, cur)
			if err != nil {
				return OnDemandQuote{}, err
			}
			p.Discounts = append(p.Discounts, AppliedDiscount{ID: str(d.DiscountId), Name: str(d.DiscountName), Type: i32(d.DiscountType), Amount: zeroIfNil(amt, cur)})
		}
	}
	unquoted(sent, failed, func(i int) bool { return out.Products[i].Official == nil }, index, func(i int, f *ProductFailure) { out.Products[i].Failure = f })
	return out, nil
}

// unquoted gives the products that were sent, not refused, and still have
// no price (missing is true) a failure: the answer left them out.
func unquoted(sent []string, failed map[string]*ProductFailure, missing func(i int) bool, index map[string]int, set func(i int, f *ProductFailure)) {
	for _, id := range sent {
		if i := index[id]; failed[id] == nil && missing(i) {
			set(i, &ProductFailure{Code: FailureNotQuoted, Message: "the upstream's answer did not quote this product"})
		}
	}
}
