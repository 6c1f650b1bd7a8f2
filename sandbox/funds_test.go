package sandbox

import (
	"fmt"
	"testing"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

func dec(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

func (sb *Sandbox) customerBalance(id string) decimal.Decimal {
	sb.state.mu.Lock()
	defer sb.state.mu.Unlock()
	return sb.state.customerByID[id].Balance
}

func (sb *Sandbox) partnerBalance(id string) decimal.Decimal {
	sb.state.mu.Lock()
	defer sb.state.mu.Unlock()
	return sb.state.partnerByID[id].Balance
}

// consultantOf returns a consultant-sale customer of the partner.
func (sb *Sandbox) consultantOf(partnerID string) string {
	sb.state.mu.Lock()
	defer sb.state.mu.Unlock()
	for _, c := range sb.state.customersByPartner[partnerID] {
		if c.AssociationType == "1" {
			return c.ID
		}
	}
	return ""
}

func TestFundsAllocateReclaim(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindProvider)
	cust := showcaseOf(m, p.ID)
	c := bssClient(t, srv.URL, p.AK, p.SK)

	pb, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cash := (*pb.AccountBalances)[0]
	if cash.AccountType != 1 || cash.Currency != "CNY" || cash.MeasureId != 1 || cash.Amount != sb.partnerBalance(p.ID).InexactFloat64() || *cash.DesignatedAmount != 10000 {
		t.Fatalf("partner balances %v", pb)
	}
	before := sb.customerBalance(cust.ID)
	pBefore := sb.partnerBalance(p.ID)

	up, err := c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec("100.55")}})
	if err != nil || up.TransferId == nil {
		t.Fatalf("allocate: %v %v", up, err)
	}
	if got := sb.customerBalance(cust.ID); !got.Equal(before.Add(decimal.RequireFromString("100.55"))) {
		t.Fatalf("customer balance %s", got)
	}
	rc, err := c.ReclaimToPartnerAccount(&model.ReclaimToPartnerAccountRequest{Body: &model.ReclaimToPartnerAccountBalancesReq{CustomerId: cust.ID, Amount: dec("0.55")}})
	if err != nil || rc.TransId == nil {
		t.Fatalf("reclaim: %v %v", rc, err)
	}
	if got := sb.partnerBalance(p.ID); !got.Equal(pBefore.Sub(decimal.NewFromInt(100))) {
		t.Fatalf("partner balance %s", got)
	}
	// Batch balances: own customer present, foreign absent.
	foreign := showcaseOf(m, partnerOf(m, KindTier1).ID).ID
	bd, err := c.ListCustomersBalancesDetail(&model.ListCustomersBalancesDetailRequest{Body: &model.QueryCustomersBalancesReq{
		CustomerInfos: []model.CustomerInfoV2{{CustomerId: cust.ID}, {CustomerId: foreign}}}})
	if err != nil || len(*bd.CustomerBalances) != 1 || !(*bd.CustomerBalances)[0].Amount.Equal(before.Add(decimal.NewFromInt(100))) {
		t.Fatalf("balances detail %v %v", bd, err)
	}
	// Adjust records: newest first, amount as a string.
	ar, err := c.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{CustomerId: ptr(cust.ID), Limit: ptr(int32(2))})
	if err != nil {
		t.Fatal(err)
	}
	recs := *ar.Records
	if len(recs) != 2 || *recs[0].OperationType != "SOURCE_OPERATION_BERETRIEVE" || *recs[0].Amount != "0.55" || *recs[0].TransId != *rc.TransId ||
		*recs[1].OperationType != "SOURCE_OPERATION_BEADJUST" || *recs[1].Amount != "100.55" || *ar.TotalCount < 3 {
		t.Fatalf("adjust records %v", ar)
	}
	byTrans, err := c.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{TransId: up.TransferId})
	if err != nil || *byTrans.TotalCount != 1 {
		t.Fatalf("by trans id: %v %v", byTrans, err)
	}
	// Another partner's customer: records are an empty 200.
	empty, err := c.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{CustomerId: ptr(foreign)})
	if err != nil || *empty.TotalCount != 0 {
		t.Fatalf("foreign records: %v %v", empty, err)
	}
	// Partner account change records.
	pc, err := c.ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{BalanceType: "BALANCE_TYPE_DEBIT", Limit: ptr(int32(2))})
	if err != nil {
		t.Fatal(err)
	}
	r0 := (*pc.Records)[0]
	if *r0.TradeId != *rc.TransId || *r0.Type != "1" || *r0.ChangeAmount != "0.55" || *r0.BalanceAfterChange != sb.partnerBalance(p.ID).StringFixed(2) || *r0.CustomerId != cust.ID {
		t.Fatalf("partner change records %v", pc)
	}
	_, err = c.ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{BalanceType: "NOPE"})
	wantErr(t, err, 400, "CBC.0100")
	// Customer account change records through a customer token.
	cc := bssTokenClient(t, srv.URL, customerToken(t, srv.URL, p, cust.ID))
	cr, err := cc.ListCustomerAccountChangeRecords(&model.ListCustomerAccountChangeRecordsRequest{BalanceType: "BALANCE_TYPE_DEBIT"})
	if err != nil {
		t.Fatal(err)
	}
	c0 := (*cr.Records)[0]
	if *c0.TradeId != *rc.TransId || *c0.RevenueExpenseType != "2" || *c0.BalanceAfterChange != sb.customerBalance(cust.ID).StringFixed(2) {
		t.Fatalf("customer change records %v", cr)
	}

	// Errors: over-allocation (amount > balance - designated), over-reclaim,
	// bad amounts, foreign and consultant customers.
	over := sb.partnerBalance(p.ID).Sub(decimal.NewFromInt(10000)).Add(decimal.RequireFromString("0.01"))
	_, err = c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: &over}})
	wantErr(t, err, 400, "CBC.99005003")
	tooMuch := sb.customerBalance(cust.ID).Add(decimal.RequireFromString("0.01"))
	_, err = c.ReclaimToPartnerAccount(&model.ReclaimToPartnerAccountRequest{Body: &model.ReclaimToPartnerAccountBalancesReq{CustomerId: cust.ID, Amount: &tooMuch}})
	wantErr(t, err, 400, "CBC.99005003")
	for _, bad := range []string{"0", "-1", "1.001"} {
		_, err = c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec(bad)}})
		wantErr(t, err, 400, "CBC.0100")
	}
	_, err = c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: foreign, Amount: dec("1")}})
	wantErr(t, err, 400, "CBC.99000035")
	if cons := sb.consultantOf(p.ID); cons != "" {
		_, err = c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cons, Amount: dec("1")}})
		wantErr(t, err, 400, "CBC.0100")
	}
	_, err = c.ListCustomersBalancesDetail(&model.ListCustomersBalancesDetailRequest{Body: &model.QueryCustomersBalancesReq{CustomerInfos: make([]model.CustomerInfoV2, 101)}})
	wantErr(t, err, 400, "CBC.0100")
	_, err = c.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{Limit: ptr(int32(101))})
	wantErr(t, err, 400, "CBC.0100")
}

func TestFundsResellers(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	t1 := partnerOf(m, KindTier1)
	t2 := m.Partners[1]
	c := bssClient(t, srv.URL, t1.AK, t1.SK)
	t1Before, t2Before := sb.partnerBalance(t1.ID), sb.partnerBalance(t2.ID)

	up, err := c.UpdateIndirectPartnerAccount(&model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: t2.ID, Amount: dec("5000")}})
	if err != nil || up.TransferId == nil {
		t.Fatalf("indirect adjust: %v %v", up, err)
	}
	rc, err := c.ReclaimIndirectPartnerAccount(&model.ReclaimIndirectPartnerAccountRequest{Body: &model.ReclaimIndirectPartnerAccountReq{IndirectPartnerId: t2.ID, Amount: dec("1000.50")}})
	if err != nil || rc.TransId == nil {
		t.Fatalf("indirect reclaim: %v %v", rc, err)
	}
	if !sb.partnerBalance(t2.ID).Equal(t2Before.Add(decimal.RequireFromString("3999.5"))) ||
		!sb.partnerBalance(t1.ID).Equal(t1Before.Sub(decimal.RequireFromString("3999.5"))) {
		t.Fatalf("balances t1 %s t2 %s", sb.partnerBalance(t1.ID), sb.partnerBalance(t2.ID))
	}
	// The tier-1 reads the tier-2's balances.
	pb, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{IndirectPartnerId: ptr(t2.ID)})
	if err != nil || (*pb.AccountBalances)[0].Amount != sb.partnerBalance(t2.ID).InexactFloat64() {
		t.Fatalf("tier-2 balances via tier-1: %v %v", pb, err)
	}
	// The tier-1 funds the tier-2's customer from the tier-2's balance.
	cust := showcaseOf(m, t2.ID)
	cb := sb.customerBalance(cust.ID)
	t2b := sb.partnerBalance(t2.ID)
	if _, err := c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec("12.34"), IndirectPartnerId: ptr(t2.ID)}}); err != nil {
		t.Fatal(err)
	}
	if !sb.partnerBalance(t2.ID).Equal(t2b.Sub(decimal.RequireFromString("12.34"))) || !sb.customerBalance(cust.ID).Equal(cb.Add(decimal.RequireFromString("12.34"))) {
		t.Fatal("indirect allocation did not come from the tier-2")
	}
	// The adjust record belongs to the tier-2 (visible via indirect_partner_id).
	ar, err := c.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{IndirectPartnerId: ptr(t2.ID), Limit: ptr(int32(1))})
	if err != nil || *(*ar.Records)[0].CustomerId != cust.ID {
		t.Fatalf("tier-2 adjust records: %v %v", ar, err)
	}
	// Without indirect_partner_id the tier-2's customer is not the tier-1's.
	_, err = c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec("1")}})
	wantErr(t, err, 400, "CBC.99000035")
	// Errors: not its reseller, over-allocation, over-reclaim, caller rules.
	_, err = c.UpdateIndirectPartnerAccount(&model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: partnerOf(m, KindProvider).ID, Amount: dec("1")}})
	wantErr(t, err, 400, "CBC.99000037")
	_, err = c.UpdateIndirectPartnerAccount(&model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: t2.ID, Amount: dec("999999999")}})
	wantErr(t, err, 400, "CBC.99005003")
	_, err = c.ReclaimIndirectPartnerAccount(&model.ReclaimIndirectPartnerAccountRequest{Body: &model.ReclaimIndirectPartnerAccountReq{IndirectPartnerId: t2.ID, Amount: dec("999999999")}})
	wantErr(t, err, 400, "CBC.99005003")
	_, err = bssClient(t, srv.URL, t2.AK, t2.SK).UpdateIndirectPartnerAccount(&model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: t2.ID, Amount: dec("1")}})
	wantErr(t, err, 403, "CBC.0151")
	// Tier-2 sees the movements in its account change records.
	cr, err := bssClient(t, srv.URL, t2.AK, t2.SK).ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{BalanceType: "BALANCE_TYPE_DEBIT", TradeType: ptr("BERETRIEVE")})
	if err != nil || *cr.TotalCount < 1 || *(*cr.Records)[0].TradeId != *rc.TransId || *(*cr.Records)[0].Type != "2" {
		t.Fatalf("tier-2 change records: %v %v", cr, err)
	}
}

func BenchmarkListCustomersBalancesDetail100(b *testing.B) {
	srv, p, ids := benchSetup(b)
	c := bssClient(b, srv, p.AK, p.SK)
	infos := make([]model.CustomerInfoV2, 100)
	for i := range infos {
		infos[i].CustomerId = ids[i]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.ListCustomersBalancesDetail(&model.ListCustomersBalancesDetailRequest{Body: &model.QueryCustomersBalancesReq{CustomerInfos: infos}})
		if err != nil || len(*resp.CustomerBalances) != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateCustomerAccountAmount(b *testing.B) {
	_, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	cust := showcaseOf(m, p.ID)
	c := bssClient(b, srv.URL, p.AK, p.SK)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec("0.01")}}); err != nil {
			b.Fatal(err)
		}
	}
}

// A tier-2's history read both ways: by its tier-1 with
// indirect_partner_id, and by the reseller itself (its own keys, with or
// without its own id). Both see the same records, filters and paging.
func TestResellerHistoryBothSides(t *testing.T) {
	_, srv, m := newTestSandbox(t)
	t1, t2 := partnerOf(m, KindTier1), m.Partners[1]
	c1, c2 := bssClient(t, srv.URL, t1.AK, t1.SK), bssClient(t, srv.URL, t2.AK, t2.SK)
	cust := showcaseOf(m, t2.ID)
	// The tier-1 funds the reseller, then allocates for it to its customer.
	if _, err := c1.UpdateIndirectPartnerAccount(&model.UpdateIndirectPartnerAccountRequest{Body: &model.AdjustToIndirectPartnerReq{IndirectPartnerId: t2.ID, Amount: dec("700")}}); err != nil {
		t.Fatal(err)
	}
	up, err := c1.UpdateCustomerAccountAmount(&model.UpdateCustomerAccountAmountRequest{Body: &model.AdjustAccountReq{CustomerId: cust.ID, Amount: dec("45.60"), IndirectPartnerId: &t2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	views := []struct {
		name string
		c    *bss.BssClient
		ip   *string
	}{{"tier-1 for the reseller", c1, &t2.ID}, {"reseller", c2, nil}, {"reseller naming itself", c2, &t2.ID}}

	var firstAdjust, firstChange string
	for _, v := range views {
		ar, err := v.c.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{IndirectPartnerId: v.ip, Limit: ptr(int32(100))})
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		top := (*ar.Records)[0]
		if *top.TransId != *up.TransferId || *top.CustomerId != cust.ID || *top.Amount != "45.60" || *top.OperationType != "SOURCE_OPERATION_BEADJUST" {
			t.Fatalf("%s: newest adjust record %+v", v.name, top)
		}
		byTrans, err := v.c.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{IndirectPartnerId: v.ip, TransId: up.TransferId, CustomerId: &cust.ID})
		if err != nil || *byTrans.TotalCount != 1 {
			t.Fatalf("%s: by trans_id %+v %v", v.name, byTrans, err)
		}
		sig := fmt.Sprint(*ar.TotalCount, len(*ar.Records))
		if firstAdjust == "" {
			firstAdjust = sig
		} else if sig != firstAdjust {
			t.Fatalf("%s sees %s adjust records, first view %s", v.name, sig, firstAdjust)
		}

		ch, err := v.c.ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{
			BalanceType: "BALANCE_TYPE_DEBIT", IndirectPartnerId: v.ip, Limit: ptr(int32(2))})
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		recs := *ch.Records
		// Newest first: the allocation out (type 2) to the customer, then the
		// tier-1's funding in (type 1, BEADJUST).
		if len(recs) != 2 || *recs[0].TradeDetailType != "ADJUST" || *recs[0].Type != "2" || *recs[0].ChangeAmount != "45.60" ||
			deref(recs[0].CustomerId) != cust.ID || *recs[1].TradeDetailType != "BEADJUST" || *recs[1].ChangeAmount != "700.00" || *recs[1].Type != "1" {
			t.Fatalf("%s: change records %+v", v.name, recs)
		}
		be, err := v.c.ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{
			BalanceType: "BALANCE_TYPE_DEBIT", TradeType: ptr("BEADJUST"), IndirectPartnerId: v.ip, Limit: ptr(int32(100))})
		if err != nil {
			t.Fatal(err)
		}
		sig = fmt.Sprint(*ch.TotalCount, *be.TotalCount)
		if firstChange == "" {
			firstChange = sig
		} else if sig != firstChange {
			t.Fatalf("%s sees %s change records, first view %s", v.name, sig, firstChange)
		}
	}
	// The tier-1's own records: the reseller's allocation is not there; its
	// own funding of the reseller is (ADJUST, out, counterpart the reseller).
	own, err := c1.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{TransId: up.TransferId})
	if err != nil || *own.TotalCount != 0 {
		t.Fatalf("tier-1 own adjust records: %+v %v", own, err)
	}
	oc, err := c1.ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{BalanceType: "BALANCE_TYPE_DEBIT", Limit: ptr(int32(1))})
	if err != nil || *(*oc.Records)[0].TradeDetailType != "ADJUST" || deref((*oc.Records)[0].CustomerId) != t2.ID {
		t.Fatalf("tier-1 own change records: %+v %v", oc, err)
	}
	// Another reseller, or a provider naming one: CBC.99000037.
	_, err = c2.ListPartnerAdjustRecords(&model.ListPartnerAdjustRecordsRequest{IndirectPartnerId: &m.Partners[2].ID})
	wantErr(t, err, 400, "CBC.99000037")
	prov := partnerOf(m, KindProvider)
	_, err = bssClient(t, srv.URL, prov.AK, prov.SK).ListPartnerAccountChangeRecords(&model.ListPartnerAccountChangeRecordsRequest{BalanceType: "BALANCE_TYPE_DEBIT", IndirectPartnerId: &t2.ID})
	wantErr(t, err, 400, "CBC.99000037")
}
