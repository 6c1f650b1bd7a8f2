package sandbox

import (
	"math/rand"
	"time"

	"github.com/shopspring/decimal"
)

// commerce is the customers' orders, yearly/monthly resources, on-demand
// resources, resource packages and real-name reviews. It is embedded in
// State and guarded by State.mu.
type commerce struct {
	orders           map[string]*Order
	ordersByCustomer map[string][]*Order  // creation order
	resources        map[string]*Resource // by resource_id
	resByCustomer    map[string][]*Resource
	onDemand         map[string][]*OnDemandResource // by customer
	packages         map[string][]*ResourcePackage  // by customer
	freeResources    map[string]*FreeResource       // by free_resource_id
	reviews          map[string]*RealnameReview     // by customer
}

func newCommerce() commerce {
	return commerce{
		orders:           map[string]*Order{},
		ordersByCustomer: map[string][]*Order{},
		resources:        map[string]*Resource{},
		resByCustomer:    map[string][]*Resource{},
		onDemand:         map[string][]*OnDemandResource{},
		packages:         map[string][]*ResourcePackage{},
		freeResources:    map[string]*FreeResource{},
		reviews:          map[string]*RealnameReview{},
	}
}

// Order is a yearly/monthly order.
type Order struct {
	ID                  string
	CustomerID          string
	ServiceTypeCode     string
	ServiceTypeName     string
	SourceType          int32  // 1 customer, 2 agent
	Status              int32  // 1 pending approval, 3 processing, 4 cancelled, 5 completed, 6 pending payment, 9 to be confirmed
	Type                string // "1" new, "2" renew, "3" change, "4" unsubscribe, "10"/"11" mode switch
	OfficialAmount      decimal.Decimal
	AmountAfterDiscount decimal.Decimal
	CouponAmount        decimal.Decimal
	CashAmount          decimal.Decimal // paid from balance
	Created             time.Time
	Paid                time.Time
	PaymentDeadline     time.Time
	Currency            string
	LineItems           []*LineItem
	ResourceIDs         []string // resources it produced or acts on
	BaseOrderID         string   // for refund orders: the original order
	Discounts           []*Discount
	UsedCoupons         []string
	DiscountAmount      decimal.Decimal // discount applied at payment
	DiscountType        int32           // type of the applied discount
	pendingRes          []*Resource     // resources a new-purchase order creates when paid
	RenewPeriodType     int32           // renew orders: 2 month, 3 year
	RenewPeriodNum      int32
	Refunds             []*RefundLine // refund orders (type "4")
}

// RefundLine is one resource's refund in an unsubscribe order; Amount is
// positive here and negated on the wire (ShowRefundOrderDetails).
type RefundLine struct {
	ID               string
	ResourceID       string
	ServiceTypeCode  string
	ServiceTypeName  string
	ResourceTypeCode string
	ResourceTypeName string
	RegionCode       string
	Amount           decimal.Decimal
	BaseOrderID      string
}

// LineItem is one product of an order.
type LineItem struct {
	ID                  string
	ServiceTypeCode     string
	ServiceTypeName     string
	ResourceTypeCode    string
	RegionCode          string
	ResourceID          string // the main resource it buys or renews
	ProductID           string
	ProductSpecDesc     string
	PeriodType          int32 // 2 month, 3 year
	PeriodNum           int32
	Effective           time.Time
	Expire              time.Time
	SubscriptionNum     int32
	OfficialAmount      decimal.Decimal
	AmountAfterDiscount decimal.Decimal
}

// Discount is a discount a pending order may use.
type Discount struct {
	ID    string
	Type  int32 // 0 promotion, 2 commercial, 3 partner-granted
	Value decimal.Decimal
	Ratio decimal.Decimal // 0..1 of the amount
}

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

// RealnameReview is a customer's submitted real-name authentication.
type RealnameReview struct {
	CustomerID   string
	Kind         string // "personal" | "enterprise" | "change" (individual → enterprise)
	Name         string // person or company name
	Number       string // id / certificate number
	Submitted    time.Time
	CompletesAt  time.Time
	Approve      bool   // decided by rules on the submitted data
	Opinion      string // review opinion when rejected
	Done         bool   // the outcome has been applied to the customer
	CustomerType int32  // customer type once approved: 0 individual, 1 enterprise
}

// timeLayout is the upstream's UTC time format for orders and resources.
const timeLayout = "2006-01-02T15:04:05Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// optTime formats t, or nil when t is zero.
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return ptr(fmtTime(t))
}

// parseTimeParam parses an optional UTC time filter; a malformed value is a
// CBC.0100.
func parseTimeParam(name string, v *string) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, *v)
	if err != nil {
		return time.Time{}, badParam("%s must be yyyy-MM-dd'T'HH:mm:ss'Z'", name)
	}
	return t, nil
}

// addPeriod adds periodNum months (periodType 2) or years (3).
func addPeriod(t time.Time, periodType, periodNum int32) time.Time {
	if periodType == 3 {
		return t.AddDate(int(periodNum), 0, 0)
	}
	return t.AddDate(0, int(periodNum), 0)
}

// periodMonths is the number of months a period stands for.
func periodMonths(periodType, periodNum int32) int64 {
	if periodType == 3 {
		return int64(periodNum) * 12
	}
	return int64(periodNum)
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

const (
	idAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	hexDig  = "0123456789abcdef"
)

// newOrderID makes an order id: CS + yyMMddHHmm + 5 upper alnum.
func newOrderID(rng *rand.Rand, t time.Time) string {
	b := make([]byte, 0, 17)
	b = append(b, "CS"...)
	b = t.UTC().AppendFormat(b, "0601021504")
	for i := 0; i < 5; i++ {
		b = append(b, idAlnum[rng.Intn(len(idAlnum))])
	}
	return string(b)
}

// newUUID makes a UUID-like resource id from rng.
func newUUID(rng *rand.Rand) string {
	var b [36]byte
	x, y := rng.Uint64(), rng.Uint64()
	j := 0
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
			continue
		}
		var v uint64
		if j < 16 {
			v = x >> (4 * j)
		} else {
			v = y >> (4 * (j - 16))
		}
		b[i] = hexDig[v&0xf]
		j++
	}
	return string(b[:])
}

// newOpaqueID makes an opaque id: prefix + n upper alnum.
func newOpaqueID(rng *rand.Rand, prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+n)
	b = append(b, prefix...)
	for i := 0; i < n; i++ {
		b = append(b, idAlnum[rng.Intn(len(idAlnum))])
	}
	return string(b)
}

// addOrder indexes an order.
func (cm *commerce) addOrder(o *Order) {
	cm.orders[o.ID] = o
	cm.ordersByCustomer[o.CustomerID] = append(cm.ordersByCustomer[o.CustomerID], o)
}

// addResource indexes a main resource and its children.
func (cm *commerce) addResource(r *Resource) {
	cm.resources[r.ResourceID] = r
	cm.resByCustomer[r.CustomerID] = append(cm.resByCustomer[r.CustomerID], r)
	for _, ch := range r.Children {
		cm.resources[ch.ResourceID] = ch
		cm.resByCustomer[ch.CustomerID] = append(cm.resByCustomer[ch.CustomerID], ch)
	}
}

// visibleOwner resolves whose customers a partner caller sees: its own, or
// with indirect_partner_id (tier-1 only) that reseller's. A reseller that
// is not the caller's → 400 CBC.99000037.
func (st *State) visibleOwner(p *Partner, indirect *string) (string, error) {
	if indirect == nil || *indirect == "" {
		return p.ID, nil
	}
	r := st.partnerByID[*indirect]
	if p.Kind != KindTier1 || r == nil || r.Kind != KindTier2 || r.ParentID != p.ID {
		return "", errf(400, "CBC.99000037", "no permission on this reseller")
	}
	return r.ID, nil
}

// customerVisible reports whether the caller may see customer id: a
// customer itself, or a partner's (or its reseller's, via ownerID) customer.
func (st *State) customerVisible(who principal, ownerID, id string) *Customer {
	c := st.customerByID[id]
	if c == nil {
		return nil
	}
	if who.Customer != nil {
		if who.Customer.ID == id {
			return c
		}
		return nil
	}
	if c.PartnerID == ownerID {
		return c
	}
	return nil
}
