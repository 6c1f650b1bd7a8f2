package resolvers_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	lcUpload   = `mutation($c: String!, $r: String, $in: RealNameUploadInput!) { createRealNameUploadUrl(customerId: $c, resellerId: $r, input: $in) { url method headers { name value } attachment expiresAt maxSize } }`
	lcBankCode = `mutation($c: String!, $m: String!) { sendBankCardCode(customerId: $c, mobile: $m) { maskedMobile expiresAt } }`
	lcBankCard = `mutation($c: String!, $in: BankCardRealNameAuthInput!) { submitBankCardRealNameAuth(customerId: $c, input: $in) { manualReview customer { customerId realNameStatus } review { status kind submittedAt } } }`
)

type realNameUpload struct {
	URL, Method string
	Headers     []struct{ Name, Value string }
	Attachment  string
	ExpiresAt   string
	MaxSize     int
}

func (e *env) uploadURL(t *testing.T, tok, customerID, reseller string, in map[string]any) realNameUpload {
	t.Helper()
	vars := map[string]any{"c": customerID, "in": in}
	if reseller != "" {
		vars["r"] = reseller
	}
	var u realNameUpload
	mustData(t, e.query(t, tok, lcUpload, vars), "createRealNameUploadUrl", &u)
	return u
}

// upload sends body to a presigned URL with plain net/http, as a browser or
// a partner's back end would.
func upload(t *testing.T, u realNameUpload, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(u.Method, u.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range u.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Bank-card authentication end to end: a presigned URL of the partner's
// bucket, the face photo uploaded to it with plain HTTP, the scene-18 SMS
// code, the submission with that photo, Huawei's review.
func TestLifecycleBankCard(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	c := e.newAssociated(t, tok, "crm-bank-1", "")

	u := e.uploadURL(t, tok, c.CustomerID, "", map[string]any{"fileType": "JPG", "size": 2048})
	exp, err := time.Parse(time.RFC3339, u.ExpiresAt)
	if u.Method != "PUT" || len(u.Headers) != 1 || u.Headers[0].Name != "Content-Type" || u.Headers[0].Value != "image/jpeg" ||
		u.MaxSize != 10<<20 || !strings.HasPrefix(u.Attachment, "realname/"+c.CustomerID+"/") || !strings.HasSuffix(u.Attachment, ".jpg") ||
		!strings.Contains(u.URL, "/"+e.provider.OBS.Bucket+"/download/"+u.Attachment) || err != nil || time.Until(exp) > 5*time.Minute {
		t.Fatalf("upload %+v", u)
	}
	if status, body := upload(t, u, []byte("\xff\xd8\xff\xe0 the customer's face")); status != 200 {
		t.Fatalf("PUT: %d %s", status, body)
	}

	mobile := freshMobile()
	var sent struct{ MaskedMobile, ExpiresAt string }
	mustData(t, e.query(t, tok, lcBankCode, map[string]any{"c": c.CustomerID, "m": mobile}), "sendBankCardCode", &sent)
	if sent.MaskedMobile != mobile[:3]+"****"+mobile[7:] {
		t.Fatalf("sent %+v", sent)
	}
	in := map[string]any{"name": "张伟", "idNumber": residentID("11010519491231002"), "bankAccount": "6222-0200-1234-5678",
		"mobile": mobile, "verificationCode": e.smsCode(t, mobile), "facePhoto": u.Attachment}

	// A reference nothing was uploaded to, a pdf: refused before the submission.
	e.resetStats(t)
	empty := e.uploadURL(t, tok, c.CustomerID, "", map[string]any{"fileType": "PNG", "size": 10})
	bad := map[string]any{}
	for k, v := range in {
		bad[k] = v
	}
	bad["facePhoto"] = empty.Attachment
	wantError(t, e.query(t, tok, lcBankCard, map[string]any{"c": c.CustomerID, "in": bad}), "BAD_USER_INPUT", "")
	bad["facePhoto"] = "face/selfie.pdf"
	wantError(t, e.query(t, tok, lcBankCard, map[string]any{"c": c.CustomerID, "in": bad}), "BAD_USER_INPUT", "")
	if n := e.stats(t)["CreatePersonalRealnameAuth"]; n != 0 {
		t.Fatalf("CreatePersonalRealnameAuth %d, want 0", n)
	}

	e.resetStats(t)
	var out lcSubmitted
	mustData(t, e.query(t, tok, lcBankCard, map[string]any{"c": c.CustomerID, "in": in}), "submitBankCardRealNameAuth", &out)
	if !out.ManualReview || out.Review.Status != "IN_REVIEW" || out.Review.Kind == nil || *out.Review.Kind != "PERSONAL_BANK_CARD" || out.Customer.RealNameStatus != "IN_REVIEW" {
		t.Fatalf("submitted %+v", out)
	}
	if s := e.calls(t, "obs:HeadObject", "CreatePersonalRealnameAuth"); s["obs:HeadObject"] != 1 || s["CreatePersonalRealnameAuth"] != 1 {
		t.Fatalf("calls %v", s)
	}
	e.sbClock.Advance(lcReviewDelay + time.Second)
	status, rv := e.review(t, tok, c.ID)
	if status != "VERIFIED" || rv.Status != "APPROVED" {
		t.Fatalf("review %s %+v", status, rv)
	}
	// The URL has expired meanwhile.
	late := e.uploadURL(t, tok, c.CustomerID, "", map[string]any{"fileType": "GIF", "size": 10})
	e.sbClock.Advance(6 * time.Minute)
	if status, body := upload(t, late, []byte("GIF89a")); status != 403 || !strings.Contains(body, "AccessDenied") {
		t.Fatalf("expired PUT: %d %s", status, body)
	}
}

// Uploads and bank-card calls: who may, and what is refused before any
// call; a tier-1 uploads to its reseller's bucket for the reseller's
// customers (the real-name calls go with the reseller's keys).
func TestBankCardRefusals(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	c := e.newAssociated(t, tok, "crm-bank-2", "")
	e.resetStats(t)
	for name, q := range map[string]map[string]any{
		"TooLarge": {"q": lcUpload, "in": map[string]any{"fileType": "JPG", "size": 10<<20 + 1}},
		"Empty":    {"q": lcUpload, "in": map[string]any{"fileType": "PDF", "size": 0}},
		"Mobile":   {"q": lcBankCode, "m": "12345"},
		"IDNumber": {"q": lcBankCard, "in": map[string]any{"name": "张伟", "idNumber": "123", "bankAccount": "6222", "mobile": "13800000001", "verificationCode": "123456", "facePhoto": "a.jpg"}},
		"Account":  {"q": lcBankCard, "in": map[string]any{"name": "张伟", "idNumber": residentID("11010519491231002"), "bankAccount": "-6222", "mobile": "13800000001", "verificationCode": "123456", "facePhoto": "a.jpg"}},
		"Photo":    {"q": lcBankCard, "in": map[string]any{"name": "张伟", "idNumber": residentID("11010519491231002"), "bankAccount": "6222", "mobile": "13800000001", "verificationCode": "123456", "facePhoto": "http://x/a.jpg"}},
	} {
		vars := map[string]any{"c": c.CustomerID}
		for k, v := range q {
			if k != "q" {
				vars[k] = v
			}
		}
		if r := e.query(t, tok, q["q"].(string), vars); !hasCode(r, "BAD_USER_INPUT") {
			t.Errorf("%s: %+v", name, r.Errors)
		}
	}
	if s := e.stats(t); len(s) != 0 {
		t.Fatalf("upstream calls %v, want none", s)
	}
	r := e.query(t, e.customerToken(t, e.showcase(t, e.provider.ID)), lcUpload, map[string]any{"c": c.CustomerID, "in": map[string]any{"fileType": "JPG", "size": 1}})
	wantError(t, r, "FORBIDDEN", "")
	r = e.query(t, e.partnerToken(t, e.tier1), lcUpload, map[string]any{"c": c.CustomerID, "in": map[string]any{"fileType": "JPG", "size": 1}})
	wantError(t, r, "NOT_FOUND", "")

	var reseller = e.reseller
	rc := e.newAssociated(t, e.partnerToken(t, e.tier1), "crm-bank-3", reseller.ID)
	u := e.uploadURL(t, e.partnerToken(t, e.tier1), rc.CustomerID, reseller.ID, map[string]any{"fileType": "PNG", "size": 100})
	if !strings.Contains(u.URL, "/"+reseller.OBS.Bucket+"/download/") {
		t.Fatalf("a reseller's customer's upload goes to %s, want bucket %s", u.URL, reseller.OBS.Bucket)
	}
}
