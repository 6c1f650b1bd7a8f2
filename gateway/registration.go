package gateway

// Registration: checking a login name, mobile or e-mail, sending Huawei's
// registration SMS code, creating a customer bound to the partner
// (optionally for a tier-2 reseller), finding it once the upstream lists
// it, real-name authentication and its review.
//
// The upstream's registration and real-name rules answer 400 with a CBC
// code; registrationError turns the ones a client can act on into
// BAD_USER_INPUT with a stable message, keeping the upstream code and
// request id (extensions.upstreamCode / requestId).

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"partnergraph/apierr"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// Upstream codes of the registration rules.
const (
	UpCodeLoginNameTaken   = "CBC.99000038"
	UpCodeMobileTaken      = "CBC.99000029"
	UpCodeMobileFull       = "CBC.99000030"
	UpCodeBadLoginName     = "CBC.99000031"
	UpCodeBadMobile        = "CBC.5017"
	UpCodeBadPassword      = "CBC.99000036"
	UpCodeReported         = "CBC.99000051"
	UpCodeCodeExpired      = "CBC.99004008"
	UpCodeCodeLocked       = "CBC.99004009"
	UpCodeCodeWrong        = "CBC.99004010"
	UpCodeTier1NeedsResell = "CBC.50010059"
	UpCodeDuplicateXAcct   = "CBC.99000039"
	UpCodeAssocTimeout     = "CBC.99000050"
)

// registrationMessages are the client-safe messages of the rule codes that
// become BAD_USER_INPUT.
var registrationMessages = map[string]string{
	UpCodeLoginNameTaken:   "the login name is already taken",
	UpCodeMobileTaken:      "the mobile number is already taken",
	UpCodeMobileFull:       "the mobile number cannot hold more customer accounts",
	UpCodeBadLoginName:     "the login name is invalid: 5-32 letters, digits, _ or -, not only digits, not starting with op_ or shadow_",
	UpCodeBadMobile:        "the mobile number is invalid",
	UpCodeBadPassword:      "the password does not meet the upstream's rules (8-32 characters, two kinds of characters, not the login name or mobile)",
	UpCodeReported:         "the mobile number or e-mail address cannot be used for registration",
	UpCodeCodeExpired:      "the SMS verification code has expired; send a new one",
	UpCodeCodeLocked:       "the SMS verification code was entered wrongly more than three times; send a new one",
	UpCodeCodeWrong:        "the SMS verification code is wrong",
	UpCodeTier1NeedsResell: "a tier-1 distributor cannot register customers directly: pass resellerId",
}

// registrationError re-codes the registration and real-name rule errors of
// err as BAD_USER_INPUT (upstream code and request id kept). The
// upstream's generic parameter errors (CBC.0100, CBC.0101) on these
// operations are about the submitted data too; their upstream message is
// passed on.
func registrationError(err error) error {
	var e *apierr.Error
	if !errors.As(err, &e) || e.UpstreamCode == "" {
		return err
	}
	if msg, ok := registrationMessages[e.UpstreamCode]; ok {
		c := *e
		c.Code, c.Message = apierr.CodeBadUserInput, msg
		return &c
	}
	if e.Code == apierr.CodeUpstreamError && (e.UpstreamCode == "CBC.0100" || e.UpstreamCode == "CBC.0101") {
		c := *e
		c.Code, c.Message = apierr.CodeBadUserInput, "the upstream refused the input"
		if m := upstreamMessage(e.Err); m != "" {
			c.Message += ": " + m
		}
		return &c
	}
	return err
}

// upstreamMessage is the upstream's own error message (bounded), for
// parameter errors whose text tells the client what to fix.
func upstreamMessage(err error) string {
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		return ""
	}
	m := strings.TrimSpace(se.ErrorMessage)
	if len(m) > 200 {
		m = m[:200]
	}
	return m
}

// IdentityKind is what CheckCustomerIdentity checks.
type IdentityKind string

// The identity kinds, as the upstream's search_type.
const (
	IdentityLoginName IdentityKind = "name"
	IdentityMobile    IdentityKind = "mobile"
	IdentityEmail     IdentityKind = "email"
)

// IdentityCheck says whether a login name, mobile or e-mail can register.
type IdentityCheck struct {
	Available bool
	// MobileRemaining is how many more accounts the mobile may hold
	// (mobile checks only).
	MobileRemaining *int
}

var reChinaMobile = regexp.MustCompile(`^1\d{10}$`)

// NormalizeMobile accepts a mainland China mobile as 13812345678,
// +86 13812345678, +86-138..., 0086-13812345678 or 86 13812345678 and
// returns its 11 digits, or "" when it is not one.
func NormalizeMobile(v string) string {
	v = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(strings.TrimSpace(v))
	for _, p := range []string{"+86", "0086"} {
		if strings.HasPrefix(v, p) {
			v = strings.TrimPrefix(v, p)
			break
		}
	}
	if len(v) == 13 && strings.HasPrefix(v, "86") {
		v = v[2:]
	}
	if !reChinaMobile.MatchString(v) {
		return ""
	}
	return v
}

// CheckCustomerIdentity asks whether a login name, mobile (11 digits, see
// NormalizeMobile) or e-mail is free (CheckUserIdentity).
func (c *Client) CheckCustomerIdentity(ctx context.Context, s Scope, kind IdentityKind, value string) (IdentityCheck, error) {
	if kind == IdentityMobile {
		value = "0086-" + value
	}
	req := &model.CheckUserIdentityRequest{Body: &model.CheckSubcustomerUserReq{SearchType: string(kind), SearchValue: value}}
	resp, err := call(ctx, c, s, "CheckUserIdentity", (*bss.BssClient).CheckUserIdentity, req)
	if err != nil {
		return IdentityCheck{}, registrationError(err)
	}
	out := IdentityCheck{Available: str(resp.CheckResult) == "available", MobileRemaining: optInt(resp.MobileRemainAvailableNum)}
	if kind == IdentityMobile && out.MobileRemaining != nil && *out.MobileRemaining <= 0 {
		out.Available = false
	}
	return out, nil
}

// RegistrationCodeTTL is how long a registration code stays valid, in
// minutes (the upstream's default).
const RegistrationCodeTTL = 10

// SendRegistrationCode sends Huawei's registration SMS code (scene 29) to
// mobile (11 digits) (SendVerificationMessageCode).
func (c *Client) SendRegistrationCode(ctx context.Context, s Scope, mobile string) error {
	req := &model.SendVerificationMessageCodeRequest{Body: &model.SendVerificationCodeV2Req{
		ReceiverType: 1, MobilePhone: mobile, Timeout: ptr(int32(RegistrationCodeTTL)), Scene: ptr(int32(29)),
	}}
	_, err := call(ctx, c, s, "SendVerificationMessageCode", (*bss.BssClient).SendVerificationMessageCode, req)
	return registrationError(err)
}

// SendBankCardCode has Huawei send the SMS code of a bank-card real-name
// authentication (scene 18) for customer id to mobile (11 digits), the
// mobile the card is registered with (SendVerificationMessageCode, signed
// like the submission: RealNameScope).
func (c *Client) SendBankCardCode(ctx context.Context, s Scope, customerID, mobile string) error {
	req := &model.SendVerificationMessageCodeRequest{Body: &model.SendVerificationCodeV2Req{
		ReceiverType: 1, MobilePhone: mobile, Timeout: ptr(int32(RegistrationCodeTTL)), Scene: ptr(int32(18)), CustomerId: &customerID,
	}}
	_, err := call(ctx, c, c.RealNameScope(s), "SendVerificationMessageCode", (*bss.BssClient).SendVerificationMessageCode, req)
	return registrationError(err)
}

// NewCustomer is what CreateCustomer registers. Mobile is 11 digits or
// empty; VerificationCode is required with a mobile.
type NewCustomer struct {
	XAccountID, XAccountType   string
	LoginName, Mobile          string
	VerificationCode, Password string
}

// CreatedCustomer is the upstream's answer: the new account, whose
// association with the partner may still be pending.
type CreatedCustomer struct {
	ID, AccountName string
}

// CreateCustomer creates a customer account bound to the scope's partner
// (s.Indirect: the tier-1 creates it for that reseller) (CreateSubCustomer).
// The upstream associates asynchronously: the customer may not be listed
// for a few seconds. A duplicate xaccount id is UPSTREAM_ERROR
// CBC.99000039 (see FindCustomerByXAccount).
func (c *Client) CreateCustomer(ctx context.Context, s Scope, n NewCustomer) (CreatedCustomer, error) {
	body := &model.CreateCustomerV2Req{
		XaccountId: n.XAccountID, XaccountType: n.XAccountType,
		DomainName: optStr(n.LoginName), MobilePhone: optStr(n.Mobile), VerificationCode: optStr(n.VerificationCode),
		Password: optStr(n.Password), IndirectPartnerId: optStr(s.Indirect),
	}
	resp, err := call(ctx, c, s, "CreateSubCustomer", (*bss.BssClient).CreateSubCustomer, &model.CreateSubCustomerRequest{Body: body})
	if err != nil {
		return CreatedCustomer{}, registrationError(err)
	}
	if str(resp.DomainId) == "" {
		return CreatedCustomer{}, &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream did not return the new customer's id", Op: "CreateSubCustomer"}
	}
	return CreatedCustomer{ID: str(resp.DomainId), AccountName: str(resp.DomainName)}, nil
}

// CustomerAccount is a customer as registration reads it (the
// partner-platform identifiers are Customer's XAccountID and XAccountType).
type CustomerAccount struct {
	Customer
}

func customerAccountFrom(ci model.CustomerInformation) CustomerAccount {
	return CustomerAccount{Customer: customerFrom(ci)}
}

// listAccounts lists the scope's customers that body asks for
// (ListSubCustomers) with their xaccount identifiers, and the total.
func (c *Client) listAccounts(ctx context.Context, s Scope, body *model.QuerySubCustomerListReq) ([]CustomerAccount, int, error) {
	body.IndirectPartnerId = optStr(s.Indirect)
	resp, err := call(ctx, c, s, "ListSubCustomers", (*bss.BssClient).ListSubCustomers, &model.ListSubCustomersRequest{Body: body})
	if err != nil {
		return nil, 0, err
	}
	return convert(resp.CustomerInfos, customerAccountFrom), i32(resp.Count), nil
}

// CustomerAccountByID reads one customer of the scope with its xaccount
// identifiers; NOT_FOUND when it is not listed (not the scope's, or its
// association is still pending).
func (c *Client) CustomerAccountByID(ctx context.Context, s Scope, id string) (CustomerAccount, error) {
	l, _, err := c.listAccounts(ctx, s, &model.QuerySubCustomerListReq{CustomerId: ptr(id), Offset: ptr(int32(0)), Limit: ptr(int32(1))})
	if err != nil {
		return CustomerAccount{}, err
	}
	for _, a := range l {
		if a.ID == id {
			return a, nil
		}
	}
	return CustomerAccount{}, apierr.NotFound("customer")
}

// FindCustomerByXAccount looks for the scope's customer registered with
// xaccountID (and xaccountType when set): by login name when known (one
// call), else scanning at most maxPages pages of 100. NOT_FOUND when it is
// not listed (yet).
func (c *Client) FindCustomerByXAccount(ctx context.Context, s Scope, xaccountType, xaccountID, loginName string, maxPages int) (CustomerAccount, error) {
	match := func(l []CustomerAccount) (CustomerAccount, bool) {
		for _, a := range l {
			if a.XAccountID == xaccountID && (xaccountType == "" || a.XAccountType == "" || a.XAccountType == xaccountType) {
				return a, true
			}
		}
		return CustomerAccount{}, false
	}
	if loginName != "" {
		l, _, err := c.listAccounts(ctx, s, &model.QuerySubCustomerListReq{AccountName: ptr(loginName), Offset: ptr(int32(0)), Limit: ptr(int32(MaxPageSize))})
		if err != nil {
			return CustomerAccount{}, err
		}
		if a, ok := match(l); ok {
			return a, nil
		}
	}
	for p := 0; p < maxPages; p++ {
		l, total, err := c.listAccounts(ctx, s, &model.QuerySubCustomerListReq{Offset: ptr(int32(p * MaxPageSize)), Limit: ptr(int32(MaxPageSize))})
		if err != nil {
			return CustomerAccount{}, err
		}
		if a, ok := match(l); ok {
			return a, nil
		}
		if (p+1)*MaxPageSize >= total || len(l) == 0 {
			break
		}
	}
	return CustomerAccount{}, apierr.NotFound("customer")
}

// PartnerXAccountType learns the scope's partner-platform id (xaccount_type)
// from its customers (the first one that carries it); "" when none does.
func (c *Client) PartnerXAccountType(ctx context.Context, s Scope) (string, error) {
	l, _, err := c.listAccounts(ctx, s, &model.QuerySubCustomerListReq{Offset: ptr(int32(0)), Limit: ptr(int32(10))})
	if err != nil {
		return "", err
	}
	for _, a := range l {
		if a.XAccountType != "" {
			return a.XAccountType, nil
		}
	}
	return "", nil
}

// RealNameScope is the scope real-name calls for a customer of s use: the
// real-name APIs take no indirect_partner_id, so a reseller's customer is
// addressed with the reseller's own keys when the gateway holds them (else
// the tier-1's, which the upstream refuses: NOT_FOUND).
func (c *Client) RealNameScope(s Scope) Scope {
	if s.Indirect != "" && c.HasKeys(s.Indirect) {
		return Scope{Account: s.Indirect}
	}
	return Scope{Account: s.Account}
}

// PersonalRealName is a personal real-name authentication.
type PersonalRealName struct {
	BankCard     bool  // identify_type 4 (bank card) instead of 0 (id document)
	DocumentType int32 // verified_type (id document only): 3, 5, 6, 9, 10
	Name, Number string
	Attachments  []string
	XAccountType string
	// bank card only
	BankAccount, BankMobile, BankAreaCode, BankCode string
}

// SubmitPersonalRealName submits a personal authentication for customer id
// (CreatePersonalRealnameAuth); it reports whether a manual review follows.
func (c *Client) SubmitPersonalRealName(ctx context.Context, s Scope, id string, p PersonalRealName) (bool, error) {
	body := &model.ApplyIndividualRealnameAuthsReq{
		CustomerId: id, Name: p.Name, VerifiedNumber: p.Number, VerifiedFileUrl: p.Attachments,
		ChangeType: ptr(int32(-1)), XaccountType: p.XAccountType,
	}
	if p.BankCard {
		body.IdentifyType = 4
		body.BankCardInfo = &model.BankCardInfoV2{BankAccount: p.BankAccount, Areacode: p.BankAreaCode, Mobile: p.BankMobile, VerificationCode: p.BankCode}
	} else {
		body.VerifiedType = ptr(p.DocumentType)
	}
	resp, err := call(ctx, c, c.RealNameScope(s), "CreatePersonalRealnameAuth", (*bss.BssClient).CreatePersonalRealnameAuth, &model.CreatePersonalRealnameAuthRequest{Body: body})
	if err != nil {
		return false, registrationError(err)
	}
	return i32(resp.IsReview) == 1, nil
}

// EnterpriseRealName is an enterprise real-name authentication.
type EnterpriseRealName struct {
	CertificateType        int32 // 0 business licence, 1-4, 99 other
	CompanyName, Number    string
	LegalName, LegalID     string // optional legal person
	Attachments            []string
	RegCountry, RegAddress string
	XAccountType           string
}

// SubmitEnterpriseRealName submits an enterprise authentication
// (CreateEnterpriseRealnameAuthentication) or, with change, turns a
// verified individual into an enterprise
// (ChangeEnterpriseRealnameAuthentication); it reports whether a manual
// review follows.
func (c *Client) SubmitEnterpriseRealName(ctx context.Context, s Scope, id string, e EnterpriseRealName, change bool) (bool, error) {
	var person *model.EnterprisePersonNew
	if e.LegalName != "" || e.LegalID != "" {
		person = &model.EnterprisePersonNew{LegelName: e.LegalName, LegelIdNumber: e.LegalID, CertifierRole: ptr("legalPerson")}
	}
	rs := c.RealNameScope(s)
	var (
		review *int32
		err    error
	)
	if change {
		body := &model.ChangeEnterpriseRealnameAuthsReq{
			CustomerId: id, IdentifyType: 1, CertificateType: ptr(e.CertificateType), VerifiedFileUrl: e.Attachments,
			CorpName: e.CompanyName, VerifiedNumber: e.Number, RegCountry: optStr(e.RegCountry), RegAddress: optStr(e.RegAddress),
			ChangeType: 1, XaccountType: e.XAccountType, EnterprisePerson: person,
		}
		var resp *model.ChangeEnterpriseRealnameAuthenticationResponse
		resp, err = call(ctx, c, rs, "ChangeEnterpriseRealnameAuthentication", (*bss.BssClient).ChangeEnterpriseRealnameAuthentication, &model.ChangeEnterpriseRealnameAuthenticationRequest{Body: body})
		if err == nil {
			review = resp.IsReview
		}
	} else {
		body := &model.ApplyEnterpriseRealnameAuthsReq{
			CustomerId: id, IdentifyType: 1, CertificateType: ptr(e.CertificateType), VerifiedFileUrl: e.Attachments,
			CorpName: e.CompanyName, VerifiedNumber: e.Number, RegCountry: optStr(e.RegCountry), RegAddress: optStr(e.RegAddress),
			XaccountType: e.XAccountType, EnterprisePerson: person,
		}
		var resp *model.CreateEnterpriseRealnameAuthenticationResponse
		resp, err = call(ctx, c, rs, "CreateEnterpriseRealnameAuthentication", (*bss.BssClient).CreateEnterpriseRealnameAuthentication, &model.CreateEnterpriseRealnameAuthenticationRequest{Body: body})
		if err == nil {
			review = resp.IsReview
		}
	}
	if err != nil {
		return false, registrationError(err)
	}
	return i32(review) == 1, nil
}

// RealNameReview is the state of a customer's real-name review.
type RealNameReview struct {
	Submitted bool   // false: nothing was ever submitted
	Result    int    // 0 in review, 1 rejected, 2 approved
	Opinion   string // the reviewer's opinion on a rejection
}

// RealNameReviewResult reads the customer's review
// (ShowRealnameAuthenticationReviewResult).
func (c *Client) RealNameReviewResult(ctx context.Context, s Scope, id string) (RealNameReview, error) {
	resp, err := call(ctx, c, c.RealNameScope(s), "ShowRealnameAuthenticationReviewResult", (*bss.BssClient).ShowRealnameAuthenticationReviewResult, &model.ShowRealnameAuthenticationReviewResultRequest{CustomerId: id})
	if err != nil {
		return RealNameReview{}, err
	}
	if resp.ReviewResult == nil {
		return RealNameReview{}, nil
	}
	return RealNameReview{Submitted: true, Result: int(*resp.ReviewResult), Opinion: str(resp.Opinion)}, nil
}
