package sandbox

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

func (sb *Sandbox) quota(id string) Quota {
	sb.state.mu.Lock()
	defer sb.state.mu.Unlock()
	return *sb.state.quotaByID[id]
}

func TestQuotasAndCoupons(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	t1 := partnerOf(m, KindTier1)
	t2 := m.Partners[1]
	c := bssClient(t, srv.URL, t1.AK, t1.SK)

	// Quotas: every partner holds an active quota with a balance >= 1000.
	for _, p := range m.Partners {
		r, err := bssClient(t, srv.URL, p.AK, p.SK).ListQuotaCoupons(&model.ListQuotaCouponsRequest{Body: &model.QueryCouponQuotasReqExt{QuotaStatusList: &[]int32{0}}})
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, q := range *r.Quotas {
			if *q.QuotaStatus == 0 && q.Balance.GreaterThanOrEqual(decimal.NewFromInt(1000)) {
				ok = true
			}
		}
		if !ok || int(*r.TotalCount) != len(*r.Quotas) {
			t.Fatalf("%s quotas %v", p.Kind, r)
		}
	}
	qs, err := c.ListQuotaCoupons(&model.ListQuotaCouponsRequest{Body: &model.QueryCouponQuotasReqExt{QuotaType: ptr(int32(0))}})
	if err != nil || len(*qs.Quotas) != 1 {
		t.Fatalf("voucher quota: %v %v", qs, err)
	}
	parentID := *(*qs.Quotas)[0].QuotaId
	parentBefore := sb.quota(parentID).Balance

	// Child quotas: issue to both tier-2s and one foreign partner.
	up, err := c.UpdateCouponQuotas(&model.UpdateCouponQuotasRequest{Body: &model.AdjustCouponQuotasReq{
		QuotaId: parentID, IndirectPartnerIds: []string{t2.ID, m.Partners[2].ID, partnerOf(m, KindProvider).ID}, QuotaAmount: dec("2500")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*up.SimpleQuotaInfos) != 2 || len(*up.ErrorDetails) != 1 || *(*up.ErrorDetails)[0].ErrorCode != "CBC.99000037" {
		t.Fatalf("update quotas %v", up)
	}
	if got := sb.quota(parentID).Balance; !got.Equal(parentBefore.Sub(decimal.NewFromInt(5000))) {
		t.Fatalf("parent balance %s", got)
	}
	childID := (*up.SimpleQuotaInfos)[0].QuotaId
	iq, err := c.ListIssuedCouponQuotas(&model.ListIssuedCouponQuotasRequest{QuotaId: &childID})
	if err != nil || *iq.TotalCount != 1 || *(*iq.Quotas)[0].IndirectPartnerId != t2.ID || *(*iq.Quotas)[0].ParentQuotaId != parentID {
		t.Fatalf("issued quotas %v %v", iq, err)
	}
	all, err := c.ListIssuedCouponQuotas(&model.ListIssuedCouponQuotasRequest{IndirectPartnerId: &t2.ID})
	if err != nil || *all.TotalCount != 2 { // seeded + new
		t.Fatalf("issued quotas for t2: %v %v", all, err)
	}
	// The tier-2 issues a coupon from the child quota to its customer; a
	// foreign customer and a consultant customer fail inside a 200 body.
	c2 := bssClient(t, srv.URL, t2.AK, t2.SK)
	cust := showcaseOf(m, t2.ID)
	ids := []string{cust.ID, showcaseOf(m, t1.ID).ID}
	cons := sb.consultantOf(t2.ID)
	if cons != "" {
		ids = append(ids, cons)
	}
	cp, err := c2.CreatePartnerCoupons(&model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{
		QuotaId: childID, CustomerIds: ids, FaceValue: dec("300"), Memo: ptr("spring promo")}})
	if err != nil {
		t.Fatal(err)
	}
	if cp.HttpStatusCode != 200 || len(*cp.CouponInfos) != 1 || (*cp.CouponInfos)[0].Id != cust.ID || len(*cp.ErrorDetails) != len(ids)-1 ||
		*(*cp.ErrorDetails)[0].ErrorCode != "CBC.99000035" {
		t.Fatalf("create coupons %v", cp)
	}
	if cons != "" && *(*cp.ErrorDetails)[1].ErrorCode != "CBC.99000014" {
		t.Fatalf("consultant: %v", cp)
	}
	couponID := (*cp.CouponInfos)[0].CouponId
	if got := sb.quota(childID).Balance; !got.Equal(decimal.NewFromInt(2200)) {
		t.Fatalf("child balance %s", got)
	}
	// Quota insufficient → per-customer CBC.99000013.
	ins, err := c2.CreatePartnerCoupons(&model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{QuotaId: childID, CustomerIds: []string{cust.ID}, FaceValue: dec("2200.01")}})
	if err != nil || len(*ins.ErrorDetails) != 1 || *(*ins.ErrorDetails)[0].ErrorCode != "CBC.99000013" {
		t.Fatalf("insufficient: %v %v", ins, err)
	}
	// Request-level errors.
	_, err = c2.CreatePartnerCoupons(&model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{QuotaId: parentID, CustomerIds: []string{cust.ID}, FaceValue: dec("1")}})
	wantErr(t, err, 400, "CBC.99000012")
	_, err = c2.CreatePartnerCoupons(&model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{QuotaId: childID, CustomerIds: make([]string, 101), FaceValue: dec("1")}})
	wantErr(t, err, 400, "CBC.0100")
	_, err = c2.CreatePartnerCoupons(&model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{QuotaId: childID, CustomerIds: []string{cust.ID}, FaceValue: dec("1.234")}})
	wantErr(t, err, 400, "CBC.0100")

	// The tier-1 sees the tier-2's coupon via indirect_partner_id.
	lc, err := c.ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{CouponId: &couponID, IndirectPartnerId: &t2.ID})
	if err != nil || *lc.TotalCount != 1 || !(*lc.UserCoupons)[0].FaceValue.Equal(decimal.NewFromInt(300)) || *(*lc.UserCoupons)[0].Status != 2 {
		t.Fatalf("issued coupons %v %v", lc, err)
	}
	// The customer sees it (float64 face value and balance).
	cc := bssTokenClient(t, srv.URL, customerToken(t, srv.URL, t2, cust.ID))
	sc, err := cc.ListSubCustomerCoupons(&model.ListSubCustomerCouponsRequest{CouponId: &couponID})
	if err != nil || *sc.Count != 1 || *(*sc.UserCoupons)[0].FaceValue != 300 || *(*sc.UserCoupons)[0].Balance != 300 || *(*sc.UserCoupons)[0].SourceId != t2.ID {
		t.Fatalf("customer coupons %v %v", sc, err)
	}
	// Reclaim the coupon: its balance returns to the child quota.
	if _, err := c2.ReclaimPartnerCoupons(&model.ReclaimPartnerCouponsRequest{Body: &model.ReclaimPartnerCouponsReq{CouponId: couponID}}); err != nil {
		t.Fatal(err)
	}
	if got := sb.quota(childID).Balance; !got.Equal(decimal.NewFromInt(2500)) {
		t.Fatalf("child balance after reclaim %s", got)
	}
	_, err = c2.ReclaimPartnerCoupons(&model.ReclaimPartnerCouponsRequest{Body: &model.ReclaimPartnerCouponsReq{CouponId: couponID}})
	wantErr(t, err, 400, "CBC.0100")
	// Coupon records: issue (1) then reclaim (2); repeated operation_types.
	recs, err := c2.ListPartnerCouponsRecord(&model.ListPartnerCouponsRecordRequest{OperationTypes: &[]string{"1", "2"}, CouponIds: &[]string{couponID}})
	if err != nil || *recs.TotalCount != 2 || *(*recs.Records)[0].OperationType != "2" || *(*recs.Records)[1].OperationType != "1" ||
		!(*recs.Records)[0].OperationAmount.Equal(decimal.NewFromInt(300)) {
		t.Fatalf("coupon records %v %v", recs, err)
	}
	// Reclaim the child quotas: balances return to the parent.
	rq, err := c.ReclaimCouponQuotas(&model.ReclaimCouponQuotasRequest{Body: &model.ReclaimCouponQuotasReq{
		QuotaIds: []string{childID, (*up.SimpleQuotaInfos)[1].QuotaId, parentID}, Remark: ptr("quarter end")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*rq.SimpleQuotaInfos) != 2 || len(*rq.ErrorDetails) != 1 || !(*rq.SimpleQuotaInfos)[0].QuotaBalance.Equal(decimal.NewFromInt(2500)) {
		t.Fatalf("reclaim quotas %v", rq)
	}
	if got := sb.quota(parentID).Balance; !got.Equal(parentBefore) {
		t.Fatalf("parent balance %s, want %s", got, parentBefore)
	}
	qr, err := c.ListCouponQuotasRecords(&model.ListCouponQuotasRecordsRequest{QuotaId: &childID})
	if err != nil || *qr.TotalCount != 2 || *(*qr.Records)[0].OperationType != "11" || *(*qr.Records)[1].OperationType != "10" || *(*qr.Records)[0].Remark != "quarter end" {
		t.Fatalf("quota records %v %v", qr, err)
	}
	// Caller rules: quota issuing is tier-1 only; customer coupons customer only.
	_, err = c2.UpdateCouponQuotas(&model.UpdateCouponQuotasRequest{Body: &model.AdjustCouponQuotasReq{QuotaId: childID, IndirectPartnerIds: []string{t2.ID}, QuotaAmount: dec("1")}})
	wantErr(t, err, 403, "CBC.0151")
	_, err = c2.ListSubCustomerCoupons(&model.ListSubCustomerCouponsRequest{})
	wantErr(t, err, 403, "CBC.0151")
	_, err = c.ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{Limit: ptr(int32(101))})
	wantErr(t, err, 400, "CBC.0100")
}
