package resolvers_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"partnergraph/graph"
)

// rootFieldCalls is one call per root field of the schema, with arguments
// that can never apply anything: targets that do not exist, no
// verification code, an SMS code that is wrong. What a role gets back
// therefore says only whether it may use the field at all.
var rootFieldCalls = map[string]string{
	"Query.node":                  `{ node(id: "Q3VzdG9tZXI6eDo6eQ") { id } }`,
	"Query.viewer":                `{ viewer { role } }`,
	"Query.customers":             `{ customers(first: 1) { totalCount } }`,
	"Query.resellers":             `{ resellers(first: 1) { totalCount } }`,
	"Query.catalogue":             `{ catalogue { measureUnits { id } } }`,
	"Query.checkCustomerIdentity": `{ checkCustomerIdentity(kind: LOGIN_NAME, value: "nobody_here_1") { available } }`,
	"Query.customerByXAccountId":  `{ customerByXAccountId(xaccountId: "nobody-here-1") { id } }`,
	"Query.priceQuote": `{ priceQuote(input: { projectId: "nope", periodProducts: [{ id: "a", serviceTypeCode: "hws.service.type.ec2",
		resourceTypeCode: "hws.resource.type.vm", resourceSpec: "no.such.spec", region: "cn-north-4", period: { type: MONTH, count: 1 } }] }) {
		period { products { failure { code } } } } }`,

	"Mutation.requestVerificationCode": `mutation { requestVerificationCode(channel: EMAIL, operation: ALLOCATE_CUSTOMER_FUNDS,
		input: { allocateCustomerFunds: { customerId: "` + nobody + `", amount: "1" } }) { id } }`,
	"Mutation.allocateCustomerFunds":  `mutation { allocateCustomerFunds(input: { customerId: "` + nobody + `", amount: "1" }, idempotencyKey: "t-acf") { __typename } }`,
	"Mutation.reclaimCustomerFunds":   `mutation { reclaimCustomerFunds(input: { customerId: "` + nobody + `", amount: "1" }, idempotencyKey: "t-rcf") { __typename } }`,
	"Mutation.allocateResellerFunds":  `mutation { allocateResellerFunds(input: { resellerId: "` + nobody + `", amount: "1" }, idempotencyKey: "t-arf") { __typename } }`,
	"Mutation.reclaimResellerFunds":   `mutation { reclaimResellerFunds(input: { resellerId: "` + nobody + `", amount: "1" }, idempotencyKey: "t-rrf") { __typename } }`,
	"Mutation.issueCouponQuotas":      `mutation { issueCouponQuotas(input: { quotaId: "nope", resellerIds: ["` + nobody + `"], amount: "1" }, idempotencyKey: "t-icq") { __typename } }`,
	"Mutation.reclaimCouponQuotas":    `mutation { reclaimCouponQuotas(input: { quotaIds: ["nope"] }, idempotencyKey: "t-rcq") { __typename } }`,
	"Mutation.issueCoupons":           `mutation { issueCoupons(input: { quotaId: "nope", customerIds: ["` + nobody + `"], faceValue: "1" }, idempotencyKey: "t-ic") { __typename } }`,
	"Mutation.reclaimCoupons":         `mutation { reclaimCoupons(input: { couponIds: ["nope"] }, idempotencyKey: "t-rc") { __typename } }`,
	"Mutation.setVerificationEnabled": `mutation { setVerificationEnabled(input: { enabled: false }) { __typename } }`,
	"Mutation.sendRegistrationCode":   `mutation { sendRegistrationCode(mobile: "123") { __typename } }`,
	"Mutation.createCustomer": `mutation { createCustomer(input: { xaccountId: "t-x1", loginName: "nobody_here_1", mobile: "13800000001",
		verificationCode: "000000" }) { __typename } }`,
	"Mutation.submitPersonalRealNameAuth": `mutation { submitPersonalRealNameAuth(customerId: "` + nobody + `",
		input: { documentType: PASSPORT, name: "x", number: "1", attachments: ["idcard/front.jpg"] }) { __typename } }`,
	"Mutation.submitEnterpriseRealNameAuth": `mutation { submitEnterpriseRealNameAuth(customerId: "` + nobody + `",
		input: { companyName: "x", certificateNumber: "1", attachments: ["idcard/front.jpg"] }) { __typename } }`,
	"Mutation.changeEnterpriseRealNameAuth": `mutation { changeEnterpriseRealNameAuth(customerId: "` + nobody + `",
		input: { companyName: "x", certificateNumber: "1", attachments: ["idcard/front.jpg"] }) { __typename } }`,
	"Mutation.createRealNameUploadUrl": `mutation { createRealNameUploadUrl(customerId: "` + nobody + `", input: { fileType: JPG, size: 1000 }) { url } }`,
	"Mutation.sendBankCardCode":        `mutation { sendBankCardCode(customerId: "` + nobody + `", mobile: "13800000001") { maskedMobile } }`,
	"Mutation.submitBankCardRealNameAuth": `mutation { submitBankCardRealNameAuth(customerId: "` + nobody + `", input: { name: "x",
		idNumber: "11010519491231002X", bankAccount: "6222-0200", mobile: "13800000001", verificationCode: "000000", facePhoto: "face/selfie.jpg" }) { __typename } }`,
	"Mutation.payOrder":                 `mutation { payOrder(input: { customer: { customerId: "` + nobody + `" }, orderId: "CS0000000000NOPE" }, idempotencyKey: "t-po") { __typename } }`,
	"Mutation.cancelOrder":              `mutation { cancelOrder(input: { customer: { customerId: "` + nobody + `" }, orderId: "CS0000000000NOPE" }) { __typename } }`,
	"Mutation.renewResources":           `mutation { renewResources(input: { customer: { customerId: "` + nobody + `" }, resourceIds: ["nope"], period: { type: MONTH, count: 1 } }, idempotencyKey: "t-rr") { __typename } }`,
	"Mutation.createRenewalOrder":       `mutation { createRenewalOrder(input: { customer: { customerId: "` + nobody + `" }, resourceIds: ["nope"], period: { type: MONTH, count: 1 } }) { __typename } }`,
	"Mutation.setAutoRenew":             `mutation { setAutoRenew(input: { customer: { customerId: "` + nobody + `" }, resourceId: "nope", enabled: true }) { __typename } }`,
	"Mutation.unsubscribeResources":     `mutation { unsubscribeResources(input: { customer: { customerId: "` + nobody + `" }, resourceIds: ["nope"] }, idempotencyKey: "t-ur") { __typename } }`,
	"Mutation.switchToOnDemandAtExpiry": `mutation { switchToOnDemandAtExpiry(input: { customer: { customerId: "` + nobody + `" }, resourceIds: ["nope"], enabled: true }) { __typename } }`,
	"Mutation.createTicket": `mutation { createTicket(input: { customer: { customerId: "` + nobody + `" }, productCategoryId: "c", problemTypeId: "p",
		description: "x" }, idempotencyKey: "t-ct") { __typename } }`,
	"Mutation.replyToTicket":  `mutation { replyToTicket(ticketId: "` + nobodysTicket + `", content: "x", idempotencyKey: "t-rt") { __typename } }`,
	"Mutation.markTicketRead": `mutation { markTicketRead(ticketId: "` + nobodysTicket + `", idempotencyKey: "t-mr") { __typename } }`,
	"Mutation.urgeTicket":     `mutation { urgeTicket(ticketId: "` + nobodysTicket + `", idempotencyKey: "t-ut") { __typename } }`,
	"Mutation.cancelTicket":   `mutation { cancelTicket(ticketId: "` + nobodysTicket + `", idempotencyKey: "t-cat") { __typename } }`,
	"Mutation.closeTicket":    `mutation { closeTicket(ticketId: "` + nobodysTicket + `", idempotencyKey: "t-clt") { __typename } }`,
	"Mutation.rateTicket": `mutation { rateTicket(ticketId: "` + nobodysTicket + `", comment: "x", scores: [{ dimensionId: 1, value: 1 }],
		idempotencyKey: "t-rat") { __typename } }`,
	"Mutation.uploadTicketAttachment": `mutation { uploadTicketAttachment(input: { customer: { customerId: "` + nobody + `" }, fileName: "a.txt",
		purpose: NEW_TICKET, contentBase64: "aGk=" }, idempotencyKey: "t-uta") { __typename } }`,
}

const nobody = "00000000000000000000000000000000"

// nobodysTicket is the global ID of a ticket of an account nobody holds.
const nobodysTicket = "VGlja2V0Ong6Ong6VFQx"

// rootFieldAccess is what each role gets from rootFieldCalls: "ok" (data),
// or the extensions.code. The columns are tier1, reseller, provider,
// customer; no token and a bad token get UNAUTHENTICATED everywhere.
// Authorization is decided before input is examined and before a code is
// asked for: FORBIDDEN for a role that may never use the field, NOT_FOUND
// for a target that is not the caller's (never revealing it exists), and
// past that the field's own answer (VERIFICATION_REQUIRED: the role may
// use it, with a code).
var rootFieldAccess = map[string][4]string{
	"Query.node":                  {nf, nf, nf, nf},
	"Query.viewer":                {ok, ok, ok, ok},
	"Query.customers":             {ok, ok, ok, ok},
	"Query.resellers":             {ok, fb, ok, fb}, // a provider has none: an empty list
	"Query.catalogue":             {ok, ok, ok, ok},
	"Query.checkCustomerIdentity": {ok, ok, ok, fb},
	"Query.customerByXAccountId":  {nf, nf, nf, fb},
	"Query.priceQuote":            {ok, ok, ok, ok}, // each quotes in its own project; the product is refused inside the answer

	"Mutation.requestVerificationCode":      {ok, ok, ok, fb},
	"Mutation.allocateCustomerFunds":        {vr, vr, vr, fb},
	"Mutation.reclaimCustomerFunds":         {vr, vr, vr, fb},
	"Mutation.allocateResellerFunds":        {vr, fb, fb, fb},
	"Mutation.reclaimResellerFunds":         {vr, fb, fb, fb},
	"Mutation.issueCouponQuotas":            {vr, fb, fb, fb},
	"Mutation.reclaimCouponQuotas":          {vr, fb, fb, fb},
	"Mutation.issueCoupons":                 {vr, vr, vr, fb},
	"Mutation.reclaimCoupons":               {vr, vr, vr, fb},
	"Mutation.setVerificationEnabled":       {vr, vr, vr, fb},
	"Mutation.sendRegistrationCode":         {bi, bi, bi, fb}, // the mobile is malformed
	"Mutation.createCustomer":               {bi, bi, bi, fb}, // tier-1: needs a reseller; others: wrong SMS code
	"Mutation.submitPersonalRealNameAuth":   {nf, nf, nf, fb},
	"Mutation.submitEnterpriseRealNameAuth": {nf, nf, nf, fb},
	"Mutation.changeEnterpriseRealNameAuth": {nf, nf, nf, fb},
	"Mutation.createRealNameUploadUrl":      {nf, nf, nf, fb},
	"Mutation.sendBankCardCode":             {nf, nf, nf, fb},
	"Mutation.submitBankCardRealNameAuth":   {nf, nf, nf, fb},
	"Mutation.payOrder":                     {vr, vr, vr, nf}, // customers are not challenged; not its customer id
	"Mutation.cancelOrder":                  {nf, nf, nf, nf},
	"Mutation.renewResources":               {vr, vr, vr, nf},
	"Mutation.createRenewalOrder":           {nf, nf, nf, nf},
	"Mutation.setAutoRenew":                 {nf, nf, nf, nf},
	"Mutation.unsubscribeResources":         {vr, vr, vr, nf},
	"Mutation.switchToOnDemandAtExpiry":     {nf, nf, nf, nf},
	"Mutation.createTicket":                 {nf, nf, nf, nf}, // not its customer
	"Mutation.replyToTicket":                {nf, nf, nf, nf},
	"Mutation.markTicketRead":               {nf, nf, nf, nf},
	"Mutation.urgeTicket":                   {nf, nf, nf, nf},
	"Mutation.cancelTicket":                 {nf, nf, nf, nf},
	"Mutation.closeTicket":                  {nf, nf, nf, nf},
	"Mutation.rateTicket":                   {nf, nf, nf, nf},
	"Mutation.uploadTicketAttachment":       {nf, nf, nf, nf},
}

const (
	ok = "ok"
	nf = "NOT_FOUND"
	fb = "FORBIDDEN"
	vr = "VERIFICATION_REQUIRED"
	bi = "BAD_USER_INPUT"
)

// TestEveryRoleEveryRootFieldAccess runs every role against every root
// field, queries and mutations, and fails when the schema gains a root
// field the table does not cover.
func TestEveryRoleEveryRootFieldAccess(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation} {
		for _, f := range root.Fields {
			name := root.Name + "." + f.Name
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if _, ok := rootFieldCalls[name]; !ok {
				t.Errorf("root field %s has no call in rootFieldCalls", name)
			}
			if _, ok := rootFieldAccess[name]; !ok {
				t.Errorf("root field %s has no row in rootFieldAccess", name)
			}
		}
	}

	e := newMoneyEnv(t, envConfig{})
	tokens := map[string]string{
		"none":     "",
		"bad":      "not-a-token",
		"tier1":    e.tier1Token(t),
		"reseller": e.resellerToken(t),
		"provider": e.providerToken(t),
		"customer": MustToken(t, customerPrincipal(e.tier1.ID, e.customersOf(e.tier1.ID)[0].ID)),
	}
	roles := []string{"tier1", "reseller", "provider", "customer"}
	fields := make([]string, 0, len(rootFieldCalls))
	for f := range rootFieldCalls {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		t.Run(f, func(t *testing.T) {
			want := rootFieldAccess[f]
			for i, role := range append([]string{"none", "bad"}, roles...) {
				r := e.query(t, tokens[role], rootFieldCalls[f], nil)
				got := ok
				if len(r.Errors) > 0 {
					got, _ = r.Errors[0].Extensions["code"].(string)
				}
				w := "UNAUTHENTICATED"
				if i >= 2 {
					w = want[i-2]
				}
				if got != w {
					msg := ""
					if len(r.Errors) > 0 {
						msg = r.Errors[0].Message
					}
					t.Errorf("%s: got %s (%s), want %s", role, got, msg, w)
				}
			}
		})
	}
}
