package sandbox

import (
	"net/http"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// Resources: yearly/monthly resources (list, renew, auto-renew, unsubscribe,
// to-on-demand, renewal quotes), on-demand resources and resource packages.
//
// Per-resource failures inside 200 bodies use the upstream codes:
// CBC.30050009 resource missing, deleted or not the caller's; CBC.30050007
// not a main resource; CBC.30050010 the resource is in an unpaid order;
// CBC.30050013 nothing to unsubscribe (unsubscribe_type 2 without a
// renewal period).

func (s *Sandbox) registerResourcesRoutes() {
	s.handle(http.MethodPost, "/v2/orders/suscriptions/resources/query", "ListPayPerUseCustomerResources", callerAny, s.listPayPerUseCustomerResources)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/renew", "RenewalResources", callerCustomer, s.renewalResources)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/autorenew/{resource_id}", "AutoRenewalResources", callerCustomer, s.autoRenewalResources)
	s.handle(http.MethodDelete, "/v2/orders/subscriptions/resources/autorenew/{resource_id}", "CancelAutoRenewalResources", callerCustomer, s.cancelAutoRenewalResources)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/unsubscribe", "CancelResourcesSubscription", callerCustomer, s.cancelResourcesSubscription)
	s.handle(http.MethodPost, "/v2/orders/subscriptions/resources/to-on-demand", "UpdatePeriodToOnDemand", callerCustomer, s.updatePeriodToOnDemand)
	s.handle(http.MethodPost, "/v2/bills/ratings/period-resources/renew-rate", "ListRenewRateOnPeriod", callerCustomer, s.listRenewRateOnPeriod)
	s.handle(http.MethodPost, "/v2/partners/sub-customers/on-demand-resources/query", "ListCustomerOnDemandResources", callerPartner, s.listCustomerOnDemandResources)
	s.handle(http.MethodPost, "/v3/payments/free-resources/query", "ListFreeResourceInfos", callerCustomer, s.listFreeResourceInfos)
	s.handle(http.MethodPost, "/v2/payments/free-resources/usages/details/query", "ListFreeResourceUsages", callerCustomer, s.listFreeResourceUsages)
}

const (
	maxResourceIDs   = 50  // ListPayPerUseCustomerResources, ListCustomerOnDemandResources
	maxBatchRenew    = 10  // renew, unsubscribe, renew-rate
	maxBatchOnDemand = 100 // to-on-demand
)

// Resource is a yearly/monthly resource (main or child).
type Resource struct {
	InstanceID       string
	ResourceID       string
	Name             string
	CustomerID       string
	RegionCode       string
	ServiceTypeCode  string
	ServiceTypeName  string
	ResourceTypeCode string
	ResourceTypeName string
	SpecCode         string
	SpecDesc         string
	SpecSize         float64
	ProjectID        string
	ProductID        string
	ParentID         string // parent resource_id for child resources
	IsMain           bool
	Status           int32 // 2 in use, 3 closed, 4 frozen, 5 expired
	Effective        time.Time
	Expire           time.Time
	ExpirePolicy     int32 // 0 grace, 1 to on-demand, 2/5 delete, 3 auto-renew, 4 freeze
	AutoRenewTimes   int32
	AutoRenewPeriod  string
	OrderID          string
	MonthlyPrice     decimal.Decimal
	Updated          time.Time
	PrevExpire       time.Time // expiry before the last paid renewal (unsubscribe_type 2)
	RenewOrderID     string    // the last paid renewal order
	Children         []*Resource
}

// OnDemandResource is a pay-per-use resource.
type OnDemandResource struct {
	CustomerID       string
	RegionCode       string
	AZCode           string
	ServiceTypeCode  string
	ServiceTypeName  string
	ResourceTypeCode string
	ResourceTypeName string
	ResourceID       string
	Name             string
	Effective        time.Time
	Expire           time.Time
	Status           int32 // 1 normal .. 6 closed
	SpecCode         string
	Info             string
	SpecDesc         string
}

// ResourcePackage is a resource package with free-resource items.
type ResourcePackage struct {
	OrderInstanceID string
	CustomerID      string
	OrderID         string
	ProductID       string
	ProductName     string
	Effective       time.Time
	Expire          time.Time
	Status          int32 // 0 pending .. 4 unsubscribed
	ServiceTypeCode string
	RegionCode      string
	SourceType      int32
	BundleType      string
	QuotaReuseMode  int32
	Items           []*FreeResource
}

// FreeResource is one free-resource item of a package.
type FreeResource struct {
	ID                  string
	PackageID           string
	CustomerID          string
	TypeName            string
	UsageTypeName       string
	Amount              decimal.Decimal // remaining
	OriginalAmount      decimal.Decimal
	MeasureID           int32
	QuotaReuseCycle     int32
	QuotaReuseCycleType int32
	Start, End          time.Time
}

// addResource indexes a main resource and its children. Callers hold st.mu.
func (st *State) addResource(r *Resource) {
	st.resources[r.ResourceID] = r
	st.resByCustomer[r.CustomerID] = append(st.resByCustomer[r.CustomerID], r)
	for _, ch := range r.Children {
		st.resources[ch.ResourceID] = ch
		st.resByCustomer[ch.CustomerID] = append(st.resByCustomer[ch.CustomerID], ch)
	}
}

func resErr(code, msg, id string) model.FailResourceInfo {
	return model.FailResourceInfo{ErrorCode: ptr(code), ErrorMsg: ptr(msg), ResourceId: ptr(id)}
}

// resourceStatus is a resource's status now: an in-use resource past its
// expiry reads as expired (5).
func resourceStatus(r *Resource, now time.Time) int32 {
	if r.Status == 2 && !r.Expire.IsZero() && now.After(r.Expire) {
		return 5
	}
	return r.Status
}

func instanceV2(r *Resource, now time.Time) model.OrderInstanceV2 {
	isMain := int32(0)
	if r.IsMain {
		isMain = 1
	}
	size := decimal.NewFromFloat(r.SpecSize)
	inst := model.OrderInstanceV2{
		Id:                ptr(r.InstanceID),
		ResourceId:        ptr(r.ResourceID),
		ResourceName:      ptr(r.Name),
		RegionCode:        ptr(r.RegionCode),
		ServiceTypeCode:   ptr(r.ServiceTypeCode),
		ResourceTypeCode:  ptr(r.ResourceTypeCode),
		ResourceTypeName:  ptr(r.ResourceTypeName),
		ServiceTypeName:   ptr(r.ServiceTypeName),
		ResourceSpecCode:  ptr(r.SpecCode),
		ProjectId:         ptr(r.ProjectID),
		ProductId:         ptr(r.ProductID),
		IsMainResource:    ptr(isMain),
		Status:            ptr(resourceStatus(r, now)),
		EffectiveTime:     optTime(r.Effective),
		ExpireTime:        optTime(r.Expire),
		ExpirePolicy:      ptr(r.ExpirePolicy),
		ProductSpecDesc:   ptr(r.SpecDesc),
		SpecSize:          &size,
		SpecSizeMeasureId: ptr(int32(17)),
		UpdateTime:        optTime(r.Updated),
		EnterpriseProject: &model.EnterpriseProject{Id: ptr("0"), Name: ptr("default")},
		ParentResourceId:  strOpt(r.ParentID),
	}
	if r.SpecSize > 0 {
		inst.SpecSizeMeasureId = ptr(int32(10))
	}
	return inst
}

// targetCustomer resolves the customer a P-or-C resource read is about: the
// customer caller itself (another customer_id → nobody), or the partner's
// customer customer_id (required; not its customer → nobody, which lists
// answer with an empty page).
func (st *State) targetCustomer(who principal, customerID, indirect *string) (*Customer, error) {
	if who.Customer != nil {
		if customerID != nil && *customerID != "" && *customerID != who.Customer.ID {
			return nil, nil
		}
		return who.Customer, nil
	}
	if customerID == nil || *customerID == "" {
		return nil, badParam("customer_id is required")
	}
	owner, err := st.visibleOwner(who.Partner, indirect)
	if err != nil {
		return nil, err
	}
	return st.customerVisible(who, owner, *customerID), nil
}

// ListPayPerUseCustomerResources: POST /v2/orders/suscriptions/resources/query
// (sic). Yearly/monthly resources despite the name; the customer, or a
// partner with customer_id. resource_ids ≤ 50; limit 1–500 (default 10).
func (s *Sandbox) listPayPerUseCustomerResources(c *call) (any, error) {
	var req model.QueryResourcesReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.ResourceIds != nil && len(*req.ResourceIds) > maxResourceIDs {
		return nil, badParam("resource_ids must not contain more than %d ids", maxResourceIDs)
	}
	off, lim, err := page(req.Offset, req.Limit, 10, 500)
	if err != nil {
		return nil, err
	}
	if req.OnlyMainResource != nil && *req.OnlyMainResource != 0 && *req.OnlyMainResource != 1 {
		return nil, badParam("only_main_resource must be 0 or 1")
	}
	eb, ee, err := parseTimeRange("expire_time", req.ExpireTimeBegin, req.ExpireTimeEnd)
	if err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu, err := st.targetCustomer(c.who, req.CustomerId, nil)
	if err != nil {
		return nil, err
	}
	out := []model.OrderInstanceV2{}
	if cu == nil {
		return &model.ListPayPerUseCustomerResourcesResponse{TotalCount: ptr(int32(0)), Data: &out}, nil
	}
	now := st.now()
	var orderRes map[string]bool
	if req.OrderId != nil && *req.OrderId != "" {
		orderRes = map[string]bool{}
		if o := st.orders[*req.OrderId]; o != nil && o.CustomerID == cu.ID {
			for _, id := range o.ResourceIDs {
				orderRes[id] = true
			}
		}
	}
	match := func(r *Resource) bool {
		if r.CustomerID != cu.ID {
			return false
		}
		if req.OnlyMainResource != nil && *req.OnlyMainResource == 1 && !r.IsMain {
			return false
		}
		if orderRes != nil {
			main := r.ResourceID
			if !r.IsMain {
				main = r.ParentID
			}
			if !orderRes[main] && r.OrderID != *req.OrderId {
				return false
			}
		}
		if req.StatusList != nil && len(*req.StatusList) > 0 {
			ok, stt := false, resourceStatus(r, now)
			for _, s := range *req.StatusList {
				if s == stt {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		if req.ServiceTypeCode != nil && *req.ServiceTypeCode != "" && r.ServiceTypeCode != *req.ServiceTypeCode {
			return false
		}
		if !eb.IsZero() && r.Expire.Before(eb) || !ee.IsZero() && r.Expire.After(ee) {
			return false
		}
		return true
	}
	var hits []*Resource
	if req.ResourceIds != nil && len(*req.ResourceIds) > 0 {
		seen := make(map[string]bool, len(*req.ResourceIds))
		for _, id := range *req.ResourceIds {
			if r := st.resources[id]; r != nil && !seen[id] && match(r) {
				seen[id] = true
				hits = append(hits, r)
			}
		}
	} else {
		for _, r := range st.resByCustomer[cu.ID] {
			if match(r) {
				hits = append(hits, r)
			}
		}
	}
	out = pageOf(hits, off, lim, func(r *Resource) model.OrderInstanceV2 { return instanceV2(r, now) })
	return &model.ListPayPerUseCustomerResourcesResponse{TotalCount: ptr(int32(len(hits))), Data: &out}, nil
}

// checkPeriod validates period_type (2 month, 3 year) and period_num (1–11
// months, 1–3 years).
func checkPeriod(pt, pn int32) error {
	switch pt {
	case 2:
		if pn < 1 || pn > 11 {
			return badParam("period_num must be 1-11 for monthly periods")
		}
	case 3:
		if pn < 1 || pn > 3 {
			return badParam("period_num must be 1-3 for yearly periods")
		}
	default:
		return badParam("period_type must be 2 (month) or 3 (year)")
	}
	return nil
}

// addPeriod adds periodNum months (periodType 2) or years (3).
func addPeriod(t time.Time, periodType, periodNum int32) time.Time {
	if periodType == 3 {
		return t.AddDate(int(periodNum), 0, 0)
	}
	return t.AddDate(0, int(periodNum), 0)
}

// periodPrice prices a renewal: monthly price × months, a year costing 10
// months (the official site's yearly discount, about 83%).
func periodPrice(monthly decimal.Decimal, periodType, periodNum int32) decimal.Decimal {
	months := int64(periodNum)
	if periodType == 3 {
		months = int64(periodNum) * 10
	}
	return monthly.Mul(decimal.NewFromInt(months)).Round(2)
}

// resourceMonthly is the monthly price of a main resource and its children.
func resourceMonthly(r *Resource) decimal.Decimal {
	m := r.MonthlyPrice
	for _, ch := range r.Children {
		m = m.Add(ch.MonthlyPrice)
	}
	return m
}

// checkRenewal validates the resources (at most maxBatchRenew) and the
// period of a renewal or a renewal quote.
func checkRenewal(ids []string, pt, pn int32) error {
	if err := checkIDs(ids, maxBatchRenew); err != nil {
		return err
	}
	return checkPeriod(pt, pn)
}

func checkIDs(ids []string, max int) error {
	if len(ids) == 0 {
		return badParam("resource_ids is required")
	}
	if len(ids) > max {
		return badParam("resource_ids must not contain more than %d ids", max)
	}
	return nil
}

// mainResource finds a customer's live main resource, or says why not
// (code, message).
func (st *State) mainResource(cu *Customer, id string) (*Resource, string, string) {
	r := st.resources[id]
	if r == nil || r.CustomerID != cu.ID {
		return nil, "CBC.30050009", "the resource does not exist or has been deleted"
	}
	if !r.IsMain {
		return nil, "CBC.30050007", "the resource is not a primary resource"
	}
	if r.Status == 3 {
		return nil, "CBC.30050009", "the resource does not exist or has been deleted"
	}
	return r, "", ""
}

// inUnpaidOrder reports whether a resource is in one of the customer's
// pending-payment orders.
func (st *State) inUnpaidOrder(cu *Customer, id string) bool {
	for _, o := range st.ordersByCustomer[cu.ID] {
		if o.Status != 6 {
			continue
		}
		for _, rid := range o.ResourceIDs {
			if rid == id {
				return true
			}
		}
	}
	return false
}

// changeableResource resolves one id of a renewal or unsubscription: the
// customer's live main resource when it is in no unpaid order, else nil
// and the failure to report for id.
func (st *State) changeableResource(cu *Customer, id string) (*Resource, model.FailResourceInfo) {
	r, code, msg := st.mainResource(cu, id)
	if r == nil {
		return nil, resErr(code, msg, id)
	}
	if st.inUnpaidOrder(cu, id) {
		return nil, resErr("CBC.30050010", "the resource is in an unpaid order", id)
	}
	return r, model.FailResourceInfo{}
}

// distinct returns ids without repeats, in first-seen order.
func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RenewalResources: POST /v2/orders/subscriptions/resources/renew (customer).
// Up to 10 main resources; the renewable ones go into one renew order
// (order_type "2", status 6, payable for 7 days). With is_auto_pay=1 the
// order is paid from the balance at once (expiry extended); when the
// balance is short the order stays pending payment and is still returned,
// as the console does, so the caller can pay it (PayOrders) or cancel it.
func (s *Sandbox) renewalResources(c *call) (any, error) {
	var req model.RenewalResourcesReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkRenewal(req.ResourceIds, req.PeriodType, req.PeriodNum); err != nil {
		return nil, err
	}
	if req.IsAutoPay != nil && *req.IsAutoPay != 0 && *req.IsAutoPay != 1 {
		return nil, badParam("is_auto_pay must be 0 or 1")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	now := st.now()
	fails := []model.FailResourceInfo{}
	var ok []*Resource
	for _, id := range distinct(req.ResourceIds) {
		r, fail := st.changeableResource(cu, id)
		if r == nil {
			fails = append(fails, fail)
			continue
		}
		ok = append(ok, r)
	}
	ids := []string{}
	if len(ok) > 0 {
		o := &Order{
			ID:              newOrderID(st.rng, now),
			CustomerID:      cu.ID,
			ServiceTypeCode: ok[0].ServiceTypeCode,
			ServiceTypeName: ok[0].ServiceTypeName,
			SourceType:      1,
			Status:          6,
			Type:            "2",
			Created:         now,
			PaymentDeadline: now.AddDate(0, 0, 7),
			Currency:        "CNY",
			RenewPeriodType: req.PeriodType,
			RenewPeriodNum:  req.PeriodNum,
		}
		for i, r := range ok {
			amt := periodPrice(resourceMonthly(r), req.PeriodType, req.PeriodNum)
			o.OfficialAmount = o.OfficialAmount.Add(amt)
			o.ResourceIDs = append(o.ResourceIDs, r.ResourceID)
			o.LineItems = append(o.LineItems, newLineItem(o.ID, i+1, r, req.PeriodType, req.PeriodNum, amt))
		}
		o.AmountAfterDiscount = o.OfficialAmount
		st.addOrder(o)
		if req.IsAutoPay != nil && *req.IsAutoPay == 1 {
			_ = st.payOrder(o, cu, nil, nil) // a short balance leaves it pending
		}
		ids = append(ids, o.ID)
	}
	return &model.RenewalResourcesResponse{OrderIds: &ids, FailResourceInfos: &fails}, nil
}

// setAutoRenew applies set to the main resource {resource_id} of the
// customer caller and to its children: unknown or not the caller's → 400
// CBC.30050009, a child → 400 CBC.30050007.
func (s *Sandbox) setAutoRenew(c *call, set func(x *Resource, now time.Time)) (any, error) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	r, code, msg := st.mainResource(c.who.Customer, c.params["resource_id"])
	if r == nil {
		return nil, errf(http.StatusBadRequest, code, "%s", msg)
	}
	now := st.now()
	for _, x := range append([]*Resource{r}, r.Children...) {
		set(x, now)
	}
	return nil, nil
}

// AutoRenewalResources: POST /v2/orders/subscriptions/resources/autorenew/{resource_id}
// (customer): expire policy 3 (auto-renew), auto_renew_times 0–99 (0 =
// until cancelled), period_type MONTH|YEAR (default MONTH). The body is
// optional.
func (s *Sandbox) autoRenewalResources(c *call) (any, error) {
	var req model.AutoRenewalResourcesReq
	if len(strings.TrimSpace(string(c.body))) > 0 {
		if err := c.decode(&req); err != nil {
			return nil, err
		}
	}
	times := valueOf(req.AutoRenewTimes)
	if times < 0 || times > 99 {
		return nil, badParam("auto_renew_times must be 0-99")
	}
	period := "MONTH"
	if req.PeriodType != nil {
		period = req.PeriodType.Value()
		if period != "MONTH" && period != "YEAR" {
			return nil, badParam("period_type must be MONTH or YEAR")
		}
	}
	return s.setAutoRenew(c, func(x *Resource, now time.Time) {
		x.ExpirePolicy, x.AutoRenewTimes, x.AutoRenewPeriod, x.Updated = 3, times, period, now
	})
}

// CancelAutoRenewalResources: DELETE /v2/orders/subscriptions/resources/autorenew/{resource_id}
// (customer): back to expire policy 0 (grace period).
func (s *Sandbox) cancelAutoRenewalResources(c *call) (any, error) {
	return s.setAutoRenew(c, func(x *Resource, now time.Time) {
		if x.ExpirePolicy == 3 {
			x.ExpirePolicy = 0
		}
		x.AutoRenewTimes, x.AutoRenewPeriod, x.Updated = 0, "", now
	})
}

// remainingValue is the unused value of r's paid term from now on, pro rata
// by the day: monthly price × remaining days / 30, a term of a year or more
// priced at 10/12 (the yearly rate). Rounded down to the fen.
func remainingValue(r *Resource, from, to time.Time) decimal.Decimal {
	if !to.After(from) {
		return decimal.Zero
	}
	days := decimal.NewFromFloat(to.Sub(from).Hours() / 24)
	v := r.MonthlyPrice.Mul(days).Div(decimal.NewFromInt(30))
	if r.Expire.Sub(r.Effective) >= 360*24*time.Hour {
		v = v.Mul(decimal.NewFromInt(10)).Div(decimal.NewFromInt(12))
	}
	return v.RoundFloor(2)
}

// CancelResourcesSubscription: POST /v2/orders/subscriptions/resources/unsubscribe
// (customer). Up to 10 main resources; each unsubscribed resource gets its
// own refund order (order_type "4", completed) whose refund lines (main and
// children) are the remaining value, refunded into the customer's balance
// (trade type REFUND). unsubscribe_type 1 closes the resource (status 3);
// 2 unsubscribes only the last paid renewal period (expiry goes back), or
// fails with CBC.30050013 when there is none left.
func (s *Sandbox) cancelResourcesSubscription(c *call) (any, error) {
	var req model.UnsubscribeResourcesReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkIDs(req.ResourceIds, maxBatchRenew); err != nil {
		return nil, err
	}
	if req.UnsubscribeType != 1 && req.UnsubscribeType != 2 {
		return nil, badParam("unsubscribe_type must be 1 or 2")
	}
	if req.UnsubscribeReasonType != nil && (*req.UnsubscribeReasonType < 1 || *req.UnsubscribeReasonType > 5) {
		return nil, badParam("unsubscribe_reason_type must be 1-5")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	now := st.now()
	fails := []model.FailResourceInfo{}
	ids := []string{}
	for _, id := range distinct(req.ResourceIds) {
		r, fail := st.changeableResource(cu, id)
		if r == nil {
			fails = append(fails, fail)
			continue
		}
		from, to := now, r.Expire
		if r.Effective.After(from) {
			from = r.Effective
		}
		if req.UnsubscribeType == 2 {
			if r.RenewOrderID == "" || !r.PrevExpire.After(now) {
				fails = append(fails, resErr("CBC.30050013", "the resource has no renewal period to unsubscribe", id))
				continue
			}
			from = r.PrevExpire
		}
		o := &Order{
			ID:              newOrderID(st.rng, now),
			CustomerID:      cu.ID,
			ServiceTypeCode: r.ServiceTypeCode,
			ServiceTypeName: r.ServiceTypeName,
			SourceType:      1,
			Status:          5,
			Type:            "4",
			Created:         now,
			Paid:            now,
			Currency:        "CNY",
			ResourceIDs:     []string{r.ResourceID},
			BaseOrderID:     r.OrderID,
		}
		total := decimal.Zero
		for i, x := range append([]*Resource{r}, r.Children...) {
			v := remainingValue(x, from, to)
			total = total.Add(v)
			base := x.OrderID
			if req.UnsubscribeType == 2 {
				base = r.RenewOrderID
			}
			o.Refunds = append(o.Refunds, &RefundLine{
				ID:               lineID(o.ID, i+1),
				ResourceID:       x.ResourceID,
				ServiceTypeCode:  x.ServiceTypeCode,
				ServiceTypeName:  x.ServiceTypeName,
				ResourceTypeCode: x.ResourceTypeCode,
				ResourceTypeName: x.ResourceTypeName,
				RegionCode:       x.RegionCode,
				Amount:           v,
				BaseOrderID:      base,
			})
			if req.UnsubscribeType == 1 {
				x.Status = 3
			} else {
				x.Expire = r.PrevExpire
			}
			x.Updated = now
		}
		if req.UnsubscribeType == 2 {
			r.RenewOrderID, r.PrevExpire = "", time.Time{}
		}
		o.OfficialAmount = total.Neg()
		o.AmountAfterDiscount = total.Neg()
		o.CashAmount = total.Neg()
		st.addOrder(o)
		if total.IsPositive() {
			st.customerChange(cu, total, "REFUND", o.ID)
			st.refundedCash = st.refundedCash.Add(total)
		}
		ids = append(ids, o.ID)
	}
	return &model.CancelResourcesSubscriptionResponse{OrderIds: &ids, FailResourceInfos: &fails}, nil
}

// UpdatePeriodToOnDemand: POST /v2/orders/subscriptions/resources/to-on-demand
// (customer). SET_UP sets expire policy 1 (switch to on-demand at expiry;
// replaces auto-renew), CANCEL puts it back to 0. Up to 100 main resources;
// per-resource failures in error_details.
func (s *Sandbox) updatePeriodToOnDemand(c *call) (any, error) {
	var req model.PeriodToOnDemandReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Operation != "SET_UP" && req.Operation != "CANCEL" {
		return nil, badParam("operation must be SET_UP or CANCEL")
	}
	if err := checkIDs(req.ResourceIds, maxBatchOnDemand); err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	now := st.now()
	details := []model.ErrorDetail{}
	for _, id := range req.ResourceIds {
		r, code, msg := st.mainResource(cu, id)
		if r == nil {
			details = append(details, model.ErrorDetail{ErrorCode: ptr(code), ErrorMsg: ptr(msg), Id: ptr(id)})
			continue
		}
		for _, x := range append([]*Resource{r}, r.Children...) {
			if req.Operation == "SET_UP" {
				x.ExpirePolicy, x.AutoRenewTimes, x.AutoRenewPeriod = 1, 0, ""
			} else if x.ExpirePolicy == 1 {
				x.ExpirePolicy = 0
			}
			x.Updated = now
		}
	}
	return &model.UpdatePeriodToOnDemandResponse{ErrorDetails: &details}, nil
}

// ListRenewRateOnPeriod: POST /v2/bills/ratings/period-resources/renew-rate
// (customer). Quotes a renewal of up to 10 main resources (with their
// children when include_relative_resources is true) at the official price
// (monthly price × months, a year = 10 months); one optional discount, a
// 5% renewal promotion, is always the best offer. Amounts are strings.
func (s *Sandbox) listRenewRateOnPeriod(c *call) (any, error) {
	var req model.ListRenewRateOnPeriodReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkRenewal(req.ResourceIds, req.PeriodType, req.PeriodNum); err != nil {
		return nil, err
	}
	withChildren := req.IncludeRelativeResources != nil && *req.IncludeRelativeResources
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	fails := []model.FailResourceInfo{}
	results := []model.RenewInquiryResultInfo{}
	total := decimal.Zero
	for _, id := range req.ResourceIds {
		r, code, msg := st.mainResource(cu, id)
		if r == nil {
			fails = append(fails, resErr(code, msg, id))
			continue
		}
		m := r.MonthlyPrice
		if withChildren {
			m = resourceMonthly(r)
		}
		amt := periodPrice(m, req.PeriodType, req.PeriodNum)
		total = total.Add(amt)
		results = append(results, model.RenewInquiryResultInfo{ResourceId: ptr(id), Amount: ptr(amt.StringFixed(2))})
	}
	disc := total.Mul(decimal.New(5, -2)).Round(2)
	resp := &model.ListRenewRateOnPeriodResponse{
		Currency:            ptr("CNY"),
		RenewInquiryResults: &results,
		OfficialWebsiteRatingResult: &model.OfficialWebsiteRatingResultV2{
			OfficialWebsiteAmount: ptr(total.StringFixed(2)),
		},
		FailResourceInfos: &fails,
	}
	if len(results) > 0 {
		resp.OptionalDiscountRatingResults = &[]model.OptionalDiscountRatingResultV2{{
			DiscountId:            ptr("RENEW-PROMO-95"),
			Amount:                ptr(total.Sub(disc).StringFixed(2)),
			OfficialWebsiteAmount: ptr(total.StringFixed(2)),
			DiscountAmount:        ptr(disc.StringFixed(2)),
			DiscountType:          ptr(int32(0)),
			DiscountName:          ptr("续费95折"),
			BestOffer:             ptr(int32(1)),
		}}
	}
	return resp, nil
}

// ListCustomerOnDemandResources: POST /v2/partners/sub-customers/on-demand-resources/query
// (partner). customer_id is required (one customer per call);
// resource_ids ≤ 50; a customer that is not the caller's gives an empty
// list. limit 1–100 (default 10).
func (s *Sandbox) listCustomerOnDemandResources(c *call) (any, error) {
	var req model.QueryCustomerOnDemandResourcesReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.CustomerId == "" {
		return nil, badParam("customer_id is required")
	}
	if req.ResourceIds != nil && len(*req.ResourceIds) > maxResourceIDs {
		return nil, badParam("resource_ids must not contain more than %d ids", maxResourceIDs)
	}
	off, lim, err := page(req.Offset, req.Limit, 10, 100)
	if err != nil {
		return nil, err
	}
	eb, ee, err := parseTimeRange("effective_time", req.EffectiveTimeBegin, req.EffectiveTimeEnd)
	if err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu, err := st.targetCustomer(c.who, &req.CustomerId, req.IndirectPartnerId)
	if err != nil {
		return nil, err
	}
	out := []model.CustomerOnDemandResource{}
	if cu == nil {
		return &model.ListCustomerOnDemandResourcesResponse{TotalCount: ptr(int32(0)), Resources: &out}, nil
	}
	var want map[string]bool
	if req.ResourceIds != nil && len(*req.ResourceIds) > 0 {
		want = make(map[string]bool, len(*req.ResourceIds))
		for _, id := range *req.ResourceIds {
			want[id] = true
		}
	}
	var hits []*OnDemandResource
	for _, r := range st.onDemand[cu.ID] {
		switch {
		case want != nil && !want[r.ResourceID],
			req.RegionCode != nil && *req.RegionCode != "" && r.RegionCode != *req.RegionCode,
			req.ServiceTypeCode != nil && *req.ServiceTypeCode != "" && r.ServiceTypeCode != *req.ServiceTypeCode,
			req.Status != nil && r.Status != *req.Status,
			!eb.IsZero() && r.Effective.Before(eb),
			!ee.IsZero() && r.Effective.After(ee):
			continue
		}
		hits = append(hits, r)
	}
	out = pageOf(hits, off, lim, func(r *OnDemandResource) model.CustomerOnDemandResource {
		return model.CustomerOnDemandResource{
			CustomerId:           ptr(r.CustomerID),
			RegionCode:           ptr(r.RegionCode),
			AvailabilityZoneCode: ptr(r.AZCode),
			ServiceTypeCode:      ptr(r.ServiceTypeCode),
			ResourceTypeCode:     ptr(r.ResourceTypeCode),
			ServiceTypeName:      ptr(r.ServiceTypeName),
			ResourceTypeName:     ptr(r.ResourceTypeName),
			ResourceId:           ptr(r.ResourceID),
			ResourceName:         ptr(r.Name),
			EffectiveTime:        optTime(r.Effective),
			ExpireTime:           optTime(r.Expire),
			Status:               ptr(r.Status),
			ResourceSpecCode:     ptr(r.SpecCode),
			ResourceInfo:         ptr(r.Info),
			ProductSpecDesc:      ptr(r.SpecDesc),
		}
	})
	return &model.ListCustomerOnDemandResourcesResponse{TotalCount: ptr(int32(len(hits))), Resources: &out}, nil
}

// ListFreeResourceInfos: POST /v3/payments/free-resources/query (customer):
// the caller's resource packages with their free-resource items (amounts
// as strings). limit 1–100 (default 10).
func (s *Sandbox) listFreeResourceInfos(c *call) (any, error) {
	var req model.ListFreeResourceInfosReq
	if len(strings.TrimSpace(string(c.body))) > 0 {
		if err := c.decode(&req); err != nil {
			return nil, err
		}
	}
	off, lim, err := page(req.Offset, req.Limit, 10, 100)
	if err != nil {
		return nil, err
	}
	if req.Status != nil && (*req.Status < 0 || *req.Status > 4) {
		return nil, badParam("status must be 0-4")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	var hits []*ResourcePackage
	for _, p := range st.packages[cu.ID] {
		if req.ServiceTypeCodeList != nil && len(*req.ServiceTypeCodeList) > 0 {
			ok := false
			for _, s := range *req.ServiceTypeCodeList {
				ok = ok || s == p.ServiceTypeCode
			}
			if !ok {
				continue
			}
		}
		switch {
		case req.RegionCode != nil && *req.RegionCode != "" && p.RegionCode != *req.RegionCode,
			req.OrderId != nil && *req.OrderId != "" && p.OrderID != *req.OrderId,
			req.ProductId != nil && *req.ProductId != "" && p.ProductID != *req.ProductId,
			req.ProductName != nil && *req.ProductName != "" && !strings.Contains(p.ProductName, *req.ProductName),
			req.Status != nil && p.Status != *req.Status:
			continue
		}
		hits = append(hits, p)
	}
	out := pageOf(hits, off, lim, func(p *ResourcePackage) model.FreeResourcePackageV3 {
		items := make([]model.FreeResourceV3, 0, len(p.Items))
		for _, it := range p.Items {
			items = append(items, model.FreeResourceV3{
				FreeResourceId: ptr(it.ID),
				UsageTypeName:  ptr(it.UsageTypeName),
				Amount:         ptr(it.Amount.String()),
				OriginalAmount: ptr(it.OriginalAmount.String()),
				MeasureId:      ptr(it.MeasureID),
			})
		}
		return model.FreeResourcePackageV3{
			OrderInstanceId:        ptr(p.OrderInstanceID),
			OrderId:                ptr(p.OrderID),
			ProductId:              ptr(p.ProductID),
			ProductName:            ptr(p.ProductName),
			EnterpriseProjectId:    ptr("0"),
			EnterpriseProjectScope: ptr(int32(0)),
			EffectiveTime:          optTime(p.Effective),
			ExpireTime:             optTime(p.Expire),
			Status:                 ptr(p.Status),
			ServiceTypeCode:        ptr(p.ServiceTypeCode),
			ServiceTypeName:        ptr(serviceTypeName(p.ServiceTypeCode)),
			RegionCode:             ptr(p.RegionCode),
			SourceType:             ptr(p.SourceType),
			BundleType:             ptr(p.BundleType),
			QuotaReuseMode:         ptr(p.QuotaReuseMode),
			FreeResources:          &items,
		}
	})
	return &model.ListFreeResourceInfosResponse{TotalCount: ptr(int32(len(hits))), FreeResourcePackages: &out}, nil
}

// ListFreeResourceUsages: POST /v2/payments/free-resources/usages/details/query
// (customer). free_resource_ids 1–100; ids that are unknown or not the
// caller's are left out.
func (s *Sandbox) listFreeResourceUsages(c *call) (any, error) {
	var req model.ListFreeResourceUsagesReq
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if len(req.FreeResourceIds) < 1 || len(req.FreeResourceIds) > 100 {
		return nil, badParam("free_resource_ids must contain 1-100 ids")
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	cu := c.who.Customer
	out := []model.FreeResourceDetail{}
	for _, id := range req.FreeResourceIds {
		fr := st.freeResources[id]
		if fr == nil || fr.CustomerID != cu.ID {
			continue
		}
		amt, orig := fr.Amount, fr.OriginalAmount
		out = append(out, model.FreeResourceDetail{
			FreeResourceId:       ptr(fr.ID),
			FreeResourceTypeName: ptr(fr.TypeName),
			QuotaReuseCycle:      ptr(fr.QuotaReuseCycle),
			QuotaReuseCycleType:  ptr(fr.QuotaReuseCycleType),
			UsageTypeName:        ptr(fr.UsageTypeName),
			StartTime:            optTime(fr.Start),
			EndTime:              optTime(fr.End),
			Amount:               &amt,
			OriginalAmount:       &orig,
			MeasureId:            ptr(fr.MeasureID),
		})
	}
	return &model.ListFreeResourceUsagesResponse{FreeResources: &out}, nil
}
