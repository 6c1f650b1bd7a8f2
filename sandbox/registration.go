package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// Registration: a partner checks that an account name, mobile or e-mail is
// free (CheckUserIdentity), has a registration code sent by SMS
// (SendVerificationMessageCode), creates a customer associated with itself
// (CreateSubCustomer) and has it real-name authenticated
// (CreatePersonalRealnameAuth, CreateEnterpriseRealnameAuthentication,
// ChangeEnterpriseRealnameAuthentication,
// ShowRealnameAuthenticationReviewResult).
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
//
// Real-name authentication: a partner submits a personal or enterprise
// authentication (or an individual → enterprise change) for one of its own
// customers (another partner's customer → 400 CBC.99000035). Every
// submission goes to manual review (is_review 1): the customer's
// verified_status is 0 (in review) until Options.ReviewDelay has passed on
// the sandbox clock, then 2 (verified) or 1 (rejected).
//
// The review outcome is decided at submission by these deterministic rules;
// a submission is rejected, with the opinion shown by
// ShowRealnameAuthenticationReviewResult, when:
//
//   - the person's or company's name contains "reject" or "test"
//     (case-insensitive) — 提交的名称与证件不一致;
//   - an 18-character resident id number (verified_type 9 or 10, and the
//     legal person's legel_id_number) fails the GB 11643 check digit
//     (ISO 7064 MOD 11-2) — 证件号码校验失败;
//   - an enterprise business licence number (certificate_type 0) of 18
//     characters fails the GB 32100 unified social credit code check —
//     统一社会信用代码校验失败.
//
// Everything else is approved; an approved enterprise (or change) makes the
// customer an enterprise customer (customer_type 1), a personal one an
// individual (0). Malformed requests (missing fields, wrong enums, files
// that are not jpg/jpeg/bmp/png/gif/pdf) are 400 CBC.0100, as is a
// submission while a review is in progress or for a customer that is
// already verified (a change needs a verified individual).
//
// Attachments: verified_file_url entries are object keys relative to
// download/ in the calling partner's OBS bucket (obs.go); one that was never
// uploaded (nor seeded as a sample document) → 400 CBC.0100.
//
// Bank-card authentication (identify_type 4, individuals with a mainland
// resident id): bank_card_info carries bank_account (letters, digits and
// "-", at most 32), areacode (0086) and the card's reserved mobile, and
// verification_code, the code SendVerificationMessageCode sent to that mobile
// for this customer with scene 18 (customer_id required there; another
// partner's customer → CBC.99000035); verified_number is the 18-character
// resident id and verified_file_url exactly one face photo (an image, not a
// pdf). A wrong code → CBC.99004010, an expired one → CBC.99004008, after 3
// failures → CBC.99004009; the code is used only by a submission that passes
// every other check.

func (s *Sandbox) registerRegistrationRoutes() {
	s.handle(http.MethodPost, "/v2/partners/sub-customers/users/check-identity", "CheckUserIdentity", callerPartner, s.checkUserIdentity)
	s.handle(http.MethodPost, "/v2/bases/verificationcode/send", "SendVerificationMessageCode", callerPartner, s.sendVerificationCode)
	s.handle(http.MethodPost, "/v2/partners/sub-customers", "CreateSubCustomer", callerPartner, s.createSubCustomer)
	s.handle(http.MethodPost, "/v2/customers/realname-auths/individual", "CreatePersonalRealnameAuth", callerPartner, s.createPersonalRealnameAuth)
	s.handle(http.MethodPost, "/v2/customers/realname-auths/enterprise", "CreateEnterpriseRealnameAuthentication", callerPartner, s.createEnterpriseRealnameAuthentication)
	s.handle(http.MethodPut, "/v2/customers/realname-auths/enterprise", "ChangeEnterpriseRealnameAuthentication", callerPartner, s.changeEnterpriseRealnameAuthentication)
	s.handle(http.MethodGet, "/v2/customers/realname-auths/result", "ShowRealnameAuthenticationReviewResult", callerPartner, s.showRealnameAuthenticationReviewResult)
}

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
	// reBankAccount: "^[0-9a-zA-Z], may contain -" (the SDK), at most 32.
	reBankAccount = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z-]{0,31}$`)
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

// SMSCode is a verification code "sent" by SendVerificationMessageCode.
type SMSCode struct {
	Mobile     string    `json:"mobile"`
	Code       string    `json:"code"`
	Scene      int32     `json:"scene"`
	CustomerID string    `json:"customer_id,omitempty"` // scene 18: the customer authenticating
	SentAt     time.Time `json:"sent_at"`
	Expires    time.Time `json:"expires_at"`
	Failures   int       `json:"failures"`
	Used       bool      `json:"used"`
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
	customerID := ""
	if scene == 18 {
		cu, err := st.realnameCustomer(c.who.Partner, *req.CustomerId)
		if err != nil {
			return nil, err
		}
		customerID = cu.ID
	}
	now := st.now()
	st.sms = append(st.sms, &SMSCode{
		Mobile: mobile, Code: fmt.Sprintf("%06d", st.rng.Intn(1_000_000)), Scene: scene, CustomerID: customerID,
		SentAt: now, Expires: now.Add(time.Duration(timeout) * time.Minute),
	})
	return noContent{}, nil
}

// checkSMSCode verifies a registration code for mobile. Callers hold st.mu.
func (st *State) checkSMSCode(mobile, code string) error {
	return st.checkSceneCode(mobile, 29, "", code)
}

// checkSceneCode verifies the last code sent to mobile for scene (and, for
// scene 18, for customerID) and uses it up. Callers hold st.mu.
func (st *State) checkSceneCode(mobile string, scene int32, customerID, code string) error {
	var last *SMSCode
	for i := len(st.sms) - 1; i >= 0; i-- {
		if m := st.sms[i]; m.Mobile == mobile && m.Scene == scene && m.CustomerID == customerID {
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

// RealnameReview is a customer's submitted real-name authentication.
type RealnameReview struct {
	CustomerID   string
	Kind         string // "personal" | "enterprise" | "change" (individual → enterprise)
	Name         string // person or company name
	Number       string // id / certificate number
	Submitted    time.Time
	CompletesAt  time.Time
	Approve      bool   // decided by rules on the submitted data
	Opinion      string // review opinion when rejected
	Done         bool   // the outcome has been applied to the customer
	CustomerType int32  // customer type once approved: 0 individual, 1 enterprise
	IdentifyType int32  // 0 id document, 1 enterprise, 4 bank card
	Files        []string
	BankAccount  string // bank-card authentication: the card
}

var personalVerifiedTypes = map[int32]bool{3: true, 5: true, 6: true, 9: true, 10: true}
var enterpriseCertTypes = map[int32]bool{0: true, 1: true, 2: true, 3: true, 4: true, 99: true}

// settleReviews applies every review whose delay has passed to its
// customer's verified status. Callers hold st.mu. ListSubCustomers calls it
// before reading Customer.VerifiedStatus.
func (st *State) settleReviews() {
	if len(st.reviews) == 0 {
		return
	}
	now := st.now()
	for _, rv := range st.reviews {
		if rv.Done || now.Before(rv.CompletesAt) {
			continue
		}
		rv.Done = true
		c := st.customerByID[rv.CustomerID]
		if c == nil {
			continue
		}
		if rv.Approve {
			c.VerifiedStatus = 2
			c.CustomerType = rv.CustomerType
			if rv.Name != "" {
				c.Name = rv.Name
			}
		} else if rv.Kind == "change" {
			c.VerifiedStatus = 2 // still a verified individual
		} else {
			c.VerifiedStatus = 1
		}
	}
}

// realnameCustomer resolves the partner's own customer for a submission.
func (st *State) realnameCustomer(p *Partner, id string) (*Customer, error) {
	if id == "" {
		return nil, badParam("customer_id is required")
	}
	c := st.customerByID[id]
	if c == nil || c.PartnerID != p.ID {
		return nil, errf(http.StatusBadRequest, "CBC.99000035", "the customer is not your sub-customer")
	}
	return c, nil
}

func checkFiles(urls []string, min int) error {
	if len(urls) < min {
		return badParam("verified_file_url needs at least %d files", min)
	}
	for _, u := range urls {
		l := strings.ToLower(u)
		ok := false
		for _, ext := range []string{".jpg", ".jpeg", ".bmp", ".png", ".gif", ".pdf"} {
			ok = ok || strings.HasSuffix(l, ext)
		}
		if !ok {
			return badParam("verified_file_url %q must be a jpg, jpeg, bmp, png, gif or pdf file", u)
		}
	}
	return nil
}

func nameRejected(name string) bool {
	l := strings.ToLower(name)
	return strings.Contains(l, "reject") || strings.Contains(l, "test")
}

// validResidentID checks an 18-character Chinese resident id number: 17
// digits and the ISO 7064 MOD 11-2 check character (0-9 or X).
func validResidentID(id string) bool {
	if len(id) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		d := id[i]
		if d < '0' || d > '9' {
			return false
		}
		sum += int(d-'0') * weights[i]
	}
	return id[17] == "10X98765432"[sum%11] || (id[17] == 'x' && sum%11 == 2)
}

// validCreditCode checks an 18-character unified social credit code (GB
// 32100-2015): base-31 characters and a MOD 31 check character.
func validCreditCode(code string) bool {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	code = strings.ToUpper(code)
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(chars, code[i])
		if v < 0 {
			return false
		}
		sum += v * weights[i]
	}
	chk := (31 - sum%31) % 31
	return code[17] == chars[chk]
}

func allDigitsOrSymbols(s string) bool {
	for _, r := range s {
		if r > 127 || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// submitRealname puts the partner's customer customerID in review with
// submission rv (kind, name, number, files and the decided outcome), once
// checkSubmittable allows it, every file is in the partner's bucket and
// last (when set) passes.
func (s *Sandbox) submitRealname(p *Partner, customerID string, rv RealnameReview, last func(st *State, cu *Customer) error) error {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu, err := st.realnameCustomer(p, customerID)
	if err != nil {
		return err
	}
	if err := st.checkSubmittable(cu, rv.Kind == "change"); err != nil {
		return err
	}
	if err := st.realnameFilesExist(p, rv.Files); err != nil {
		return err
	}
	if last != nil {
		if err := last(st, cu); err != nil {
			return err
		}
	}
	now := st.now()
	rv.CustomerID, rv.Submitted, rv.CompletesAt = cu.ID, now, now.Add(st.opts.ReviewDelay)
	st.reviews[cu.ID] = &rv
	cu.VerifiedStatus = 0
	return nil
}

// checkSubmittable refuses a submission while a review is in progress or
// once the customer is verified (unless change is set: an individual →
// enterprise change needs a verified individual).
func (st *State) checkSubmittable(c *Customer, change bool) error {
	st.settleReviews()
	if rv := st.reviews[c.ID]; rv != nil && !rv.Done {
		return badParam("a real-name authentication of this customer is under review")
	}
	if change {
		if c.VerifiedStatus != 2 || c.CustomerType != 0 {
			return badParam("only a verified individual customer can change to an enterprise authentication")
		}
		return nil
	}
	if c.VerifiedStatus == 2 {
		return badParam("the customer has already completed real-name authentication")
	}
	return nil
}

// CreatePersonalRealnameAuth: POST /v2/customers/realname-auths/individual
// (partner). identify_type 0 (id document: verified_type 3/5/6/9/10 and 3
// files) or 4 (bank card: bank_card_info and 1 face photo).
func (s *Sandbox) createPersonalRealnameAuth(c *call) (any, error) {
	var req model.ApplyIndividualRealnameAuthsReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Name) == "" || req.VerifiedNumber == "" || req.XaccountType == "" {
		return nil, badParam("name, verified_number and xaccount_type are required")
	}
	if req.ChangeType != nil && *req.ChangeType != -1 {
		return nil, badParam("change_type must be -1")
	}
	approve, opinion, bankMobile := true, "", ""
	switch req.IdentifyType {
	case 0:
		if req.VerifiedType == nil || !personalVerifiedTypes[*req.VerifiedType] {
			return nil, badParam("verified_type must be 3, 5, 6, 9 or 10")
		}
		if err := checkFiles(req.VerifiedFileUrl, 3); err != nil {
			return nil, err
		}
		if (*req.VerifiedType == 9 || *req.VerifiedType == 10) && !validResidentID(req.VerifiedNumber) {
			approve, opinion = false, "证件号码校验失败"
		}
	case 4:
		bc := req.BankCardInfo
		if bc == nil || !reBankAccount.MatchString(bc.BankAccount) {
			return nil, badParam("bank_card_info.bank_account is required: letters, digits and -, at most 32")
		}
		if bc.Areacode == "" || !reAllDigits.MatchString(bc.Areacode) || bc.Mobile == "" || bc.VerificationCode == "" {
			return nil, badParam("bank_card_info needs areacode, mobile and verification_code")
		}
		bankMobile = normMobile(bc.Areacode + "-" + bc.Mobile)
		if !reMobile.MatchString(bankMobile) {
			return nil, errf(http.StatusBadRequest, "CBC.5017", "the mobile number is invalid")
		}
		if len(req.VerifiedFileUrl) != 1 {
			return nil, badParam("bank card authentication takes exactly one face photo in verified_file_url")
		}
		if err := checkFiles(req.VerifiedFileUrl, 1); err != nil {
			return nil, err
		}
		if strings.HasSuffix(strings.ToLower(req.VerifiedFileUrl[0]), ".pdf") {
			return nil, badParam("the face photo must be an image")
		}
		if len(req.VerifiedNumber) != 18 {
			return nil, badParam("bank card authentication needs an 18-character resident id number")
		}
		if !validResidentID(req.VerifiedNumber) {
			approve, opinion = false, "证件号码校验失败"
		}
	default:
		return nil, badParam("identify_type must be 0 or 4")
	}
	if nameRejected(req.Name) {
		approve, opinion = false, "提交的名称与证件不一致"
	}
	rv := RealnameReview{
		Kind: "personal", Name: req.Name, Number: req.VerifiedNumber, Approve: approve, Opinion: opinion, CustomerType: 0,
		IdentifyType: req.IdentifyType, Files: req.VerifiedFileUrl,
	}
	var last func(st *State, cu *Customer) error
	if req.IdentifyType == 4 {
		rv.BankAccount = req.BankCardInfo.BankAccount
		last = func(st *State, cu *Customer) error {
			return st.checkSceneCode(bankMobile, 18, cu.ID, req.BankCardInfo.VerificationCode)
		}
	}
	if err := s.submitRealname(c.who.Partner, req.CustomerId, rv, last); err != nil {
		return nil, err
	}
	return &model.CreatePersonalRealnameAuthResponse{IsReview: ptr(int32(1))}, nil
}

// enterpriseOutcome validates and judges an enterprise submission.
func enterpriseOutcome(identify int32, certType *int32, files []string, corp, number, xType string, person *model.EnterprisePersonNew) (bool, string, error) {
	if identify != 1 {
		return false, "", badParam("identify_type must be 1")
	}
	if certType != nil && !enterpriseCertTypes[*certType] {
		return false, "", badParam("certificate_type must be 0-4 or 99")
	}
	if strings.TrimSpace(corp) == "" || allDigitsOrSymbols(corp) {
		return false, "", badParam("corp_name must not be empty or only digits, symbols and spaces")
	}
	if number == "" || xType == "" {
		return false, "", badParam("verified_number and xaccount_type are required")
	}
	min := 1
	if person != nil {
		if person.LegelName == "" || person.LegelIdNumber == "" {
			return false, "", badParam("enterprise_person needs legel_name and legel_id_number")
		}
		if person.CertifierRole != nil && *person.CertifierRole != "legalPerson" {
			return false, "", badParam("certifier_role must be legalPerson")
		}
		min = 3
	}
	if err := checkFiles(files, min); err != nil {
		return false, "", err
	}
	switch {
	case nameRejected(corp):
		return false, "提交的名称与证件不一致", nil
	case (certType == nil || *certType == 0) && len(number) == 18 && !validCreditCode(number):
		return false, "统一社会信用代码校验失败", nil
	case person != nil && !validResidentID(person.LegelIdNumber):
		return false, "证件号码校验失败", nil
	case person != nil && nameRejected(person.LegelName):
		return false, "提交的名称与证件不一致", nil
	}
	return true, "", nil
}

// CreateEnterpriseRealnameAuthentication: POST /v2/customers/realname-auths/enterprise
// (partner).
func (s *Sandbox) createEnterpriseRealnameAuthentication(c *call) (any, error) {
	var req model.ApplyEnterpriseRealnameAuthsReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	approve, opinion, err := enterpriseOutcome(req.IdentifyType, req.CertificateType, req.VerifiedFileUrl, req.CorpName, req.VerifiedNumber, req.XaccountType, req.EnterprisePerson)
	if err != nil {
		return nil, err
	}
	if err := s.submitRealname(c.who.Partner, req.CustomerId, RealnameReview{
		Kind: "enterprise", Name: req.CorpName, Number: req.VerifiedNumber, Approve: approve, Opinion: opinion, CustomerType: 1,
		IdentifyType: 1, Files: req.VerifiedFileUrl,
	}, nil); err != nil {
		return nil, err
	}
	return &model.CreateEnterpriseRealnameAuthenticationResponse{IsReview: ptr(int32(1))}, nil
}

// ChangeEnterpriseRealnameAuthentication: PUT /v2/customers/realname-auths/enterprise
// (partner): change_type 1, a verified individual becomes an enterprise.
// While the change is reviewed the customer reads as in review (0); a
// rejected change leaves it a verified individual (2), the review result
// reporting the rejection.
func (s *Sandbox) changeEnterpriseRealnameAuthentication(c *call) (any, error) {
	var req model.ChangeEnterpriseRealnameAuthsReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.ChangeType != 1 {
		return nil, badParam("change_type must be 1")
	}
	approve, opinion, err := enterpriseOutcome(req.IdentifyType, req.CertificateType, req.VerifiedFileUrl, req.CorpName, req.VerifiedNumber, req.XaccountType, req.EnterprisePerson)
	if err != nil {
		return nil, err
	}
	if err := s.submitRealname(c.who.Partner, req.CustomerId, RealnameReview{
		Kind: "change", Name: req.CorpName, Number: req.VerifiedNumber, Approve: approve, Opinion: opinion, CustomerType: 1,
		IdentifyType: 1, Files: req.VerifiedFileUrl,
	}, nil); err != nil {
		return nil, err
	}
	return &model.ChangeEnterpriseRealnameAuthenticationResponse{IsReview: ptr(int32(1))}, nil
}

// ShowRealnameAuthenticationReviewResult: GET /v2/customers/realname-auths/result
// (partner). review_result 0 in review, 1 rejected (with opinion), 2
// approved; an empty body when nothing was ever submitted.
func (s *Sandbox) showRealnameAuthenticationReviewResult(c *call) (any, error) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu, err := st.realnameCustomer(c.who.Partner, c.q("customer_id"))
	if err != nil {
		return nil, err
	}
	st.settleReviews()
	rv := st.reviews[cu.ID]
	if rv == nil {
		return &model.ShowRealnameAuthenticationReviewResultResponse{}, nil
	}
	resp := &model.ShowRealnameAuthenticationReviewResultResponse{ReviewResult: ptr(int32(0))}
	if rv.Done {
		if rv.Approve {
			resp.ReviewResult = ptr(int32(2))
		} else {
			resp.ReviewResult = ptr(int32(1))
			resp.Opinion = ptr(rv.Opinion)
		}
	}
	return resp, nil
}
