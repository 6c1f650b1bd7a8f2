package gateway

// Catalogue: the cloud service types, resource types and units of measure
// the other domains' codes refer to, the resource types of a service and
// the usage types of a resource type (what products are quoted by, see
// prices.go), unit conversions, and the administrative regions of China.

import (
	"context"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"golang.org/x/sync/singleflight"
)

// maxCatalogue is how many entries of a catalogue list are read: the
// upstream's catalogues are far shorter.
const maxCatalogue = 500

// ServiceType is a cloud service type of the catalogue; ServiceType,
// ResourceType and MeasureUnit make up the catalogue.
type ServiceType struct{ Code, Name, Abbreviation string }

// ResourceType is a resource type of the catalogue.
type ResourceType struct{ Code, Name, Description, ServiceTypeCode string }

// MeasureUnit is a unit of measure of the catalogue.
type MeasureUnit struct {
	ID           int
	Name         string
	Abbreviation string
	MeasureType  int
}

func serviceTypeFrom(t model.ServiceTypes) ServiceType {
	return ServiceType{Code: str(t.ServiceTypeCode), Name: str(t.ServiceTypeName), Abbreviation: str(t.Abbreviation)}
}

func resourceTypeFrom(t model.ResourceTypes) ResourceType {
	return ResourceType{Code: str(t.ResourceTypeCode), Name: str(t.ResourceTypeName), Description: str(t.ResourceTypeDesc), ServiceTypeCode: str(t.ServiceTypeCode)}
}

func measureUnitFrom(m model.MeasureUnitRest) MeasureUnit {
	return MeasureUnit{ID: i32(m.MeasureId), Name: str(m.MeasureName), Abbreviation: str(m.Abbreviation), MeasureType: i32(m.MeasureType)}
}

// ServiceTypes lists the catalogue's service types (the first 500).
func (c *Client) ServiceTypes(ctx context.Context, s Scope) ([]ServiceType, error) {
	req := &model.ListServiceTypesRequest{Limit: ptr(int32(maxCatalogue)), Offset: ptr(int32(0))}
	resp, err := call(ctx, c, s, "ListServiceTypes", (*bss.BssClient).ListServiceTypes, req)
	if err != nil {
		return nil, err
	}
	return convert(resp.ServiceTypes, serviceTypeFrom), nil
}

// ResourceTypes lists the catalogue's resource types (the first 500).
func (c *Client) ResourceTypes(ctx context.Context, s Scope) ([]ResourceType, error) {
	req := &model.ListResourceTypesRequest{Limit: ptr(int32(maxCatalogue)), Offset: ptr(int32(0))}
	resp, err := call(ctx, c, s, "ListResourceTypes", (*bss.BssClient).ListResourceTypes, req)
	if err != nil {
		return nil, err
	}
	return convert(resp.ResourceTypes, resourceTypeFrom), nil
}

// MeasureUnits lists the units of measure.
func (c *Client) MeasureUnits(ctx context.Context, s Scope) ([]MeasureUnit, error) {
	resp, err := call(ctx, c, s, "ListMeasureUnits", (*bss.BssClient).ListMeasureUnits, &model.ListMeasureUnitsRequest{})
	if err != nil {
		return nil, err
	}
	return convert(resp.MeasureUnits, measureUnitFrom), nil
}

// ServiceResource is a resource type a cloud service type is made of
// (ListServiceResources).
type ServiceResource struct{ ResourceTypeCode, ServiceTypeCode, Name, Description string }

// UsageType is what on-demand use of a resource type is measured in
// (ListUsageTypes): the usage factors on-demand quotes take.
type UsageType struct {
	Code, Name                         string
	ResourceTypeCode, ResourceTypeName string
	ServiceTypeCode, ServiceTypeName   string
}

// Conversion says how a measure unit converts: 1 MeasureID = Ratio
// RefMeasureID (ListConversions).
type Conversion struct {
	MeasureID, RefMeasureID int
	Ratio                   int64
	MeasureType             int
}

// catalogueLimit is the page size of the catalogue lists that page (at most
// 100 per call).
const catalogueLimit = 100

// ServiceResources lists the resource types of a cloud service type (the
// first 500), 100 per call.
func (c *Client) ServiceResources(ctx context.Context, s Scope, serviceTypeCode string) ([]ServiceResource, error) {
	var out []ServiceResource
	for off := 0; off < maxCatalogue; off += catalogueLimit {
		req := &model.ListServiceResourcesRequest{ServiceTypeCode: serviceTypeCode, Offset: ptr(int32(off)), Limit: ptr(int32(catalogueLimit))}
		resp, err := call(ctx, c, s, "ListServiceResources", (*bss.BssClient).ListServiceResources, req)
		if err != nil {
			return nil, err
		}
		for _, r := range rows(resp.Infos) {
			if b := r.BasicInfo; b != nil {
				out = append(out, ServiceResource{ResourceTypeCode: str(b.ResourceTypeCode), ServiceTypeCode: str(b.ProductOwnerService), Name: str(b.Name), Description: str(b.Description)})
			}
		}
		if len(rows(resp.Infos)) < catalogueLimit || off+catalogueLimit >= i32(resp.TotalCount) {
			break
		}
	}
	return out, nil
}

// UsageTypes lists the usage types of a resource type, or of every
// resource type when resourceTypeCode is empty (the first 500), 100 per
// call.
func (c *Client) UsageTypes(ctx context.Context, s Scope, resourceTypeCode string) ([]UsageType, error) {
	var out []UsageType
	for off := 0; off < maxCatalogue; off += catalogueLimit {
		req := &model.ListUsageTypesRequest{ResourceTypeCode: optStr(resourceTypeCode), Offset: ptr(int32(off)), Limit: ptr(int32(catalogueLimit))}
		resp, err := call(ctx, c, s, "ListUsageTypes", (*bss.BssClient).ListUsageTypes, req)
		if err != nil {
			return nil, err
		}
		for _, u := range rows(resp.UsageTypes) {
			out = append(out, UsageType{Code: str(u.Code), Name: str(u.Name), ResourceTypeCode: str(u.ResourceTypeCode), ResourceTypeName: str(u.ResourceTypeName),
				ServiceTypeCode: str(u.ServiceTypeCode), ServiceTypeName: str(u.ServiceTypeName)})
		}
		if len(rows(resp.UsageTypes)) < catalogueLimit || off+catalogueLimit >= i32(resp.TotalCount) {
			break
		}
	}
	return out, nil
}

// Conversions lists the measure unit conversions, of one measure type when
// measureType is not nil.
func (c *Client) Conversions(ctx context.Context, s Scope, measureType *int) ([]Conversion, error) {
	req := &model.ListConversionsRequest{}
	if measureType != nil {
		req.MeasureType = ptr(int32(*measureType))
	}
	resp, err := call(ctx, c, s, "ListConversions", (*bss.BssClient).ListConversions, req)
	if err != nil {
		return nil, err
	}
	return convert(resp.Conversions, func(cv model.Conversion) Conversion {
		var ratio int64
		if cv.ConversionRatio != nil {
			ratio = *cv.ConversionRatio
		}
		return Conversion{MeasureID: i32(cv.MeasureId), RefMeasureID: i32(cv.RefMeasureId), Ratio: ratio, MeasureType: i32(cv.MeasureType)}
	}), nil
}

// Administrative regions of China (ListProvinces, ListCities,
// ListCounties): provinces, the cities of a province, the counties of a
// city. They are the same for every partner and rarely change, so each
// level is cached once for the whole gateway (regionCache): a list read in
// the last RegionTTL costs no call, and however many requests ask for the
// same list at once, it is read once. Cold reads of many lists (the cities
// of every province) run at most regionReaders at a time.

// Region is a province, city or county.
type Region struct{ Code, Name string }

const (
	// regionLimit is the upstream's largest page of regions.
	regionLimit = 1000
	// maxRegionPages bounds one list's read.
	maxRegionPages = 10
	// maxRegionLists bounds the lists cached: every province's and every
	// city's (China has about 340 cities).
	maxRegionLists = 4096
	// regionReaders bounds the region reads in flight.
	regionReaders = 8
	// defaultRegionTTL is how long a region list is cached by default.
	defaultRegionTTL = 24 * time.Hour
)

// regionCache holds region lists by level and parent code.
type regionCache struct {
	lists   *expirable.LRU[string, []Region]
	flights singleflight.Group
	readers chan struct{}
}

func newRegionCache(ttl time.Duration) *regionCache {
	if ttl <= 0 {
		ttl = defaultRegionTTL
	}
	return &regionCache{lists: expirable.NewLRU[string, []Region](maxRegionLists, nil, ttl), readers: make(chan struct{}, regionReaders)}
}

// get returns the cached list key, or reads it with read (once for all
// concurrent callers) and caches it. Errors are not cached. The read is
// shared, so it does not end with the request that started it (each call
// is bounded by the call timeout); a request stops waiting when its ctx
// ends.
func (rc *regionCache) get(ctx context.Context, key string, read func(ctx context.Context) ([]Region, error)) ([]Region, error) {
	if l, ok := rc.lists.Get(key); ok {
		return l, nil
	}
	ch := rc.flights.DoChan(key, func() (any, error) {
		if l, ok := rc.lists.Get(key); ok {
			return l, nil
		}
		rc.readers <- struct{}{}
		defer func() { <-rc.readers }()
		l, err := read(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		rc.lists.Add(key, l)
		return l, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]Region), nil
	case <-ctx.Done():
		return nil, unavailable("regions", ctx.Err())
	}
}

// regionPages reads a whole region list, regionLimit per call.
func regionPages(ctx context.Context, page func(ctx context.Context, off int32) ([]Region, int, error)) ([]Region, error) {
	out := []Region{}
	for p := 0; p < maxRegionPages; p++ {
		l, total, err := page(ctx, int32(p*regionLimit))
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
		if len(l) < regionLimit || len(out) >= total {
			break
		}
	}
	return out, nil
}

// Provinces lists the provinces (cached, see Region).
func (c *Client) Provinces(ctx context.Context, s Scope) ([]Region, error) {
	return c.regions.get(ctx, "provinces", func(ctx context.Context) ([]Region, error) {
		return regionPages(ctx, func(ctx context.Context, off int32) ([]Region, int, error) {
			req := &model.ListProvincesRequest{Offset: &off, Limit: ptr(int32(regionLimit))}
			resp, err := call(ctx, c, s, "ListProvinces", (*bss.BssClient).ListProvinces, req)
			if err != nil {
				return nil, 0, err
			}
			return convert(resp.Provinces, func(p model.Province) Region { return Region{Code: p.Code, Name: p.Name} }), i32(resp.Count), nil
		})
	})
}

// Cities lists the cities of a province (cached, see Region).
func (c *Client) Cities(ctx context.Context, s Scope, provinceCode string) ([]Region, error) {
	return c.regions.get(ctx, "cities:"+provinceCode, func(ctx context.Context) ([]Region, error) {
		return regionPages(ctx, func(ctx context.Context, off int32) ([]Region, int, error) {
			req := &model.ListCitiesRequest{ProvinceCode: provinceCode, Offset: &off, Limit: ptr(int32(regionLimit))}
			resp, err := call(ctx, c, s, "ListCities", (*bss.BssClient).ListCities, req)
			if err != nil {
				return nil, 0, err
			}
			return convert(resp.Cities, func(p model.City) Region { return Region{Code: p.Code, Name: p.Name} }), i32(resp.Count), nil
		})
	})
}

// Counties lists the counties of a city (cached, see Region).
func (c *Client) Counties(ctx context.Context, s Scope, cityCode string) ([]Region, error) {
	return c.regions.get(ctx, "counties:"+cityCode, func(ctx context.Context) ([]Region, error) {
		return regionPages(ctx, func(ctx context.Context, off int32) ([]Region, int, error) {
			req := &model.ListCountiesRequest{CityCode: cityCode, Offset: &off, Limit: ptr(int32(regionLimit))}
			resp, err := call(ctx, c, s, "ListCounties", (*bss.BssClient).ListCounties, req)
			if err != nil {
				return nil, 0, err
			}
			return convert(resp.Counties, func(p model.County) Region { return Region{Code: p.Code, Name: p.Name} }), i32(resp.Count), nil
		})
	})
}
