package sandbox

import (
	"net/http"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// Resellers: ListIndirectPartners (tier-1 only, limit ≤ 100) lists the
// tier-1's tier-2 resellers with their account manager, filtered by account
// name, reseller id and association time.

func (s *Sandbox) registerResellersRoutes() {
	s.handle(http.MethodPost, "/v2/partners/indirect-partners/query", "ListIndirectPartners", callerTier1, s.listIndirectPartners)
}

func (s *Sandbox) listIndirectPartners(c *call) (any, error) {
	var req model.QueryIndirectPartnersReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	off, lim, err := page(req.Offset, req.Limit, 10, 100)
	if err != nil {
		return nil, err
	}
	begin, end, err := parseTimeRange("associated_on", req.AssociatedOnBegin, req.AssociatedOnEnd)
	if err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	var list []*Partner
	for _, p := range st.partners {
		if p.ParentID != c.who.Partner.ID {
			continue
		}
		if req.AccountName != nil && *req.AccountName != "" && !strContainsFold(p.AccountName, *req.AccountName) {
			continue
		}
		if req.IndirectPartnerId != nil && *req.IndirectPartnerId != "" && p.ID != *req.IndirectPartnerId {
			continue
		}
		if !timeIn(p.AssociatedOn, begin, end) {
			continue
		}
		list = append(list, p)
	}
	out := pageOf(list, off, lim, func(p *Partner) model.IndirectPartnerInfo {
		return model.IndirectPartnerInfo{
			IndirectPartnerId: ptr(p.ID), MobilePhone: ptr(p.Mobile), Email: ptr(p.Email),
			AccountName: ptr(p.AccountName), Name: ptr(p.Name), AssociatedOn: ptr(fmtTime(p.AssociatedOn)),
			AccountManagerId: ptr(p.ManagerID), AccountManagerName: ptr(p.ManagerName),
		}
	})
	return model.ListIndirectPartnersResponse{Count: ptr(int32(len(list))), IndirectPartners: &out}, nil
}
