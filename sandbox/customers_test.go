package sandbox

import (
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

func TestListSubCustomerNewTag(t *testing.T) {
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
}

func BenchmarkListSubCustomers100(b *testing.B) {
	_, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	c := bssClient(b, srv.URL, p.AK, p.SK)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := int32((i * 100) % 3000)
		resp, err := c.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Offset: &off, Limit: ptr(int32(100))}})
		if err != nil || len(*resp.CustomerInfos) != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkListSubCustomerNewTag200(b *testing.B) {
	srv, p, ids := benchSetup(b)
	c := bssClient(b, srv, p.AK, p.SK)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.ListSubCustomerNewTag(&model.ListSubCustomerNewTagRequest{Body: &model.ListSubCustomerNewTagReq{CustomerIds: &ids, Limit: ptr(int32(200))}})
		if err != nil || len(*resp.NewCustomerTags) != 200 {
			b.Fatal(err)
		}
	}
}

// Identity fields of seeded and created customers, and the look-up by the
// partner's own user id the upstream leaves to paging.
func TestCustomerIdentityFields(t *testing.T) {
	f := newFixture(t, KindProvider)
	var want []Customer
	f.locked(func(st *State) {
		for _, c := range st.customersByPartner[f.partner.ID] {
			want = append(want, *c)
		}
	})
	byID := map[string]model.CustomerInformation{}
	for off := int32(0); ; off += 100 {
		resp, err := f.pc.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Offset: ptr(off), Limit: ptr(int32(100))}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range *resp.CustomerInfos {
			byID[ci.CustomerId] = ci
		}
		if off+100 >= *resp.Count {
			break
		}
	}
	if len(byID) != len(want) {
		t.Fatalf("paged %d customers, want %d", len(byID), len(want))
	}
	for _, c := range want {
		ci := byID[c.ID]
		if deref(ci.XaccountId) != c.XAccountID || deref(ci.XaccountType) != "zhiyuan_IDP" || deref(ci.CustomerType) != c.CustomerType || c.XAccountID == "" {
			t.Fatalf("seeded %s: xaccount %q/%q type %d, want %q/zhiyuan_IDP/%d", c.ID, deref(ci.XaccountId), deref(ci.XaccountType), deref(ci.CustomerType), c.XAccountID, c.CustomerType)
		}
	}
	// A created customer: its xaccount pair as given, no type until verified.
	created, err := f.pc.CreateSubCustomer(&model.CreateSubCustomerRequest{Body: &model.CreateCustomerV2Req{
		XaccountId: "crm-user-4711", XaccountType: "zhiyuan_IDP", DomainName: ptr("crm_user_4711"), IncludeAssociationResult: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	// The look-up by xaccount_id: page and match (there is no filter).
	find := func(xid string) *model.CustomerInformation {
		for off := int32(0); ; off += 100 {
			resp, err := f.pc.ListSubCustomers(&model.ListSubCustomersRequest{Body: &model.QuerySubCustomerListReq{Offset: ptr(off), Limit: ptr(int32(100))}})
			if err != nil {
				t.Fatal(err)
			}
			for _, ci := range *resp.CustomerInfos {
				if deref(ci.XaccountId) == xid {
					return &ci
				}
			}
			if off+100 >= *resp.Count {
				return nil
			}
		}
	}
	ci := find("crm-user-4711")
	if ci == nil || ci.CustomerId != *created.DomainId || deref(ci.XaccountType) != "zhiyuan_IDP" || deref(ci.CustomerType) != -1 || ci.AccountName != "crm_user_4711" {
		t.Fatalf("created customer %+v", ci)
	}
	// Verified as an individual: customer_type 0.
	if _, err := f.pc.CreatePersonalRealnameAuth(&model.CreatePersonalRealnameAuthRequest{Body: personalReq(ci.CustomerId, "王小明", "810000199001011230")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)
	if ci = find("crm-user-4711"); deref(ci.CustomerType) != 0 || deref(ci.VerifiedStatus) != "2" {
		t.Fatalf("verified customer %+v", ci)
	}
	if find("no-such-user") != nil {
		t.Fatal("found a user id nobody has")
	}
}
