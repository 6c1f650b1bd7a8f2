package sandbox

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// Customers: ListSubCustomers (limit ≤ 100) and ListSubCustomerNewTag (≤ 200
// ids, limit ≤ 200) list a partner's own customers, or with
// indirect_partner_id (tier-1 only) one of its resellers' customers.
// Customers whose association is still pending (CreateSubCustomer) are not
// listed; another partner's customer id is simply absent.
//
// Identity: every row carries xaccount_id (the partner's own user id for the
// customer, as given to CreateSubCustomer or seeded as <PARTNER>-<seq>),
// xaccount_type (the partner platform id) and customer_type (-1 none, 0
// individual, 1 enterprise; set by an approved real-name review).
// QuerySubCustomerListReq has no xaccount_id filter (its filters are
// account_name, customer, label, association_type, associated_on_begin/end,
// customer_id and indirect_partner_id), so there is no server-side look-up
// by the partner's user id: a gateway keeps the domain_id CreateSubCustomer
// answered for each xaccount_id, or pages the whole list (limit 100, offset
// += 100 until offset ≥ count) and matches xaccount_id itself.

func (s *Sandbox) registerCustomersRoutes() {
	s.handle(http.MethodPost, "/v2/partners/sub-customers/query", "ListSubCustomers", callerPartner, s.listSubCustomers)
	s.handle(http.MethodPost, "/v2/partners/sub-customers/new-customers-tags/batch-query", "ListSubCustomerNewTag", callerPartner, s.listSubCustomerNewTag)
}

func strContainsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func customerInfo(cu *Customer) model.CustomerInformation {
	managers := make([]model.AccountManager, 0, len(cu.ManagerNames))
	for _, m := range cu.ManagerNames {
		managers = append(managers, model.AccountManager{AccountName: ptr(m)})
	}
	return model.CustomerInformation{
		Customer: ptr(cu.Name), AccountName: cu.AccountName, CustomerId: cu.ID,
		AssociatedOn: ptr(fmtTime(cu.AssociatedOn)), AssociationType: ptr(cu.AssociationType),
		VerifiedStatus: ptr(strconv.Itoa(int(cu.VerifiedStatus))), CountryCode: ptr(cu.CountryCode),
		CustomerType: ptr(cu.CustomerType), IsFrozen: ptr(cu.IsFrozen), AccountManagers: &managers,
		XaccountId: ptr(cu.XAccountID), XaccountType: ptr(cu.XAccountType), CustomerLevel: ptr(cu.Level),
		Label: strOpt(cu.Label), Telephone: strOpt(cu.Telephone), Email: strOpt(cu.Email),
	}
}

func (s *Sandbox) listSubCustomers(c *call) (any, error) {
	var req model.QuerySubCustomerListReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	off, lim, err := page(req.Offset, req.Limit, 10, 100)
	if err != nil {
		return nil, err
	}
	if off > 40_000_000 {
		return nil, badParam("offset must be at most 40000000")
	}
	if req.AssociationType != nil && *req.AssociationType != "" && *req.AssociationType != "1" && *req.AssociationType != "2" {
		return nil, badParam("association_type must be 1 or 2")
	}
	begin, end, err := parseTimeRange("associated_on", req.AssociatedOnBegin, req.AssociatedOnEnd)
	if err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	st.settleReviews() // verified_status reflects completed real-name reviews
	defer st.mu.Unlock()
	ownerID, err := st.visibleOwner(c.who.Partner, req.IndirectPartnerId)
	if err != nil {
		return nil, err
	}
	all := st.customersByPartner[ownerID]
	fAcct, fCust, fLabel, fAssoc, fID := valueOf(req.AccountName), valueOf(req.Customer), valueOf(req.Label), valueOf(req.AssociationType), valueOf(req.CustomerId)
	filtered := all
	if fAcct != "" || fCust != "" || fLabel != "" || fAssoc != "" || fID != "" || !begin.IsZero() || !end.IsZero() {
		filtered = nil
		for _, cu := range all {
			if (fAcct != "" && !strContainsFold(cu.AccountName, fAcct)) || (fCust != "" && !strContainsFold(cu.Name, fCust)) ||
				(fLabel != "" && cu.Label != fLabel) || (fAssoc != "" && cu.AssociationType != fAssoc) ||
				(fID != "" && cu.ID != fID) || !timeIn(cu.AssociatedOn, begin, end) {
				continue
			}
			filtered = append(filtered, cu)
		}
	}
	infos := pageOf(filtered, off, lim, customerInfo)
	return model.ListSubCustomersResponse{CustomerInfos: &infos, Count: ptr(int32(len(filtered)))}, nil
}

func (s *Sandbox) listSubCustomerNewTag(c *call) (any, error) {
	var req model.ListSubCustomerNewTagReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	off, lim, err := page(req.Offset, req.Limit, 10, 200)
	if err != nil {
		return nil, err
	}
	ids := valueOf(req.CustomerIds)
	if len(ids) > 200 {
		return nil, badParam("customer_ids may hold at most 200 ids")
	}
	return s.withOwner(c, req.IndirectPartnerId, func(st *State, ownerID string) (any, error) {
		var list []*Customer
		if len(ids) == 0 {
			list = st.customersByPartner[ownerID]
		} else {
			list = make([]*Customer, 0, len(ids))
			for _, id := range ids {
				if cu := st.customerByID[id]; cu != nil && cu.PartnerID == ownerID {
					list = append(list, cu)
				}
			}
		}
		tags := pageOf(list, off, lim, func(cu *Customer) model.NewCustomerTagItem {
			return model.NewCustomerTagItem{
				CustomerId: ptr(cu.ID), CustomerTagType: ptr("SMB"), NewCustomerTag: ptr(cu.NewTag),
				EffectiveTime: ptr(cu.TagEffective), ExpireTime: ptr(cu.TagExpire),
			}
		})
		return model.ListSubCustomerNewTagResponse{NewCustomerTags: &tags}, nil
	})
}
