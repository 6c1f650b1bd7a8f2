package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

func smsCodes(t *testing.T, base string) []SMSCode {
	t.Helper()
	resp, err := http.Get(base + "/_sandbox/sms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []SMSCode `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func TestCreateSubCustomerFlow(t *testing.T) {
	clk := newTestClock()
	sb, srv, m := newTestSandboxOpts(t, Options{Seed: 2, Customers: 30, Now: clk.Now})
	prov := partnerOf(m, KindProvider)
	c := bssClient(t, srv.URL, prov.AK, prov.SK)
	mobile := "0086-13900001111"

	chk, err := c.CheckUserIdentity(&model.CheckUserIdentityRequest{Body: &model.CheckSubcustomerUserReq{SearchType: "mobile", SearchValue: mobile}})
	if err != nil || *chk.CheckResult != "available" || *chk.MobileRemainAvailableNum != 1 {
		t.Fatalf("check mobile: %v %v", chk, err)
	}
	if _, err := c.SendVerificationMessageCode(&model.SendVerificationMessageCodeRequest{Body: &model.SendVerificationCodeV2Req{
		ReceiverType: 1, MobilePhone: mobile, Scene: ptr(int32(29))}}); err != nil {
		t.Fatal(err)
	}
	codes := smsCodes(t, srv.URL)
	if len(codes) != 1 || codes[0].Mobile != mobile || len(codes[0].Code) != 6 || codes[0].Scene != 29 {
		t.Fatalf("sms %v", codes)
	}
	xtype := "zhiyuan_IDP"
	req := func(name, code, xid string) *model.CreateSubCustomerRequest {
		return &model.CreateSubCustomerRequest{Body: &model.CreateCustomerV2Req{
			DomainName: ptr(name), MobilePhone: ptr(mobile), VerificationCode: ptr(code), XaccountId: xid, XaccountType: xtype,
		}}
	}
	// Wrong code → CBC.99004010; bad login name → CBC.99000031; taken name → CBC.99000038.
	_, err = c.CreateSubCustomer(req("newco_2026", "000000x", "X-1"))
	wantErr(t, err, 400, "CBC.99004010")
	_, err = c.CreateSubCustomer(req("op_badname", codes[0].Code, "X-1"))
	wantErr(t, err, 400, "CBC.99000031")
	_, err = c.CreateSubCustomer(req("12345678", codes[0].Code, "X-1"))
	wantErr(t, err, 400, "CBC.99000031")
	sb.state.mu.Lock()
	existing := sb.state.customerByID[showcaseOf(m, prov.ID).ID]
	existingName, existingX := existing.AccountName, existing.XAccountID
	sb.state.mu.Unlock()
	_, err = c.CreateSubCustomer(req(existingName, codes[0].Code, "X-1"))
	wantErr(t, err, 400, "CBC.99000038")
	// Existing xaccount_id → CBC.99000039.
	_, err = c.CreateSubCustomer(req("newco_2026", codes[0].Code, existingX))
	wantErr(t, err, 400, "CBC.99000039")
	// Success.
	resp, err := c.CreateSubCustomer(req("newco_2026", codes[0].Code, "X-1"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.DomainId == nil || *resp.DomainName != "newco_2026" {
		t.Fatalf("create: %v", resp)
	}
	// Pending: not listed yet; listed 3 s later.
	list := func() int32 {
		r, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{CustomerId: resp.DomainId}})
		if err != nil {
			t.Fatal(err)
		}
		return *r.Count
	}
	if n := list(); n != 0 {
		t.Fatalf("pending customer listed")
	}
	clk.Advance(associationDelay)
	if n := list(); n != 1 {
		t.Fatalf("associated customer not listed")
	}
	// Mobile now used; the code is spent; name and xaccount taken.
	chk, _ = c.CheckUserIdentity(&model.CheckUserIdentityRequest{Body: &model.CheckSubcustomerUserReq{SearchType: "mobile", SearchValue: mobile}})
	if *chk.CheckResult != "used_by_user" {
		t.Fatalf("mobile still available")
	}
	chk, _ = c.CheckUserIdentity(&model.CheckUserIdentityRequest{Body: &model.CheckSubcustomerUserReq{SearchType: "name", SearchValue: "newco_2026"}})
	if *chk.CheckResult != "used_by_user" {
		t.Fatalf("name still available")
	}
	_, err = c.CreateSubCustomer(req("newco_2027", codes[0].Code, "X-1"))
	wantErr(t, err, 400, "CBC.99000039")
	_, err = c.CreateSubCustomer(req("newco_2027", codes[0].Code, "X-2"))
	wantErr(t, err, 400, "CBC.99000029")

	// A second mobile: >3 failures → CBC.99004009; expiry → CBC.99004008.
	mobile2 := "0086-13900002222"
	send := func(mob string, timeout int32) string {
		if _, err := c.SendVerificationMessageCode(&model.SendVerificationMessageCodeRequest{Body: &model.SendVerificationCodeV2Req{
			ReceiverType: 1, MobilePhone: mob, Timeout: ptr(timeout)}}); err != nil {
			t.Fatal(err)
		}
		all := smsCodes(t, srv.URL)
		return all[len(all)-1].Code
	}
	code2 := send(mobile2, 5)
	req2 := func(code string) *model.CreateSubCustomerRequest {
		return &model.CreateSubCustomerRequest{Body: &model.CreateCustomerV2Req{MobilePhone: ptr(mobile2), VerificationCode: ptr(code), XaccountId: "X-3", XaccountType: xtype}}
	}
	for i := 0; i < 3; i++ {
		_, err = c.CreateSubCustomer(req2("999999x"))
		wantErr(t, err, 400, "CBC.99004010")
	}
	_, err = c.CreateSubCustomer(req2(code2))
	wantErr(t, err, 400, "CBC.99004009")
	code3 := send(mobile2, 1)
	clk.Advance(61 * time.Second)
	_, err = c.CreateSubCustomer(req2(code3))
	wantErr(t, err, 400, "CBC.99004008")
	code4 := send(mobile2, 10)
	// include_association_result: associated at once, random domain name.
	r5, err := c.CreateSubCustomer(&model.CreateSubCustomerRequest{Body: &model.CreateCustomerV2Req{MobilePhone: ptr(mobile2),
		VerificationCode: ptr(code4), XaccountId: "X-3", XaccountType: xtype, CooperationType: ptr("1"), IncludeAssociationResult: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{CustomerId: r5.DomainId}})
	if err != nil || *lr.Count != 1 || *(*lr.CustomerInfos)[0].AssociationType != "1" || len(*r5.DomainName) < 5 {
		t.Fatalf("sync association: %v %v", lr, err)
	}

	// A tier-1 may not associate directly; via its tier-2 it may.
	t1 := partnerOf(m, KindTier1)
	c1 := bssClient(t, srv.URL, t1.AK, t1.SK)
	_, err = c1.CreateSubCustomer(&model.CreateSubCustomerRequest{Body: &model.CreateCustomerV2Req{XaccountId: "H-1", XaccountType: "huaxin_IDP"}})
	wantErr(t, err, 400, "CBC.50010059")
	r6, err := c1.CreateSubCustomer(&model.CreateSubCustomerRequest{Body: &model.CreateCustomerV2Req{XaccountId: "H-1", XaccountType: "huaxin_IDP",
		IndirectPartnerId: ptr(m.Partners[1].ID), IncludeAssociationResult: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	c2 := bssClient(t, srv.URL, m.Partners[1].AK, m.Partners[1].SK)
	lr, err = c2.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{CustomerId: r6.DomainId}})
	if err != nil || *lr.Count != 1 {
		t.Fatalf("tier-2 does not see its new customer: %v %v", lr, err)
	}
}

// A "full" mobile (ending in 9999) is reported used with no remaining
// capacity and refused with CBC.99000030; others keep CBC.99000029 on reuse.
func TestMobileCapacity(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindProvider)
	c := bssClient(t, srv.URL, p.AK, p.SK)
	resp, err := c.CheckUserIdentity(&model.CheckUserIdentityRequest{Body: &model.CheckSubcustomerUserReq{SearchType: "mobile", SearchValue: "0086-13800009999"}})
	if err != nil || *resp.CheckResult != "used_by_user" || *resp.MobileRemainAvailableNum != 0 {
		t.Fatalf("full mobile check: %v %v", resp, err)
	}
	resp, err = c.CheckUserIdentity(&model.CheckUserIdentityRequest{Body: &model.CheckSubcustomerUserReq{SearchType: "mobile", SearchValue: "0086-13800001234"}})
	if err != nil || *resp.CheckResult != "available" || *resp.MobileRemainAvailableNum != 1 {
		t.Fatalf("free mobile check: %v %v", resp, err)
	}
	sb.state.mu.Lock()
	xt := sb.state.partnerByID[p.ID].XAccountType
	sb.state.mu.Unlock()
	_, err = c.CreateSubCustomer(&model.CreateSubCustomerRequest{Body: &model.CreateCustomerV2Req{
		XaccountId: "full-1", XaccountType: xt, MobilePhone: ptr("13800009999"), VerificationCode: ptr("000000"),
	}})
	wantErr(t, err, 400, "CBC.99000030")
}

func TestRealnameChecksums(t *testing.T) {
	for id, want := range map[string]bool{
		"11010519491231002X": true, "11010519491231002x": true, "810000199001011230": true,
		"110105194912310021": false, "1101051949123100": false, "A10105194912310021": false,
	} {
		if got := validResidentID(id); got != want {
			t.Errorf("validResidentID(%s) = %v, want %v", id, got, want)
		}
	}
	for code, want := range map[string]bool{
		"91350100M000100Y43": true, "91110108MA01BCDE14": true, "91350100M000100Y44": false, "91350100M000100I43": false,
	} {
		if got := validCreditCode(code); got != want {
			t.Errorf("validCreditCode(%s) = %v, want %v", code, got, want)
		}
	}
}

// realnameFixture resets the showcase customer to unverified.
func realnameFixture(t *testing.T) *fixture {
	f := newFixture(t, KindProvider)
	f.locked(func(st *State) {
		c := st.customerByID[f.cust.ID]
		c.VerifiedStatus, c.CustomerType = -1, -1
	})
	return f
}

func (f *fixture) verified() (int32, int32) {
	var v, ct int32
	f.locked(func(st *State) {
		c := st.customerByID[f.cust.ID]
		v, ct = c.VerifiedStatus, c.CustomerType
	})
	return v, ct
}

func (f *fixture) review(t *testing.T) (int32, string) {
	t.Helper()
	resp, err := f.pc.ShowRealnameAuthenticationReviewResult(&model.ShowRealnameAuthenticationReviewResultRequest{CustomerId: f.cust.ID})
	if err != nil {
		t.Fatal(err)
	}
	return deref(resp.ReviewResult), deref(resp.Opinion)
}

// wantApproved lets the review complete and checks that it approved the
// submission and made the customer a verified one of customerType.
func (f *fixture) wantApproved(t *testing.T, customerType int32) {
	t.Helper()
	f.clock.Advance(2 * time.Minute)
	if r, op := f.review(t); r != 2 || op != "" {
		t.Fatalf("review_result %d %q, want 2", r, op)
	}
	if v, ct := f.verified(); v != 2 || ct != customerType {
		t.Fatalf("customer verified %d type %d, want 2 / %d", v, ct, customerType)
	}
}

func personalReq(customerID, name, number string) *model.ApplyIndividualRealnameAuthsReq {
	return &model.ApplyIndividualRealnameAuthsReq{
		CustomerId: customerID, IdentifyType: 0, VerifiedType: ptr(int32(9)), Name: name, VerifiedNumber: number,
		VerifiedFileUrl: []string{"id/front.jpg", "id/back.jpg", "id/holding.jpg"}, XaccountType: "test_partner_platform",
	}
}

func enterpriseReq(customerID, corp, number string) *model.ApplyEnterpriseRealnameAuthsReq {
	return &model.ApplyEnterpriseRealnameAuthsReq{
		CustomerId: customerID, IdentifyType: 1, CertificateType: ptr(int32(0)), CorpName: corp, VerifiedNumber: number,
		VerifiedFileUrl: []string{"corp/licence.pdf", "idcard/front.jpg", "idcard/back.jpg"}, XaccountType: "platform",
		EnterprisePerson: &model.EnterprisePersonNew{LegelName: "张三", LegelIdNumber: "11010519491231002X", CertifierRole: ptr("legalPerson")},
	}
}

func TestCreatePersonalRealnameAuth(t *testing.T) {
	t.Run("Approved", func(t *testing.T) {
		f := realnameFixture(t)
		resp, err := f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: personalReq(f.cust.ID, "王小明", "810000199001011230")})
		if err != nil || deref(resp.IsReview) != 1 {
			t.Fatalf("submit: %v %v", resp, err)
		}
		if v, _ := f.verified(); v != 0 {
			t.Fatalf("verified_status %d in review, want 0", v)
		}
		if r, _ := f.review(t); r != 0 {
			t.Fatalf("review_result %d, want 0 (in review)", r)
		}
		_, err = f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: personalReq(f.cust.ID, "王小明", "810000199001011230")})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		f.wantApproved(t, 0)
		_, err = f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: personalReq(f.cust.ID, "王小明", "810000199001011230")})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
	for name, body := range map[string]*model.ApplyIndividualRealnameAuthsReq{
		"RejectedName":     personalReq("", "Test User", "810000199001011230"),
		"RejectedChecksum": personalReq("", "王小明", "810000199001011231"),
	} {
		t.Run(name, func(t *testing.T) {
			f := realnameFixture(t)
			body.CustomerId = f.cust.ID
			if _, err := f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: body}); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(2 * time.Minute)
			if r, op := f.review(t); r != 1 || op == "" {
				t.Fatalf("review_result %d %q, want 1 with an opinion", r, op)
			}
			if v, _ := f.verified(); v != 1 {
				t.Fatalf("verified_status %d, want 1", v)
			}
		})
	}
	t.Run("Errors", func(t *testing.T) {
		f := realnameFixture(t)
		bad := personalReq(f.cust.ID, "王小明", "810000199001011230")
		bad.VerifiedType = ptr(int32(1))
		_, err := f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: bad})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		bad = personalReq(f.cust.ID, "王小明", "810000199001011230")
		bad.VerifiedFileUrl = []string{"a.exe", "b.jpg", "c.jpg"}
		_, err = f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: bad})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
		other := showcaseOf(f.m, partnerOf(f.m, KindTier1).ID)
		_, err = f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: personalReq(other.ID, "王小明", "810000199001011230")})
		wantErr(t, err, http.StatusBadRequest, "CBC.99000035")
		_, err = f.cc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: personalReq(f.cust.ID, "王小明", "810000199001011230")})
		wantErr(t, err, http.StatusForbidden, "CBC.0151")
	})
}

func TestEnterpriseRealnameAuthentication(t *testing.T) {
	t.Run("CreateApproved", func(t *testing.T) {
		f := realnameFixture(t)
		resp, err := f.pc.CreateEnterpriseRealnameAuthentication(&model.CreateEnterpriseRealnameAuthenticationRequest{Body: enterpriseReq(f.cust.ID, "福州云帆科技有限公司", "91350100M000100Y43")})
		if err != nil || deref(resp.IsReview) != 1 {
			t.Fatalf("submit: %v %v", resp, err)
		}
		f.wantApproved(t, 1)
	})
	t.Run("CreateRejectedCreditCode", func(t *testing.T) {
		f := realnameFixture(t)
		if _, err := f.pc.CreateEnterpriseRealnameAuthentication(&model.CreateEnterpriseRealnameAuthenticationRequest{Body: enterpriseReq(f.cust.ID, "福州云帆科技有限公司", "91350100M000100Y44")}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(2 * time.Minute)
		if r, op := f.review(t); r != 1 || op == "" {
			t.Fatalf("review_result %d %q, want 1", r, op)
		}
	})
	t.Run("ChangeFromIndividual", func(t *testing.T) {
		f := realnameFixture(t)
		change := func() error {
			e := enterpriseReq(f.cust.ID, "北京星河数据有限公司", "91110108MA01BCDE14")
			_, err := f.pc.ChangeEnterpriseRealnameAuthentication(&model.ChangeEnterpriseRealnameAuthenticationRequest{Body: &model.ChangeEnterpriseRealnameAuthsReq{
				CustomerId: e.CustomerId, IdentifyType: 1, CertificateType: e.CertificateType, VerifiedFileUrl: e.VerifiedFileUrl,
				CorpName: e.CorpName, VerifiedNumber: e.VerifiedNumber, ChangeType: 1, XaccountType: e.XaccountType, EnterprisePerson: e.EnterprisePerson,
			}})
			return err
		}
		wantErr(t, change(), http.StatusBadRequest, "CBC.0100") // not a verified individual yet
		if _, err := f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: personalReq(f.cust.ID, "王小明", "810000199001011230")}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(2 * time.Minute)
		if err := change(); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.verified(); v != 0 {
			t.Fatalf("verified_status %d during the change review, want 0", v)
		}
		f.wantApproved(t, 1)
	})
	t.Run("NoReviewYet", func(t *testing.T) {
		f := realnameFixture(t)
		if r, _ := f.review(t); r != 0 {
			t.Fatalf("review_result %d without a submission", r)
		}
		resp, err := f.pc.ShowRealnameAuthenticationReviewResult(&model.ShowRealnameAuthenticationReviewResultRequest{CustomerId: f.cust.ID})
		if err != nil || resp.ReviewResult != nil {
			t.Fatalf("want an empty body, got %+v %v", resp, err)
		}
	})
	t.Run("ErrCorpName", func(t *testing.T) {
		f := realnameFixture(t)
		_, err := f.pc.CreateEnterpriseRealnameAuthentication(&model.CreateEnterpriseRealnameAuthenticationRequest{Body: enterpriseReq(f.cust.ID, "12345 !!", "91350100M000100Y43")})
		wantErr(t, err, http.StatusBadRequest, "CBC.0100")
	})
}
