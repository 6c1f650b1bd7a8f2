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
