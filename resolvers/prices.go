package resolvers

// Price quotes (gateway/prices.go): the request is checked first (the
// project id, 1-100 products of each kind, ids unique), the products one by
// one by the gateway (a malformed product is a failure of that product,
// not of the quote); then who quotes is resolved: a partner or reseller in
// its own project with its keys, or in a customer's project with that
// customer's token (the customer read first, one call), a customer in its
// own project. The two kinds are quoted side by side.

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/identity"
)

var reProjectID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

var sizeUnits = map[model.SizeUnit]int{model.SizeUnitGb: gateway.SizeGB, model.SizeUnitMbps: gateway.SizeMbps, model.SizeUnitCount: gateway.SizeCount}

// quoteIDs checks the products' ids: 1-64 characters, unique in the quote.
func quoteIDs(in model.PriceQuoteInput) error {
	switch n, m := len(in.PeriodProducts), len(in.OnDemandProducts); {
	case n+m == 0:
		return badInput("give periodProducts, onDemandProducts or both")
	case n > gateway.MaxQuoteProducts || m > gateway.MaxQuoteProducts:
		return badInput("at most %d products of each kind", gateway.MaxQuoteProducts)
	}
	seen := map[string]bool{}
	check := func(id string) error {
		if id == "" || len(id) > 64 {
			return badInput("product ids must be 1-64 characters")
		}
		if err := validText("id", &id); err != nil {
			return err
		}
		if seen[id] {
			return badInput("a product id is given twice (ids are unique in a quote)")
		}
		seen[id] = true
		return nil
	}
	for _, p := range in.PeriodProducts {
		if err := check(p.ID); err != nil {
			return err
		}
	}
	for _, p := range in.OnDemandProducts {
		if err := check(p.ID); err != nil {
			return err
		}
	}
	return nil
}

// product is the shared part of a product input.
func product(id, service, resType, spec, region string, az *string, size *model.ProductSizeInput, quantity *int) gateway.Product {
	p := gateway.Product{ID: id, ServiceType: strings.TrimSpace(service), ResourceType: strings.TrimSpace(resType), Spec: strings.TrimSpace(spec),
		Region: strings.TrimSpace(region), AvailabilityZone: trimmed(az), Quantity: 1}
	if size != nil {
		p.Size, p.SizeUnit = size.Value, sizeUnits[size.Unit]
		if p.Size == 0 { // a zero size is a size: let the check refuse it
			p.Size = -1
		}
	}
	if quantity != nil {
		p.Quantity = *quantity
	}
	return p
}

// quoter is who asks for the quote, and in whose project.
func (r *Resolver) quoter(ctx context.Context, p *identity.Principal, t *model.CommerceTarget) (gateway.Quoter, error) {
	if t != nil || p.Role == identity.RoleCustomer {
		if t == nil {
			t = &model.CommerceTarget{CustomerID: p.CustomerID}
		}
		tg, _, err := r.ownCustomer(ctx, t)
		if err != nil {
			return gateway.Quoter{}, err
		}
		return gateway.Quoter{Scope: tg.scope, Customer: tg.customer}, nil
	}
	home, err := r.homeScope(ctx, p)
	if err != nil {
		return gateway.Quoter{}, err
	}
	if home.Indirect != "" { // a reseller's own project: its own keys
		if !r.upstream.HasKeys(home.Indirect) {
			return gateway.Quoter{}, apierr.Errorf(apierr.CodeForbidden, "this gateway does not hold reseller %s's keys: quote for a customer's project instead", home.Indirect)
		}
		home = gateway.Scope{Account: home.Indirect}
	}
	return gateway.Quoter{Scope: home}, nil
}

// priceQuote checks the input, resolves who quotes and quotes both kinds
// side by side.
func (r *Resolver) priceQuote(ctx context.Context, in model.PriceQuoteInput) (*model.PriceQuote, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	project := strings.TrimSpace(in.ProjectID)
	if !reProjectID.MatchString(project) {
		return nil, badInput("projectId must be 1-64 letters, digits, _ or -")
	}
	if err := quoteIDs(in); err != nil {
		return nil, err
	}
	period := make([]gateway.PeriodProduct, len(in.PeriodProducts))
	for i, x := range in.PeriodProducts {
		period[i] = gateway.PeriodProduct{Product: product(x.ID, x.ServiceTypeCode, x.ResourceTypeCode, x.ResourceSpec, x.Region, x.AvailabilityZone, x.Size, x.Quantity)}
		if x.Period != nil {
			period[i].PeriodType, period[i].PeriodCount = gateway.PeriodMonth, x.Period.Count
			if x.Period.Type == model.PeriodTypeYear {
				period[i].PeriodType = gateway.PeriodYear
			}
		}
	}
	onDemand := make([]gateway.OnDemandProduct, len(in.OnDemandProducts))
	for i, x := range in.OnDemandProducts {
		onDemand[i] = gateway.OnDemandProduct{Product: product(x.ID, x.ServiceTypeCode, x.ResourceTypeCode, x.ResourceSpec, x.Region, x.AvailabilityZone, x.Size, x.Quantity),
			UsageFactor: strings.TrimSpace(x.UsageFactor), UsageValue: x.UsageValue, UsageMeasureID: x.UsageMeasureID}
	}
	q, err := r.quoter(ctx, p, in.Customer)
	if err != nil {
		return nil, err
	}
	out := &model.PriceQuote{}
	var wg sync.WaitGroup
	var periodErr, onDemandErr error
	if len(period) > 0 {
		wg.Go(func() {
			var pq gateway.PeriodQuote
			if pq, periodErr = r.upstream.QuotePeriod(ctx, q, project, period); periodErr == nil {
				out.Period = periodQuoteModel(pq)
			}
		})
	}
	if len(onDemand) > 0 {
		wg.Go(func() {
			var oq gateway.OnDemandQuote
			if oq, onDemandErr = r.upstream.QuoteOnDemand(ctx, q, project, onDemand, in.HighPrecision != nil && *in.HighPrecision); onDemandErr == nil {
				out.OnDemand = onDemandQuoteModel(oq)
			}
		})
	}
	wg.Wait()
	if periodErr != nil {
		return nil, periodErr
	}
	if onDemandErr != nil {
		return nil, onDemandErr
	}
	return out, nil
}

func productFailure(f *gateway.ProductFailure) *model.ProductQuoteFailure {
	if f == nil {
		return nil
	}
	return &model.ProductQuoteFailure{Code: f.Code, Message: f.Message}
}

func periodQuoteModel(q gateway.PeriodQuote) *model.PeriodPriceQuote {
	out := &model.PeriodPriceQuote{OfficialAmount: money(q.Official), Discounts: make([]*model.QuoteDiscount, len(q.Discounts)),
		Products: make([]*model.PeriodProductQuote, len(q.Products))}
	best := ""
	for i, d := range q.Discounts {
		t := d.Type
		out.Discounts[i] = &model.QuoteDiscount{DiscountID: d.ID, DiscountType: optInt(t), Name: opt(d.Name), OfficialAmount: money(d.Official),
			DiscountAmount: money(d.DiscountAmount), Amount: money(d.Amount), Best: d.Best}
		if d.Best && out.BestOffer == nil {
			out.BestOffer, best = out.Discounts[i], d.ID
		}
	}
	for i, p := range q.Products {
		m := &model.PeriodProductQuote{ID: p.ID, ProductID: opt(p.ProductID), OfficialAmount: optMoney(p.Official),
			Discounts: make([]*model.ProductDiscountPrice, len(p.Discounts)), Failure: productFailure(p.Failure)}
		for j, d := range p.Discounts {
			m.Discounts[j] = &model.ProductDiscountPrice{DiscountID: d.DiscountID, DiscountAmount: money(d.DiscountAmount), Amount: money(d.Amount)}
			if best != "" && d.DiscountID == best {
				m.BestOffer = m.Discounts[j]
			}
		}
		out.Products[i] = m
	}
	return out
}

func onDemandQuoteModel(q gateway.OnDemandQuote) *model.OnDemandPriceQuote {
	out := &model.OnDemandPriceQuote{OfficialAmount: money(q.Official), DiscountAmount: money(q.DiscountAmount), Amount: money(q.Amount),
		Products: make([]*model.OnDemandProductQuote, len(q.Products))}
	for i, p := range q.Products {
		m := &model.OnDemandProductQuote{ID: p.ID, ProductID: opt(p.ProductID), OfficialAmount: optMoney(p.Official),
			DiscountAmount: optMoney(p.DiscountAmount), Amount: optMoney(p.Amount), Discounts: make([]*model.AppliedDiscount, len(p.Discounts)),
			Failure: productFailure(p.Failure)}
		for j, d := range p.Discounts {
			m.Discounts[j] = &model.AppliedDiscount{DiscountID: d.ID, DiscountType: optInt(d.Type), Name: opt(d.Name), Amount: money(d.Amount)}
		}
		out.Products[i] = m
	}
	return out
}
