package sandbox

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

func TestListIndirectPartners(t *testing.T) {
	_, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindTier1)
	c := bssClient(t, srv.URL, p.AK, p.SK)
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
