package resolvers

// Customer registration: identity checks, Huawei's registration SMS
// code, customer creation and real-name authentication.
//
// Registration is idempotent on the partner's own customer key
// (xaccountId): the idempotency store (Safety.Idem, or a per-process memory
// store when none is set) is keyed by (partner scope, xaccountId) and
// remembers the created customer; a retry after a lost answer meets the
// upstream's duplicate-xaccount error (CBC.99000039) and is reconciled by
// finding the existing customer in the partner's list.
//
// Pending association: the upstream answers CreateSubCustomer before the
// new customer is associated with the partner, and lists it only a few
// seconds later. The gateway remembers the customers it created for at most
// 10 minutes (pending.DefaultTTL) in the pending store, Safety.Pending: Redis
// when configured, so every gateway instance agrees. While the upstream does
// not list them yet, it shows them with associationStatus PENDING: in
// createCustomer's payload, node(id), viewer.customer, and at the end of the
// first page of the customers lists (carrying that page's end cursor, so
// paging is not disturbed). Every list read re-checks a pending customer
// upstream (one call each, only while some are pending in the scope), so it
// turns ASSOCIATED as soon as the upstream lists it. The kind and time of
// real-name submissions, which the upstream's review result lacks, are kept
// in the same store.

import (
	"context"
	"regexp"
	"strings"
	"time"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/identity"
	"partnergraph/pending"
	// commerce.go has a func pending
)

// reconcilePages bounds the scan for an existing xaccountId (pages of 100).
const reconcilePages = 20

// pendingScope is the scope a pending customer was created in.
func pendingScope(p pending.Customer) gateway.Scope {
	return gateway.Scope{Account: p.Account, Indirect: p.Indirect}
}

// pendingModel is the model of a customer the upstream does not list yet.
func pendingModel(p pending.Customer) *model.Customer {
	c := customerModel(pendingScope(p), gateway.Customer{
		ID: p.ID, AccountName: p.AccountName, AssociationType: gateway.AssociationResale, VerifiedStatus: gateway.RealNameUnverified, Telephone: p.Mobile,
	}, nil)
	c.Pending = true
	return c
}

type submission struct {
	kind model.RealNameAuthKind
	at   time.Time
}

// The pending overlay is best effort: the upstream stays the source of
// truth, so a store error never fails a read or a registration that
// succeeded upstream; it only hides the PENDING customer (or a
// submission's kind and time) until the store answers again.

// addPending remembers p until p.Created + the store's TTL (10 minutes).
func (r *Resolver) addPending(ctx context.Context, p pending.Customer) {
	_ = r.pending.Add(context.WithoutCancel(ctx), p)
}

// settle forgets customers of s that the upstream lists now.
func (r *Resolver) settle(ctx context.Context, s gateway.Scope, ids ...string) {
	_ = r.pending.Settle(context.WithoutCancel(ctx), s.Account, s.Indirect, ids...)
}

func (r *Resolver) submitted(ctx context.Context, id string, kind model.RealNameAuthKind) submission {
	sub := submission{kind: kind, at: r.now().UTC()}
	_ = r.pending.Submit(context.WithoutCancel(ctx), id, pending.Submission{Kind: string(kind), At: sub.at})
	return sub
}

func (r *Resolver) submissionOf(ctx context.Context, id string) (submission, bool) {
	got, ok, err := r.pending.Submission(ctx, id)
	if err != nil || !ok {
		return submission{}, false
	}
	return submission{kind: model.RealNameAuthKind(got.Kind), at: got.At.UTC()}, true
}

// pendingCustomer is fetchCustomer's fallback: the customer createCustomer
// made in scope s that the upstream does not list yet, or NOT_FOUND.
func (r *Resolver) pendingCustomer(ctx context.Context, s gateway.Scope, id string) (*model.Customer, error) {
	ps, err := r.pending.List(ctx, s.Account, s.Indirect, id)
	if err != nil {
		return nil, internal(err)
	}
	if len(ps) > 0 {
		m := pendingModel(ps[0])
		r.readCustomerFields(ctx, s, []*model.Customer{m})
		return m, nil
	}
	return nil, apierr.NotFound("customer")
}

// withPendingEdges adds the scope's pending customers to the first page of
// an unfiltered customers list (at its end, carrying the page's end cursor),
// after checking upstream that each is still not listed.
func (r *Resolver) withPendingEdges(ctx context.Context, s gateway.Scope, q gateway.CustomerQuery, conn *model.CustomerConnection) *model.CustomerConnection {
	if q.Offset != 0 || q.Name != "" || q.Label != "" || q.AssociatedFrom != "" || q.AssociatedTo != "" ||
		(q.AssociationType != "" && q.AssociationType != gateway.AssociationResale) {
		return conn
	}
	ps, err := r.pending.List(ctx, s.Account, s.Indirect, q.CustomerID)
	if err != nil || len(ps) == 0 { // best effort (see addPending)
		return conn
	}
	listed := map[string]bool{}
	for _, e := range conn.Edges {
		listed[e.Node.CustomerID] = true
	}
	cur := cursor(0)
	if conn.PageInfo != nil && conn.PageInfo.EndCursor != nil {
		cur = *conn.PageInfo.EndCursor
	}
	for _, p := range ps {
		if listed[p.ID] {
			r.settle(ctx, s, p.ID)
			continue
		}
		l, err := r.upstream.ListCustomers(ctx, s, gateway.CustomerQuery{Window: gateway.Window{Limit: 1}, CustomerID: p.ID})
		if err == nil && len(l.Customers) > 0 && l.Customers[0].ID == p.ID {
			r.settle(ctx, s, p.ID) // associated, on another page
			continue
		}
		conn.Edges = append(conn.Edges, &model.CustomerEdge{Cursor: cur, Node: pendingModel(p)})
		conn.TotalCount++
	}
	return conn
}

// lifecycleScope is where a partner principal registers or authenticates
// customers: its own account or, for a tier-1 passing resellerID, that
// reseller of its own (else NOT_FOUND). Customers are FORBIDDEN.
func (r *Resolver) lifecycleScope(ctx context.Context, what string, resellerID *string) (gateway.Scope, error) {
	p, err := principal(ctx)
	if err != nil {
		return gateway.Scope{}, err
	}
	rid := ""
	if resellerID != nil {
		rid = strings.TrimSpace(*resellerID)
	}
	switch p.Role {
	case identity.RolePartner:
		home, err := r.homeScope(ctx, p)
		if err != nil || rid == "" {
			return home, err
		}
		if !r.isTier1(p) {
			return gateway.Scope{}, apierr.NotFound("reseller")
		}
		return r.resellerScope(ctx, rid, home.Account)
	case identity.RoleReseller:
		home, err := r.homeScope(ctx, p)
		if err != nil {
			return home, err
		}
		if rid != "" && rid != p.PartnerID {
			return gateway.Scope{}, apierr.NotFound("reseller")
		}
		return home, nil
	}
	return gateway.Scope{}, forbidden(what)
}

// partnerSide admits authenticated partners and resellers: who may call
// is decided before the input is examined (UNAUTHENTICATED and FORBIDDEN
// come before BAD_USER_INPUT).
func partnerSide(ctx context.Context, what string) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if p.Role != identity.RolePartner && p.Role != identity.RoleReseller {
		return forbidden(what)
	}
	return nil
}

func maskMobile(m string) string {
	if len(m) != 11 {
		return "***"
	}
	return m[:3] + "****" + m[7:]
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

var identityKinds = map[model.CustomerIdentityKind]gateway.IdentityKind{
	model.CustomerIdentityKindLoginName: gateway.IdentityLoginName,
	model.CustomerIdentityKindMobile:    gateway.IdentityMobile,
	model.CustomerIdentityKindEmail:     gateway.IdentityEmail,
}

// xaccountType is the partner-platform id for scope s: given, else learnt
// from the scope's (then the signing partner's) customers.
func (r *Resolver) xaccountType(ctx context.Context, s gateway.Scope, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	for _, sc := range []gateway.Scope{s, {Account: s.Account}} {
		if v, ok := r.xaccountTypes.Load(sc); ok {
			return v.(string), nil
		}
		t, err := r.upstream.PartnerXAccountType(ctx, sc)
		if err != nil {
			return "", err
		}
		if t != "" {
			r.xaccountTypes.Store(sc, t)
			return t, nil
		}
		if sc.Indirect == "" {
			break
		}
	}
	return "", badInput("xaccountType is required: the gateway could not learn your partner platform id from your customers")
}

// existing answers a registration whose xaccountId the upstream already
// holds: the same customer when the arguments agree.
func (r *Resolver) existing(ctx context.Context, s gateway.Scope, n gateway.NewCustomer, a gateway.CustomerAccount, done func(pending.Customer), release func()) (*model.CreateCustomerPayload, error) {
	if n.LoginName != "" && !strings.EqualFold(a.AccountName, n.LoginName) {
		release()
		return nil, apierr.Errorf(apierr.CodeIdempotencyConflict, "xaccountId %q already belongs to customer %s with another login name", n.XAccountID, a.AccountName)
	}
	done(pending.Customer{Account: s.Account, Indirect: s.Indirect, ID: a.ID, AccountName: a.AccountName, Created: r.now().UTC()})
	r.rememberXAccount(s, n.XAccountID, a.ID)
	return &model.CreateCustomerPayload{Customer: r.customerOf(ctx, s, a.Customer), Created: false}, nil
}

// registered answers a replayed registration: the customer as the
// upstream lists it now, else still pending.
func (r *Resolver) registered(ctx context.Context, p pending.Customer, created bool) (*model.CreateCustomerPayload, error) {
	s := pendingScope(p)
	l, err := r.upstream.ListCustomers(ctx, s, gateway.CustomerQuery{Window: gateway.Window{Limit: 1}, CustomerID: p.ID})
	if err != nil {
		return nil, err
	}
	for _, c := range l.Customers {
		if c.ID == p.ID {
			r.settle(ctx, s, p.ID)
			return &model.CreateCustomerPayload{Customer: r.customerOf(ctx, s, c), Created: created}, nil
		}
	}
	r.addPending(ctx, p) // no-op once the store's TTL has passed
	m := pendingModel(p)
	r.readCustomerFields(ctx, s, []*model.Customer{m})
	return &model.CreateCustomerPayload{Customer: m, Created: created}, nil
}

// realNameTarget resolves the customer a real-name submission is for.
func (r *Resolver) realNameTarget(ctx context.Context, what, customerID string, resellerID *string) (gateway.Scope, gateway.CustomerAccount, error) {
	s, err := r.lifecycleScope(ctx, what, resellerID)
	if err != nil {
		return s, gateway.CustomerAccount{}, err
	}
	customerID = strings.TrimSpace(customerID)
	if customerID == "" {
		return s, gateway.CustomerAccount{}, badInput("customerId is required")
	}
	a, err := r.upstream.CustomerAccountByID(ctx, s, customerID)
	if apierr.ErrorCode(err) == apierr.CodeNotFound {
		if ps, _ := r.pending.List(ctx, s.Account, s.Indirect, customerID); len(ps) > 0 {
			return s, a, badInput("the customer's association with you is still pending; retry in a few seconds")
		}
	}
	if err == nil {
		r.settle(ctx, s, customerID)
	}
	return s, a, err
}

var documentTypes = map[model.IdentityDocumentType]int32{
	model.IdentityDocumentTypePassport: 3, model.IdentityDocumentTypeHkMacaoPermit: 5, model.IdentityDocumentTypeTaiwanPermit: 6,
	model.IdentityDocumentTypeHkMacaoResidencePermit: 9, model.IdentityDocumentTypeTaiwanResidencePermit: 10,
}

var certificateTypes = map[model.EnterpriseCertificateType]int32{
	model.EnterpriseCertificateTypeBusinessLicense: 0, model.EnterpriseCertificateTypePublicInstitution: 1,
	model.EnterpriseCertificateTypeSocialOrganization: 2, model.EnterpriseCertificateTypeAdministrativeEnforcement: 3,
	model.EnterpriseCertificateTypeOrganizationCode: 4, model.EnterpriseCertificateTypeOther: 99,
}

var attachmentExts = []string{".jpg", ".jpeg", ".bmp", ".png", ".gif", ".pdf"}

func checkAttachments(files []string) ([]string, error) {
	if len(files) == 0 || len(files) > 10 {
		return nil, badInput("attachments must hold 1-10 file references")
	}
	out := make([]string, len(files))
	for i, f := range files {
		f = strings.TrimSpace(f)
		l := strings.ToLower(f)
		ok := false
		for _, e := range attachmentExts {
			ok = ok || strings.HasSuffix(l, e)
		}
		if !ok || strings.Contains(f, "://") {
			return nil, badInput("attachments[%d] must be a relative object key of a jpg, jpeg, bmp, png, gif or pdf file", i)
		}
		out[i] = f
	}
	return out, nil
}

func (r *Resolver) submitEnterpriseRealNameAuth(ctx context.Context, customerID string, resellerID *string, in model.EnterpriseRealNameAuthInput, change bool) (*model.RealNameAuthPayload, error) {
	what, kind := "submitEnterpriseRealNameAuth", model.RealNameAuthKindEnterprise
	if change {
		what, kind = "changeEnterpriseRealNameAuth", model.RealNameAuthKindEnterpriseChange
	}
	if err := partnerSide(ctx, what); err != nil {
		return nil, err
	}
	e := gateway.EnterpriseRealName{
		CompanyName: strings.TrimSpace(in.CompanyName), Number: strings.TrimSpace(in.CertificateNumber),
		RegCountry: trimmed(in.RegistrationCountry), RegAddress: trimmed(in.RegistrationAddress),
	}
	if in.CertificateType != nil {
		ct, ok := certificateTypes[*in.CertificateType]
		if !ok {
			return nil, badInput("unknown certificateType")
		}
		e.CertificateType = ct
	}
	if e.CompanyName == "" || e.Number == "" {
		return nil, badInput("companyName and certificateNumber are required")
	}
	if lp := in.LegalPerson; lp != nil {
		e.LegalName, e.LegalID = strings.TrimSpace(lp.Name), strings.TrimSpace(lp.IDNumber)
		if e.LegalName == "" || e.LegalID == "" {
			return nil, badInput("legalPerson needs name and idNumber")
		}
	}
	var err error
	if e.Attachments, err = checkAttachments(in.Attachments); err != nil {
		return nil, err
	}
	s, a, err := r.realNameTarget(ctx, what, customerID, resellerID)
	if err != nil {
		return nil, err
	}
	if e.XAccountType, err = r.xaccountType(ctx, s, firstNonEmpty(trimmed(in.XaccountType), a.XAccountType)); err != nil {
		return nil, err
	}
	manual, err := r.upstream.SubmitEnterpriseRealName(ctx, s, a.ID, e, change)
	if err != nil {
		return nil, err
	}
	return r.submittedPayload(ctx, s, a, kind, manual)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func (r *Resolver) submittedPayload(ctx context.Context, s gateway.Scope, a gateway.CustomerAccount, kind model.RealNameAuthKind, manual bool) (*model.RealNameAuthPayload, error) {
	sub := r.submitted(ctx, a.ID, kind)
	c := r.customerOf(ctx, s, a.Customer)
	var rv *model.RealNameReview
	if manual {
		c.RealNameStatus = model.RealNameStatusInReview
		rv = &model.RealNameReview{Status: model.RealNameReviewStatusInReview}
	} else {
		got, err := r.upstream.RealNameReviewResult(ctx, s, a.ID)
		if err != nil {
			return nil, err
		}
		rv = review(got)
	}
	k, at := sub.kind, sub.at.Format(time.RFC3339)
	rv.Kind, rv.SubmittedAt = &k, &at
	return &model.RealNameAuthPayload{Customer: c, ManualReview: manual, Review: rv}, nil
}

func review(g gateway.RealNameReview) *model.RealNameReview {
	rv := &model.RealNameReview{Status: model.RealNameReviewStatusNotSubmitted}
	if !g.Submitted {
		return rv
	}
	switch g.Result {
	case 1:
		rv.Status, rv.Opinion = model.RealNameReviewStatusRejected, opt(g.Opinion)
	case 2:
		rv.Status = model.RealNameReviewStatusApproved
	default:
		rv.Status = model.RealNameReviewStatusInReview
	}
	return rv
}

// Bank-card authentication and attachment uploads.

var attachmentFileExts = map[model.AttachmentFileType]string{
	model.AttachmentFileTypeJpg: ".jpg", model.AttachmentFileTypeJpeg: ".jpeg", model.AttachmentFileTypeBmp: ".bmp",
	model.AttachmentFileTypePng: ".png", model.AttachmentFileTypeGif: ".gif", model.AttachmentFileTypePDF: ".pdf",
}

var (
	// reBankAccount: letters and digits, may contain -, at most 32 (the
	// upstream's rule).
	reBankAccount = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z-]{0,31}$`)
	// reResidentID: a mainland China resident id number.
	reResidentID = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)
	reSMSCode    = regexp.MustCompile(`^[0-9]{4,8}$`)
)

// bankCard checks a bank-card authentication before any call.
func bankCard(in model.BankCardRealNameAuthInput) (gateway.PersonalRealName, error) {
	p := gateway.PersonalRealName{
		BankCard: true, Name: strings.TrimSpace(in.Name), Number: strings.ToUpper(strings.TrimSpace(in.IDNumber)),
		BankAccount: strings.TrimSpace(in.BankAccount), BankAreaCode: "0086", BankMobile: gateway.NormalizeMobile(in.Mobile),
		BankCode: strings.TrimSpace(in.VerificationCode),
	}
	switch {
	case p.Name == "" || len(p.Name) > 200:
		return p, badInput("name is required")
	case !reResidentID.MatchString(p.Number):
		return p, badInput("idNumber must be an 18-character mainland China resident id number")
	case !reBankAccount.MatchString(p.BankAccount):
		return p, badInput("bankAccount must be letters, digits and -, at most 32")
	case p.BankMobile == "":
		return p, badInput("mobile is not a mainland China mobile number")
	case !reSMSCode.MatchString(p.BankCode):
		return p, badInput("verificationCode must be the digits sendBankCardCode had sent")
	}
	if err := validText("name", &p.Name); err != nil {
		return p, err
	}
	files, err := checkAttachments([]string{in.FacePhoto})
	if err != nil {
		return p, badInput("facePhoto must be an attachment reference of a jpg, jpeg, bmp, png or gif file")
	}
	if strings.HasSuffix(strings.ToLower(files[0]), ".pdf") {
		return p, badInput("facePhoto must be an image, not a pdf")
	}
	p.Attachments = files
	return p, nil
}

// checkUploaded reads the attachment ref in the bucket the submission will
// read it from and refuses one that is missing, larger than the upstream
// takes, or not an image when image is set. Without a bucket configured
// the upstream's own check is all there is.
func (r *Resolver) checkUploaded(ctx context.Context, s gateway.Scope, field, ref string, image bool) error {
	if !r.upstream.HasBucket(s) {
		return nil
	}
	a, err := r.upstream.AttachmentInfo(ctx, s, ref)
	switch {
	case apierr.ErrorCode(err) == apierr.CodeNotFound:
		return badInput("%s: nothing was uploaded under this reference (see createRealNameUploadUrl)", field)
	case err != nil:
		return err
	case a.Size > gateway.MaxAttachmentSize:
		return badInput("%s: the file is larger than %d bytes", field, gateway.MaxAttachmentSize)
	case image && !strings.HasPrefix(a.ContentType, "image/"):
		return badInput("%s: the file is not an image", field)
	}
	return nil
}
