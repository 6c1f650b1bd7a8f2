package sandbox

import (
	"fmt"
	"testing"
	"time"

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

// issueTo issues a coupon of face value from the partner's voucher quota
// to customer id and returns its id.
func issueTo(t *testing.T, c interface {
	CreatePartnerCoupons(*model.CreatePartnerCouponsRequest) (*model.CreatePartnerCouponsResponse, error)
}, quotaID, customerID, face string, indirect *string) string {
	t.Helper()
	resp, err := c.CreatePartnerCoupons(&model.CreatePartnerCouponsRequest{Body: &model.CreatePartnerCouponsReq{
		QuotaId: quotaID, CustomerIds: []string{customerID}, FaceValue: dec(face), IndirectPartnerId: indirect}})
	if err != nil || len(*resp.CouponInfos) != 1 {
		t.Fatalf("issue: %+v %v", resp, err)
	}
	return (*resp.CouponInfos)[0].CouponId
}

func voucherQuotaOf(sb *Sandbox, partnerID string) string {
	sb.state.mu.Lock()
	defer sb.state.mu.Unlock()
	for _, q := range sb.state.quotas {
		if q.OwnerID == partnerID && q.Type == 0 {
			return q.ID
		}
	}
	return ""
}

// ListIssuedPartnerCoupons with every filter the upstream takes, paging
// and indirect_partner_id from both sides of a tier-2.
func TestListIssuedPartnerCouponsFilters(t *testing.T) {
	f := newFixture(t, KindTier1)
	t1 := f.partner
	t2 := f.m.Partners[1]
	c2 := bssClient(t, f.srv.URL, t2.AK, t2.SK)
	cust2 := showcaseOf(f.m, t2.ID)
	q2 := voucherQuotaOf(f.sb, t2.ID)
	a := issueTo(t, f.pc, q2, cust2.ID, "120", &t2.ID) // the tier-1 issues for its reseller
	b := issueTo(t, c2, q2, cust2.ID, "80", nil)
	now := f.clock.Now().UTC()
	list := func(c interface {
		ListIssuedPartnerCoupons(*model.ListIssuedPartnerCouponsRequest) (*model.ListIssuedPartnerCouponsResponse, error)
	}, req model.ListIssuedPartnerCouponsRequest) (int32, []string) {
		t.Helper()
		resp, err := c.ListIssuedPartnerCoupons(&req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range *resp.UserCoupons {
			ids = append(ids, *u.CouponId)
		}
		return *resp.TotalCount, ids
	}
	since := ptr(fmtTime(now.Add(-time.Minute)))
	// Created in the last minute: the two new ones, newest first; the tier-1
	// with indirect_partner_id, the tier-2 with its own keys (with or
	// without its own id) see the same.
	for name, c := range map[string]struct {
		cl interface {
			ListIssuedPartnerCoupons(*model.ListIssuedPartnerCouponsRequest) (*model.ListIssuedPartnerCouponsResponse, error)
		}
		ip *string
	}{"tier1": {f.pc, &t2.ID}, "tier2": {c2, nil}, "tier2-self": {c2, &t2.ID}} {
		n, ids := list(c.cl, model.ListIssuedPartnerCouponsRequest{CreateTimeBegin: since, IndirectPartnerId: c.ip})
		if n != 2 || len(ids) != 2 || ids[0] != b || ids[1] != a {
			t.Fatalf("%s: %d %v", name, n, ids)
		}
	}
	// The tier-1's own list holds neither.
	n, _ := list(f.pc, model.ListIssuedPartnerCouponsRequest{CreateTimeBegin: since})
	if n != 0 {
		t.Fatalf("tier-1 own list shows the reseller's coupons: %d", n)
	}
	// Paging over the reseller's whole list.
	total, _ := list(c2, model.ListIssuedPartnerCouponsRequest{Limit: ptr(int32(1))})
	seen := map[string]bool{}
	for off := int32(0); off < total; off += 2 {
		_, ids := list(c2, model.ListIssuedPartnerCouponsRequest{Offset: ptr(off), Limit: ptr(int32(2))})
		for _, id := range ids {
			seen[id] = true
		}
	}
	if int32(len(seen)) != total {
		t.Fatalf("paged %d distinct of %d", len(seen), total)
	}
	// Filters.
	checks := []struct {
		name string
		req  model.ListIssuedPartnerCouponsRequest
		want []string
	}{
		{"coupon_id", model.ListIssuedPartnerCouponsRequest{CouponId: &a}, []string{a}},
		{"customer+type", model.ListIssuedPartnerCouponsRequest{CustomerId: &cust2.ID, CouponType: ptr(int32(1)), CreateTimeBegin: since}, []string{b, a}},
		{"cash type", model.ListIssuedPartnerCouponsRequest{CouponType: ptr(int32(4)), CreateTimeBegin: since}, nil},
		{"status 2", model.ListIssuedPartnerCouponsRequest{Status: ptr(int32(2)), CreateTimeBegin: since}, []string{b, a}},
		{"status 5", model.ListIssuedPartnerCouponsRequest{Status: ptr(int32(5)), CreateTimeBegin: since}, nil},
		{"effective", model.ListIssuedPartnerCouponsRequest{EffectiveTimeBegin: since, EffectiveTimeEnd: ptr(fmtTime(now.Add(time.Minute)))}, []string{b, a}},
		{"expire", model.ListIssuedPartnerCouponsRequest{ExpireTimeEnd: ptr(fmtTime(now)), CreateTimeBegin: since}, nil},
		{"create end", model.ListIssuedPartnerCouponsRequest{CreateTimeBegin: since, CreateTimeEnd: ptr(fmtTime(now.Add(-30 * time.Second)))}, nil},
		{"order", model.ListIssuedPartnerCouponsRequest{OrderId: ptr("CSNOSUCHORDER")}, nil},
	}
	for _, ck := range checks {
		n, ids := list(c2, ck.req)
		if int(n) != len(ck.want) || fmt.Sprint(ids) != fmt.Sprint(ck.want) {
			t.Errorf("%s: %d %v, want %v", ck.name, n, ids, ck.want)
		}
	}
	// Errors.
	_, err := f.pc.ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{CouponType: ptr(int32(2))})
	wantErr(t, err, 400, "CBC.0100")
	_, err = f.pc.ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{Status: ptr(int32(9))})
	wantErr(t, err, 400, "CBC.0100")
	_, err = f.pc.ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{CreateTimeBegin: ptr("2024-01-01")})
	wantErr(t, err, 400, "CBC.0100")
	prov := partnerOf(f.m, KindProvider)
	_, err = bssClient(t, f.srv.URL, prov.AK, prov.SK).ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{IndirectPartnerId: &t2.ID})
	wantErr(t, err, 400, "CBC.99000037")
	_, err = c2.ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{IndirectPartnerId: &f.m.Partners[2].ID})
	wantErr(t, err, 400, "CBC.99000037")
	_ = t1
}

// Every coupon move writes a record: issue (1, face value), manual reclaim
// (2, the balance actually reclaimed) and expiry (4, the balance returned).
func TestPartnerCouponsRecords(t *testing.T) {
	f := newFixture(t, KindProvider)
	q := voucherQuotaOf(f.sb, f.partner.ID)
	quotaBefore := f.sb.quota(q).Balance
	used := issueTo(t, f.pc, q, f.cust.ID, "500", nil)
	expiring := issueTo(t, f.pc, q, f.cust.ID, "200", nil)
	// Part of the first coupon is spent (as a payment would): 180 is left.
	f.locked(func(st *State) {
		cp := st.couponByID[used]
		cp.Balance = decimal.NewFromInt(180)
		st.spentCoupons = st.spentCoupons.Add(decimal.NewFromInt(320))
	})
	if _, err := f.pc.ReclaimPartnerCoupons(&model.ReclaimPartnerCouponsRequest{Body: &model.ReclaimPartnerCouponsReq{CouponId: used}}); err != nil {
		t.Fatal(err)
	}
	// The second coupon reaches its expiry.
	f.locked(func(st *State) {
		st.couponByID[expiring].Expire = st.now().Add(-time.Second)
		st.nextCouponExpiry = time.Time{} // the expiry cache knew the old date
	})
	st, err := f.pc.ListIssuedPartnerCoupons(&model.ListIssuedPartnerCouponsRequest{CouponId: &expiring})
	if err != nil || *(*st.UserCoupons)[0].Status != 4 || !(*st.UserCoupons)[0].Balance.IsZero() {
		t.Fatalf("expired coupon: %+v %v", st, err)
	}
	if got := f.sb.quota(q).Balance; !got.Equal(quotaBefore.Sub(decimal.NewFromInt(320))) {
		t.Fatalf("quota %s, want %s less the 320 spent", got, quotaBefore)
	}
	_, err = f.pc.ReclaimPartnerCoupons(&model.ReclaimPartnerCouponsRequest{Body: &model.ReclaimPartnerCouponsReq{CouponId: expiring}})
	wantErr(t, err, 400, "CBC.0100")

	recs := func(req model.ListPartnerCouponsRecordRequest) []model.CouponRecordV2 {
		t.Helper()
		resp, err := f.pc.ListPartnerCouponsRecord(&req)
		if err != nil {
			t.Fatal(err)
		}
		if int(*resp.TotalCount) < len(*resp.Records) {
			t.Fatalf("total %d < page %d", *resp.TotalCount, len(*resp.Records))
		}
		return *resp.Records
	}
	got := recs(model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{used, expiring}})
	want := []struct{ op, coupon, amount string }{{"4", expiring, "200"}, {"2", used, "180"}, {"1", expiring, "200"}, {"1", used, "500"}}
	if len(got) != len(want) {
		t.Fatalf("records %+v", got)
	}
	for i, w := range want {
		r := got[i]
		if *r.OperationType != w.op || *r.CouponId != w.coupon || !r.OperationAmount.Equal(decimal.RequireFromString(w.amount)) ||
			*r.Result != "0" || *r.QuotaId != q || *r.QuotaType != 0 || *r.CustomerId != f.cust.ID {
			t.Fatalf("record %d: %+v, want %+v", i, r, w)
		}
	}
	if r := recs(model.ListPartnerCouponsRecordRequest{OperationTypes: &[]string{"2", "4"}, CouponIds: &[]string{used, expiring}}); len(r) != 2 {
		t.Fatalf("types 2,4: %d", len(r))
	}
	if r := recs(model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{used}, Result: ptr("x")}); len(r) != 2 {
		t.Fatalf("a result outside the enum is no filter: %d", len(r))
	}
	if r := recs(model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{used}, Result: ptr("-1")}); len(r) != 0 {
		t.Fatalf("failed records: %d", len(r))
	}
	if r := recs(model.ListPartnerCouponsRecordRequest{CustomerId: &f.cust.ID, QuotaId: &q, QuotaType: ptr(int32(0)),
		OperationTimeBegin: ptr(fmtTime(f.clock.Now().Add(-time.Minute)))}); len(r) != 4 {
		t.Fatalf("by customer, quota and time: %d", len(r))
	}
	if r := recs(model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{used}, QuotaType: ptr(int32(1))}); len(r) != 0 {
		t.Fatalf("cash quota type: %d", len(r))
	}
	// Paging newest first.
	p1 := recs(model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{used, expiring}, Limit: ptr(int32(3)), Offset: ptr(int32(1))})
	if len(p1) != 3 || *p1[0].OperationType != "2" {
		t.Fatalf("page: %+v", p1)
	}
	_, err = f.pc.ListPartnerCouponsRecord(&model.ListPartnerCouponsRecordRequest{OperationTypes: &[]string{"10"}})
	wantErr(t, err, 400, "CBC.0100")
	_, err = f.pc.ListPartnerCouponsRecord(&model.ListPartnerCouponsRecordRequest{Limit: ptr(int32(101))})
	wantErr(t, err, 400, "CBC.0100")

	// The seeded history adds another customer's expiry to this test's.
	ops := map[string]int{}
	for _, r := range recs(model.ListPartnerCouponsRecordRequest{Limit: ptr(int32(100))}) {
		ops[*r.OperationType]++
	}
	if ops["1"] == 0 || ops["2"] < 1 || ops["4"] < 2 {
		t.Fatalf("record types %v", ops)
	}
}

// The tier-1 reads a reseller's coupon records; the reseller reads its own.
func TestPartnerCouponsRecordsIndirect(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	t1, t2 := partnerOf(m, KindTier1), m.Partners[1]
	c1, c2 := bssClient(t, srv.URL, t1.AK, t1.SK), bssClient(t, srv.URL, t2.AK, t2.SK)
	id := issueTo(t, c1, voucherQuotaOf(sb, t2.ID), showcaseOf(m, t2.ID).ID, "30", &t2.ID)
	for _, ip := range []*string{&t2.ID} {
		r1, err := c1.ListPartnerCouponsRecord(&model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{id}, IndirectPartnerId: ip})
		if err != nil || *r1.TotalCount != 1 {
			t.Fatalf("tier-1 view: %+v %v", r1, err)
		}
	}
	r2, err := c2.ListPartnerCouponsRecord(&model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{id}})
	if err != nil || *r2.TotalCount != 1 {
		t.Fatalf("tier-2 view: %+v %v", r2, err)
	}
	r1, err := c1.ListPartnerCouponsRecord(&model.ListPartnerCouponsRecordRequest{CouponIds: &[]string{id}})
	if err != nil || *r1.TotalCount != 0 {
		t.Fatalf("tier-1 own records hold the reseller's: %+v %v", r1, err)
	}
}
