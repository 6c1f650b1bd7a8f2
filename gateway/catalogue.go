package gateway

// Catalogue: the cloud service types, resource types and units of measure
// the other domains' codes refer to.

import (
	"context"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
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
