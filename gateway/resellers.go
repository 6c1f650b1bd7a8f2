package gateway

// Resellers: a tier-1 distributor's tier-2 resellers (ListIndirectPartners).
// Their funds and quotas are in funds.go and coupons.go.

import (
	"context"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// Reseller is a tier-2 reseller as ListIndirectPartners describes it.
type Reseller struct {
	ID                 string
	AccountName        string
	Name               string
	Email              string
	MobilePhone        string
	AssociatedOn       string
	AccountManagerName string
}

// ResellerList is one page of resellers and the total.
type ResellerList struct {
	Resellers []Reseller
	Total     int
}

func resellerFrom(p model.IndirectPartnerInfo) Reseller {
	return Reseller{
		ID: str(p.IndirectPartnerId), AccountName: str(p.AccountName), Name: str(p.Name), Email: str(p.Email),
		MobilePhone: str(p.MobilePhone), AssociatedOn: str(p.AssociatedOn), AccountManagerName: str(p.AccountManagerName),
	}
}

// ListResellers lists the tier-2 resellers of a tier-1 (ListIndirectPartners).
// resellerID, when set, narrows the list to that reseller.
func (c *Client) ListResellers(ctx context.Context, s Scope, p Window, accountName, resellerID string) (ResellerList, error) {
	off, lim := page(p)
	req := &model.ListIndirectPartnersRequest{Body: &model.QueryIndirectPartnersReq{
		AccountName: optStr(accountName), Offset: off, Limit: lim, IndirectPartnerId: optStr(resellerID),
	}}
	resp, err := call(ctx, c, s, "ListIndirectPartners", (*bss.BssClient).ListIndirectPartners, req)
	if err != nil {
		return ResellerList{}, err
	}
	return ResellerList{Resellers: convert(resp.IndirectPartners, resellerFrom), Total: i32(resp.Count)}, nil
}
