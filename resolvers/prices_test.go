package resolvers_test

import (
	"fmt"
	"maps"
	"testing"
)

const priceQuoteQ = `query($in: PriceQuoteInput!) { priceQuote(input: $in) {
  period { officialAmount { amount currency }
    discounts { discountId discountType name officialAmount { amount } discountAmount { amount } amount { amount } best }
    bestOffer { discountId amount { amount } }
    products { id productId officialAmount { amount currency } discounts { discountId amount { amount } }
      bestOffer { discountId discountAmount { amount } amount { amount } } failure { code message } } }
  onDemand { officialAmount { amount } discountAmount { amount } amount { amount currency }
    products { id productId officialAmount { amount } discountAmount { amount } amount { amount } discounts { discountId discountType }
      failure { code } } } } }`

type quoteOut struct {
	Period *struct {
		OfficialAmount struct{ Amount, Currency string }
		Discounts      []struct {
			DiscountID, Name string
			DiscountType     int
			Best             bool
			DiscountAmount   struct{ Amount string }
			Amount           struct{ Amount string }
		}
		BestOffer *struct{ DiscountID string }
		Products  []struct {
			ID             string
			ProductID      *string
			OfficialAmount *struct{ Amount string }
			Discounts      []struct{ DiscountID string }
			BestOffer      *struct {
				DiscountID string
				Amount     struct{ Amount string }
			}
			Failure *struct{ Code, Message string }
		}
	}
	OnDemand *struct {
		OfficialAmount, DiscountAmount struct{ Amount string }
		Amount                         struct{ Amount, Currency string }
		Products                       []struct {
			ID        string
			Amount    *struct{ Amount string }
			Discounts []struct{ DiscountType int }
			Failure   *struct{ Code string }
		}
	}
}

// sandboxProject is the sandbox's id of a domain's project in a region (one
// per region, sandbox/prices.go projectOf); at Huawei Cloud it comes from
// IAM.
func sandboxProject(domainID, region string) string {
	return domainID[:16] + region[len(region)-1:] + domainID[17:]
}

func periodProduct(id, spec string, years int) map[string]any {
	return map[string]any{"id": id, "serviceTypeCode": "hws.service.type.ec2", "resourceTypeCode": "hws.resource.type.vm",
		"resourceSpec": spec, "region": "cn-north-4", "period": map[string]any{"type": "YEAR", "count": years}, "quantity": 2}
}

func diskProduct(id string, gb int) map[string]any {
	return map[string]any{"id": id, "serviceTypeCode": "hws.service.type.ebs", "resourceTypeCode": "hws.resource.type.volume",
		"resourceSpec": "SSD", "region": "cn-north-4", "availabilityZone": "cn-north-4a", "size": map[string]any{"value": gb, "unit": "GB"},
		"period": map[string]any{"type": "MONTH", "count": 3}}
}

func onDemandProduct(id, factor string, measure int) map[string]any {
	return map[string]any{"id": id, "serviceTypeCode": "hws.service.type.ec2", "resourceTypeCode": "hws.resource.type.vm",
		"resourceSpec": "s6.medium.2.linux", "region": "cn-east-3", "usageFactor": factor, "usageValue": "1", "usageMeasureId": measure}
}

// A partner quotes both kinds in its own project, one call each, with the
// invalid products failing alone; a quote for a customer's project goes
// with the customer's token and its discounts; a customer quotes its own.
func TestPriceQuote(t *testing.T) {
	e := newEnv(t, envConfig{})
	ptok := e.providerToken(t)
	t.Run("PartnerOwnProject", func(t *testing.T) {
		in := map[string]any{"projectId": sandboxProject(e.provider.ID, "cn-north-4"),
			"periodProducts": []any{periodProduct("vm", "c7.xlarge.2.linux", 1), diskProduct("disk", 50), periodProduct("bad", "c7 large", 1)}}
		e.resetStats(t)
		var out quoteOut
		mustData(t, e.query(t, ptok, priceQuoteQ, map[string]any{"in": in}), "priceQuote", &out)
		if got := e.stats(t); !maps.Equal(got, map[string]int{"ListRateOnPeriodDetail": 1}) {
			t.Fatalf("upstream calls %v", got)
		}
		p := out.Period
		if p == nil || out.OnDemand != nil || p.OfficialAmount.Amount != "8145" || p.OfficialAmount.Currency != "CNY" || len(p.Discounts) != 1 ||
			p.BestOffer == nil || p.BestOffer.DiscountID != p.Discounts[0].DiscountID || p.Discounts[0].DiscountAmount.Amount != "814.5" {
			t.Fatalf("period quote %+v", p)
		}
		vm, bad := p.Products[0], p.Products[2]
		if vm.ID != "vm" || vm.OfficialAmount.Amount != "8040" || vm.BestOffer == nil || vm.BestOffer.Amount.Amount != "7236" || *vm.ProductID != "OFFIc7.xlarge.2.linux" {
			t.Fatalf("vm %+v", vm)
		}
		if bad.ID != "bad" || bad.Failure == nil || bad.Failure.Code != "INVALID_PRODUCT" || bad.OfficialAmount != nil || bad.BestOffer != nil || len(bad.Discounts) != 0 {
			t.Fatalf("bad %+v", bad)
		}
	})
	t.Run("NotSoldComesBackPerProduct", func(t *testing.T) {
		in := map[string]any{"projectId": sandboxProject(e.provider.ID, "cn-north-4"),
			"periodProducts": []any{periodProduct("nope", "no.such.flavor", 1), periodProduct("vm", "c7.xlarge.2.linux", 2)}}
		e.resetStats(t)
		var out quoteOut
		mustData(t, e.query(t, ptok, priceQuoteQ, map[string]any{"in": in}), "priceQuote", &out)
		if n := e.stats(t)["ListRateOnPeriodDetail"]; n != 2 {
			t.Fatalf("calls %d, want 2 (the refused product, then without it)", n)
		}
		if f := out.Period.Products[0].Failure; f == nil || f.Code != "CBC.99006006" {
			t.Fatalf("nope %+v", out.Period.Products[0])
		}
		if out.Period.Products[1].OfficialAmount.Amount != "16080" || out.Period.OfficialAmount.Amount != "16080" {
			t.Fatalf("vm %+v", out.Period)
		}
	})
	t.Run("CustomerProject", func(t *testing.T) {
		cu := e.showcase(t, e.tier1.ID) // a resale customer: its partner's 85% is the best offer
		in := map[string]any{"projectId": sandboxProject(cu.ID, "cn-east-3"), "customer": map[string]any{"customerId": cu.ID},
			"onDemandProducts": []any{onDemandProduct("month", "Duration", 13), onDemandProduct("traffic", "upflow", 10)}}
		e.resetStats(t)
		var out quoteOut
		mustData(t, e.query(t, e.tier1Token(t), priceQuoteQ, map[string]any{"in": in}), "priceQuote", &out)
		want := map[string]int{"ListSubCustomers": 1, "KeystoneCreateAgencyToken": 1, "ListOnDemandResourceRatings": 2}
		if got := e.stats(t); !maps.Equal(got, want) {
			t.Fatalf("upstream calls %v, want %v", got, want)
		}
		od := out.OnDemand
		if od == nil || out.Period != nil || od.OfficialAmount.Amount != "126" || od.Amount.Amount != "107.1" || od.Amount.Currency != "CNY" ||
			od.Products[0].Discounts[0].DiscountType != 606 || od.Products[1].Failure == nil || od.Products[1].Failure.Code != "CBC.99006006" {
			t.Fatalf("on-demand quote %+v", od)
		}
		// The customer quotes its own project, without naming itself.
		var own quoteOut
		delete(in, "customer")
		mustData(t, e.query(t, e.customerToken(t, cu), priceQuoteQ, map[string]any{"in": in}), "priceQuote", &own)
		if own.OnDemand.Amount.Amount != "107.1" {
			t.Fatalf("own quote %+v", own.OnDemand)
		}
	})
	t.Run("ResellerOwnProject", func(t *testing.T) {
		in := map[string]any{"projectId": sandboxProject(e.reseller.ID, "cn-north-4"), "periodProducts": []any{diskProduct("disk", 10)}}
		var out quoteOut
		mustData(t, e.query(t, e.resellerToken(t), priceQuoteQ, map[string]any{"in": in}), "priceQuote", &out)
		if out.Period.OfficialAmount.Amount != "21" {
			t.Fatalf("reseller quote %+v", out.Period)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		ok := periodProduct("vm", "c7.xlarge.2.linux", 1)
		project := sandboxProject(e.provider.ID, "cn-north-4")
		many := make([]any, 101)
		for i := range many {
			many[i] = periodProduct(fmt.Sprint(i), "c7.xlarge.2.linux", 1)
		}
		e.resetStats(t)
		for name, in := range map[string]map[string]any{
			"NoProducts":   {"projectId": project},
			"TooMany":      {"projectId": project, "periodProducts": many},
			"DuplicateIDs": {"projectId": project, "periodProducts": []any{ok}, "onDemandProducts": []any{onDemandProduct("vm", "Duration", 4)}},
			"BadProject":   {"projectId": "a/b", "periodProducts": []any{ok}},
			"LongID":       {"projectId": project, "periodProducts": []any{periodProduct(fmt.Sprintf("%065d", 1), "x", 1)}},
		} {
			if r := e.query(t, ptok, priceQuoteQ, map[string]any{"in": in}); !hasCode(r, "BAD_USER_INPUT") {
				t.Errorf("%s: %+v", name, r.Errors)
			}
		}
		if s := e.stats(t); len(s) != 0 {
			t.Fatalf("upstream calls %v before refusing, want none", s)
		}
		// Another domain's project: the upstream's refusal, as bad input.
		r := e.query(t, ptok, priceQuoteQ, map[string]any{"in": map[string]any{"projectId": sandboxProject(e.tier1.ID, "cn-north-4"), "periodProducts": []any{ok}}})
		wantError(t, r, "BAD_USER_INPUT", "CBC.0100")
		// Someone else's customer, or a customer naming another.
		other := e.showcase(t, e.tier1.ID)
		r = e.query(t, ptok, priceQuoteQ, map[string]any{"in": map[string]any{"projectId": project, "customer": map[string]any{"customerId": other.ID}, "periodProducts": []any{ok}}})
		wantError(t, r, "NOT_FOUND", "")
		mine := e.showcase(t, e.provider.ID)
		r = e.query(t, e.customerToken(t, mine), priceQuoteQ, map[string]any{"in": map[string]any{"projectId": project, "customer": map[string]any{"customerId": other.ID}, "periodProducts": []any{ok}}})
		wantError(t, r, "NOT_FOUND", "")
	})
}
