package sandbox

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

// Partner kinds.
const (
	KindTier1    = "tier1"    // tier-1 distributor (总经销商): has tier-2 resellers
	KindTier2    = "tier2"    // tier-2 reseller (云经销商), under a tier-1
	KindProvider = "provider" // solution provider (解决方案提供商): no resellers
)

// State is the whole emulated cloud. One mutex guards everything: every
// operation reads or changes state under s.mu, so money and quota moves are
// atomic and conserved. Handlers never hold pointers into the state after
// they unlock; they copy what they answer.
type State struct {
	mu    sync.Mutex
	opts  Options
	rng   *rand.Rand // runtime id generation; guarded by mu
	epoch time.Time

	partners      []*Partner
	partnerByID   map[string]*Partner
	partnerByAK   map[string]*Partner
	partnerByName map[string]*Partner

	customers          []*Customer // in seed / creation order
	customerByID       map[string]*Customer
	customerByName     map[string]*Customer // account (domain) name
	customersByPartner map[string][]*Customer

	quotas     []*Quota
	quotaByID  map[string]*Quota
	coupons    []*Coupon
	couponByID map[string]*Coupon

	adjustRecords   []*AdjustRecord
	partnerChanges  []*AccountChange
	customerChanges []*AccountChange
	couponRecords   []*CouponRecord
	quotaRecords    []*QuotaRecord

	nextCouponExpiry time.Time // no usable coupon expires before (settleCoupons)

	tokens map[string]*Token
	sms    []*SMSCode // verification codes sent (SendVerificationMessageCode)

	mobiles   map[string]bool // telephones in use (CreateSubCustomer, CheckUserIdentity)
	xaccounts map[string]bool // xaccount_type + "/" + xaccount_id in use
	pending   []*Customer     // created customers whose association completes later
	pendingN  atomic.Int32    // len(pending), read without the lock

	seedAllocated map[string]decimal.Decimal // seeding only: net allocations per partner

	orders           map[string]*Order
	ordersByCustomer map[string][]*Order  // creation order
	resources        map[string]*Resource // by resource_id
	resByCustomer    map[string][]*Resource
	onDemand         map[string][]*OnDemandResource // by customer
	packages         map[string][]*ResourcePackage  // by customer
	freeResources    map[string]*FreeResource       // by free_resource_id
	reviews          map[string]*RealnameReview     // by customer
	osm              *osmState                      // OSM tickets (tickets.go)

	buckets       map[string]*Bucket // OBS buckets by name; the map is fixed after seeding
	bucketByOwner map[string]*Bucket // by partner id

	// Conservation counters: money that left the system (paid for orders)
	// or came back (refunds), and coupon value consumed by payments.
	spentCash    decimal.Decimal
	refundedCash decimal.Decimal
	spentCoupons decimal.Decimal
	seedMoney    decimal.Decimal // Σ partner + customer balances at seed time
	seedQuota    decimal.Decimal // Σ quota balances + coupon balances at seed time
}

// Partner is a partner account: tier-1, tier-2 or solution provider.
type Partner struct {
	ID           string // domain id, 32 hex
	Name         string // company name
	AccountName  string // domain (login) name
	Kind         string // KindTier1 | KindTier2 | KindProvider
	ParentID     string // the tier-1, for a tier-2
	AK, SK       string
	Password     string // IAM password login (user = AccountName)
	AgencyName   string // the agency customers delegated to this partner
	XAccountType string // partner platform id
	Mobile       string
	Email        string
	AssociatedOn time.Time // tier-2: when it joined its tier-1
	ManagerID    string
	ManagerName  string

	Balance          decimal.Decimal // account type 1 (cash), allocatable
	Designated       decimal.Decimal // part of Balance that may not be allocated
	Credit           decimal.Decimal // account type 2
	BalanceAccountID string
	CreditAccountID  string
}

// Customer is a partner's customer account.
type Customer struct {
	ID              string // domain id, 32 hex; assume_role domain id
	AccountName     string // domain (login) name
	Name            string // real name (the "customer" field)
	PartnerID       string // the partner that owns it directly (tier-2 for a reseller's customer)
	AssociationType string // "1" consultant sale, "2" resale
	AssociatedOn    time.Time
	Label           string
	Telephone       string // 0086-1xxxxxxxxxx
	Email           string
	VerifiedStatus  int32 // -1 unverified, 0 in review, 1 rejected, 2 verified
	CountryCode     string
	CustomerType    int32  // -1 none, 0 individual, 1 enterprise
	IsFrozen        int32  // 0 | 1
	Level           string // V0..V5
	XAccountID      string
	XAccountType    string
	ManagerNames    []string
	NewTag          string    // Y | N | UNDETERMINED
	TagEffective    string    // YYYY-MM
	TagExpire       string    // YYYY-MM
	Pending         bool      // association with the partner not completed yet
	AssociateAt     time.Time // when a pending association completes

	Balance          decimal.Decimal // available cash
	Debt             decimal.Decimal
	BalanceAccountID string
}

// Quota is a coupon quota (代金券额度 type 0 / 现金券额度 type 1). A child
// quota issued by a tier-1 to a tier-2 has ParentQuotaID set.
type Quota struct {
	ID            string
	OwnerID       string // partner id holding the quota
	ParentQuotaID string
	IssuerID      string // the tier-1 that issued a child quota
	Type          int32  // 0 voucher, 1 cash
	Value         decimal.Decimal
	Balance       decimal.Decimal
	Status        int32 // 0 normal, 3 invalid, 4 adjusting, 5 frozen
	Effective     time.Time
	Expire        time.Time
	Created       time.Time
	Updated       time.Time
	MinFaceValue  decimal.Decimal
	MaxFaceValue  decimal.Decimal
	LimitServices []string // cloud service type limits, if any
}

// Coupon is a coupon issued by a partner to a customer.
type Coupon struct {
	ID         string
	CustomerID string
	IssuerID   string // partner id that issued it (tier-2 for a reseller's)
	QuotaID    string
	QuotaType  int32
	Type       int32 // 1 voucher (代金券), 4 cash (现金券)
	FaceValue  decimal.Decimal
	Balance    decimal.Decimal
	Status     int32 // 2 usable, 3 used, 4 expired, 5 reclaimed
	Effective  time.Time
	Expire     time.Time
	Created    time.Time
	LastUsed   time.Time
	OrderID    string // order it was used on
	LockOrder  string // pending order holding it
	Memo       string
	Services   []string // cloud_service_types limits
	Products   []string
}

// AdjustRecord is one allocation or reclaim between a partner and a
// customer (ListPartnerAdjustRecords).
type AdjustRecord struct {
	PartnerID     string // whose record: the partner that owns the customer
	CustomerID    string
	CustomerName  string
	OperationType string // SOURCE_OPERATION_BEADJUST | _BERETRIEVE | _BEUNBIND
	Amount        decimal.Decimal
	Time          time.Time
	TransID       string
	ApplyScene    string
	Memo          string
}

// AccountChange is a movement on a partner's or customer's account
// (ListPartnerAccountChangeRecords, ListCustomerAccountChangeRecords).
type AccountChange struct {
	ID           string
	OwnerID      string // partner or customer id whose account changed
	BalanceType  string // BALANCE_TYPE_DEBIT | BALANCE_TYPE_CREDIT
	TradeType    string // RECHARGE, DEDEUCT, REFUND, ADJUST, BEADJUST, BERETRIEVE, ...
	TradeID      string
	Time         time.Time
	Amount       decimal.Decimal // signed: + in, - out
	BalanceAfter decimal.Decimal
	CustomerID   string // counterpart customer, for partner records
	AccountName  string
}

// CouponRecord is a coupon operation (ListPartnerCouponsRecord).
type CouponRecord struct {
	ID            string
	PartnerID     string
	OperationType string // "1" issue, "2" manual reclaim, "4" expiry reclaim (couponOp*)
	QuotaID       string
	QuotaType     int32
	CouponID      string
	CustomerID    string
	Amount        decimal.Decimal
	Time          time.Time
	Result        string // "0" ok, "-1" failed
	Remark        string
}

// QuotaRecord is a child-quota issue or reclaim (ListCouponQuotasRecords).
type QuotaRecord struct {
	ID                string
	PartnerID         string // the tier-1
	Operator          string
	OperationType     string // "10" issue, "11" reclaim
	QuotaID           string // child quota
	ParentQuotaID     string
	Amount            decimal.Decimal
	Time              time.Time
	Result            string
	IndirectPartnerID string
	Remark            string
}

// Token is an IAM token issued by POST /v3/auth/tokens.
type Token struct {
	Value      string
	PartnerID  string // set for partner tokens and for assume_role (the assuming partner)
	CustomerID string // set for customer tokens (assume_role)
	Issued     time.Time
	Expires    time.Time
}

func newState(opts Options) *State {
	return &State{
		opts: opts,
		// Ids made at run time come from their own sequence: the seed's
		// (seed.go) made the partners' and customers' ids, and the same
		// sequence would make them again.
		rng:                rand.New(rand.NewSource(opts.Seed ^ 0x72756e74696d65)),
		epoch:              opts.Epoch,
		partnerByID:        map[string]*Partner{},
		partnerByAK:        map[string]*Partner{},
		partnerByName:      map[string]*Partner{},
		customerByID:       map[string]*Customer{},
		customerByName:     map[string]*Customer{},
		customersByPartner: map[string][]*Customer{},
		quotaByID:          map[string]*Quota{},
		couponByID:         map[string]*Coupon{},
		tokens:             map[string]*Token{},
		orders:             map[string]*Order{},
		ordersByCustomer:   map[string][]*Order{},
		resources:          map[string]*Resource{},
		resByCustomer:      map[string][]*Resource{},
		onDemand:           map[string][]*OnDemandResource{},
		packages:           map[string][]*ResourcePackage{},
		freeResources:      map[string]*FreeResource{},
		reviews:            map[string]*RealnameReview{},
		buckets:            map[string]*Bucket{},
		bucketByOwner:      map[string]*Bucket{},
	}
}

func (st *State) now() time.Time { return st.opts.Now().UTC() }

// The State methods below are shared by every domain. Callers hold st.mu.

// visibleOwner resolves whose customers a partner caller sees: its own, or
// with indirect_partner_id (tier-1 only) that reseller's. A tier-2 may name
// itself (the upstream asks resellers to pass their own id on some calls).
// A reseller that is not the caller's → 400 CBC.99000037.
func (st *State) visibleOwner(p *Partner, indirect *string) (string, error) {
	if indirect == nil || *indirect == "" || (p.Kind == KindTier2 && *indirect == p.ID) {
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

// customerChange records a movement on a customer's cash account and
// applies it: amount is signed (+ in, - out). It never lets the balance go
// negative; callers check first.
func (st *State) customerChange(c *Customer, amount decimal.Decimal, tradeType, tradeID string) {
	c.Balance = c.Balance.Add(amount)
	st.customerChanges = append(st.customerChanges, st.accountChange(c.ID, amount, c.Balance, tradeType, tradeID))
}

// partnerChange records a movement on a partner's cash account and applies
// it: amount is signed (+ in, - out). counterpart is the customer (or
// reseller) on the other side, if any.
func (st *State) partnerChange(p *Partner, amount decimal.Decimal, tradeType, tradeID, counterpartID, counterpartName string) {
	p.Balance = p.Balance.Add(amount)
	ch := st.accountChange(p.ID, amount, p.Balance, tradeType, tradeID)
	ch.CustomerID, ch.AccountName = counterpartID, counterpartName
	st.partnerChanges = append(st.partnerChanges, ch)
}

// accountChange is a record of amount moving on ownerID's cash account,
// which then holds after.
func (st *State) accountChange(ownerID string, amount, after decimal.Decimal, tradeType, tradeID string) *AccountChange {
	return &AccountChange{
		ID:           st.newID("AC"),
		OwnerID:      ownerID,
		BalanceType:  "BALANCE_TYPE_DEBIT",
		TradeType:    tradeType,
		TradeID:      tradeID,
		Time:         st.now(),
		Amount:       amount,
		BalanceAfter: after,
	}
}

// Ids. Seeding draws them from its own rng; runtime ids come from st.rng
// (callers hold st.mu).

// hex32 returns a new 32-hex id (domain ids, partner ids).
func (st *State) hex32() string { return randHex(st.rng, 16) }

// newID returns an opaque id: prefix + time + sequence, e.g.
// "RE2611220833010000eb"-like transfer ids.
func (st *State) newID(prefix string) string {
	return prefix + st.now().Format("060102150405") + randHexUpper(st.rng, 4)
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

func randHex(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = digits[r.Intn(16)]
	}
	return string(b)
}

func randHexUpper(r *rand.Rand, n int) string {
	const digits = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = digits[r.Intn(len(digits))]
	}
	return string(b)
}

// Times on the wire: the upstream's UTC layout, and optional time filters.

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

// parseTimeRange parses the optional UTC time filters prefix_begin and
// prefix_end (zero when absent).
func parseTimeRange(prefix string, begin, end *string) (time.Time, time.Time, error) {
	b, err := parseTimeParam(prefix+"_begin", begin)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	e, err := parseTimeParam(prefix+"_end", end)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return b, e, nil
}

func timeIn(t, begin, end time.Time) bool {
	if !begin.IsZero() && t.Before(begin) {
		return false
	}
	if !end.IsZero() && t.After(end) {
		return false
	}
	return true
}
