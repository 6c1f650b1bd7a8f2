package sandbox

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

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
