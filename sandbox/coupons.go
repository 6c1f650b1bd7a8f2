package sandbox

import (
	"math/rand"
	"net/http"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// Coupons and coupon quotas: ListQuotaCoupons, ListIssuedCouponQuotas,
// UpdateCouponQuotas, ReclaimCouponQuotas, ListCouponQuotasRecords,
// CreatePartnerCoupons, ListIssuedPartnerCoupons, ReclaimPartnerCoupons,
// ListPartnerCouponsRecord, ListSubCustomerCoupons (customer).
//
// Quota and coupon value is conserved: issuing a coupon moves face_value
// from the quota to the coupon; reclaiming a coupon returns its remaining
// balance to its quota; a child quota is carved from the tier-1's quota and
// ReclaimCouponQuotas returns the child's whole balance to its parent.
// Every coupon move writes a partner coupon record (ListPartnerCouponsRecord,
// operation types as the SDK numbers them): 1 issue (face value), 2 manual
// reclaim (ReclaimPartnerCoupons: the balance actually reclaimed, which the
// empty reclaim answer cannot carry), 4 expiry reclaim (a usable coupon
// reaching its expire_time becomes status 4 on the next coupon operation and
// its remaining balance goes back to its quota, releasing any order hold).
// The sandbox never disassociates customers or moves resellers, so types 3
// and 5–9 are never written (they are accepted as filters). The seed also
// gives some resale customers a coupon history: an expired voucher (records 1
// and 4) or a reclaimed one (records 1 and 2).
//
// CreatePartnerCoupons, UpdateCouponQuotas and ReclaimCouponQuotas report
// per-item failures in error_details of a 200 body: CBC.99000035 not your
// customer, CBC.99000014 consultant-sale customer, CBC.99000013 quota
// insufficient, CBC.99000037 not your reseller, CBC.99000012 quota missing or
// not yours. Request-level problems (the quota itself missing, expired, the
// face value out of the quota's range) are 400s.

func (s *Sandbox) registerCouponsRoutes() {
	s.handle(http.MethodPost, "/v2/partners/coupon-quotas/query", "ListQuotaCoupons", callerPartner, s.listQuotaCoupons)
	s.handle(http.MethodGet, "/v2/partners/issued-coupon-quotas", "ListIssuedCouponQuotas", callerTier1, s.listIssuedCouponQuotas)
	s.handle(http.MethodPost, "/v2/partners/coupon-quotas/indirect-partner-adjust", "UpdateCouponQuotas", callerTier1, s.updateCouponQuotas)
	s.handle(http.MethodPost, "/v2/partners/coupon-quotas/indirect-partner-reclaim", "ReclaimCouponQuotas", callerTier1, s.reclaimCouponQuotas)
	s.handle(http.MethodGet, "/v2/partners/coupon-quotas/records", "ListCouponQuotasRecords", callerTier1, s.listCouponQuotasRecords)
	s.handle(http.MethodPost, "/v2/promotions/benefits/partner-coupons", "CreatePartnerCoupons", callerPartner, s.createPartnerCoupons)
	s.handle(http.MethodGet, "/v2/promotions/benefits/partner-coupons", "ListIssuedPartnerCoupons", callerPartner, s.listIssuedPartnerCoupons)
	s.handle(http.MethodPost, "/v2/promotions/benefits/partner-coupons/reclaim", "ReclaimPartnerCoupons", callerPartner, s.reclaimPartnerCoupons)
	s.handle(http.MethodGet, "/v2/promotions/benefits/partner-coupons/records/query", "ListPartnerCouponsRecord", callerPartner, s.listPartnerCouponsRecord)
	s.handle(http.MethodGet, "/v2/promotions/benefits/coupons", "ListSubCustomerCoupons", callerCustomer, s.listSubCustomerCoupons)
}

func quotaLimits(q *Quota) *[]model.QuotaLimitInfo {
	if len(q.LimitServices) == 0 {
		return nil
	}
	vals := make([]model.LimitValue, 0, len(q.LimitServices))
	for _, sv := range q.LimitServices {
		vals = append(vals, model.LimitValue{Value1: ptr(sv)})
	}
	return &[]model.QuotaLimitInfo{{LimitKey: ptr("cloud_service_types"), LimitValues: &vals}}
}

func quotaV2(q *Quota) model.CouponQuotaV2 {
	return model.CouponQuotaV2{
		QuotaId: ptr(q.ID), QuotaType: ptr(q.Type), CreateTime: ptr(fmtTime(q.Created)),
		LastUpdateTime: ptr(fmtTime(q.Updated)), QuotaValue: ptr(q.Value), QuotaStatus: ptr(q.Status),
		Balance: ptr(q.Balance), MeasureId: ptr(int32(1)), Currency: ptr(currencyCNY),
		EffectiveTime: ptr(fmtTime(q.Effective)), ExpireTime: ptr(fmtTime(q.Expire)), LimitInfos: quotaLimits(q),
	}
}

func (s *Sandbox) listQuotaCoupons(c *call) (any, error) {
	var req model.QueryCouponQuotasReqExt
	if len(c.body) > 0 {
		if err := c.decode(&req); err != nil {
			return nil, err
		}
	}
	off, lim, err := page(req.Offset, req.Limit, 10, 100)
	if err != nil {
		return nil, err
	}
	var times [6]time.Time
	for i, v := range []*string{req.CreateTimeBegin, req.CreateTimeEnd, req.EffectiveTimeBegin, req.EffectiveTimeEnd, req.ExpireTimeBegin, req.ExpireTimeEnd} {
		if times[i], err = parseTimeParam("time filter", v); err != nil {
			return nil, err
		}
	}
	ids := map[string]bool{}
	if req.QuotaIds != nil {
		for _, id := range *req.QuotaIds {
			ids[id] = true
		}
	}
	statuses := map[int32]bool{}
	if req.QuotaStatusList != nil {
		for _, v := range *req.QuotaStatusList {
			statuses[v] = true
		}
	}
	return s.withOwner(c, req.IndirectPartnerId, func(st *State, ownerID string) (any, error) {
		var list []*Quota
		for _, q := range st.quotas {
			if q.OwnerID != ownerID || (len(ids) > 0 && !ids[q.ID]) || (len(statuses) > 0 && !statuses[q.Status]) ||
				(req.QuotaType != nil && *req.QuotaType != q.Type) ||
				!timeIn(q.Created, times[0], times[1]) || !timeIn(q.Effective, times[2], times[3]) || !timeIn(q.Expire, times[4], times[5]) {
				continue
			}
			list = append(list, q)
		}
		out := pageOf(list, off, lim, quotaV2)
		return model.ListQuotaCouponsResponse{TotalCount: ptr(int32(len(list))), Quotas: &out}, nil
	})
}

func (s *Sandbox) listIssuedCouponQuotas(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	qid, ip, parent := c.q("quota_id"), c.q("indirect_partner_id"), c.q("parent_quota_id")
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	t1 := c.who.Partner
	var list []*Quota
	for _, q := range st.quotas {
		if q.IssuerID != t1.ID || (qid != "" && q.ID != qid) || (ip != "" && q.OwnerID != ip) || (parent != "" && q.ParentQuotaID != parent) {
			continue
		}
		list = append(list, q)
	}
	out := pageOf(list, off, lim, func(q *Quota) model.IssuedCouponQuota {
		r := st.partnerByID[q.OwnerID]
		return model.IssuedCouponQuota{
			QuotaId: ptr(q.ID), QuotaType: ptr(q.Type), CreateTime: ptr(fmtTime(q.Created)),
			LastUpdateTime: ptr(fmtTime(q.Updated)), QuotaValue: ptr(q.Value), QuotaStatus: ptr(q.Status),
			Balance: ptr(q.Balance), MeasureId: ptr(int32(1)), Currency: ptr(currencyCNY),
			EffectiveTime: ptr(fmtTime(q.Effective)), ExpireTime: ptr(fmtTime(q.Expire)), LimitInfos: quotaLimits(q),
			IndirectPartnerId: ptr(r.ID), IndirectPartnerAccountName: ptr(r.AccountName), IndirectPartnerName: ptr(r.Name),
			ParentQuotaId: ptr(q.ParentQuotaID),
		}
	})
	return model.ListIssuedCouponQuotasResponse{TotalCount: ptr(int32(len(list))), Quotas: &out}, nil
}

func errDetail(id, code, msg string) model.ErrorDetail {
	return model.ErrorDetail{Id: ptr(id), ErrorCode: ptr(code), ErrorMsg: ptr(msg)}
}

func (s *Sandbox) updateCouponQuotas(c *call) (any, error) {
	var req model.AdjustCouponQuotasReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	amount, err := money("quota_amount", req.QuotaAmount)
	if err != nil {
		return nil, err
	}
	if len(req.IndirectPartnerIds) == 0 || len(req.IndirectPartnerIds) > 100 {
		return nil, badParam("indirect_partner_ids must hold 1 to 100 resellers")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	t1 := c.who.Partner
	parent := st.quotaByID[req.QuotaId]
	now := st.now()
	if parent == nil || parent.OwnerID != t1.ID || parent.ParentQuotaID != "" || parent.Status != 0 {
		return nil, errf(http.StatusBadRequest, "CBC.99000012", "the quota does not exist or its status does not allow this")
	}
	if now.After(parent.Expire) {
		return nil, errf(http.StatusBadRequest, "CBC.99000017", "the quota is not effective or has expired")
	}
	infos := []model.QuotaSimpleInfo{}
	details := []model.ErrorDetail{}
	for _, ip := range req.IndirectPartnerIds {
		r := st.partnerByID[ip]
		if r == nil || r.Kind != KindTier2 || r.ParentID != t1.ID {
			details = append(details, errDetail(ip, "CBC.99000037", "no permission on this reseller"))
			continue
		}
		if parent.Balance.LessThan(amount) {
			details = append(details, errDetail(ip, "CBC.99000013", "the quota balance is insufficient"))
			continue
		}
		child := &Quota{
			ID: st.newID("QU"), OwnerID: r.ID, ParentQuotaID: parent.ID, IssuerID: t1.ID, Type: parent.Type,
			Value: amount, Balance: amount, Status: 0, Effective: now, Expire: parent.Expire, Created: now, Updated: now,
			MinFaceValue: parent.MinFaceValue, MaxFaceValue: parent.MaxFaceValue, LimitServices: parent.LimitServices,
		}
		parent.Balance = parent.Balance.Sub(amount)
		parent.Updated = now
		st.quotas = append(st.quotas, child)
		st.quotaByID[child.ID] = child
		st.quotaRecords = append(st.quotaRecords, &QuotaRecord{
			ID: st.newID("QR"), PartnerID: t1.ID, Operator: t1.AccountName, OperationType: "10", QuotaID: child.ID,
			ParentQuotaID: parent.ID, Amount: amount, Time: now, Result: "0", IndirectPartnerID: r.ID,
		})
		infos = append(infos, model.QuotaSimpleInfo{Id: r.ID, QuotaId: child.ID})
	}
	return model.UpdateCouponQuotasResponse{ErrorDetails: &details, SimpleQuotaInfos: &infos}, nil
}

func (s *Sandbox) reclaimCouponQuotas(c *call) (any, error) {
	var req model.ReclaimCouponQuotasReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.QuotaIds) == 0 || len(req.QuotaIds) > 100 {
		return nil, badParam("quota_ids must hold 1 to 100 quotas")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	t1 := c.who.Partner
	now := st.now()
	infos := []model.QuotaReclaim{}
	details := []model.ErrorDetail{}
	for _, id := range req.QuotaIds {
		q := st.quotaByID[id]
		if q == nil || q.IssuerID != t1.ID || q.ParentQuotaID == "" {
			details = append(details, errDetail(id, "CBC.99000012", "the quota does not exist or is not one you issued"))
			continue
		}
		parent := st.quotaByID[q.ParentQuotaID]
		amount := q.Balance
		parent.Balance = parent.Balance.Add(amount)
		parent.Updated = now
		q.Balance = decimal.Zero
		q.Updated = now
		st.quotaRecords = append(st.quotaRecords, &QuotaRecord{
			ID: st.newID("QR"), PartnerID: t1.ID, Operator: t1.AccountName, OperationType: "11", QuotaID: q.ID,
			ParentQuotaID: parent.ID, Amount: amount, Time: now, Result: "0", IndirectPartnerID: q.OwnerID,
			Remark: valueOf(req.Remark),
		})
		infos = append(infos, model.QuotaReclaim{QuotaId: ptr(q.ID), QuotaBalance: ptr(amount)})
	}
	return model.ReclaimCouponQuotasResponse{ErrorDetails: &details, SimpleQuotaInfos: &infos}, nil
}

func (s *Sandbox) listCouponQuotasRecords(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	begin, end, err := c.qTimeRange("operation_time")
	if err != nil {
		return nil, err
	}
	ip, qid, parent, op := c.q("indirect_partner_id"), c.q("quota_id"), c.q("parent_quota_id"), c.q("operation_type")
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	t1 := c.who.Partner
	total, recs := newestFirst(st.quotaRecords, func(r *QuotaRecord) bool {
		return r.PartnerID == t1.ID && (ip == "" || r.IndirectPartnerID == ip) && (qid == "" || r.QuotaID == qid) &&
			(parent == "" || r.ParentQuotaID == parent) && (op == "" || r.OperationType == op) && timeIn(r.Time, begin, end)
	}, off, lim)
	out := make([]model.QuotaRecord, 0, len(recs))
	for _, r := range recs {
		rp := st.partnerByID[r.IndirectPartnerID]
		rec := model.QuotaRecord{
			Id: ptr(r.ID), Operator: ptr(r.Operator), OperationType: ptr(r.OperationType), QuotaId: ptr(r.QuotaID),
			ParentQuotaId: ptr(r.ParentQuotaID), Amount: ptr(r.Amount), OperationTime: ptr(fmtTime(r.Time)),
			Result: ptr(r.Result), IndirectPartnerId: ptr(r.IndirectPartnerID), Remark: ptr(r.Remark),
		}
		if rp != nil {
			rec.IndirectPartnerAccountName = ptr(rp.AccountName)
			rec.IndirectPartnerName = ptr(rp.Name)
		}
		out = append(out, rec)
	}
	return model.ListCouponQuotasRecordsResponse{TotalCount: ptr(int32(total)), Records: &out}, nil
}

func (s *Sandbox) createPartnerCoupons(c *call) (any, error) {
	var req model.CreatePartnerCouponsReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	face, err := money("face_value", req.FaceValue)
	if err != nil {
		return nil, err
	}
	if req.QuotaId == "" {
		return nil, badParam("quota_id is required")
	}
	if len(req.CustomerIds) == 0 || len(req.CustomerIds) > 100 {
		return nil, badParam("customer_ids must hold 1 to 100 customers")
	}
	services, products := valueOf(req.CloudServiceTypes), valueOf(req.ProductIds)
	if len(services) > 10 || len(products) > 10 {
		return nil, badParam("cloud_service_types and product_ids may hold at most 10 values")
	}
	validFrom, err := parseTimeParam("valid_time", req.ValidTime)
	if err != nil {
		return nil, err
	}
	expire, err := parseTimeParam("expire_time", req.ExpireTime)
	if err != nil {
		return nil, err
	}
	return s.withOwner(c, req.IndirectPartnerId, func(st *State, ownerID string) (any, error) {
		q := st.quotaByID[req.QuotaId]
		now := st.now()
		if q == nil || q.OwnerID != ownerID || q.Status != 0 {
			return nil, errf(http.StatusBadRequest, "CBC.99000012", "the quota does not exist or its status does not allow issuing")
		}
		if now.Before(q.Effective) || now.After(q.Expire) {
			return nil, errf(http.StatusBadRequest, "CBC.99000017", "the quota is not effective or has expired")
		}
		if face.LessThan(q.MinFaceValue) {
			return nil, errf(http.StatusBadRequest, "CBC.99000018", "the face value is below the quota's minimum %s", q.MinFaceValue)
		}
		if face.GreaterThan(q.MaxFaceValue) {
			return nil, errf(http.StatusBadRequest, "CBC.99000019", "the face value is above the quota's maximum %s", q.MaxFaceValue)
		}
		if len(q.LimitServices) > 0 {
			allowed := map[string]bool{}
			for _, sv := range q.LimitServices {
				allowed[sv] = true
			}
			for _, sv := range services {
				if !allowed[sv] {
					return nil, errf(http.StatusBadRequest, "CBC.99000023", "cloud service type %s exceeds the quota's limits", sv)
				}
			}
			if len(services) == 0 {
				services = q.LimitServices
			}
		}
		if validFrom.IsZero() {
			validFrom = now
		}
		if expire.IsZero() {
			expire = q.Expire
		}
		if !expire.After(validFrom) || expire.After(q.Expire) {
			return nil, badParam("expire_time must be after valid_time and within the quota's validity")
		}
		issuer := st.partnerByID[ownerID]
		infos := []model.CouponSimpleInfo{}
		details := []model.ErrorDetail{}
		memo := valueOf(req.Memo)
		for _, id := range req.CustomerIds {
			cu := st.customerByID[id]
			switch {
			case cu == nil || cu.PartnerID != ownerID:
				details = append(details, errDetail(id, "CBC.99000035", "the customer is not your sub-customer"))
				continue
			case cu.AssociationType != "2":
				details = append(details, errDetail(id, "CBC.99000014", "coupons cannot be issued to a consultant-sale customer"))
				continue
			case q.Balance.LessThan(face):
				details = append(details, errDetail(id, "CBC.99000013", "the quota balance is insufficient"))
				continue
			}
			cp := &Coupon{
				ID: st.newID("CP"), CustomerID: cu.ID, IssuerID: issuer.ID, QuotaID: q.ID, QuotaType: q.Type,
				Type: 1, FaceValue: face, Balance: face, Status: 2, Effective: validFrom, Expire: expire, Created: now,
				Memo: memo, Services: services, Products: products,
			}
			if q.Type == 1 {
				cp.Type = 4
			}
			q.Balance = q.Balance.Sub(face)
			q.Updated = now
			st.coupons = append(st.coupons, cp)
			st.couponByID[cp.ID] = cp
			if st.nextCouponExpiry.After(cp.Expire) {
				st.nextCouponExpiry = cp.Expire
			}
			st.couponRecords = append(st.couponRecords, &CouponRecord{
				ID: st.newID("CR"), PartnerID: issuer.ID, OperationType: couponOpIssue, QuotaID: q.ID, QuotaType: q.Type,
				CouponID: cp.ID, CustomerID: cu.ID, Amount: face, Time: now, Result: "0", Remark: memo,
			})
			infos = append(infos, model.CouponSimpleInfo{Id: cu.ID, CouponId: cp.ID})
		}
		return model.CreatePartnerCouponsResponse{ErrorDetails: &details, CouponInfos: &infos}, nil
	})
}

func couponLimits(cp *Coupon) *[]model.ICouponUseLimitInfoV2 {
	if len(cp.Services) == 0 {
		return nil
	}
	out := make([]model.ICouponUseLimitInfoV2, 0, len(cp.Services))
	for _, sv := range cp.Services {
		out = append(out, model.ICouponUseLimitInfoV2{LimitKey: ptr("cloud_service_types"), Value1: ptr(sv), LimitType: ptr("1")})
	}
	return &out
}

// couponQuery is the paging and the filters both coupon lists take.
type couponQuery struct {
	off, lim           int
	couponType, status *int32
	couponID, orderID  string
}

func readCouponQuery(c *call) (couponQuery, error) {
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return couponQuery{}, err
	}
	ctype, err := c.qInt("coupon_type")
	if err != nil {
		return couponQuery{}, err
	}
	status, err := c.qInt("status")
	if err != nil {
		return couponQuery{}, err
	}
	if ctype != nil && *ctype != 1 && *ctype != 4 {
		return couponQuery{}, badParam("coupon_type must be 1 or 4")
	}
	if status != nil && (*status < 1 || *status > 5) {
		return couponQuery{}, badParam("status must be 1-5")
	}
	return couponQuery{off: off, lim: lim, couponType: ctype, status: status, couponID: c.q("coupon_id"), orderID: c.q("order_id")}, nil
}

// match reports whether cp passes the coupon_id, order_id, coupon_type and
// status filters.
func (q couponQuery) match(cp *Coupon) bool {
	return (q.couponID == "" || cp.ID == q.couponID) && (q.orderID == "" || cp.OrderID == q.orderID) &&
		(q.couponType == nil || *q.couponType == cp.Type) && (q.status == nil || *q.status == cp.Status)
}

func (s *Sandbox) listIssuedPartnerCoupons(c *call) (any, error) {
	q, err := readCouponQuery(c)
	if err != nil {
		return nil, err
	}
	var times [6]time.Time
	for i, n := range []string{"create_time_begin", "create_time_end", "effective_time_begin", "effective_time_end", "expire_time_begin", "expire_time_end"} {
		if times[i], err = parseTimeParam(n, c.qOpt(n)); err != nil {
			return nil, err
		}
	}
	custID := c.q("customer_id")
	return s.withOwner(c, c.qOpt("indirect_partner_id"), func(st *State, ownerID string) (any, error) {
		st.settleCoupons()
		total, list := newestFirst(st.coupons, func(cp *Coupon) bool {
			return cp.IssuerID == ownerID && q.match(cp) && (custID == "" || cp.CustomerID == custID) &&
				timeIn(cp.Created, times[0], times[1]) && timeIn(cp.Effective, times[2], times[3]) && timeIn(cp.Expire, times[4], times[5])
		}, q.off, q.lim)
		out := make([]model.IQueryUserPartnerCouponsResultV2, 0, len(list))
		for _, cp := range list {
			out = append(out, model.IQueryUserPartnerCouponsResultV2{
				CouponId: ptr(cp.ID), Status: ptr(cp.Status), CustomerId: ptr(cp.CustomerID), CouponType: ptr(cp.Type),
				MeasureId: ptr(int32(1)), FaceValue: ptr(cp.FaceValue), EffectiveTime: ptr(fmtTime(cp.Effective)),
				ExpireTime: ptr(fmtTime(cp.Expire)), OrderId: strOpt(cp.OrderID), PromotionPlanName: strOpt(cp.Memo),
				MediaType: ptr(int32(1)), FetchMethod: ptr(int32(3)), UseLimits: couponLimits(cp),
				ActiveTime: ptr(fmtTime(cp.Created)), LastUsedTime: optTime(cp.LastUsed), CreateTime: ptr(fmtTime(cp.Created)),
				Balance: ptr(cp.Balance), LockOrderId: strOpt(cp.LockOrder), IsFrozen: ptr("0"),
			})
		}
		return model.ListIssuedPartnerCouponsResponse{TotalCount: ptr(int32(total)), UserCoupons: &out}, nil
	})
}

func (s *Sandbox) reclaimPartnerCoupons(c *call) (any, error) {
	var req model.ReclaimPartnerCouponsReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.CouponId == "" {
		return nil, badParam("coupon_id is required")
	}
	return s.withOwner(c, req.IndirectPartnerId, func(st *State, ownerID string) (any, error) {
		st.settleCoupons()
		cp := st.couponByID[req.CouponId]
		if cp == nil || cp.IssuerID != ownerID {
			return nil, badParam("the coupon does not exist or was not issued by you")
		}
		if cp.Status != 2 || cp.LockOrder != "" {
			return nil, badParam("the coupon cannot be reclaimed in its current status")
		}
		now := st.now()
		amount := cp.Balance
		if q := st.quotaByID[cp.QuotaID]; q != nil {
			q.Balance = q.Balance.Add(amount)
			q.Updated = now
		}
		cp.Balance = decimal.Zero
		cp.Status = 5
		st.couponRecords = append(st.couponRecords, &CouponRecord{
			ID: st.newID("CR"), PartnerID: ownerID, OperationType: couponOpReclaim, QuotaID: cp.QuotaID, QuotaType: cp.QuotaType,
			CouponID: cp.ID, CustomerID: cp.CustomerID, Amount: amount, Time: now, Result: "0",
		})
		return noContent{}, nil
	})
}

func (s *Sandbox) listPartnerCouponsRecord(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	qtype, err := c.qInt("quota_type")
	if err != nil {
		return nil, err
	}
	begin, end, err := c.qTimeRange("operation_time")
	if err != nil {
		return nil, err
	}
	ops, cids := map[string]bool{}, map[string]bool{}
	for _, v := range c.qs("operation_types") {
		if len(v) != 1 || v[0] < '1' || v[0] > '9' {
			return nil, badParam("operation_types must be 1-9")
		}
		ops[v] = true
	}
	for _, v := range c.qs("coupon_ids") {
		cids[v] = true
	}
	qid, custID, result := c.q("quota_id"), c.q("customer_id"), c.q("result")
	if result != "0" && result != "-1" {
		result = "" // a value outside the enum is no filter (upstream)
	}
	return s.withOwner(c, c.qOpt("indirect_partner_id"), func(st *State, ownerID string) (any, error) {
		st.settleCoupons()
		total, recs := newestFirst(st.couponRecords, func(r *CouponRecord) bool {
			return r.PartnerID == ownerID && (len(ops) == 0 || ops[r.OperationType]) && (len(cids) == 0 || cids[r.CouponID]) &&
				(qid == "" || r.QuotaID == qid) && (qtype == nil || *qtype == r.QuotaType) &&
				(custID == "" || r.CustomerID == custID) && (result == "" || r.Result == result) && timeIn(r.Time, begin, end)
		}, off, lim)
		out := make([]model.CouponRecordV2, 0, len(recs))
		for _, r := range recs {
			out = append(out, model.CouponRecordV2{
				Id: ptr(r.ID), OperationType: ptr(r.OperationType), QuotaId: ptr(r.QuotaID), QuotaType: ptr(r.QuotaType),
				CouponId: ptr(r.CouponID), CustomerId: ptr(r.CustomerID), OperationAmount: ptr(r.Amount),
				OperationTime: ptr(fmtTime(r.Time)), Result: ptr(r.Result), Remark: ptr(r.Remark),
			})
		}
		return model.ListPartnerCouponsRecordResponse{TotalCount: ptr(int32(total)), Records: &out}, nil
	})
}

func (s *Sandbox) listSubCustomerCoupons(c *call) (any, error) {
	q, err := readCouponQuery(c)
	if err != nil {
		return nil, err
	}
	source := c.q("source_id")
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	st.settleCoupons()
	total, list := newestFirst(st.coupons, func(cp *Coupon) bool {
		return cp.CustomerID == cu.ID && q.match(cp) && (source == "" || cp.IssuerID == source)
	}, q.off, q.lim)
	out := make([]model.IQueryUserCouponsResultV2, 0, len(list))
	for _, cp := range list {
		out = append(out, model.IQueryUserCouponsResultV2{
			CouponId: ptr(cp.ID), Status: ptr(cp.Status), CustomerId: ptr(cp.CustomerID), CouponType: ptr(cp.Type),
			MeasureId: ptr(int32(1)), FaceValue: ptr(cp.FaceValue.InexactFloat64()), ValidTime: ptr(fmtTime(cp.Effective)),
			ExpireTime: ptr(fmtTime(cp.Expire)), OrderId: strOpt(cp.OrderID), PlanName: strOpt(cp.Memo),
			MediaType: ptr(int32(1)), FetchMethod: ptr(int32(3)), UseLimits: couponLimits(cp),
			ActiveTime: ptr(fmtTime(cp.Created)), CreateTime: ptr(fmtTime(cp.Created)), CouponVersion: ptr(int32(2)),
			Balance: ptr(cp.Balance.InexactFloat64()), LockOrderId: strOpt(cp.LockOrder), IsFrozen: ptr("0"),
			Currency: ptr(currencyCNY), SourceId: ptr(cp.IssuerID),
		})
	}
	return model.ListSubCustomerCouponsResponse{Count: ptr(int32(total)), UserCoupons: &out}, nil
}

// couponOp is a partner coupon record's operation type.
const (
	couponOpIssue   = "1"
	couponOpReclaim = "2"
	couponOpExpire  = "4"
)

// settleCoupons expires the usable coupons whose expire_time has come:
// status 4, the remaining balance back to the quota, an expiry record.
// Callers hold st.mu.
func (st *State) settleCoupons() {
	now := st.now()
	if !st.nextCouponExpiry.IsZero() && now.Before(st.nextCouponExpiry) {
		return
	}
	next := time.Time{}
	for _, cp := range st.coupons {
		if cp.Status != 2 || cp.Expire.IsZero() {
			continue
		}
		if now.Before(cp.Expire) {
			if next.IsZero() || cp.Expire.Before(next) {
				next = cp.Expire
			}
			continue
		}
		st.expireCoupon(cp, cp.Expire)
	}
	if next.IsZero() {
		next = now.Add(24 * time.Hour)
	}
	st.nextCouponExpiry = next
}

// expireCoupon expires cp at time at. Callers hold st.mu.
func (st *State) expireCoupon(cp *Coupon, at time.Time) {
	amount := cp.Balance
	if q := st.quotaByID[cp.QuotaID]; q != nil {
		q.Balance = q.Balance.Add(amount)
		q.Updated = at
	}
	cp.Balance, cp.Status, cp.LockOrder = decimal.Zero, 4, ""
	st.couponRecords = append(st.couponRecords, &CouponRecord{
		ID: st.newID("CR"), PartnerID: cp.IssuerID, OperationType: couponOpExpire, QuotaID: cp.QuotaID, QuotaType: cp.QuotaType,
		CouponID: cp.ID, CustomerID: cp.CustomerID, Amount: amount, Time: at, Result: "0", Remark: "expired",
	})
}

// seedCouponHistory gives some resale customers that are not showcases a
// closed coupon: every 7th an expired voucher, every 11th a reclaimed one,
// both unused, so the quotas end where they started. It draws from its own
// rng, leaving the rest of the dataset as it was.
func (st *State) seedCouponHistory() {
	rng := rand.New(rand.NewSource(st.opts.Seed ^ 0x636f75706f6e))
	voucher := map[string]*Quota{}
	for _, q := range st.quotas {
		if q.Type == 0 && voucher[q.OwnerID] == nil {
			voucher[q.OwnerID] = q
		}
	}
	for i, c := range st.customers {
		list := st.customersByPartner[c.PartnerID]
		q := voucher[c.PartnerID]
		if c.AssociationType != "2" || q == nil || len(list) == 0 || list[0] == c || (i%7 != 3 && i%11 != 5) {
			continue
		}
		at := c.AssociatedOn
		if at.Before(q.Created) {
			at = q.Created
		}
		at = at.Add(time.Duration(24+rng.Intn(48)) * time.Hour)
		face := decimal.New(int64(50*(1+rng.Intn(10))), 0)
		cp := &Coupon{
			ID: "CP" + randAlnum(rng, 18, true), CustomerID: c.ID, IssuerID: c.PartnerID, QuotaID: q.ID, QuotaType: q.Type,
			Type: 1, FaceValue: face, Balance: face, Status: 2, Effective: at, Expire: at.AddDate(0, 0, 14), Created: at,
			Memo: "trial voucher",
		}
		st.coupons = append(st.coupons, cp)
		st.couponByID[cp.ID] = cp
		st.couponRecords = append(st.couponRecords, &CouponRecord{
			ID: "CR" + randAlnum(rng, 16, true), PartnerID: c.PartnerID, OperationType: couponOpIssue, QuotaID: q.ID,
			QuotaType: q.Type, CouponID: cp.ID, CustomerID: c.ID, Amount: face, Time: at, Result: "0",
		})
		if i%7 == 3 {
			cp.Balance, cp.Status = decimal.Zero, 4
			st.couponRecords = append(st.couponRecords, &CouponRecord{
				ID: "CR" + randAlnum(rng, 16, true), PartnerID: c.PartnerID, OperationType: couponOpExpire, QuotaID: q.ID,
				QuotaType: q.Type, CouponID: cp.ID, CustomerID: c.ID, Amount: face, Time: cp.Expire, Result: "0", Remark: "expired",
			})
			continue
		}
		cp.Balance, cp.Status = decimal.Zero, 5
		st.couponRecords = append(st.couponRecords, &CouponRecord{
			ID: "CR" + randAlnum(rng, 16, true), PartnerID: c.PartnerID, OperationType: couponOpReclaim, QuotaID: q.ID,
			QuotaType: q.Type, CouponID: cp.ID, CustomerID: c.ID, Amount: face, Time: at.Add(72 * time.Hour), Result: "0",
		})
	}
}
