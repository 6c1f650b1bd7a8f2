package sandbox

import (
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

func TestCatalogue(t *testing.T) {
	f := newFixture(t, KindTier1)

	t.Run("ListServiceTypes", func(t *testing.T) {
		resp, err := f.pc.ListServiceTypes(&model.ListServiceTypesRequest{Limit: ptr(int32(5))})
		if err != nil {
			t.Fatal(err)
		}
		if deref(resp.TotalCount) != int32(len(serviceTypes)) || len(*resp.ServiceTypes) != 5 {
			t.Fatalf("total %d, page %d", deref(resp.TotalCount), len(*resp.ServiceTypes))
		}
		en, err := f.cc.ListServiceTypes(&model.ListServiceTypesRequest{XLanguage: ptr("en_US"), ServiceTypeName: ptr("Object")})
		if err != nil || deref(en.TotalCount) != 1 || deref((*en.ServiceTypes)[0].ServiceTypeCode) != "hws.service.type.obs" {
			t.Fatalf("by name: %+v %v", en, err)
		}
	})
	t.Run("ListResourceTypes", func(t *testing.T) {
		resp, err := f.cc.ListResourceTypes(&model.ListResourceTypesRequest{Limit: ptr(int32(100))})
		if err != nil || deref(resp.TotalCount) != int32(len(resourceTypes)) || deref((*resp.ResourceTypes)[0].ResourceTypeCode) != "hws.resource.type.vm" {
			t.Fatalf("resource types: %v", err)
		}
	})
	t.Run("ListMeasureUnits", func(t *testing.T) {
		resp, err := f.pc.ListMeasureUnits(&model.ListMeasureUnitsRequest{})
		if err != nil || deref((*resp.MeasureUnits)[0].MeasureId) != 1 || deref((*resp.MeasureUnits)[0].MeasureName) != "元" {
			t.Fatalf("measure units: %v", err)
		}
	})
	t.Run("ListConversions", func(t *testing.T) {
		resp, err := f.pc.ListConversions(&model.ListConversionsRequest{MeasureType: ptr(int32(1))})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range *resp.Conversions {
			if deref(c.MeasureType) != 1 {
				t.Fatalf("measure_type filter leaked %+v", c)
			}
		}
		if deref((*resp.Conversions)[0].ConversionRatio) != 10 {
			t.Fatalf("1 元 = 10 角: %+v", (*resp.Conversions)[0])
		}
	})
	t.Run("Regions", func(t *testing.T) {
		p, err := f.pc.ListProvinces(&model.ListProvincesRequest{Limit: ptr(int32(1000))})
		if err != nil || deref(p.Count) != int32(len(provinces)) {
			t.Fatalf("provinces: %v", err)
		}
		c, err := f.pc.ListCities(&model.ListCitiesRequest{ProvinceCode: "440000"})
		if err != nil || deref(c.Count) != 4 {
			t.Fatalf("cities of 广东: %v %v", deref(c.Count), err)
		}
		k, err := f.pc.ListCounties(&model.ListCountiesRequest{CityCode: "440300"})
		if err != nil || deref(k.Count) != 4 || (*k.Counties)[0].Name != "福田区" {
			t.Fatalf("counties of 深圳: %v %v", deref(k.Count), err)
		}
		_, err = f.pc.ListProvinces(&model.ListProvincesRequest{Limit: ptr(int32(1001))})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		_, err = f.pc.ListCities(&model.ListCitiesRequest{})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		_, err = f.cc.ListProvinces(&model.ListProvincesRequest{})
		wantErr(t, err, http.StatusForbidden, "CBC.0151")
	})
}

func TestServiceResourcesAndUsageTypes(t *testing.T) {
	f := newFixture(t, KindTier1)
	resp, err := f.pc.ListServiceResources(&model.ListServiceResourcesRequest{ServiceTypeCode: "hws.service.type.vpc"})
	if err != nil || deref(resp.TotalCount) != 2 || len(*resp.Infos) != 2 {
		t.Fatalf("vpc resources: %+v %v", resp, err)
	}
	for _, in := range *resp.Infos {
		if deref(in.BasicInfo.ProductOwnerService) != "hws.service.type.vpc" || deref(in.BasicInfo.Name) == "" {
			t.Fatalf("basic info %+v", in.BasicInfo)
		}
	}
	page, err := f.cc.ListServiceResources(&model.ListServiceResourcesRequest{ServiceTypeCode: "hws.service.type.obs", Offset: ptr(int32(1)), Limit: ptr(int32(1)), XLanguage: ptr("en_US")})
	if err != nil || deref(page.TotalCount) != 2 || len(*page.Infos) != 1 || deref((*page.Infos)[0].BasicInfo.Name) != "OBS Package" {
		t.Fatalf("obs page 2: %+v %v", page, err)
	}
	none, err := f.pc.ListServiceResources(&model.ListServiceResourcesRequest{ServiceTypeCode: "hws.service.type.none"})
	if err != nil || deref(none.TotalCount) != 0 || len(*none.Infos) != 0 {
		t.Fatalf("unknown service: %+v %v", none, err)
	}
	_, err = f.pc.ListServiceResources(&model.ListServiceResourcesRequest{})
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	_, err = f.pc.ListServiceResources(&model.ListServiceResourcesRequest{ServiceTypeCode: "hws.service.type.ec2", Limit: ptr(int32(101))})
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")

	ut, err := f.pc.ListUsageTypes(&model.ListUsageTypesRequest{ResourceTypeCode: ptr("hws.resource.type.bandwidth")})
	if err != nil || deref(ut.TotalCount) != 2 {
		t.Fatalf("bandwidth usage types: %+v %v", ut, err)
	}
	codes := map[string]bool{}
	for _, u := range *ut.UsageTypes {
		codes[deref(u.Code)] = true
		if deref(u.ServiceTypeCode) != "hws.service.type.vpc" || deref(u.ResourceTypeName) != "带宽" {
			t.Fatalf("usage type %+v", u)
		}
	}
	if !codes["Duration"] || !codes["upflow"] {
		t.Fatalf("codes %v", codes)
	}
	all, err := f.cc.ListUsageTypes(&model.ListUsageTypesRequest{Limit: ptr(int32(100))})
	if err != nil || int(deref(all.TotalCount)) != len(usageTypes) || len(*all.UsageTypes) != len(usageTypes) {
		t.Fatalf("all usage types: %v", err)
	}
	// Every product the price list sells on demand is billed by a usage
	// type its resource type has.
	for _, it := range priceList {
		ok := false
		for _, u := range usageTypes {
			ok = ok || (u.resType == it.resType && u.code == it.usage)
		}
		if !ok {
			t.Errorf("%s %s bills %s, not a usage type of its resource type", it.resType, it.spec, it.usage)
		}
	}
}

func TestRegionsPaging(t *testing.T) {
	f := newFixture(t, KindProvider)
	var seen []string
	for off := int32(0); ; off += 3 {
		p, err := f.pc.ListProvinces(&model.ListProvincesRequest{Offset: ptr(off), Limit: ptr(int32(3))})
		if err != nil || deref(p.Count) != int32(len(provinces)) {
			t.Fatalf("provinces at %d: %v", off, err)
		}
		if len(*p.Provinces) == 0 {
			break
		}
		for _, pr := range *p.Provinces {
			seen = append(seen, pr.Code)
		}
	}
	if len(seen) != len(provinces) {
		t.Fatalf("paged %d provinces, want %d", len(seen), len(provinces))
	}
	c, err := f.pc.ListCities(&model.ListCitiesRequest{ProvinceCode: "440000", Offset: ptr(int32(2)), Limit: ptr(int32(1))})
	if err != nil || deref(c.Count) != 4 || len(*c.Cities) != 1 || (*c.Cities)[0].Code != "440600" {
		t.Fatalf("cities page: %+v %v", c, err)
	}
	c, err = f.pc.ListCities(&model.ListCitiesRequest{ProvinceCode: "999999"})
	if err != nil || deref(c.Count) != 0 {
		t.Fatalf("unknown province: %+v %v", c, err)
	}
	_, err = f.pc.ListCounties(&model.ListCountiesRequest{})
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	_, err = f.pc.ListCounties(&model.ListCountiesRequest{CityCode: "440300", Limit: ptr(int32(0))})
	wantErr(t, err, http.StatusBadRequest, "CBC.0100")
}
