package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/sandbox"
)

// sbEnv is a Client on a sandbox with every partner's keys and buckets.
type sbEnv struct {
	c        *gateway.Client
	sb       *sandbox.Sandbox
	m        sandbox.Manifest
	tier1    sandbox.ManifestPartner
	provider sandbox.ManifestPartner
}

func newSandboxEnv(t *testing.T) *sbEnv {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Seed: 7, Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	e := &sbEnv{sb: sb, m: sb.Manifest(srv.URL)}
	var accounts []gateway.Account
	for _, p := range e.m.Partners {
		accounts = append(accounts, gateway.Account{ID: p.ID, Name: p.Name, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName,
			OBS: gateway.Bucket{Endpoint: p.OBS.Endpoint, Name: p.OBS.Bucket, AK: p.OBS.AK, SK: p.OBS.SK, PathStyle: p.OBS.PathStyle}})
		switch p.Kind {
		case "tier1":
			e.tier1 = p
		case "provider":
			e.provider = p
		}
	}
	if e.c, err = gateway.New(gateway.Config{Endpoint: e.m.Endpoint, IAMEndpoint: e.m.IAMEndpoint, Accounts: accounts, CallTimeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *sbEnv) calls(op string) int64 { return e.sb.Stats()[op] }

// sandboxProject is the sandbox's id of a domain's project in a region (one
// per region, sandbox/prices.go projectOf); at Huawei Cloud it comes from
// IAM.
func sandboxProject(domainID, region string) string {
	return domainID[:16] + region[len(region)-1:] + domainID[17:]
}

func vm(id, spec string) gateway.PeriodProduct {
	return gateway.PeriodProduct{Product: gateway.Product{ID: id, ServiceType: "hws.service.type.ec2", ResourceType: "hws.resource.type.vm",
		Spec: spec, Region: "cn-north-4", Quantity: 2}, PeriodType: gateway.PeriodYear, PeriodCount: 1}
}

func disk(id string, gb int) gateway.PeriodProduct {
	return gateway.PeriodProduct{Product: gateway.Product{ID: id, ServiceType: "hws.service.type.ebs", ResourceType: "hws.resource.type.volume",
		Spec: "SSD", Region: "cn-north-4", AvailabilityZone: "cn-north-4a", Size: gb, SizeUnit: gateway.SizeGB, Quantity: 1},
		PeriodType: gateway.PeriodMonth, PeriodCount: 3}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// A yearly/monthly quote in the partner's own project: malformed products
// are refused before the call, a product the upstream does not sell is
// quoted again without, and the rest carries list prices, both discounts
// priced per product and the best offer.
func TestQuotePeriod(t *testing.T) {
	e := newSandboxEnv(t)
	ctx := context.Background()
	q := gateway.Quoter{Scope: gateway.Scope{Account: e.provider.ID}}
	project := sandboxProject(e.provider.ID, "cn-north-4")

	badRegion := vm("bad-region", "c7.xlarge.2.linux")
	badRegion.Region = "north"
	noSize := disk("no-size", 0)
	noSize.Size, noSize.SizeUnit = 0, 0 // the gateway cannot know volumes are sized: the upstream says so
	products := []gateway.PeriodProduct{vm("vm", "c7.xlarge.2.linux"), vm("unknown", "no.such.spec"), badRegion, disk("disk", 50), noSize}
	e.sb.ResetStats()
	got, err := e.c.QuotePeriod(ctx, q, project, products)
	if err != nil {
		t.Fatal(err)
	}
	// 1 call refused for "unknown", 1 refused for "no-size" (CBC.0100 naming it), 1 answered.
	if n := e.calls("ListRateOnPeriodDetail"); n != 3 {
		t.Fatalf("calls %d, want 3", n)
	}
	want := map[string]struct{ official, code string }{
		"vm": {"8040", ""}, "unknown": {"", "CBC.99006006"}, "bad-region": {"", gateway.FailureInvalidProduct},
		"disk": {"105", ""}, "no-size": {"", "CBC.0100"},
	}
	for i, p := range got.Products {
		w := want[p.ID]
		if p.ID != products[i].ID {
			t.Fatalf("product %d is %s, want %s (input order)", i, p.ID, products[i].ID)
		}
		switch {
		case w.code != "" && (p.Failure == nil || p.Failure.Code != w.code || p.Official != nil):
			t.Errorf("%s: %+v, want failure %s", p.ID, p, w.code)
		case w.code == "" && (p.Failure != nil || p.Official == nil || !p.Official.Amount.Equal(dec(w.official)) || p.Official.Currency != "CNY"):
			t.Errorf("%s: %+v %+v, want %s CNY", p.ID, p, p.Failure, w.official)
		}
	}
	if !got.Official.Amount.Equal(dec("8145")) || len(got.Discounts) != 1 || !got.Discounts[0].Best || got.Discounts[0].Type != 605 ||
		!got.Discounts[0].DiscountAmount.Amount.Equal(dec("814.5")) || !got.Discounts[0].Amount.Amount.Equal(dec("7330.5")) {
		t.Fatalf("quote %+v", got)
	}
	for _, i := range []int{0, 3} {
		d := got.Products[i].Discounts
		if len(d) != 1 || d[0].DiscountID != got.Discounts[0].ID || !d[0].Amount.Amount.Add(d[0].DiscountAmount.Amount).Equal(got.Products[i].Official.Amount) {
			t.Fatalf("%s discounts %+v", got.Products[i].ID, d)
		}
	}
	if m := got.Products[4].Failure.Message; strings.Contains(m, "p004") || !strings.Contains(m, "this product") {
		t.Fatalf("no-size message %q: the gateway's wire id must not leak", m)
	}

	t.Run("BoundedRequotes", func(t *testing.T) {
		var ps []gateway.PeriodProduct
		for i := range 5 {
			ps = append(ps, vm(fmt.Sprint("unknown-", i), fmt.Sprintf("no.such.spec%d", i)))
		}
		ps = append(ps, vm("vm", "c7.xlarge.2.linux"))
		e.sb.ResetStats()
		got, err := e.c.QuotePeriod(ctx, q, project, ps)
		if err != nil {
			t.Fatal(err)
		}
		if n := e.calls("ListRateOnPeriodDetail"); n != 4 {
			t.Fatalf("calls %d, want 4 (one, then 3 re-quotes)", n)
		}
		codes := map[string]int{}
		for _, p := range got.Products {
			codes[p.Failure.Code]++
		}
		if codes["CBC.99006006"] != 4 || codes[gateway.FailureNotQuoted] != 2 || !got.Official.Amount.IsZero() {
			t.Fatalf("failures %v, official %s", codes, got.Official.Amount)
		}
	})
	t.Run("NothingToSend", func(t *testing.T) {
		e.sb.ResetStats()
		got, err := e.c.QuotePeriod(ctx, q, project, []gateway.PeriodProduct{badRegion})
		if err != nil || got.Products[0].Failure.Code != gateway.FailureInvalidProduct || e.calls("ListRateOnPeriodDetail") != 0 {
			t.Fatalf("%+v %v, calls %d", got, err, e.calls("ListRateOnPeriodDetail"))
		}
	})
	t.Run("NotTheCallersProject", func(t *testing.T) {
		_, err := e.c.QuotePeriod(ctx, q, sandboxProject(e.tier1.ID, "cn-north-4"), products[:1])
		var ae *apierr.Error
		if apierr.ErrorCode(err) != apierr.CodeBadUserInput || !errors.As(err, &ae) || ae.UpstreamCode != "CBC.0100" || ae.RequestID == "" {
			t.Fatalf("got %v", err)
		}
	})
}

// An on-demand quote in a customer's project, with the customer's token:
// the resale customer's best discount (its partner's 85%) applies.
func TestQuoteOnDemand(t *testing.T) {
	e := newSandboxEnv(t)
	var cust string
	for _, c := range e.m.Customers {
		if c.PartnerID == e.tier1.ID {
			cust = c.ID // the showcase: a resale customer
			break
		}
	}
	q := gateway.Quoter{Scope: gateway.Scope{Account: e.tier1.ID}, Customer: cust}
	od := func(id, spec, factor string, measure int) gateway.OnDemandProduct {
		return gateway.OnDemandProduct{Product: gateway.Product{ID: id, ServiceType: "hws.service.type.ec2", ResourceType: "hws.resource.type.vm",
			Spec: spec, Region: "cn-east-3", Quantity: 1}, UsageFactor: factor, UsageValue: decimal.NewFromInt(1), UsageMeasureID: measure}
	}
	products := []gateway.OnDemandProduct{od("month", "s6.medium.2.linux", "Duration", 13), od("traffic", "s6.medium.2.linux", "upflow", 10),
		od("bad", "s6.medium.2.linux", "Duration", 0)}
	e.sb.ResetStats()
	got, err := e.c.QuoteOnDemand(context.Background(), q, sandboxProject(cust, "cn-east-3"), products, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.calls("ListOnDemandResourceRatings"); n != 2 {
		t.Fatalf("calls %d, want 2 (upflow is not how a VM is billed)", n)
	}
	m := got.Products[0]
	if m.Failure != nil || !m.Official.Amount.Equal(dec("126")) || !m.DiscountAmount.Amount.Equal(dec("18.9")) || !m.Amount.Amount.Equal(dec("107.1")) ||
		len(m.Discounts) != 1 || m.Discounts[0].Type != 606 {
		t.Fatalf("month %+v", m)
	}
	if got.Products[1].Failure == nil || got.Products[1].Failure.Code != "CBC.99006006" || got.Products[2].Failure.Code != gateway.FailureInvalidProduct {
		t.Fatalf("failures %+v %+v", got.Products[1].Failure, got.Products[2].Failure)
	}
	if !got.Official.Amount.Equal(dec("126")) || !got.Amount.Amount.Equal(dec("107.1")) || got.Currency != "CNY" {
		t.Fatalf("totals %+v", got)
	}
}

func TestCheckProducts(t *testing.T) {
	ok := vm("ok", "c7.xlarge.2.linux")
	for name, mutate := range map[string]func(p *gateway.PeriodProduct){
		"Service":  func(p *gateway.PeriodProduct) { p.ServiceType = "ec2" },
		"Resource": func(p *gateway.PeriodProduct) { p.ResourceType = "hws.service.type.vm" },
		"Spec":     func(p *gateway.PeriodProduct) { p.Spec = "c7 large" },
		"Region":   func(p *gateway.PeriodProduct) { p.Region = "CN-NORTH-4" },
		"Zone":     func(p *gateway.PeriodProduct) { p.AvailabilityZone = "cn-east-3a" },
		"SizeUnit": func(p *gateway.PeriodProduct) { p.Size, p.SizeUnit = 10, 16 },
		"NoUnit":   func(p *gateway.PeriodProduct) { p.Size = 10 },
		"Quantity": func(p *gateway.PeriodProduct) { p.Quantity = 0 },
		"Period":   func(p *gateway.PeriodProduct) { p.PeriodCount = 4 },
	} {
		p := ok
		mutate(&p)
		if f := gateway.CheckPeriodProduct(p); f == nil || f.Code != gateway.FailureInvalidProduct {
			t.Errorf("%s: %+v", name, f)
		}
	}
	if f := gateway.CheckPeriodProduct(ok); f != nil {
		t.Fatalf("ok: %+v", f)
	}
	zone := ok
	zone.AvailabilityZone = "CN-NORTH-4A"
	if f := gateway.CheckPeriodProduct(zone); f != nil {
		t.Fatalf("zone case: %+v", f)
	}
}
