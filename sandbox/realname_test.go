package sandbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

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
func realnameFixture(t *testing.T) *commerceFixture {
	f := newCommerceFixture(t, KindProvider)
	f.locked(func(st *State) {
		c := st.customerByID[f.cust.ID]
		c.VerifiedStatus, c.CustomerType = -1, -1
	})
	return f
}

func (f *commerceFixture) verified() (int32, int32) {
	var v, ct int32
	f.locked(func(st *State) {
		c := st.customerByID[f.cust.ID]
		v, ct = c.VerifiedStatus, c.CustomerType
	})
	return v, ct
}

func (f *commerceFixture) review(t *testing.T) (int32, string) {
	t.Helper()
	resp, err := f.pc.ShowRealnameAuthenticationReviewResult(&model.ShowRealnameAuthenticationReviewResultRequest{CustomerId: f.cust.ID})
	if err != nil {
		t.Fatal(err)
	}
	return deref(resp.ReviewResult), deref(resp.Opinion)
}

func personalReq(customerID, name, number string) *model.ApplyIndividualRealnameAuthsReq {
	return &model.ApplyIndividualRealnameAuthsReq{
		CustomerId: customerID, IdentifyType: 0, VerifiedType: ptr(int32(9)), Name: name, VerifiedNumber: number,
		VerifiedFileUrl: []string{"a/front.jpg", "a/back.jpg", "a/hand.png"}, XaccountType: "test_partner_platform",
	}
}

func enterpriseReq(customerID, corp, number string) *model.ApplyEnterpriseRealnameAuthsReq {
	return &model.ApplyEnterpriseRealnameAuthsReq{
		CustomerId: customerID, IdentifyType: 1, CertificateType: ptr(int32(0)), CorpName: corp, VerifiedNumber: number,
		VerifiedFileUrl: []string{"licence.pdf", "legal-front.jpg", "legal-back.jpg"}, XaccountType: "platform",
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
		f.clock.Advance(2 * time.Minute)
		if r, op := f.review(t); r != 2 || op != "" {
			t.Fatalf("review_result %d %q, want 2", r, op)
		}
		if v, ct := f.verified(); v != 2 || ct != 0 {
			t.Fatalf("customer verified %d type %d, want 2 / 0", v, ct)
		}
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
		f.clock.Advance(2 * time.Minute)
		if r, _ := f.review(t); r != 2 {
			t.Fatalf("review_result %d, want 2", r)
		}
		if v, ct := f.verified(); v != 2 || ct != 1 {
			t.Fatalf("customer verified %d type %d, want 2 / 1", v, ct)
		}
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
		f.clock.Advance(2 * time.Minute)
		if r, _ := f.review(t); r != 2 {
			t.Fatalf("review_result %d, want 2", r)
		}
		if v, ct := f.verified(); v != 2 || ct != 1 {
			t.Fatalf("customer verified %d type %d, want 2 / 1", v, ct)
		}
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
