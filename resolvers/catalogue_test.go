package resolvers_test

import (
	"maps"
	"testing"
)

// The catalogue's service resources, usage types and conversions, with
// their inputs checked before any call.
func TestCatalogueLists(t *testing.T) {
	e := newEnv(t, envConfig{})
	tok := e.customerToken(t, e.showcase(t, e.tier1.ID)) // customers read the catalogue too
	var c struct {
		ServiceResources []struct{ ResourceTypeCode, ServiceTypeCode, Name string }
		UsageTypes       []struct{ Code, ResourceTypeCode, ServiceTypeCode string }
		Conversions      []struct{ MeasureID, RefMeasureID, Ratio, MeasureType int }
	}
	mustData(t, e.query(t, tok, `{ catalogue {
	  serviceResources(serviceTypeCode: "hws.service.type.vpc") { resourceTypeCode serviceTypeCode name }
	  usageTypes(resourceTypeCode: "hws.resource.type.obs") { code resourceTypeCode serviceTypeCode }
	  conversions(measureType: 3) { measureId refMeasureId ratio measureType } } }`, nil), "catalogue", &c)
	if len(c.ServiceResources) != 2 || c.ServiceResources[0].ServiceTypeCode != "hws.service.type.vpc" || c.ServiceResources[0].Name == "" {
		t.Fatalf("service resources %+v", c.ServiceResources)
	}
	if len(c.UsageTypes) != 3 || c.UsageTypes[0].ResourceTypeCode != "hws.resource.type.obs" || c.UsageTypes[0].ServiceTypeCode != "hws.service.type.obs" {
		t.Fatalf("usage types %+v", c.UsageTypes)
	}
	if len(c.Conversions) != 4 || c.Conversions[0] != (struct{ MeasureID, RefMeasureID, Ratio, MeasureType int }{11, 10, 1024, 3}) {
		t.Fatalf("conversions %+v", c.Conversions)
	}
	e.resetStats(t)
	for _, q := range []string{
		`{ catalogue { serviceResources(serviceTypeCode: "ec2") { name } } }`,
		`{ catalogue { usageTypes(resourceTypeCode: "vm; drop") { code } } }`,
		`{ catalogue { conversions(measureType: -1) { ratio } } }`,
		`{ catalogue { provinces(code: "44x") { name } } }`,
	} {
		if r := e.query(t, tok, q, nil); !hasCode(r, "BAD_USER_INPUT") {
			t.Errorf("%s: %+v", q, r.Errors)
		}
	}
	if s := e.stats(t); len(s) != 0 {
		t.Fatalf("upstream calls %v, want none", s)
	}
}

// The regions are a tree read level by level, only when selected, and
// cached for every caller: the cities of P provinces cost P calls the first
// time and none afterwards, whoever asks.
func TestCatalogueRegions(t *testing.T) {
	e := newEnv(t, envConfig{})
	type county struct{ Code, Name string }
	type city struct {
		Code, Name string
		Counties   []county
	}
	var c struct {
		Provinces []struct {
			Code, Name string
			Cities     []city
		}
	}
	e.resetStats(t)
	mustData(t, e.query(t, e.tier1Token(t), `{ catalogue { provinces { code name } } }`, nil), "catalogue", &c)
	if got := e.stats(t); !maps.Equal(got, map[string]int{"ListProvinces": 1}) || len(c.Provinces) != 10 {
		t.Fatalf("provinces only: calls %v, %d provinces", got, len(c.Provinces))
	}
	tree := `{ catalogue { provinces { code cities { code name counties { code name } } } } }`
	e.resetStats(t)
	mustData(t, e.query(t, e.providerToken(t), tree, nil), "catalogue", &c)
	cities := 0
	for _, p := range c.Provinces {
		cities += len(p.Cities)
	}
	want := map[string]int{"ListCities": len(c.Provinces), "ListCounties": cities}
	if got := e.stats(t); !maps.Equal(got, want) || cities != 16 {
		t.Fatalf("cold tree: calls %v, want %v (%d cities)", got, want, cities)
	}
	e.resetStats(t)
	for _, tok := range []string{e.tier1Token(t), e.resellerToken(t), e.customerToken(t, e.showcase(t, e.provider.ID))} {
		mustData(t, e.query(t, tok, tree, nil), "catalogue", &c)
	}
	if got := e.stats(t); len(got) != 0 {
		t.Fatalf("warm tree: calls %v, want none", got)
	}
	var one struct {
		Provinces []struct {
			Cities []city
		}
	}
	mustData(t, e.query(t, e.tier1Token(t), `{ catalogue { provinces(code: "440000") { cities(code: "440300") { code name counties(code: "440305") { code name } } } } }`, nil), "catalogue", &one)
	if len(one.Provinces) != 1 || len(one.Provinces[0].Cities) != 1 || one.Provinces[0].Cities[0].Name != "深圳市" ||
		len(one.Provinces[0].Cities[0].Counties) != 1 || one.Provinces[0].Cities[0].Counties[0].Name != "南山区" {
		t.Fatalf("narrowed %+v", one)
	}
}
