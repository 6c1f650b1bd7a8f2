package gateway

// Resources: a customer's yearly/monthly resources, renewal quotes,
// renewals, auto-renew, unsubscription, the switch to on-demand at expiry,
// on-demand resources and resource packages.
//
// Identity per operation: ListPayPerUseCustomerResources takes the partner
// with customer_id but has no indirect_partner_id, so a tier-1 reads its
// resellers' customers' resources with a customer token;
// ListCustomerOnDemandResources is partner-only; everything else is
// customer-only (custCall).

import (
	"context"
	"slices"
	"strings"
	"time"

	"partnergraph/apierr"

	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"
)

// Per-call limits of the resource operations.
const (
	MaxResourceIDs     = 50  // ListPayPerUseCustomerResources resource_ids
	MaxRenewBatch      = 10  // RenewalResources, CancelResourcesSubscription, ListRenewRateOnPeriod
	MaxOnDemandSwitch  = 100 // UpdatePeriodToOnDemand
	MaxFreeResourceIDs = 100 // ListFreeResourceUsages
	MaxResourcePage    = 500 // ListPayPerUseCustomerResources limit
)

// Resource is a yearly/monthly resource (main or child).
type Resource struct {
	InstanceID                         string
	ResourceID                         string
	Name                               string
	RegionCode                         string
	ServiceTypeCode, ServiceTypeName   string
	ResourceTypeCode, ResourceTypeName string
	SpecCode, SpecDesc                 string
	ProductID, ProjectID               string
	ParentID                           string
	IsMain                             bool
	Status                             int // 2 in use, 3 closed, 4 frozen, 5 expired
	ExpirePolicy                       int // 0 grace, 1 to on-demand, 2/5 delete, 3 auto-renew, 4 freeze
	EffectiveTime, ExpireTime          string
	UpdateTime                         string
}

// ResourceQuery filters ListPayPerUseCustomerResources.
type ResourceQuery struct {
	Window
	ResourceIDs []string // ≤ 50
	OrderID     string
	OnlyMain    bool
	Statuses    []int
	ServiceType string
	ExpireFrom  string
	ExpireTo    string
}

// ResourceList is one page of resources and the total.
type ResourceList struct {
	Resources []Resource
	Total     int
}

// ItemFailure is one resource's failure inside a 200 answer.
type ItemFailure struct {
	ID, Code, Message string
}

// RenewalQuote is the price of renewing some main resources.
type RenewalQuote struct {
	Amounts   map[string]Money // per resource id
	Official  Money            // Σ of the quoted resources
	Discounts []QuoteDiscount
	Failures  []ItemFailure
}

// QuoteDiscount is an optional discount of a renewal quote.
type QuoteDiscount struct {
	ID, Name       string
	Type           int
	Amount         Money // payable with the discount
	DiscountAmount Money
	Best           bool
}

// OrderResult is what a renewal or unsubscription produced.
type OrderResult struct {
	OrderIDs []string
	Failures []ItemFailure
}

// OnDemandResource is a pay-per-use resource.
type OnDemandResource struct {
	ResourceID, Name                   string
	RegionCode, AZCode                 string
	ServiceTypeCode, ServiceTypeName   string
	ResourceTypeCode, ResourceTypeName string
	SpecCode, SpecDesc, Info           string
	Status                             int
	EffectiveTime, ExpireTime          string
}

// OnDemandList is one page of on-demand resources and the total.
type OnDemandList struct {
	Resources []OnDemandResource
	Total     int
}

// ResourcePackage is a resource package and its free-resource items.
type ResourcePackage struct {
	InstanceID, OrderID       string
	ProductID, ProductName    string
	ServiceTypeCode           string
	ServiceTypeName           string
	RegionCode                string
	Status                    int
	EffectiveTime, ExpireTime string
	Items                     []FreeResourceItem
}

// FreeResourceItem is one free-resource item of a package.
type FreeResourceItem struct {
	ID, UsageTypeName   string
	Remaining, Original decimal.Decimal
	MeasureID           int
}

// PackageList is one page of resource packages and the total.
type PackageList struct {
	Packages []ResourcePackage
	Total    int
}

// FreeResourceUsage is the usage detail of one free-resource item.
type FreeResourceUsage struct {
	ID, TypeName, UsageTypeName string
	Remaining, Original         decimal.Decimal
	MeasureID                   int
	StartTime, EndTime          string
	ReuseCycle, ReuseCycleType  int
}

func resourceFrom(r model.OrderInstanceV2) Resource {
	return Resource{
		InstanceID: str(r.Id), ResourceID: str(r.ResourceId), Name: str(r.ResourceName), RegionCode: str(r.RegionCode),
		ServiceTypeCode: str(r.ServiceTypeCode), ServiceTypeName: str(r.ServiceTypeName),
		ResourceTypeCode: str(r.ResourceTypeCode), ResourceTypeName: str(r.ResourceTypeName),
		SpecCode: str(r.ResourceSpecCode), SpecDesc: str(r.ProductSpecDesc), ProductID: str(r.ProductId), ProjectID: str(r.ProjectId),
		ParentID: str(r.ParentResourceId), IsMain: i32(r.IsMainResource) == 1, Status: i32(r.Status), ExpirePolicy: i32(r.ExpirePolicy),
		EffectiveTime: str(r.EffectiveTime), ExpireTime: str(r.ExpireTime), UpdateTime: str(r.UpdateTime),
	}
}

func onDemandFrom(r model.CustomerOnDemandResource) OnDemandResource {
	return OnDemandResource{
		ResourceID: str(r.ResourceId), Name: str(r.ResourceName), RegionCode: str(r.RegionCode), AZCode: str(r.AvailabilityZoneCode),
		ServiceTypeCode: str(r.ServiceTypeCode), ServiceTypeName: str(r.ServiceTypeName),
		ResourceTypeCode: str(r.ResourceTypeCode), ResourceTypeName: str(r.ResourceTypeName),
		SpecCode: str(r.ResourceSpecCode), SpecDesc: str(r.ProductSpecDesc), Info: str(r.ResourceInfo),
		Status: i32(r.Status), EffectiveTime: str(r.EffectiveTime), ExpireTime: str(r.ExpireTime),
	}
}

// packageFrom converts a resource package with its free-resource items
// (an empty list, not nil, when it has none).
func packageFrom(pk model.FreeResourcePackageV3) ResourcePackage {
	rp := ResourcePackage{InstanceID: str(pk.OrderInstanceId), OrderID: str(pk.OrderId), ProductID: str(pk.ProductId), ProductName: str(pk.ProductName),
		ServiceTypeCode: str(pk.ServiceTypeCode), ServiceTypeName: str(pk.ServiceTypeName), RegionCode: str(pk.RegionCode),
		Status: i32(pk.Status), EffectiveTime: str(pk.EffectiveTime), ExpireTime: str(pk.ExpireTime), Items: []FreeResourceItem{}}
	for _, it := range rows(pk.FreeResources) {
		rem, _ := decStr(it.Amount)
		orig, _ := decStr(it.OriginalAmount)
		rp.Items = append(rp.Items, FreeResourceItem{ID: str(it.FreeResourceId), UsageTypeName: str(it.UsageTypeName), Remaining: rem, Original: orig, MeasureID: i32(it.MeasureId)})
	}
	return rp
}

func freeResourceUsageFrom(f model.FreeResourceDetail) FreeResourceUsage {
	u := FreeResourceUsage{ID: str(f.FreeResourceId), TypeName: str(f.FreeResourceTypeName), UsageTypeName: str(f.UsageTypeName),
		MeasureID: i32(f.MeasureId), StartTime: str(f.StartTime), EndTime: str(f.EndTime),
		ReuseCycle: i32(f.QuotaReuseCycle), ReuseCycleType: i32(f.QuotaReuseCycleType)}
	if f.Amount != nil {
		u.Remaining = *f.Amount
	}
	if f.OriginalAmount != nil {
		u.Original = *f.OriginalAmount
	}
	return u
}

// Resources lists a customer's yearly/monthly resources: the partner's
// keys for its own customers, a customer token for a reseller's.
func (c *Client) Resources(ctx context.Context, s Scope, customerID string, q ResourceQuery) (ResourceList, error) {
	if len(q.ResourceIDs) > MaxResourceIDs {
		return ResourceList{}, apierr.Errorf(apierr.CodeBadUserInput, "at most %d resource ids per read", MaxResourceIDs)
	}
	lim := q.Limit
	if lim <= 0 || lim > MaxResourcePage {
		lim = MaxResourcePage
	}
	body := &model.QueryResourcesReq{OrderId: optStr(q.OrderID), ServiceTypeCode: optStr(q.ServiceType),
		ExpireTimeBegin: optStr(q.ExpireFrom), ExpireTimeEnd: optStr(q.ExpireTo), Offset: ptr(int32(q.Offset)), Limit: ptr(int32(lim))}
	if len(q.ResourceIDs) > 0 {
		ids := slices.Clone(q.ResourceIDs)
		body.ResourceIds = &ids
	}
	if q.OnlyMain {
		body.OnlyMainResource = ptr(int32(1))
	}
	if len(q.Statuses) > 0 {
		st := make([]int32, len(q.Statuses))
		for i, v := range q.Statuses {
			st[i] = int32(v)
		}
		body.StatusList = &st
	}
	req := &model.ListPayPerUseCustomerResourcesRequest{Body: body}
	var resp *model.ListPayPerUseCustomerResourcesResponse
	var err error
	if s.Indirect == "" {
		body.CustomerId = optStr(customerID)
		resp, err = call(ctx, c, s, "ListPayPerUseCustomerResources", (*bss.BssClient).ListPayPerUseCustomerResources, req)
	} else {
		resp, err = custCall(ctx, c, s, customerID, "ListPayPerUseCustomerResources", (*bss.BssClient).ListPayPerUseCustomerResources, req)
	}
	if err != nil {
		return ResourceList{}, err
	}
	return ResourceList{Resources: convert(resp.Data, resourceFrom), Total: i32(resp.TotalCount)}, nil
}

// ResourcesByID reads resources by id, at most 50 per call; unknown ids
// are absent from the map.
func (c *Client) ResourcesByID(ctx context.Context, s Scope, customerID string, ids []string) (map[string]Resource, error) {
	out := make(map[string]Resource, len(ids))
	for chunk := range slices.Chunk(ids, MaxResourceIDs) {
		l, err := c.Resources(ctx, s, customerID, ResourceQuery{Window: Window{Limit: len(chunk)}, ResourceIDs: chunk})
		if err != nil {
			return nil, err
		}
		for _, r := range l.Resources {
			out[r.ResourceID] = r
		}
	}
	return out, nil
}

// failures converts the per-resource failures of a 200 answer; none is an
// empty list, not nil.
func failures(fs *[]model.FailResourceInfo) []ItemFailure {
	out := []ItemFailure{}
	for _, f := range rows(fs) {
		out = append(out, ItemFailure{ID: str(f.ResourceId), Code: str(f.ErrorCode), Message: str(f.ErrorMsg)})
	}
	return out
}

// orderResult is the answer of a renewal or unsubscription: the orders it
// made and the resources it failed on, both empty lists rather than nil.
func orderResult(orderIDs *[]string, fs *[]model.FailResourceInfo) OrderResult {
	return OrderResult{OrderIDs: append([]string{}, rows(orderIDs)...), Failures: failures(fs)}
}

// checkCount refuses a batch of resources that is empty or larger than the
// operation takes.
func checkCount(ids []string, maxIDs int, what string) error {
	if len(ids) == 0 || len(ids) > maxIDs {
		return apierr.Errorf(apierr.CodeBadUserInput, "%s takes 1-%d resources", what, maxIDs)
	}
	return nil
}

// Renewal period types (period_type).
const (
	PeriodMonth = 2
	PeriodYear  = 3
)

// CheckPeriod validates a renewal period: 2 month (1-11) or 3 year (1-3).
func CheckPeriod(periodType, periodNum int) error {
	switch {
	case periodType == PeriodMonth && periodNum >= 1 && periodNum <= 11, periodType == PeriodYear && periodNum >= 1 && periodNum <= 3:
		return nil
	}
	return apierr.Errorf(apierr.CodeBadUserInput, "the period must be 1-11 months or 1-3 years")
}

// RenewalQuote quotes renewing up to 10 main resources with their children
// (customer token).
func (c *Client) RenewalQuote(ctx context.Context, s Scope, customerID string, ids []string, periodType, periodNum int) (RenewalQuote, error) {
	if err := checkCount(ids, MaxRenewBatch, "a renewal quote"); err != nil {
		return RenewalQuote{}, err
	}
	if err := CheckPeriod(periodType, periodNum); err != nil {
		return RenewalQuote{}, err
	}
	body := &model.ListRenewRateOnPeriodReq{ResourceIds: ids, PeriodType: int32(periodType), PeriodNum: int32(periodNum), IncludeRelativeResources: ptr(true)}
	resp, err := custCall(ctx, c, s, customerID, "ListRenewRateOnPeriod", (*bss.BssClient).ListRenewRateOnPeriod, &model.ListRenewRateOnPeriodRequest{Body: body})
	if err != nil {
		return RenewalQuote{}, err
	}
	cur := currency(resp.Currency)
	q := RenewalQuote{Amounts: map[string]Money{}, Official: Money{Amount: decimal.Zero, Currency: cur}, Failures: failures(resp.FailResourceInfos)}
	for _, r := range rows(resp.RenewInquiryResults) {
		if d, ok := decStr(r.Amount); ok {
			q.Amounts[str(r.ResourceId)] = Money{Amount: d, Currency: cur}
		}
	}
	if o := resp.OfficialWebsiteRatingResult; o != nil {
		if d, ok := decStr(o.OfficialWebsiteAmount); ok {
			q.Official.Amount = d
		}
	}
	q.Discounts = convert(resp.OptionalDiscountRatingResults, func(d model.OptionalDiscountRatingResultV2) QuoteDiscount {
		amt, _ := decStr(d.Amount)
		da, _ := decStr(d.DiscountAmount)
		return QuoteDiscount{ID: str(d.DiscountId), Name: str(d.DiscountName), Type: i32(d.DiscountType),
			Amount: Money{Amount: amt, Currency: cur}, DiscountAmount: Money{Amount: da, Currency: cur}, Best: i32(d.BestOffer) == 1}
	})
	return q, nil
}

// Renew renews up to 10 main resources in one renew order; with autoPay
// the order is paid from the balance at once (a short balance leaves it
// pending payment), at most once for l's key: a renewal whose answer was
// lost is looked for among the customer's renewal orders (see
// reconcile.go). Without autoPay (an unpaid order, no money moves) l may
// be nil. Per-resource failures come back in the result.
func (c *Client) Renew(ctx context.Context, s Scope, customerID string, ids []string, periodType, periodNum int, autoPay bool, l Ledger) (OrderResult, error) {
	if err := checkCount(ids, MaxRenewBatch, "a renewal"); err != nil {
		return OrderResult{}, err
	}
	if err := CheckPeriod(periodType, periodNum); err != nil {
		return OrderResult{}, err
	}
	body := &model.RenewalResourcesReq{ResourceIds: ids, PeriodType: int32(periodType), PeriodNum: int32(periodNum), IsAutoPay: ptr(int32(0))}
	if autoPay {
		body.IsAutoPay = ptr(int32(1))
	}
	do := func(ctx context.Context) (OrderResult, error) {
		resp, err := custCall(ctx, c, s, customerID, "RenewalResources", (*bss.BssClient).RenewalResources, &model.RenewalResourcesRequest{Body: body})
		if err != nil {
			return OrderResult{}, err
		}
		return orderResult(resp.OrderIds, resp.FailResourceInfos), nil
	}
	if !autoPay && l == nil {
		return do(ctx)
	}
	return runMove(ctx, c, l, moveSpec[string, OrderResult]{op: "RenewalResources", lock: "renew:" + customerID, targets: []string{customerID},
		find: c.findRenewal(s, customerID), do: do,
		answer: func(found map[string]string) OrderResult { return OrderResult{OrderIDs: []string{found[customerID]}} },
		claims: func(r OrderResult) []string { return r.OrderIDs },
	})
}

// findRenewal finds the customer's renewal orders created from since on:
// renewals of one customer are serialised, so a new one is the move's.
func (c *Client) findRenewal(s Scope, customerID string) finder[string] {
	list := func(ctx context.Context, since time.Time, offset int32) ([]Order, int, error) {
		l, err := c.Orders(ctx, s, OrderQuery{Window: Window{Offset: int(offset), Limit: searchLimit}, CustomerID: customerID, OrderType: OrderRenewal, CreatedFrom: RecordTime(since)})
		return l.Orders, l.Total, err
	}
	read := func(o Order, since time.Time) record[string] {
		return record[string]{id: o.ID, target: customerID, value: o.ID, match: after(o.CreateTime, since)}
	}
	return lookFor(list, read)
}

// SetAutoRenew turns auto-renew on (times 0 = until cancelled; period
// MONTH or YEAR) or off for a main resource (customer token).
func (c *Client) SetAutoRenew(ctx context.Context, s Scope, customerID, resourceID string, on bool, times int, yearly bool) error {
	if !on {
		_, err := custCall(ctx, c, s, customerID, "CancelAutoRenewalResources", (*bss.BssClient).CancelAutoRenewalResources, &model.CancelAutoRenewalResourcesRequest{ResourceId: resourceID})
		return resourceNotFound(err)
	}
	if times < 0 || times > 99 {
		return apierr.Errorf(apierr.CodeBadUserInput, "auto-renew times must be 0-99 (0 = until turned off)")
	}
	period := model.GetAutoRenewalResourcesReqPeriodTypeEnum().MONTH
	if yearly {
		period = model.GetAutoRenewalResourcesReqPeriodTypeEnum().YEAR
	}
	body := &model.AutoRenewalResourcesReq{AutoRenewTimes: ptr(int32(times)), PeriodType: &period}
	_, err := custCall(ctx, c, s, customerID, "AutoRenewalResources", (*bss.BssClient).AutoRenewalResources, &model.AutoRenewalResourcesRequest{ResourceId: resourceID, Body: body})
	return resourceNotFound(err)
}

func resourceNotFound(err error) error {
	if e, ok := err.(*apierr.Error); ok {
		switch e.UpstreamCode {
		case "CBC.30050009":
			e.Code, e.Message = apierr.CodeNotFound, "resource not found"
		case "CBC.30050007":
			e.Code, e.Message = apierr.CodeBadUserInput, "the resource is not a main resource"
		}
	}
	return err
}

// Unsubscribe unsubscribes up to 10 main resources (type 1: the whole
// resource; 2: only the last renewal period); each gets a refund order.
func (c *Client) Unsubscribe(ctx context.Context, s Scope, customerID string, ids []string, unsubscribeType int, reasonType int, reason string) (OrderResult, error) {
	if err := checkCount(ids, MaxRenewBatch, "an unsubscription"); err != nil {
		return OrderResult{}, err
	}
	if unsubscribeType != 1 && unsubscribeType != 2 {
		return OrderResult{}, apierr.Errorf(apierr.CodeBadUserInput, "unknown unsubscribe type")
	}
	body := &model.UnsubscribeResourcesReq{ResourceIds: ids, UnsubscribeType: int32(unsubscribeType), UnsubscribeReason: optStr(strings.TrimSpace(reason))}
	if reasonType != 0 {
		if reasonType < 1 || reasonType > 5 {
			return OrderResult{}, apierr.Errorf(apierr.CodeBadUserInput, "the unsubscribe reason type must be 1-5")
		}
		body.UnsubscribeReasonType = ptr(int32(reasonType))
	}
	resp, err := custCall(ctx, c, s, customerID, "CancelResourcesSubscription", (*bss.BssClient).CancelResourcesSubscription, &model.CancelResourcesSubscriptionRequest{Body: body})
	if err != nil {
		return OrderResult{}, err
	}
	return orderResult(resp.OrderIds, resp.FailResourceInfos), nil
}

// SwitchToOnDemand sets (on) or cancels the switch of up to 100 main
// resources to on-demand at expiry; per-resource failures come back.
func (c *Client) SwitchToOnDemand(ctx context.Context, s Scope, customerID string, ids []string, on bool) ([]ItemFailure, error) {
	if err := checkCount(ids, MaxOnDemandSwitch, "the switch"); err != nil {
		return nil, err
	}
	op := "CANCEL"
	if on {
		op = "SET_UP"
	}
	body := &model.PeriodToOnDemandReq{Operation: op, ResourceIds: ids}
	resp, err := custCall(ctx, c, s, customerID, "UpdatePeriodToOnDemand", (*bss.BssClient).UpdatePeriodToOnDemand, &model.UpdatePeriodToOnDemandRequest{Body: body})
	if err != nil {
		return nil, err
	}
	out := []ItemFailure{}
	for _, d := range rows(resp.ErrorDetails) {
		out = append(out, ItemFailure{ID: str(d.Id), Code: str(d.ErrorCode), Message: str(d.ErrorMsg)})
	}
	return out, nil
}

// OnDemandResources lists a customer's on-demand resources (partner keys,
// one customer per call).
func (c *Client) OnDemandResources(ctx context.Context, s Scope, customerID string, p Window) (OnDemandList, error) {
	off, lim := page(p)
	body := &model.QueryCustomerOnDemandResourcesReq{CustomerId: customerID, Offset: off, Limit: lim, IndirectPartnerId: optStr(s.Indirect)}
	resp, err := call(ctx, c, s, "ListCustomerOnDemandResources", (*bss.BssClient).ListCustomerOnDemandResources, &model.ListCustomerOnDemandResourcesRequest{Body: body})
	if err != nil {
		return OnDemandList{}, err
	}
	return OnDemandList{Resources: convert(resp.Resources, onDemandFrom), Total: i32(resp.TotalCount)}, nil
}

// ResourcePackages lists a customer's resource packages with their
// free-resource items (customer token).
func (c *Client) ResourcePackages(ctx context.Context, s Scope, customerID string, p Window) (PackageList, error) {
	off, lim := page(p)
	body := &model.ListFreeResourceInfosReq{Offset: off, Limit: lim}
	resp, err := custCall(ctx, c, s, customerID, "ListFreeResourceInfos", (*bss.BssClient).ListFreeResourceInfos, &model.ListFreeResourceInfosRequest{Body: body})
	if err != nil {
		return PackageList{}, err
	}
	return PackageList{Packages: convert(resp.FreeResourcePackages, packageFrom), Total: i32(resp.TotalCount)}, nil
}

// FreeResourceUsages reads the usage of free-resource items, at most 100
// per call (customer token); unknown ids are absent.
func (c *Client) FreeResourceUsages(ctx context.Context, s Scope, customerID string, ids []string) (map[string]FreeResourceUsage, error) {
	out := make(map[string]FreeResourceUsage, len(ids))
	for chunk := range slices.Chunk(ids, MaxFreeResourceIDs) {
		body := &model.ListFreeResourceUsagesReq{FreeResourceIds: chunk}
		resp, err := custCall(ctx, c, s, customerID, "ListFreeResourceUsages", (*bss.BssClient).ListFreeResourceUsages, &model.ListFreeResourceUsagesRequest{Body: body})
		if err != nil {
			return nil, err
		}
		for _, f := range rows(resp.FreeResources) {
			u := freeResourceUsageFrom(f)
			out[u.ID] = u
		}
	}
	return out, nil
}

// Resource statuses (status) and expiry policies (expire_policy).
const (
	ResourceInUse   = 2
	ResourceClosed  = 3
	ResourceFrozen  = 4
	ResourceExpired = 5
)

// RefundItem is one resource's estimated refund.
type RefundItem struct {
	ResourceID    string
	RemainingDays decimal.Decimal
	Amount        Money
}

// RefundPreview is what unsubscribing resources would refund: an estimate,
// since the upstream offers no refund quote before the unsubscription.
type RefundPreview struct {
	Items    []RefundItem
	Failures []ItemFailure
	Total    Money
}

// RefundPreview estimates the refund of unsubscribing the main resources
// ids of a customer: the monthly list price (children included, from a
// renewal quote) × the remaining days ÷ 30, × 10/12 for a term of a year
// or more, rounded down to the fen, as Huawei's unsubscription rules
// describe. Closed, unknown and child resources come back as failures with
// the upstream's codes.
func (c *Client) RefundPreview(ctx context.Context, s Scope, customerID string, ids []string, now time.Time) (RefundPreview, error) {
	if err := checkCount(ids, MaxRenewBatch, "a refund preview"); err != nil {
		return RefundPreview{}, err
	}
	m, err := c.ResourcesByID(ctx, s, customerID, ids)
	if err != nil {
		return RefundPreview{}, err
	}
	out := RefundPreview{Total: Money{Amount: decimal.Zero, Currency: defaultCurrency}}
	var ok []Resource
	for _, id := range ids {
		x, found := m[id]
		switch {
		case !found || x.Status == ResourceClosed:
			out.Failures = append(out.Failures, ItemFailure{ID: id, Code: "CBC.30050009", Message: "the resource does not exist or has been deleted"})
		case !x.IsMain:
			out.Failures = append(out.Failures, ItemFailure{ID: id, Code: "CBC.30050007", Message: "the resource is not a main resource"})
		default:
			ok = append(ok, x)
		}
	}
	if len(ok) == 0 {
		return out, nil
	}
	okIDs := make([]string, len(ok))
	for i, x := range ok {
		okIDs[i] = x.ResourceID
	}
	q, err := c.RenewalQuote(ctx, s, customerID, okIDs, PeriodMonth, 1) // the monthly list price, children included
	if err != nil {
		return RefundPreview{}, err
	}
	out.Failures = append(out.Failures, q.Failures...)
	for _, x := range ok {
		monthly, found := q.Amounts[x.ResourceID]
		if !found {
			continue
		}
		days, amt := refundEstimate(monthly.Amount, x.EffectiveTime, x.ExpireTime, now)
		out.Total.Currency = monthly.Currency
		out.Total.Amount = out.Total.Amount.Add(amt)
		out.Items = append(out.Items, RefundItem{ResourceID: x.ResourceID, RemainingDays: days, Amount: Money{Amount: amt, Currency: monthly.Currency}})
	}
	return out, nil
}

// refundEstimate is the pro-rata refund of a paid term: monthly × remaining
// days ÷ 30, × 10/12 for a term of a year or more, rounded down to the fen.
func refundEstimate(monthly decimal.Decimal, effective, expire string, now time.Time) (days, amount decimal.Decimal) {
	eff, ok1 := recTime(effective)
	exp, ok2 := recTime(expire)
	if !ok1 || !ok2 {
		return decimal.Zero, decimal.Zero
	}
	from := now
	if eff.After(from) {
		from = eff
	}
	if !exp.After(from) {
		return decimal.Zero, decimal.Zero
	}
	days = decimal.NewFromInt(int64(exp.Sub(from) / time.Second)).Div(decimal.NewFromInt(86400))
	v := monthly.Mul(days).Div(decimal.NewFromInt(30))
	if exp.Sub(eff) >= 360*24*time.Hour {
		v = v.Mul(decimal.NewFromInt(10)).Div(decimal.NewFromInt(12))
	}
	return days.Round(2), v.RoundFloor(2)
}
