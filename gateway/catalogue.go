package gateway

import (
	"context"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// ServiceType, ResourceType and MeasureUnit make up the catalogue.
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

// ServiceTypes lists the catalogue's service types (first 500).
func (c *Client) ServiceTypes(ctx context.Context, s Scope) ([]ServiceType, error) {
	req := &model.ListServiceTypesRequest{Limit: ptr(int32(500)), Offset: ptr(int32(0))}
	resp, err := call(ctx, c, s, "ListServiceTypes", func(cl *bss.BssClient) (*model.ListServiceTypesResponse, error) {
		return cl.ListServiceTypes(req)
	})
	if err != nil {
		return nil, err
	}
	var out []ServiceType
	if resp.ServiceTypes != nil {
		for _, t := range *resp.ServiceTypes {
			out = append(out, ServiceType{Code: str(t.ServiceTypeCode), Name: str(t.ServiceTypeName), Abbreviation: str(t.Abbreviation)})
		}
	}
	return out, nil
}

// ResourceTypes lists the catalogue's resource types (first 500).
func (c *Client) ResourceTypes(ctx context.Context, s Scope) ([]ResourceType, error) {
	req := &model.ListResourceTypesRequest{Limit: ptr(int32(500)), Offset: ptr(int32(0))}
	resp, err := call(ctx, c, s, "ListResourceTypes", func(cl *bss.BssClient) (*model.ListResourceTypesResponse, error) {
		return cl.ListResourceTypes(req)
	})
	if err != nil {
		return nil, err
	}
	var out []ResourceType
	if resp.ResourceTypes != nil {
		for _, t := range *resp.ResourceTypes {
			out = append(out, ResourceType{Code: str(t.ResourceTypeCode), Name: str(t.ResourceTypeName), Description: str(t.ResourceTypeDesc), ServiceTypeCode: str(t.ServiceTypeCode)})
		}
	}
	return out, nil
}

// MeasureUnits lists the units of measure.
func (c *Client) MeasureUnits(ctx context.Context, s Scope) ([]MeasureUnit, error) {
	resp, err := call(ctx, c, s, "ListMeasureUnits", func(cl *bss.BssClient) (*model.ListMeasureUnitsResponse, error) {
		return cl.ListMeasureUnits(&model.ListMeasureUnitsRequest{})
	})
	if err != nil {
		return nil, err
	}
	var out []MeasureUnit
	if resp.MeasureUnits != nil {
		for _, m := range *resp.MeasureUnits {
			out = append(out, MeasureUnit{ID: i32(m.MeasureId), Name: str(m.MeasureName), Abbreviation: str(m.Abbreviation), MeasureType: i32(m.MeasureType)})
		}
	}
	return out, nil
}
