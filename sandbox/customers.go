package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// Customers and resellers: CheckUserIdentity, SendVerificationMessageCode,
// CreateSubCustomer, ListSubCustomers, ListSubCustomerNewTag,
// ListIndirectPartners.
//
// CreateSubCustomer associates asynchronously, as upstream does: the new
// customer is pending for associationDelay (3 s by the sandbox clock) and
// until then is invisible to every operation (not listed, not fundable, no
// assume_role); its login name, mobile and xaccount_id are reserved at once.
// With include_association_result=true the association completes before the
// call returns. A tier-1 calling without indirect_partner_id gets 400
// CBC.50010059 (tier-1 distributors may not associate customers directly;
// the seeded direct customers of the tier-1 are legacy associations).
//
// Mobile capacity: a mobile registers one account here (a second one is
// CBC.99000029), except the sandbox's "full" mobiles — numbers ending in
// 9999 — which stand for a mobile already holding the most accounts the
// upstream allows: CheckUserIdentity reports them used with
// mobile_remain_available_num 0 and CreateSubCustomer answers CBC.99000030.

const (
	associationDelay = 3 * time.Second
	smsMaxFailures   = 3
)

// mobileFull reports the sandbox's "full" mobiles (see above).
func mobileFull(mobile string) bool { return strings.HasSuffix(mobile, "9999") }

var (
	reMobile     = regexp.MustCompile(`^0086-1\d{10}$`)
	reDomainName = regexp.MustCompile(`^[A-Za-z0-9_-]{5,32}$`)
	reAllDigits  = regexp.MustCompile(`^\d+$`)
)

// normMobile accepts "0086-1xxxxxxxxxx", "+86 1xxxxxxxxxx" and bare
// 11-digit numbers and returns the upstream's "0086-" form.
func normMobile(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(v, "+86"):
		v = "0086-" + strings.TrimSpace(strings.TrimPrefix(v, "+86"))
	case len(v) == 11 && reAllDigits.MatchString(v):
		v = "0086-" + v
	}
	return v
}

func (s *Sandbox) registerCustomerRoutes() {
	s.handle(http.MethodPost, "/v2/partners/sub-customers/users/check-identity", "CheckUserIdentity", callerPartner, s.checkUserIdentity)
	s.handle(http.MethodPost, "/v2/bases/verificationcode/send", "SendVerificationMessageCode", callerPartner, s.sendVerificationCode)
	s.handle(http.MethodPost, "/v2/partners/sub-customers", "CreateSubCustomer", callerPartner, s.createSubCustomer)
	s.handle(http.MethodPost, "/v2/partners/sub-customers/query", "ListSubCustomers", callerPartner, s.listSubCustomers)
	s.handle(http.MethodPost, "/v2/partners/sub-customers/new-customers-tags/batch-query", "ListSubCustomerNewTag", callerPartner, s.listSubCustomerNewTag)
	s.handle(http.MethodPost, "/v2/partners/indirect-partners/query", "ListIndirectPartners", callerTier1, s.listIndirectPartners)
}

// settlePending completes the associations whose time has come.
func (st *State) settlePending() {
	if st.pendingN.Load() == 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.settlePendingLocked()
}

func (st *State) settlePendingLocked() {
	now := st.now()
	keep := st.pending[:0]
	for _, c := range st.pending {
		if now.Before(c.AssociateAt) {
			keep = append(keep, c)
			continue
		}
		c.Pending = false
		c.AssociatedOn = c.AssociateAt
		st.addCustomer(c)
	}
	for i := len(keep); i < len(st.pending); i++ {
		st.pending[i] = nil
	}
	st.pending = keep
	st.pendingN.Store(int32(len(keep)))
}

func (s *Sandbox) checkUserIdentity(c *call) (any, error) {
	var req model.CheckSubcustomerUserReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	v := strings.TrimSpace(req.SearchValue)
	if v == "" {
		return nil, badParam("search_value is required")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	used := false
	switch req.SearchType {
	case "name":
		used = st.customerByName[v] != nil || st.partnerByName[v] != nil
	case "mobile":
		used = st.mobiles[normMobile(v)] || mobileFull(normMobile(v))
	case "email":
		for _, cu := range st.customers {
			if strings.EqualFold(cu.Email, v) {
				used = true
				break
			}
		}
		for _, cu := range st.pending {
			if strings.EqualFold(cu.Email, v) {
				used = true
			}
		}
	default:
		return nil, badParam("search_type must be email, mobile or name")
	}
	resp := model.CheckUserIdentityResponse{CheckResult: ptr("available")}
	if used {
		resp.CheckResult = ptr("used_by_user")
	}
	if req.SearchType == "mobile" {
		n := int32(1)
		if used {
			n = 0
		}
		resp.MobileRemainAvailableNum = &n
	}
	return resp, nil
}

func (s *Sandbox) sendVerificationCode(c *call) (any, error) {
	var req model.SendVerificationCodeV2Req
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.ReceiverType != 1 {
		return nil, badParam("receiver_type must be 1 (SMS)")
	}
	mobile := normMobile(req.MobilePhone)
	if !reMobile.MatchString(mobile) {
		return nil, errf(http.StatusBadRequest, "CBC.5017", "the mobile number is invalid")
	}
	timeout := int32(10)
	if req.Timeout != nil {
		timeout = *req.Timeout
	}
	if timeout < 1 || timeout > 60 {
		return nil, badParam("timeout must be between 1 and 60 minutes")
	}
	scene := int32(29)
	if req.Scene != nil {
		scene = *req.Scene
	}
	if scene != 29 && scene != 18 {
		return nil, badParam("scene must be 29 or 18")
	}
	if scene == 18 && (req.CustomerId == nil || *req.CustomerId == "") {
		return nil, badParam("customer_id is required for scene 18")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	st.sms = append(st.sms, &SMSCode{
		Mobile: mobile, Code: fmt.Sprintf("%06d", st.rng.Intn(1_000_000)), Scene: scene,
		SentAt: now, Expires: now.Add(time.Duration(timeout) * time.Minute),
	})
	return noContent{}, nil
}

// checkSMSCode verifies a registration code for mobile. Callers hold st.mu.
func (st *State) checkSMSCode(mobile, code string) error {
	var last *SMSCode
	for i := len(st.sms) - 1; i >= 0; i-- {
		if m := st.sms[i]; m.Mobile == mobile && m.Scene == 29 {
			last = m
			break
		}
	}
	if last == nil || last.Used {
		return errf(http.StatusBadRequest, "CBC.99004010", "the verification code is incorrect")
	}
	if last.Failures >= smsMaxFailures {
		return errf(http.StatusBadRequest, "CBC.99004009", "the verification code failed more than 3 times; request a new one")
	}
	if !st.now().Before(last.Expires) {
		return errf(http.StatusBadRequest, "CBC.99004008", "the verification code has expired")
	}
	if code != last.Code {
		last.Failures++
		return errf(http.StatusBadRequest, "CBC.99004010", "the verification code is incorrect")
	}
	last.Used = true
	return nil
}

func (s *Sandbox) createSubCustomer(c *call) (any, error) {
	var req model.CreateCustomerV2Req
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	p := c.who.Partner
	if strings.TrimSpace(req.XaccountId) == "" || len(req.XaccountId) > 128 {
		return nil, badParam("xaccount_id is required (at most 128 characters)")
	}
	if req.XaccountType == "" {
		return nil, badParam("xaccount_type is required")
	}
	if req.Password != nil && (len(*req.Password) < 8 || len(*req.Password) > 32) {
		return nil, errf(http.StatusBadRequest, "CBC.99000036", "the password does not meet the requirements")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if p.Kind == KindTier1 && (req.IndirectPartnerId == nil || *req.IndirectPartnerId == "") {
		return nil, errf(http.StatusBadRequest, "CBC.50010059", "a tier-1 distributor cannot associate customers directly; pass indirect_partner_id")
	}
	ownerID, err := st.visibleOwner(p, req.IndirectPartnerId)
	if err != nil {
		return nil, err
	}
	owner := st.partnerByID[ownerID]
	if req.XaccountType != p.XAccountType && req.XaccountType != owner.XAccountType {
		return nil, badParam("xaccount_type %q is not your partner platform id", req.XaccountType)
	}
	xkey := req.XaccountType + "/" + req.XaccountId
	if st.xaccounts[xkey] {
		return nil, errf(http.StatusBadRequest, "CBC.99000039", "the xaccount_id is already associated")
	}
	name := ""
	if req.DomainName != nil && *req.DomainName != "" {
		name = *req.DomainName
		low := strings.ToLower(name)
		if !reDomainName.MatchString(name) || reAllDigits.MatchString(name) ||
			strings.HasPrefix(low, "op_") || strings.HasPrefix(low, "shadow_") {
			return nil, errf(http.StatusBadRequest, "CBC.99000031", "the account name is invalid")
		}
		if st.customerByName[name] != nil || st.partnerByName[name] != nil {
			return nil, errf(http.StatusBadRequest, "CBC.99000038", "the account name already exists")
		}
	} else {
		for name == "" || st.customerByName[name] != nil {
			name = "hw" + randHex(st.rng, 15)
		}
	}
	mobile := ""
	if req.MobilePhone != nil && *req.MobilePhone != "" {
		mobile = normMobile(*req.MobilePhone)
		if !reMobile.MatchString(mobile) {
			return nil, errf(http.StatusBadRequest, "CBC.5017", "the mobile number is invalid")
		}
		if mobileFull(mobile) {
			return nil, errf(http.StatusBadRequest, "CBC.99000030", "the mobile number cannot be associated with more accounts")
		}
		if st.mobiles[mobile] {
			return nil, errf(http.StatusBadRequest, "CBC.99000029", "the mobile number is already used")
		}
		code := ""
		if req.VerificationCode != nil {
			code = *req.VerificationCode
		}
		if err := st.checkSMSCode(mobile, code); err != nil {
			return nil, err
		}
	}
	now := st.now()
	assoc := "2"
	if req.CooperationType != nil && *req.CooperationType == "1" {
		assoc = "1"
	}
	cu := &Customer{
		ID: st.hex32(), AccountName: name, Name: name, PartnerID: owner.ID, AssociationType: assoc,
		Telephone: mobile, VerifiedStatus: -1, CountryCode: "CN", CustomerType: -1, Level: "V0",
		XAccountID: req.XaccountId, XAccountType: req.XaccountType, ManagerNames: []string{owner.ManagerName},
		NewTag: "Y", TagEffective: now.Format("2006-01"), TagExpire: now.AddDate(1, 0, 0).Format("2006-01"),
		Pending: true, AssociateAt: now.Add(associationDelay), BalanceAccountID: "BA" + randHexUpper(st.rng, 9),
	}
	st.customerByName[name] = cu
	st.xaccounts[xkey] = true
	if mobile != "" {
		st.mobiles[mobile] = true
	}
	if req.IncludeAssociationResult != nil && *req.IncludeAssociationResult {
		cu.AssociateAt = now
	}
	st.pending = append(st.pending, cu)
	st.pendingN.Store(int32(len(st.pending)))
	st.settlePendingLocked()
	return model.CreateSubCustomerResponse{DomainId: ptr(cu.ID), DomainName: ptr(cu.AccountName)}, nil
}

// parseUTC parses an optional yyyy-MM-dd'T'HH:mm:ss'Z' filter.
func parseUTCParam(name string, v *string) (time.Time, error) { return parseTimeParam(name, v) }

func timeIn(t, begin, end time.Time) bool {
	if !begin.IsZero() && t.Before(begin) {
		return false
	}
	if !end.IsZero() && t.After(end) {
		return false
	}
	return true
}

func strContainsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func customerInfo(cu *Customer) model.CustomerInformation {
	managers := make([]model.AccountManager, 0, len(cu.ManagerNames))
	for _, m := range cu.ManagerNames {
		managers = append(managers, model.AccountManager{AccountName: ptr(m)})
	}
	info := model.CustomerInformation{
		Customer: ptr(cu.Name), AccountName: cu.AccountName, CustomerId: cu.ID,
		AssociatedOn: ptr(fmtTime(cu.AssociatedOn)), AssociationType: ptr(cu.AssociationType),
		VerifiedStatus: ptr(strconv.Itoa(int(cu.VerifiedStatus))), CountryCode: ptr(cu.CountryCode),
		CustomerType: ptr(cu.CustomerType), IsFrozen: ptr(cu.IsFrozen), AccountManagers: &managers,
		XaccountId: ptr(cu.XAccountID), XaccountType: ptr(cu.XAccountType), CustomerLevel: ptr(cu.Level),
	}
	if cu.Label != "" {
		info.Label = ptr(cu.Label)
	}
	if cu.Telephone != "" {
		info.Telephone = ptr(cu.Telephone)
	}
	if cu.Email != "" {
		info.Email = ptr(cu.Email)
	}
	return info
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
	begin, err := parseUTCParam("associated_on_begin", req.AssociatedOnBegin)
	if err != nil {
		return nil, err
	}
	end, err := parseUTCParam("associated_on_end", req.AssociatedOnEnd)
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
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	fAcct, fCust, fLabel, fAssoc, fID := str(req.AccountName), str(req.Customer), str(req.Label), str(req.AssociationType), str(req.CustomerId)
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
	lo, hi := window(len(filtered), off, lim)
	infos := make([]model.CustomerInformation, 0, hi-lo)
	for _, cu := range filtered[lo:hi] {
		infos = append(infos, customerInfo(cu))
	}
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
	var ids []string
	if req.CustomerIds != nil {
		ids = *req.CustomerIds
	}
	if len(ids) > 200 {
		return nil, badParam("customer_ids may hold at most 200 ids")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	ownerID, err := st.visibleOwner(c.who.Partner, req.IndirectPartnerId)
	if err != nil {
		return nil, err
	}
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
	lo, hi := window(len(list), off, lim)
	tags := make([]model.NewCustomerTagItem, 0, hi-lo)
	for _, cu := range list[lo:hi] {
		tags = append(tags, model.NewCustomerTagItem{
			CustomerId: ptr(cu.ID), CustomerTagType: ptr("SMB"), NewCustomerTag: ptr(cu.NewTag),
			EffectiveTime: ptr(cu.TagEffective), ExpireTime: ptr(cu.TagExpire),
		})
	}
	return model.ListSubCustomerNewTagResponse{NewCustomerTags: &tags}, nil
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
	begin, err := parseUTCParam("associated_on_begin", req.AssociatedOnBegin)
	if err != nil {
		return nil, err
	}
	end, err := parseUTCParam("associated_on_end", req.AssociatedOnEnd)
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
	lo, hi := window(len(list), off, lim)
	out := make([]model.IndirectPartnerInfo, 0, hi-lo)
	for _, p := range list[lo:hi] {
		out = append(out, model.IndirectPartnerInfo{
			IndirectPartnerId: ptr(p.ID), MobilePhone: ptr(p.Mobile), Email: ptr(p.Email),
			AccountName: ptr(p.AccountName), Name: ptr(p.Name), AssociatedOn: ptr(fmtTime(p.AssociatedOn)),
			AccountManagerId: ptr(p.ManagerID), AccountManagerName: ptr(p.ManagerName),
		})
	}
	return model.ListIndirectPartnersResponse{Count: ptr(int32(len(list))), IndirectPartners: &out}, nil
}
