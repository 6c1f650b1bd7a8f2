package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

func TestListSubCustomers(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindTier1)
	c := bssClient(t, srv.URL, p.AK, p.SK)
	resp, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Limit: ptr(int32(100))}})
	if err != nil {
		t.Fatal(err)
	}
	sb.state.mu.Lock()
	own := len(sb.state.customersByPartner[p.ID])
	sb.state.mu.Unlock()
	if int(*resp.Count) != own || len(*resp.CustomerInfos) != own {
		t.Fatalf("count %d, infos %d, want %d", *resp.Count, len(*resp.CustomerInfos), own)
	}
	first := (*resp.CustomerInfos)[0]
	show := showcaseOf(m, p.ID)
	if first.CustomerId != show.ID || *first.AssociationType != "2" || first.AccountName == "" || first.Telephone == nil ||
		*first.VerifiedStatus != "2" || first.XaccountId == nil || first.CustomerLevel == nil {
		t.Fatalf("first customer %v", first)
	}
	// Filters: association type, customer id, another partner's id (empty).
	r1, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{AssociationType: ptr("1"), Limit: ptr(int32(100))}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range *r1.CustomerInfos {
		if *ci.AssociationType != "1" {
			t.Fatalf("filter association_type: %v", ci)
		}
	}
	r2, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{CustomerId: ptr(showcaseOf(m, partnerOf(m, KindProvider).ID).ID)}})
	if err != nil || *r2.Count != 0 {
		t.Fatalf("foreign customer id: %v %v", r2, err)
	}
	// Paging.
	r3, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Offset: ptr(int32(2)), Limit: ptr(int32(3))}})
	if err != nil || len(*r3.CustomerInfos) != 3 || (*r3.CustomerInfos)[0].CustomerId != (*resp.CustomerInfos)[2].CustomerId {
		t.Fatalf("paging: %v %v", r3, err)
	}
	// limit 101 → 400 CBC.0100; limit 0 too.
	_, err = c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Limit: ptr(int32(101))}})
	wantErr(t, err, 400, "CBC.0100")
	_, err = c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Limit: ptr(int32(0))}})
	wantErr(t, err, 400, "CBC.0100")
	// indirect_partner_id: a tier-2's customers; a foreign id → CBC.99000037.
	t2 := m.Partners[1]
	r4, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{IndirectPartnerId: ptr(t2.ID)}})
	if err != nil || (*r4.CustomerInfos)[0].CustomerId != showcaseOf(m, t2.ID).ID {
		t.Fatalf("indirect: %v %v", r4, err)
	}
	_, err = c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{IndirectPartnerId: ptr(partnerOf(m, KindProvider).ID)}})
	wantErr(t, err, 400, "CBC.99000037")
	_, err = bssClient(t, srv.URL, t2.AK, t2.SK).ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{IndirectPartnerId: ptr(m.Partners[2].ID)}})
	wantErr(t, err, 400, "CBC.99000037")
}

func TestListSubCustomerNewTagAndIndirectPartners(t *testing.T) {
	_, srv, m := newTestSandboxOpts(t, Options{Seed: 5, Customers: 600})
	p := partnerOf(m, KindTier1)
	c := bssClient(t, srv.URL, p.AK, p.SK)
	all, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Limit: ptr(int32(100))}})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{showcaseOf(m, partnerOf(m, KindProvider).ID).ID} // foreign: absent
	for _, ci := range *all.CustomerInfos {
		ids = append(ids, ci.CustomerId)
	}
	resp, err := c.ListSubCustomerNewTag(&model.ListSubCustomerNewTagRequest{Body: &model.ListSubCustomerNewTagReq{CustomerIds: &ids, Limit: ptr(int32(200))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*resp.NewCustomerTags) != len(ids)-1 {
		t.Fatalf("tags %d, want %d", len(*resp.NewCustomerTags), len(ids)-1)
	}
	tag := (*resp.NewCustomerTags)[0]
	if *tag.CustomerTagType != "SMB" || len(*tag.EffectiveTime) != 7 || (*tag.NewCustomerTag != "Y" && *tag.NewCustomerTag != "N" && *tag.NewCustomerTag != "UNDETERMINED") {
		t.Fatalf("tag %v", tag)
	}
	many := make([]string, 201)
	for i := range many {
		many[i] = ids[1]
	}
	_, err = c.ListSubCustomerNewTag(&model.ListSubCustomerNewTagRequest{Body: &model.ListSubCustomerNewTagReq{CustomerIds: &many}})
	wantErr(t, err, 400, "CBC.0100")
	_, err = c.ListSubCustomerNewTag(&model.ListSubCustomerNewTagRequest{Body: &model.ListSubCustomerNewTagReq{Limit: ptr(int32(201))}})
	wantErr(t, err, 400, "CBC.0100")

	ip, err := c.ListIndirectPartners(&model.ListIndirectPartnersRequest{Body: &model.QueryIndirectPartnersReq{}})
	if err != nil {
		t.Fatal(err)
	}
	if *ip.Count != 2 || *(*ip.IndirectPartners)[0].IndirectPartnerId != m.Partners[1].ID || (*ip.IndirectPartners)[0].AccountManagerName == nil {
		t.Fatalf("indirect partners %v", ip)
	}
	one, err := c.ListIndirectPartners(&model.ListIndirectPartnersRequest{Body: &model.QueryIndirectPartnersReq{IndirectPartnerId: ptr(m.Partners[2].ID)}})
	if err != nil || *one.Count != 1 {
		t.Fatalf("filter: %v %v", one, err)
	}
	_, err = c.ListIndirectPartners(&model.ListIndirectPartnersRequest{Body: &model.QueryIndirectPartnersReq{Limit: ptr(int32(101))}})
	wantErr(t, err, 400, "CBC.0100")
}

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
