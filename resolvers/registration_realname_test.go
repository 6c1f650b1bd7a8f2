package resolvers_test

import (
	"strings"
	"testing"
	"time"

	"partnergraph/identity"
)

const (
	lcPersonal   = `mutation($c: String!, $r: String, $in: PersonalRealNameAuthInput!) { submitPersonalRealNameAuth(customerId: $c, resellerId: $r, input: $in) { manualReview customer { customerId realNameStatus } review { status opinion kind submittedAt } } }`
	lcEnterprise = `mutation($c: String!, $r: String, $in: EnterpriseRealNameAuthInput!) { submitEnterpriseRealNameAuth(customerId: $c, resellerId: $r, input: $in) { manualReview customer { customerId realNameStatus } review { status opinion kind submittedAt } } }`
	lcChange     = `mutation($c: String!, $in: EnterpriseRealNameAuthInput!) { changeEnterpriseRealNameAuth(customerId: $c, input: $in) { manualReview customer { customerId realNameStatus } review { status kind } } }`
	lcReview     = `query($id: ID!) { node(id: $id) { ... on Customer { realNameStatus realNameReview { status opinion kind submittedAt } } } }`
)

type lcReviewOut struct {
	Status      string  `json:"status"`
	Opinion     *string `json:"opinion"`
	Kind        *string `json:"kind"`
	SubmittedAt *string `json:"submittedAt"`
}

type lcSubmitted struct {
	ManualReview bool        `json:"manualReview"`
	Customer     lcCustomer  `json:"customer"`
	Review       lcReviewOut `json:"review"`
}

// residentID completes 17 digits with the GB 11643 check character.
func residentID(d17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(d17[i]-'0') * w[i]
	}
	return d17 + string("10X98765432"[sum%11])
}

// creditCode completes 17 characters with the GB 32100 check character.
func creditCode(c17 string) string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	w := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(chars, c17[i]) * w[i]
	}
	return c17 + string(chars[(31-sum%31)%31])
}

// wrongCheck changes the last character of a valid number.
func wrongCheck(v string) string {
	if v[len(v)-1] == '1' {
		return v[:len(v)-1] + "2"
	}
	return v[:len(v)-1] + "1"
}

var threeFiles = []string{"id/front.jpg", "id/back.png", "id/holding.pdf"}

// newAssociated registers a customer for tok (resellerID optional) and lets
// the association complete.
func (e *env) newAssociated(t *testing.T, tok, xid, resellerID string) lcCustomer {
	t.Helper()
	in := map[string]any{"xaccountId": xid}
	if resellerID != "" {
		in["resellerId"] = resellerID
	}
	c := e.create(t, tok, in).Customer
	e.sbClock.Advance(4 * time.Second)
	return c
}

func (e *env) submit(t *testing.T, tok, doc, customerID string, in map[string]any) lcSubmitted {
	t.Helper()
	var out lcSubmitted
	field := map[string]string{lcPersonal: "submitPersonalRealNameAuth", lcEnterprise: "submitEnterpriseRealNameAuth", lcChange: "changeEnterpriseRealNameAuth"}[doc]
	mustData(t, e.query(t, tok, doc, map[string]any{"c": customerID, "in": in}), field, &out)
	return out
}

func (e *env) review(t *testing.T, tok, gid string) (string, lcReviewOut) {
	t.Helper()
	var out struct {
		RealNameStatus string      `json:"realNameStatus"`
		Review         lcReviewOut `json:"realNameReview"`
	}
	mustData(t, e.query(t, tok, lcReview, map[string]any{"id": gid}), "node", &out)
	return out.RealNameStatus, out.Review
}

// Personal authentication: in review, then approved after the review delay;
// a change to an enterprise follows; the customer reads its own review.
func TestLifecycleRealNamePersonalApprovedThenChange(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	c := e.newAssociated(t, tok, "rn-approve", "")
	if st, rv := e.review(t, tok, c.ID); st != "UNVERIFIED" || rv.Status != "NOT_SUBMITTED" {
		t.Fatalf("before: %s %+v", st, rv)
	}
	out := e.submit(t, tok, lcPersonal, c.CustomerID, map[string]any{
		"documentType": "HK_MACAO_RESIDENCE_PERMIT", "name": "Chan Tai Man", "number": residentID("81000019900101123"), "attachments": threeFiles,
	})
	if !out.ManualReview || out.Customer.RealNameStatus != "IN_REVIEW" || out.Review.Status != "IN_REVIEW" ||
		out.Review.Kind == nil || *out.Review.Kind != "PERSONAL" || out.Review.SubmittedAt == nil {
		t.Fatalf("submitted: %+v", out)
	}
	if st, rv := e.review(t, tok, c.ID); st != "IN_REVIEW" || rv.Status != "IN_REVIEW" || rv.Kind == nil {
		t.Fatalf("in review: %s %+v", st, rv)
	}
	// A second submission while in review: the upstream's parameter error, as BAD_USER_INPUT.
	wantError(t, e.query(t, tok, lcPersonal, map[string]any{"c": c.CustomerID, "in": map[string]any{
		"documentType": "PASSPORT", "name": "Chan Tai Man", "number": "E12345678", "attachments": threeFiles,
	}}), "BAD_USER_INPUT", "CBC.0100")

	// The customer itself reads its status and review.
	ctok := MustToken(t, identity.Principal{Subject: "cust", Role: identity.RoleCustomer, PartnerID: e.provider.ID, CustomerID: c.CustomerID})
	var v struct {
		Customer struct {
			RealNameStatus string      `json:"realNameStatus"`
			Review         lcReviewOut `json:"realNameReview"`
		} `json:"customer"`
	}
	mustData(t, e.query(t, ctok, `{ viewer { customer { realNameStatus realNameReview { status } } } }`, nil), "viewer", &v)
	if v.Customer.RealNameStatus != "IN_REVIEW" || v.Customer.Review.Status != "IN_REVIEW" {
		t.Fatalf("customer's own view: %+v", v)
	}
	// ... but not submit anything.
	wantError(t, e.query(t, ctok, lcPersonal, map[string]any{"c": c.CustomerID, "in": map[string]any{
		"documentType": "PASSPORT", "name": "Chan Tai Man", "number": "E12345678", "attachments": threeFiles,
	}}), "FORBIDDEN", "")

	e.sbClock.Advance(lcReviewDelay + time.Second)
	if st, rv := e.review(t, tok, c.ID); st != "VERIFIED" || rv.Status != "APPROVED" || rv.Opinion != nil {
		t.Fatalf("approved: %s %+v", st, rv)
	}
	mustData(t, e.query(t, ctok, `{ viewer { customer { realNameStatus realNameReview { status } } } }`, nil), "viewer", &v)
	if v.Customer.RealNameStatus != "VERIFIED" || v.Customer.Review.Status != "APPROVED" {
		t.Fatalf("customer's own view after approval: %+v", v)
	}

	// The verified individual changes to an enterprise.
	ch := e.submit(t, tok, lcChange, c.CustomerID, map[string]any{
		"companyName": "Chan Trading Ltd", "certificateNumber": creditCode("91440300MA5F00000"), "attachments": []string{"corp/licence.jpg"},
	})
	if ch.Review.Status != "IN_REVIEW" || ch.Review.Kind == nil || *ch.Review.Kind != "ENTERPRISE_CHANGE" {
		t.Fatalf("change: %+v", ch)
	}
	e.sbClock.Advance(lcReviewDelay + time.Second)
	if st, rv := e.review(t, tok, c.ID); st != "VERIFIED" || rv.Status != "APPROVED" {
		t.Fatalf("change approved: %s %+v", st, rv)
	}
}

// The sandbox's review rules: names with reject/test, bad id or credit code
// check characters are rejected with the reviewer's opinion.
func TestLifecycleRealNameRejections(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	cases := []struct {
		name, doc string
		in        map[string]any
		opinion   string
	}{
		{"personal name", lcPersonal, map[string]any{"documentType": "PASSPORT", "name": "Reject Li", "number": "E12345678", "attachments": threeFiles}, "提交的名称与证件不一致"},
		{"personal id checksum", lcPersonal, map[string]any{"documentType": "TAIWAN_RESIDENCE_PERMIT", "name": "Lin Mei", "number": wrongCheck(residentID("83000019900101123")), "attachments": threeFiles}, "证件号码校验失败"},
		{"enterprise credit code", lcEnterprise, map[string]any{"companyName": "Good Co", "certificateNumber": wrongCheck(creditCode("91110000MA0000000")), "attachments": []string{"corp/l.jpg"}}, "统一社会信用代码校验失败"},
		{"enterprise legal person id", lcEnterprise, map[string]any{"companyName": "Good Co", "certificateNumber": creditCode("91110000MA0000001"),
			"legalPerson": map[string]any{"name": "Wang Wu", "idNumber": wrongCheck(residentID("11010519491231002"))}, "attachments": []string{"corp/l.jpg", "id/f.jpg", "id/b.jpg"}}, "证件号码校验失败"},
	}
	var ids []string
	for i, tc := range cases {
		c := e.newAssociated(t, tok, "rn-reject-"+string(rune('a'+i)), "")
		ids = append(ids, c.ID)
		if out := e.submit(t, tok, tc.doc, c.CustomerID, tc.in); out.Review.Status != "IN_REVIEW" {
			t.Fatalf("%s: %+v", tc.name, out)
		}
	}
	e.sbClock.Advance(lcReviewDelay + time.Second)
	for i, tc := range cases {
		st, rv := e.review(t, tok, ids[i])
		if st != "FAILED" || rv.Status != "REJECTED" || rv.Opinion == nil || *rv.Opinion != tc.opinion {
			t.Fatalf("%s: %s %+v", tc.name, st, rv)
		}
	}
}

// An enterprise with a legal person is approved; a tier-1 authenticates its
// reseller's customer (resellerId), signed with the reseller's keys.
func TestLifecycleRealNameEnterpriseForReseller(t *testing.T) {
	e := newLifecycleEnv(t)
	t1 := e.partnerToken(t, e.tier1)
	c := e.newAssociated(t, t1, "rn-ent-1", e.reseller.ID)
	var out lcSubmitted
	mustData(t, e.query(t, t1, lcEnterprise, map[string]any{"c": c.CustomerID, "r": e.reseller.ID, "in": map[string]any{
		"companyName": "Hangzhou Cloudy Co", "certificateNumber": creditCode("91330100MA2H00000"),
		"legalPerson":         map[string]any{"name": "Zhao Liu", "idNumber": residentID("33010219800101001")},
		"attachments":         []string{"corp/licence.png", "id/front.jpg", "id/back.jpg"},
		"registrationCountry": "CN", "registrationAddress": "Hangzhou",
	}}), "submitEnterpriseRealNameAuth", &out)
	if out.Review.Status != "IN_REVIEW" || *out.Review.Kind != "ENTERPRISE" {
		t.Fatalf("submitted: %+v", out)
	}
	e.sbClock.Advance(lcReviewDelay + time.Second)
	if st, rv := e.review(t, t1, c.ID); st != "VERIFIED" || rv.Status != "APPROVED" {
		t.Fatalf("approved: %s %+v", st, rv)
	}
	// The reseller reads it too.
	if st, rv := e.review(t, e.partnerToken(t, e.reseller), c.ID); st != "VERIFIED" || rv.Status != "APPROVED" {
		t.Fatalf("reseller's view: %s %+v", st, rv)
	}
}

// Submissions: pending customers, other partners' customers, bad input.
func TestLifecycleRealNameErrors(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	pending := e.create(t, tok, map[string]any{"xaccountId": "rn-pending"}).Customer
	good := map[string]any{"documentType": "PASSPORT", "name": "Liu Yang", "number": "E12345678", "attachments": threeFiles}
	if m := wantError(t, e.query(t, tok, lcPersonal, map[string]any{"c": pending.CustomerID, "in": good}), "BAD_USER_INPUT", ""); !strings.Contains(m.Message, "pending") {
		t.Fatalf("pending: %q", m.Message)
	}
	var rv struct {
		Review lcReviewOut `json:"realNameReview"`
	}
	mustData(t, e.query(t, tok, `query($id: ID!) { node(id: $id) { ... on Customer { realNameReview { status } } } }`, map[string]any{"id": pending.ID}), "node", &rv)
	if rv.Review.Status != "NOT_SUBMITTED" {
		t.Fatalf("pending review: %+v", rv)
	}
	// Another partner's customer, or nobody's.
	t1 := e.partnerToken(t, e.tier1)
	wantError(t, e.query(t, t1, lcPersonal, map[string]any{"c": pending.CustomerID, "in": good}), "NOT_FOUND", "")
	wantError(t, e.query(t, tok, lcPersonal, map[string]any{"c": "nope", "in": good}), "NOT_FOUND", "")
	// Bad input, before any upstream call.
	e.sbClock.Advance(4 * time.Second)
	bad := []map[string]any{
		{"documentType": "PASSPORT", "name": " ", "number": "E1", "attachments": threeFiles},
		{"documentType": "PASSPORT", "name": "Liu", "number": "E1", "attachments": []string{}},
		{"documentType": "PASSPORT", "name": "Liu", "number": "E1", "attachments": []string{"id/a.exe", "b.jpg", "c.jpg"}},
		{"documentType": "PASSPORT", "name": "Liu", "number": "E1", "attachments": []string{"https://bucket/x.jpg", "b.jpg", "c.jpg"}},
	}
	for _, in := range bad {
		wantError(t, e.query(t, tok, lcPersonal, map[string]any{"c": pending.CustomerID, "in": in}), "BAD_USER_INPUT", "")
	}
	// The upstream's own checks (2 files for an id document): BAD_USER_INPUT with CBC.0100.
	wantError(t, e.query(t, tok, lcPersonal, map[string]any{"c": pending.CustomerID, "in": map[string]any{
		"documentType": "PASSPORT", "name": "Liu Yang", "number": "E12345678", "attachments": []string{"a.jpg", "b.jpg"},
	}}), "BAD_USER_INPUT", "CBC.0100")
	// A change needs a verified individual.
	wantError(t, e.query(t, tok, lcChange, map[string]any{"c": pending.CustomerID, "in": map[string]any{
		"companyName": "Liu Co", "certificateNumber": creditCode("91110000MA0000009"), "attachments": []string{"l.jpg"},
	}}), "BAD_USER_INPUT", "CBC.0100")
}
