package resolvers

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/identity"
	"partnergraph/loader"
)

// CommerceUpstream reads and changes customers' orders and resources, acting
// for a customer through a customer token where upstream requires it (issue 5).
type CommerceUpstream interface {
	loader.CommerceSource
	Orders(ctx context.Context, s gateway.Scope, q gateway.OrderQuery) (gateway.OrderList, error)
	Order(ctx context.Context, s gateway.Scope, customerID, orderID string) (gateway.Order, error)
	OrderDetail(ctx context.Context, s gateway.Scope, orderID string, p gateway.Page) (gateway.OrderDetail, error)
	OrderDiscounts(ctx context.Context, s gateway.Scope, customerID, orderID string) ([]gateway.OrderDiscount, error)
	OrderCoupons(ctx context.Context, s gateway.Scope, customerID, orderID string) (gateway.OrderCoupons, error)
	PayOrder(ctx context.Context, s gateway.Scope, customerID string, in gateway.PayInput) error
	CancelOrder(ctx context.Context, s gateway.Scope, customerID, orderID string) error
	RefundLines(ctx context.Context, s gateway.Scope, customerID, orderID string) ([]gateway.RefundLine, error)
	Resources(ctx context.Context, s gateway.Scope, customerID string, q gateway.ResourceQuery) (gateway.ResourceList, error)
	Renew(ctx context.Context, s gateway.Scope, customerID string, ids []string, periodType, periodNum int, autoPay bool) (gateway.OrderResult, error)
	SetAutoRenew(ctx context.Context, s gateway.Scope, customerID, resourceID string, on bool, times int, yearly bool) error
	Unsubscribe(ctx context.Context, s gateway.Scope, customerID string, ids []string, unsubscribeType, reasonType int, reason string) (gateway.OrderResult, error)
	SwitchToOnDemand(ctx context.Context, s gateway.Scope, customerID string, ids []string, on bool) ([]gateway.ItemFailure, error)
	ResourcePackages(ctx context.Context, s gateway.Scope, customerID string, p gateway.Page) (gateway.PackageList, error)
}

// ---- conversions ----

var orderStatuses = map[int]model.OrderStatus{
	gateway.OrderPendingApproval: model.OrderStatusPendingApproval, gateway.OrderProcessing: model.OrderStatusProcessing,
	gateway.OrderCancelled: model.OrderStatusCancelled, gateway.OrderCompleted: model.OrderStatusCompleted,
	gateway.OrderPendingPayment: model.OrderStatusPendingPayment, gateway.OrderToBeConfirmed: model.OrderStatusToBeConfirmed,
}

var orderTypes = map[string]model.OrderType{
	"1": model.OrderTypeNew, "2": model.OrderTypeRenewal, "3": model.OrderTypeChange, "4": model.OrderTypeUnsubscribe,
	"10": model.OrderTypeToOnDemand, "11": model.OrderTypeToYearlyMonthly,
}

var resourceStatuses = map[int]model.ResourceStatus{
	2: model.ResourceStatusInUse, 3: model.ResourceStatusClosed, 4: model.ResourceStatusFrozen, 5: model.ResourceStatusExpired,
}

var expirePolicies = map[int]model.ExpirePolicy{
	0: model.ExpirePolicyGracePeriod, 1: model.ExpirePolicyToOnDemand, 2: model.ExpirePolicyDelete,
	3: model.ExpirePolicyAutoRenew, 4: model.ExpirePolicyFreeze, 5: model.ExpirePolicyDelete,
}

func keyOf[K comparable, V comparable](m map[K]V, v V) (K, bool) {
	for k, x := range m {
		if x == v {
			return k, true
		}
	}
	var zero K
	return zero, false
}

func lookup[K comparable, V any](m map[K]V, k K) *V {
	if v, ok := m[k]; ok {
		return &v
	}
	return nil
}

func orderModel(s gateway.Scope, o gateway.Order) *model.Order {
	return &model.Order{
		ID: globalID("Order", s, o.CustomerID+":"+o.ID), OrderID: o.ID, CustomerID: o.CustomerID,
		ServiceTypeCode: opt(o.ServiceTypeCode), ServiceTypeName: opt(o.ServiceTypeName),
		Status: lookup(orderStatuses, o.Status), Type: lookup(orderTypes, o.Type),
		OfficialAmount: money(o.Official), AmountAfterDiscount: money(o.AfterDiscount),
		CouponAmount: money(o.CouponAmount), DiscountAmount: money(o.DiscountAmount),
		CreatedAt: opt(o.CreateTime), PaidAt: opt(o.PaymentTime), Scope: s,
	}
}

func resourceModel(s gateway.Scope, customerID string, r gateway.Resource, p *loader.CustomerPage) *model.Resource {
	return &model.Resource{
		ID: globalID("Resource", s, customerID+":"+r.ResourceID), ResourceID: r.ResourceID, CustomerID: customerID,
		InstanceID: opt(r.InstanceID), Name: opt(r.Name), RegionCode: opt(r.RegionCode),
		ServiceTypeCode: opt(r.ServiceTypeCode), ServiceTypeName: opt(r.ServiceTypeName),
		ResourceTypeCode: opt(r.ResourceTypeCode), ResourceTypeName: opt(r.ResourceTypeName),
		SpecCode: opt(r.SpecCode), SpecDescription: opt(r.SpecDesc), IsMain: r.IsMain, ParentResourceID: opt(r.ParentID),
		Status: lookup(resourceStatuses, r.Status), EffectiveAt: opt(r.EffectiveTime), ExpiresAt: opt(r.ExpireTime),
		UpdatedAt: opt(r.UpdateTime), ExpirePolicy: lookup(expirePolicies, r.ExpirePolicy), AutoRenew: r.ExpirePolicy == 3,
		Scope: s, Page: p,
	}
}

// resourceModels converts a list; the page holds its main resources, so
// their quotes are read together.
func resourceModels(s gateway.Scope, customerID string, rs []gateway.Resource) []*model.Resource {
	var mains []string
	for _, r := range rs {
		if r.IsMain {
			mains = append(mains, r.ResourceID)
		}
	}
	p := loader.NewCustomerPage(s, customerID, mains)
	out := make([]*model.Resource, len(rs))
	for i, r := range rs {
		out[i] = resourceModel(s, customerID, r, p)
	}
	return out
}

func failureModels(fs []gateway.ItemFailure) []*model.ResourceFailure {
	out := make([]*model.ResourceFailure, len(fs))
	for i, f := range fs {
		out[i] = &model.ResourceFailure{ResourceID: f.ID, Code: f.Code, Message: opt(f.Message)}
	}
	return out
}

func periodArgs(p model.PeriodInput) (int, int, error) {
	pt := 2
	if p.Type == model.PeriodTypeYear {
		pt = 3
	}
	return pt, p.Count, gateway.CheckPeriod(pt, p.Count)
}

func periodModel(t int) *model.PeriodType {
	switch t {
	case 2:
		v := model.PeriodTypeMonth
		return &v
	case 3:
		v := model.PeriodTypeYear
		return &v
	}
	return nil
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// checkIDs validates a list of resource ids: 1..max, none empty, no
// duplicates.
func checkIDs(field string, ids []string, max int) error {
	if len(ids) == 0 || len(ids) > max {
		return apierr.Errorf(apierr.CodeBadUserInput, "%s must hold 1-%d resource ids", field, max)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			return apierr.Errorf(apierr.CodeBadUserInput, "%s holds an empty id", field)
		}
		if seen[id] {
			return apierr.Errorf(apierr.CodeBadUserInput, "%s holds %s twice", field, id)
		}
		seen[id] = true
	}
	return nil
}

// ---- reads ----

func (r *Resolver) customerOrders(ctx context.Context, c *model.Customer, first *int, after *string, f *model.OrderFilter) (*model.OrderConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	q := gateway.OrderQuery{Page: p, CustomerID: c.CustomerID}
	if f != nil {
		if q.CreatedFrom, err = upstreamDate("filter.createdFrom", f.CreatedFrom, false); err != nil {
			return nil, err
		}
		if q.CreatedTo, err = upstreamDate("filter.createdTo", f.CreatedTo, true); err != nil {
			return nil, err
		}
		if q.CreatedFrom != "" && q.CreatedTo != "" {
			from, _ := time.Parse(time.DateOnly, *f.CreatedFrom)
			to, _ := time.Parse(time.DateOnly, *f.CreatedTo)
			if to.Before(from) {
				return nil, apierr.Errorf(apierr.CodeBadUserInput, "filter.createdFrom is after filter.createdTo")
			}
			if to.After(from.AddDate(1, 0, 0).Add(-24 * time.Hour)) {
				return nil, apierr.Errorf(apierr.CodeBadUserInput, "the creation time range must not exceed one year")
			}
		}
		if f.Status != nil {
			q.Status, _ = keyOf(orderStatuses, *f.Status)
		}
		if f.Type != nil {
			q.OrderType, _ = keyOf(orderTypes, *f.Type)
		}
		if f.ServiceTypeCode != nil {
			q.ServiceType = *f.ServiceTypeCode
		}
	}
	l, err := r.Up.Orders(ctx, c.Scope, q)
	if err != nil {
		return nil, err
	}
	conn := &model.OrderConnection{Edges: make([]*model.OrderEdge, 0, len(l.Orders)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Orders), l.Total)}
	for i, o := range l.Orders {
		if o.CustomerID != c.CustomerID { // never trust a filter to be applied upstream
			continue
		}
		conn.Edges = append(conn.Edges, &model.OrderEdge{Cursor: cursor(p.Offset + i), Node: orderModel(c.Scope, o)})
	}
	return conn, nil
}

// maxResourceIDFilter bounds filter.resourceIds (two upstream calls).
const maxResourceIDFilter = 100

func (r *Resolver) customerResources(ctx context.Context, c *model.Customer, first *int, after *string, f *model.ResourceFilter) (*model.ResourceConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	q := gateway.ResourceQuery{Page: p}
	if f != nil {
		if f.OnlyMain != nil {
			q.OnlyMain = *f.OnlyMain
		}
		if f.ServiceTypeCode != nil {
			q.ServiceType = *f.ServiceTypeCode
		}
		for _, st := range f.Statuses {
			n, _ := keyOf(resourceStatuses, st)
			q.Statuses = append(q.Statuses, n)
		}
		if f.ResourceIds != nil {
			return r.resourcesByID(ctx, c, f.ResourceIds, q)
		}
	}
	l, err := r.Up.Resources(ctx, c.Scope, c.CustomerID, q)
	if err != nil {
		return nil, err
	}
	nodes := resourceModels(c.Scope, c.CustomerID, l.Resources)
	conn := &model.ResourceConnection{Edges: make([]*model.ResourceEdge, len(nodes)), TotalCount: l.Total, PageInfo: pageInfo(p, len(nodes), l.Total)}
	for i, n := range nodes {
		conn.Edges[i] = &model.ResourceEdge{Cursor: cursor(p.Offset + i), Node: n}
	}
	return conn, nil
}

// resourcesByID answers filter.resourceIds: the resources in the given
// order (unknown ids left out), 50 per upstream call.
func (r *Resolver) resourcesByID(ctx context.Context, c *model.Customer, ids []string, q gateway.ResourceQuery) (*model.ResourceConnection, error) {
	if len(ids) > maxResourceIDFilter {
		return nil, apierr.Errorf(apierr.CodeBadUserInput, "filter.resourceIds holds at most %d ids", maxResourceIDFilter)
	}
	uniq := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] && id != "" {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	m, err := r.Up.ResourcesByID(ctx, c.Scope, c.CustomerID, uniq)
	if err != nil {
		return nil, err
	}
	statuses := map[int]bool{}
	for _, s := range q.Statuses {
		statuses[s] = true
	}
	var rs []gateway.Resource
	for _, id := range uniq {
		x, ok := m[id]
		if !ok || (q.OnlyMain && !x.IsMain) || (len(statuses) > 0 && !statuses[x.Status]) || (q.ServiceType != "" && x.ServiceTypeCode != q.ServiceType) {
			continue
		}
		rs = append(rs, x)
	}
	nodes := resourceModels(c.Scope, c.CustomerID, rs)
	p := gateway.Page{Limit: len(nodes)}
	conn := &model.ResourceConnection{Edges: make([]*model.ResourceEdge, len(nodes)), TotalCount: len(nodes), PageInfo: pageInfo(p, len(nodes), len(nodes))}
	for i, n := range nodes {
		conn.Edges[i] = &model.ResourceEdge{Cursor: cursor(i), Node: n}
	}
	return conn, nil
}

func (r *Resolver) customerOnDemandResources(ctx context.Context, c *model.Customer, first *int, after *string) (*model.OnDemandResourceConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	l, err := r.loaders(ctx).OnDemandResources(ctx, c.Scope, c.CustomerID, p, c.Page)
	if err != nil {
		return nil, err
	}
	conn := &model.OnDemandResourceConnection{Edges: make([]*model.OnDemandResourceEdge, len(l.Resources)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Resources), l.Total)}
	for i, x := range l.Resources {
		conn.Edges[i] = &model.OnDemandResourceEdge{Cursor: cursor(p.Offset + i), Node: &model.OnDemandResource{
			ResourceID: x.ResourceID, Name: opt(x.Name), RegionCode: opt(x.RegionCode), AvailabilityZone: opt(x.AZCode),
			ServiceTypeCode: opt(x.ServiceTypeCode), ServiceTypeName: opt(x.ServiceTypeName),
			ResourceTypeCode: opt(x.ResourceTypeCode), ResourceTypeName: opt(x.ResourceTypeName),
			SpecCode: opt(x.SpecCode), SpecDescription: opt(x.SpecDesc), Info: opt(x.Info), Status: optInt(x.Status),
			EffectiveAt: opt(x.EffectiveTime), ExpiresAt: opt(x.ExpireTime),
		}}
	}
	return conn, nil
}

func (r *Resolver) customerResourcePackages(ctx context.Context, c *model.Customer, first *int, after *string) (*model.ResourcePackageConnection, error) {
	p, err := window(first, after)
	if err != nil {
		return nil, err
	}
	l, err := r.Up.ResourcePackages(ctx, c.Scope, c.CustomerID, p)
	if err != nil {
		return nil, err
	}
	var itemIDs []string
	for _, pk := range l.Packages {
		for _, it := range pk.Items {
			itemIDs = append(itemIDs, it.ID)
		}
	}
	pg := loader.NewCustomerPage(c.Scope, c.CustomerID, itemIDs)
	conn := &model.ResourcePackageConnection{Edges: make([]*model.ResourcePackageEdge, len(l.Packages)), TotalCount: l.Total, PageInfo: pageInfo(p, len(l.Packages), l.Total)}
	for i, pk := range l.Packages {
		items := make([]*model.FreeResourceItem, len(pk.Items))
		for j, it := range pk.Items {
			items[j] = &model.FreeResourceItem{FreeResourceID: it.ID, UsageTypeName: opt(it.UsageTypeName), Remaining: it.Remaining, Original: it.Original,
				MeasureID: optInt(it.MeasureID), Scope: c.Scope, CustomerID: c.CustomerID, Page: pg}
		}
		conn.Edges[i] = &model.ResourcePackageEdge{Cursor: cursor(p.Offset + i), Node: &model.ResourcePackage{
			InstanceID: pk.InstanceID, OrderID: opt(pk.OrderID), ProductID: opt(pk.ProductID), ProductName: opt(pk.ProductName),
			ServiceTypeCode: opt(pk.ServiceTypeCode), ServiceTypeName: opt(pk.ServiceTypeName), RegionCode: opt(pk.RegionCode),
			Status: &pk.Status, EffectiveAt: opt(pk.EffectiveTime), ExpiresAt: opt(pk.ExpireTime), Items: items,
		}}
	}
	return conn, nil
}

func (r *Resolver) freeResourceUsage(ctx context.Context, it *model.FreeResourceItem) (*model.FreeResourceUsage, error) {
	u, err := r.loaders(ctx).FreeResourceUsage(ctx, it.Scope, it.CustomerID, it.FreeResourceID, it.Page)
	if err != nil || u == nil {
		return nil, err
	}
	return &model.FreeResourceUsage{TypeName: opt(u.TypeName), Remaining: u.Remaining, Original: u.Original, Used: u.Original.Sub(u.Remaining),
		StartAt: opt(u.StartTime), EndAt: opt(u.EndTime), ReuseCycle: optInt(u.ReuseCycle), ReuseCycleType: optInt(u.ReuseCycleType), MeasureID: optInt(u.MeasureID)}, nil
}

func (r *Resolver) customerRenewalQuote(ctx context.Context, c *model.Customer, ids []string, period model.PeriodInput) (*model.RenewalQuote, error) {
	if err := checkIDs("resourceIds", ids, gateway.MaxRenewBatch); err != nil {
		return nil, err
	}
	pt, pn, err := periodArgs(period)
	if err != nil {
		return nil, err
	}
	q, err := r.Up.RenewalQuote(ctx, c.Scope, c.CustomerID, ids, pt, pn)
	if err != nil {
		return nil, err
	}
	out := &model.RenewalQuote{Items: []*model.RenewalQuoteItem{}, OfficialAmount: money(q.Official), Discounts: []*model.RenewalDiscount{}, Failures: failureModels(q.Failures)}
	for _, id := range ids {
		if m, ok := q.Amounts[id]; ok {
			out.Items = append(out.Items, &model.RenewalQuoteItem{ResourceID: id, Amount: money(m)})
		}
	}
	for _, d := range q.Discounts {
		out.Discounts = append(out.Discounts, &model.RenewalDiscount{DiscountID: d.ID, Name: opt(d.Name), Amount: money(d.Amount), DiscountAmount: money(d.DiscountAmount), Best: d.Best})
	}
	return out, nil
}

// customerRefundPreview estimates unsubscribing main resources (see the
// RefundPreview type's description for the computation).
func (r *Resolver) customerRefundPreview(ctx context.Context, c *model.Customer, ids []string) (*model.RefundPreview, error) {
	if err := checkIDs("resourceIds", ids, gateway.MaxRenewBatch); err != nil {
		return nil, err
	}
	m, err := r.Up.ResourcesByID(ctx, c.Scope, c.CustomerID, ids)
	if err != nil {
		return nil, err
	}
	out := &model.RefundPreview{Items: []*model.RefundPreviewItem{}, Failures: []*model.ResourceFailure{}}
	var ok []gateway.Resource
	for _, id := range ids {
		x, found := m[id]
		switch {
		case !found || x.Status == 3:
			out.Failures = append(out.Failures, &model.ResourceFailure{ResourceID: id, Code: "CBC.30050009", Message: opt("the resource does not exist or has been deleted")})
		case !x.IsMain:
			out.Failures = append(out.Failures, &model.ResourceFailure{ResourceID: id, Code: "CBC.30050007", Message: opt("the resource is not a main resource")})
		default:
			ok = append(ok, x)
		}
	}
	total := gateway.Money{Amount: decimal.Zero, Currency: "CNY"}
	if len(ok) > 0 {
		okIDs := make([]string, len(ok))
		for i, x := range ok {
			okIDs[i] = x.ResourceID
		}
		q, err := r.Up.RenewalQuote(ctx, c.Scope, c.CustomerID, okIDs, 2, 1) // the monthly list price, children included
		if err != nil {
			return nil, err
		}
		out.Failures = append(out.Failures, failureModels(q.Failures)...)
		now := time.Now()
		for _, x := range ok {
			monthly, found := q.Amounts[x.ResourceID]
			if !found {
				continue
			}
			days, amt := refundEstimate(monthly.Amount, x.EffectiveTime, x.ExpireTime, now)
			total.Currency = monthly.Currency
			total.Amount = total.Amount.Add(amt)
			out.Items = append(out.Items, &model.RefundPreviewItem{ResourceID: x.ResourceID, RemainingDays: days, Amount: money(gateway.Money{Amount: amt, Currency: monthly.Currency})})
		}
	}
	out.Total = money(total)
	return out, nil
}

// refundEstimate is the pro-rata refund of a paid term: monthly × remaining
// days ÷ 30, × 10/12 for a term of a year or more, rounded down to the fen.
func refundEstimate(monthly decimal.Decimal, effective, expire string, now time.Time) (days, amount decimal.Decimal) {
	eff, err1 := parseUpstreamTime(effective)
	exp, err2 := parseUpstreamTime(expire)
	if err1 != nil || err2 != nil {
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

func parseUpstreamTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05Z", s)
	}
	return t, err
}

func (r *Resolver) resourceRenewalQuote(ctx context.Context, x *model.Resource, period model.PeriodInput) (*model.ResourceRenewalQuote, error) {
	if !x.IsMain {
		return nil, nil
	}
	pt, pn, err := periodArgs(period)
	if err != nil {
		return nil, err
	}
	q, err := r.loaders(ctx).RenewalQuote(ctx, x.Scope, x.CustomerID, x.ResourceID, pt, pn, x.Page)
	if err != nil {
		return nil, err
	}
	out := &model.ResourceRenewalQuote{Amount: optMoney(q.Amount)}
	if q.Failure != nil {
		out.Failure = failureModels([]gateway.ItemFailure{*q.Failure})[0]
	}
	return out, nil
}

// maxChildPages bounds the walk of a customer's resources for children.
const maxChildPages = 10

func (r *Resolver) resourceChildren(ctx context.Context, x *model.Resource) ([]*model.Resource, error) {
	if !x.IsMain {
		return []*model.Resource{}, nil
	}
	all, err := r.allResources(ctx, x.Scope, x.CustomerID, x.Page)
	if err != nil {
		return nil, err
	}
	var kids []gateway.Resource
	for _, c := range all {
		if c.ParentID == x.ResourceID && !c.IsMain {
			kids = append(kids, c)
		}
	}
	return resourceModels(x.Scope, x.CustomerID, kids), nil
}

// allResources walks a customer's resources (500 per call), once per page.
func (r *Resolver) allResources(ctx context.Context, s gateway.Scope, customerID string, p *loader.CustomerPage) ([]gateway.Resource, error) {
	walk := func() (any, error) {
		var all []gateway.Resource
		for i := 0; i < maxChildPages; i++ {
			l, err := r.Up.Resources(ctx, s, customerID, gateway.ResourceQuery{Page: gateway.Page{Offset: i * gateway.MaxResourcePage, Limit: gateway.MaxResourcePage}})
			if err != nil {
				return nil, err
			}
			all = append(all, l.Resources...)
			if len(l.Resources) < gateway.MaxResourcePage || len(all) >= l.Total {
				break
			}
		}
		return all, nil
	}
	if p == nil {
		v, err := walk()
		if err != nil {
			return nil, err
		}
		return v.([]gateway.Resource), nil
	}
	v, err := p.Memo("all-resources", walk)
	if err != nil {
		return nil, err
	}
	return v.([]gateway.Resource), nil
}

func (r *Resolver) orderPaymentDeadline(ctx context.Context, o *model.Order) (*string, error) {
	if o.Status == nil || *o.Status != model.OrderStatusPendingPayment {
		return nil, nil
	}
	d, err := r.Up.OrderDetail(ctx, o.Scope, o.OrderID, gateway.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	return opt(d.Order.PaymentDeadline), nil
}

// maxLineItemPages bounds the line items read for one order (100 per call).
const maxLineItemPages = 5

func (r *Resolver) orderLineItems(ctx context.Context, o *model.Order) ([]*model.OrderLineItem, error) {
	out := []*model.OrderLineItem{}
	for i := 0; i < maxLineItemPages; i++ {
		d, err := r.Up.OrderDetail(ctx, o.Scope, o.OrderID, gateway.Page{Offset: i * gateway.MaxPageSize, Limit: gateway.MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, li := range d.LineItems {
			out = append(out, &model.OrderLineItem{
				ID: li.ID, ServiceTypeCode: opt(li.ServiceTypeCode), ServiceTypeName: opt(li.ServiceTypeName), ResourceTypeCode: opt(li.ResourceTypeCode),
				ProductID: opt(li.ProductID), ProductSpec: opt(li.ProductSpecDesc), PeriodType: periodModel(li.PeriodType), PeriodCount: optInt(li.PeriodNum),
				Quantity: optInt(li.SubscriptionNum), EffectiveAt: opt(li.EffectiveTime), ExpiresAt: opt(li.ExpireTime),
				OfficialAmount: money(li.Official), AmountAfterDiscount: money(li.AfterDiscount),
			})
		}
		if len(d.LineItems) < gateway.MaxPageSize || len(out) >= d.TotalItems {
			break
		}
	}
	return out, nil
}

func (r *Resolver) orderResources(ctx context.Context, o *model.Order) ([]*model.Resource, error) {
	l, err := r.Up.Resources(ctx, o.Scope, o.CustomerID, gateway.ResourceQuery{Page: gateway.Page{Limit: gateway.MaxResourcePage}, OrderID: o.OrderID})
	if err != nil {
		return nil, err
	}
	return resourceModels(o.Scope, o.CustomerID, l.Resources), nil
}

func pending(o *model.Order) bool {
	return o.Status != nil && *o.Status == model.OrderStatusPendingPayment
}

func (r *Resolver) orderCoupons(ctx context.Context, o *model.Order) ([]*model.OrderCoupon, error) {
	if !pending(o) {
		return []*model.OrderCoupon{}, nil
	}
	cs, err := r.Up.OrderCoupons(ctx, o.Scope, o.CustomerID, o.OrderID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.OrderCoupon, len(cs.Coupons))
	for i, c := range cs.Coupons {
		st := c.ServiceTypes
		if st == nil {
			st = []string{}
		}
		out[i] = &model.OrderCoupon{CouponID: c.ID, Cash: c.PayCouponType() == gateway.PayCouponCash, FaceValue: money(c.FaceValue), Balance: money(c.Balance),
			EffectiveAt: opt(c.EffectiveTime), ExpiresAt: opt(c.ExpireTime), ServiceTypes: st}
	}
	return out, nil
}

func (r *Resolver) orderDiscounts(ctx context.Context, o *model.Order) ([]*model.OrderDiscount, error) {
	if !pending(o) {
		return []*model.OrderDiscount{}, nil
	}
	ds, err := r.Up.OrderDiscounts(ctx, o.Scope, o.CustomerID, o.OrderID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.OrderDiscount, len(ds))
	for i, d := range ds {
		out[i] = &model.OrderDiscount{DiscountID: d.ID, DiscountType: d.Type, Ratio: d.Ratio, Amount: optMoney(d.Amount)}
	}
	return out, nil
}

func (r *Resolver) orderRefunds(ctx context.Context, o *model.Order) ([]*model.RefundLine, error) {
	if o.Type == nil || *o.Type != model.OrderTypeUnsubscribe {
		return []*model.RefundLine{}, nil
	}
	ls, err := r.Up.RefundLines(ctx, o.Scope, o.CustomerID, o.OrderID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.RefundLine, len(ls))
	for i, l := range ls {
		out[i] = &model.RefundLine{ID: l.ID, Amount: money(l.Amount), ServiceTypeCode: opt(l.ServiceTypeCode), ServiceTypeName: opt(l.ServiceTypeName),
			ResourceTypeCode: opt(l.ResourceTypeCode), ResourceTypeName: opt(l.ResourceTypeName), RegionCode: opt(l.RegionCode), BaseOrderID: opt(l.BaseOrderID)}
	}
	return out, nil
}

// commerceNode resolves Order and Resource global IDs ("customer:id").
func (r *Resolver) commerceNode(ctx context.Context, p *identity.Principal, typ string, s gateway.Scope, id string) (model.Node, error) {
	customerID, objID, ok := strings.Cut(id, ":")
	if !ok || customerID == "" || objID == "" || !r.canUse(ctx, p, s, customerID) {
		return nil, apierr.NotFound("node")
	}
	switch typ {
	case "Order":
		o, err := r.Up.Order(ctx, s, customerID, objID)
		if err != nil {
			if apierr.ErrorCode(err) == apierr.CodeNotFound {
				return nil, apierr.NotFound("node")
			}
			return nil, err
		}
		return orderModel(s, o), nil
	case "Resource":
		x, err := r.loaders(ctx).Resource(ctx, s, customerID, objID)
		if err != nil {
			if apierr.ErrorCode(err) == apierr.CodeNotFound {
				return nil, apierr.NotFound("node")
			}
			return nil, err
		}
		if x == nil {
			return nil, apierr.NotFound("node")
		}
		return resourceModel(s, customerID, *x, nil), nil
	}
	return nil, apierr.NotFound("node")
}
