package sandbox

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The seeded dataset. Everything is derived from Options.Seed through one
// math/rand source and from Options.Epoch, so the same options give the same
// data. Seeding is O(customers) (plus one sort of the seeded records), so
// 10 000 customers seed in well under a second.
//
// Partners (in manifest order): one tier-1 distributor, two tier-2 resellers
// under it, one solution provider. The tier-1's direct customers are legacy
// associations (today's upstream refuses new direct customers of a tier-1 with
// CBC.50010059; the sandbox does the same for CreateSubCustomer).
//
// Money: every resale customer's balance came from its partner through a
// seeded allocation (adjust record + account change records on both sides);
// the tier-2 resellers' balances came from the tier-1. Coupon quotas: each
// partner has a voucher quota (type 0) with a balance of at least 1000; the
// tier-1 and the provider also a cash quota (type 1); each tier-2's quota is a
// child quota carved from the tier-1's voucher quota (quota record 10).
// Coupons were issued from those quotas to some resale customers (coupon
// record 1).

type partnerSeed struct {
	kind, name, account, short string
	weight                     int // share of the customers
	balance, credit            int64
	quota                      int64
}

var partnerSeeds = []partnerSeed{
	{KindTier1, "Huaxin Cloud Distribution Co., Ltd.", "huaxin_cloud_dist", "huaxin", 4, 6_000_000, 500_000, 1_000_000},
	{KindTier2, "Shenzhen Lanting Technology Co., Ltd.", "lanting_tech_sz", "lanting", 2, 0, 100_000, 0},
	{KindTier2, "Chengdu Xingyun Information Co., Ltd.", "xingyun_info_cd", "xingyun", 2, 0, 100_000, 0},
	{KindProvider, "Beijing Zhiyuan Solutions Co., Ltd.", "zhiyuan_solutions", "zhiyuan", 2, 3_000_000, 300_000, 600_000},
}

var (
	cnCities   = []string{"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "苏州", "重庆", "天津", "长沙", "厦门", "青岛"}
	cnWords    = []string{"云帆", "智联", "星河", "华瑞", "博远", "启明", "腾跃", "睿思", "海纳", "恒信", "鼎盛", "科锐", "天成", "新元", "卓越", "锦程", "融通", "易达", "嘉禾", "明德"}
	cnSuffixes = []string{"科技有限公司", "信息技术有限公司", "网络科技有限公司", "数据服务有限公司", "软件有限公司", "电子商务有限公司"}
	enCities   = []string{"Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Hangzhou", "Chengdu", "Wuhan", "Nanjing", "Xi'an", "Suzhou"}
	enWords    = []string{"Yunfan", "Zhilian", "Xinghe", "Huarui", "Boyuan", "Qiming", "Tengyue", "Ruisi", "Haina", "Hengxin", "Dingsheng", "Kerui", "Tiancheng", "Xinyuan", "Jincheng"}
	enSuffixes = []string{"Technology Co., Ltd.", "Information Technology Co., Ltd.", "Network Co., Ltd.", "Data Services Co., Ltd.", "Software Co., Ltd."}
	personal   = []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷"}
	labels     = []string{"", "", "key-account", "smb", "education", "gaming", "retail", "finance"}
	mailHosts  = []string{"163.com", "qq.com", "126.com", "example.com", "foxmail.com"}
	managers   = []string{"zhang.wei", "li.na", "wang.fang", "liu.yang"}
	levels     = []string{"V0", "V1", "V2", "V3", "V4", "V5"}
	newTags    = []string{"Y", "N", "UNDETERMINED"}
)

func randAlnum(rng *rand.Rand, n int, upperOnly bool) string {
	const up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	set := all
	if upperOnly {
		set = up
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = set[rng.Intn(len(set))]
	}
	return string(b)
}

// cents returns a random amount in [lo, hi) yuan with 2 decimals.
func seedCents(rng *rand.Rand, lo, hi int64) decimal.Decimal {
	return decimal.New(lo*100+rng.Int63n((hi-lo)*100), -2)
}

// seed builds the deterministic dataset.
func (st *State) seed() error {
	rng := rand.New(rand.NewSource(st.opts.Seed))
	epoch := st.epoch
	st.mobiles = map[string]bool{}
	st.seedAllocated = map[string]decimal.Decimal{}
	st.xaccounts = map[string]bool{}

	// Partners.
	var tier1 *Partner
	for i, ps := range partnerSeeds {
		p := &Partner{
			ID:           randHex(rng, 16),
			Name:         ps.name,
			AccountName:  ps.account,
			Kind:         ps.kind,
			AK:           randAlnum(rng, 20, true),
			SK:           randAlnum(rng, 40, false),
			AgencyName:   "partnergraph_" + ps.short,
			XAccountType: ps.short + "_IDP",
			Mobile:       fmt.Sprintf("0086-1%d%09d", 3+i, rng.Int63n(1e9)),
			Email:        "ops@" + ps.short + ".example.com",
			ManagerID:    randHex(rng, 16),
			ManagerName:  managers[i%len(managers)],
			Balance:      decimal.New(ps.balance, 0),
			Designated:   decimal.New(10_000, 0),
			Credit:       decimal.New(ps.credit, 0),
		}
		p.Password = p.SK
		p.BalanceAccountID = "BA" + randAlnum(rng, 18, true)
		p.CreditAccountID = "CA" + randAlnum(rng, 18, true)
		if ps.kind == KindTier1 {
			tier1 = p
		}
		if ps.kind == KindTier2 {
			p.ParentID = tier1.ID
			p.AssociatedOn = epoch.AddDate(0, -18+i, 0)
		}
		st.partners = append(st.partners, p)
		st.partnerByID[p.ID] = p
		st.partnerByAK[p.AK] = p
		st.partnerByName[p.AccountName] = p
	}

	// Coupon quotas: a voucher quota per top-level partner (plus a cash
	// quota), child quotas for the tier-2s carved from the tier-1's.
	voucher := map[string]*Quota{} // partner id → the quota its coupons come from
	newQuota := func(owner *Partner, typ int32, value decimal.Decimal, created time.Time) *Quota {
		q := &Quota{
			ID:           "QU" + randAlnum(rng, 14, true),
			OwnerID:      owner.ID,
			Type:         typ,
			Value:        value,
			Balance:      value,
			Status:       0,
			Effective:    created,
			Expire:       epoch.AddDate(1, 0, 0),
			Created:      created,
			Updated:      created,
			MinFaceValue: decimal.New(1, 0),
			MaxFaceValue: decimal.New(50_000, 0),
		}
		st.quotas = append(st.quotas, q)
		st.quotaByID[q.ID] = q
		return q
	}
	for i, ps := range partnerSeeds {
		p := st.partners[i]
		if ps.quota == 0 {
			continue
		}
		voucher[p.ID] = newQuota(p, 0, decimal.New(ps.quota, 0), epoch.AddDate(0, -6, 0))
		cash := newQuota(p, 1, decimal.New(ps.quota/5, 0), epoch.AddDate(0, -6, 0))
		cash.LimitServices = []string{"hws.service.type.ebs", "hws.service.type.ec2"}
	}
	for i, ps := range partnerSeeds {
		p := st.partners[i]
		if ps.kind != KindTier2 {
			continue
		}
		parent := voucher[tier1.ID]
		amount := decimal.New(100_000, 0)
		created := epoch.AddDate(0, -5, i)
		child := newQuota(p, 0, amount, created)
		child.ParentQuotaID = parent.ID
		child.IssuerID = tier1.ID
		parent.Balance = parent.Balance.Sub(amount)
		voucher[p.ID] = child
		st.quotaRecords = append(st.quotaRecords, &QuotaRecord{
			ID: "QR" + randAlnum(rng, 16, true), PartnerID: tier1.ID, Operator: tier1.AccountName,
			OperationType: "10", QuotaID: child.ID, ParentQuotaID: parent.ID, Amount: amount,
			Time: created, Result: "0", IndirectPartnerID: p.ID, Remark: "seed",
		})
	}

	// Customers, spread over the partners by weight; each partner gets at
	// least two, and its first is the showcase customer.
	n := st.opts.Customers
	counts := make([]int, len(partnerSeeds))
	totalW := 0
	for _, ps := range partnerSeeds {
		totalW += ps.weight
	}
	rest := n - 2*len(partnerSeeds)
	given := 0
	for i, ps := range partnerSeeds {
		counts[i] = 2 + rest*ps.weight/totalW
		given += counts[i]
	}
	counts[0] += n - given
	seq := 0
	for pi, p := range st.partners {
		for k := 0; k < counts[pi]; k++ {
			seq++
			c := st.seedCustomer(rng, p, seq, k == 0)
			showcase := k == 0
			// Funds: resale customers got allocations from their partner.
			if c.AssociationType == "2" {
				bal := seedCents(rng, 0, 20_000)
				if showcase {
					bal = seedCents(rng, 50_000, 80_000)
				}
				if bal.IsPositive() {
					at := c.AssociatedOn.Add(24 * time.Hour)
					extra := decimal.Zero
					if seq%5 == 0 {
						extra = seedCents(rng, 100, 1000)
					}
					st.seedAllocation(p, c, bal.Add(extra), at, "SOURCE_OPERATION_BEADJUST")
					if extra.IsPositive() {
						st.seedAllocation(p, c, extra, at.Add(time.Hour), "SOURCE_OPERATION_BERETRIEVE")
					}
				}
				// Coupons for showcase customers and every third resale customer.
				if q := voucher[p.ID]; q != nil && (showcase || seq%3 == 0) {
					face := decimal.New(int64(100*(1+rng.Intn(20))), 0)
					if q.Balance.Sub(face).GreaterThanOrEqual(decimal.New(20_000, 0)) {
						st.seedCoupon(rng, p, c, q, face, c.AssociatedOn.Add(48*time.Hour))
					}
				}
			}
			st.seedOrders(rng, c, showcase)
		}
	}

	// The tier-1 funded each reseller with what it allocated plus a reserve
	// of 800 000 (its final balance), before any of its allocations.
	for _, p := range st.partners {
		if p.Kind != KindTier2 {
			continue
		}
		p.Balance = decimal.New(800_000, 0)
		fund := p.Balance.Add(st.seedAllocated[p.ID])
		at := epoch.AddDate(0, 0, -1000)
		tradeID := "RE" + at.Format("060102150405") + randAlnum(rng, 6, true)
		st.seedPartnerMove(tier1, fund.Neg(), "ADJUST", tradeID, p.ID, p.AccountName, at)
		st.seedPartnerMove(p, fund, "BEADJUST", tradeID, "", "", at)
	}
	st.seedAllocated = nil
	st.seedCouponHistory()
	st.seedAgentPayOrders()
	st.seedBuckets()

	// Seeded records in time order.
	byTime := func(rs []*AccountChange) {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Time.Before(rs[j].Time) })
	}
	byTime(st.partnerChanges)
	byTime(st.customerChanges)
	sort.SliceStable(st.adjustRecords, func(i, j int) bool { return st.adjustRecords[i].Time.Before(st.adjustRecords[j].Time) })
	sort.SliceStable(st.couponRecords, func(i, j int) bool { return st.couponRecords[i].Time.Before(st.couponRecords[j].Time) })
	// Balance-after of partner records: walk back from the final balances.
	running := map[string]decimal.Decimal{}
	for _, p := range st.partners {
		running[p.ID] = p.Balance
	}
	for i := len(st.partnerChanges) - 1; i >= 0; i-- {
		r := st.partnerChanges[i]
		r.BalanceAfter = running[r.OwnerID]
		running[r.OwnerID] = running[r.OwnerID].Sub(r.Amount)
	}
	for _, p := range st.partners {
		if running[p.ID].IsNegative() {
			return fmt.Errorf("sandbox: seed: partner %s would start negative", p.AccountName)
		}
	}
	crun := map[string]decimal.Decimal{}
	for _, r := range st.customerChanges {
		crun[r.OwnerID] = crun[r.OwnerID].Add(r.Amount)
		r.BalanceAfter = crun[r.OwnerID]
	}

	st.seedTickets()
	st.seedMoney, st.seedQuota = st.totals()
	return nil
}

// totals returns Σ partner + customer balances and Σ quota + coupon
// balances. Callers hold st.mu (or are seeding).
func (st *State) totals() (money, quota decimal.Decimal) {
	for _, p := range st.partners {
		money = money.Add(p.Balance)
	}
	for _, c := range st.customers {
		money = money.Add(c.Balance)
	}
	for _, q := range st.quotas {
		quota = quota.Add(q.Balance)
	}
	for _, c := range st.coupons {
		quota = quota.Add(c.Balance)
	}
	return money, quota
}

func (st *State) seedCustomer(rng *rand.Rand, p *Partner, seq int, showcase bool) *Customer {
	epoch := st.epoch
	c := &Customer{
		ID:           randHex(rng, 16),
		PartnerID:    p.ID,
		CountryCode:  "CN",
		XAccountType: p.XAccountType,
		Level:        levels[rng.Intn(len(levels))],
		Label:        labels[rng.Intn(len(labels))],
		ManagerNames: []string{p.ManagerName},
		NewTag:       newTags[rng.Intn(len(newTags))],
	}
	switch r := rng.Intn(10); {
	case r < 4:
		c.Name = cnCities[rng.Intn(len(cnCities))] + cnWords[rng.Intn(len(cnWords))] + cnSuffixes[rng.Intn(len(cnSuffixes))]
		c.CustomerType = 1
	case r < 8:
		c.Name = enCities[rng.Intn(len(enCities))] + " " + enWords[rng.Intn(len(enWords))] + " " + enSuffixes[rng.Intn(len(enSuffixes))]
		c.CustomerType = 1
	default:
		c.Name = personal[rng.Intn(len(personal))]
		c.CustomerType = 0
	}
	c.AccountName = fmt.Sprintf("%s_c%05d", strings.SplitN(p.AccountName, "_", 2)[0], seq)
	c.Email = c.AccountName + "@" + mailHosts[rng.Intn(len(mailHosts))]
	for {
		c.Telephone = fmt.Sprintf("0086-1%d%09d", 3+rng.Intn(7), rng.Int63n(1e9))
		if !st.mobiles[c.Telephone] {
			break
		}
	}
	st.mobiles[c.Telephone] = true
	c.XAccountID = fmt.Sprintf("%s-%06d", strings.ToUpper(strings.TrimSuffix(p.XAccountType, "_IDP")), seq)
	st.xaccounts[c.XAccountType+"/"+c.XAccountID] = true
	c.AssociationType = "2"
	if !showcase && rng.Intn(10) < 3 {
		c.AssociationType = "1"
	}
	switch r := rng.Intn(10); {
	case showcase || r < 7:
		c.VerifiedStatus = 2
	case r < 8:
		c.VerifiedStatus = 0
	default:
		c.VerifiedStatus = -1
		c.CustomerType = -1
	}
	c.AssociatedOn = epoch.Add(-time.Duration(30+rng.Intn(900)) * 24 * time.Hour).Add(time.Duration(rng.Intn(86400)) * time.Second)
	tagStart := epoch.AddDate(0, -rng.Intn(12), 0)
	c.TagEffective = tagStart.Format("2006-01")
	c.TagExpire = tagStart.AddDate(1, 0, 0).Format("2006-01")
	c.BalanceAccountID = "BA" + randAlnum(rng, 18, true)
	st.addCustomer(c)
	return c
}

// addCustomer indexes an associated customer. Callers hold st.mu.
func (st *State) addCustomer(c *Customer) {
	st.customers = append(st.customers, c)
	st.customerByID[c.ID] = c
	st.customerByName[c.AccountName] = c
	st.customersByPartner[c.PartnerID] = append(st.customersByPartner[c.PartnerID], c)
}

// seedPartnerMove records a seeded partner account movement (BalanceAfter
// is computed once every record exists).
func (st *State) seedPartnerMove(p *Partner, amount decimal.Decimal, tradeType, tradeID, cpID, cpName string, at time.Time) {
	st.partnerChanges = append(st.partnerChanges, &AccountChange{
		ID: fmt.Sprintf("AC%s%06d", at.Format("20060102"), len(st.partnerChanges)+1), OwnerID: p.ID,
		BalanceType: "BALANCE_TYPE_DEBIT", TradeType: tradeType, TradeID: tradeID, Time: at,
		Amount: amount, CustomerID: cpID, AccountName: cpName,
	})
}

// seedAllocation records a seeded allocation (or reclaim) between a partner
// and its customer; the balances are already final, so only the customer's
// balance is moved here and the partner's start balance is implied.
func (st *State) seedAllocation(p *Partner, c *Customer, amount decimal.Decimal, at time.Time, op string) {
	n := len(st.adjustRecords) + 1
	tradeID := fmt.Sprintf("RE%s%08d", at.Format("060102150405"), n)
	signed := amount
	ptype, ctype := "ADJUST", "BEADJUST"
	if op == "SOURCE_OPERATION_BERETRIEVE" {
		signed = amount.Neg()
		ptype, ctype = "RETRIEVE", "BERETRIEVE"
	}
	c.Balance = c.Balance.Add(signed)
	st.seedAllocated[p.ID] = st.seedAllocated[p.ID].Add(signed)
	st.adjustRecords = append(st.adjustRecords, &AdjustRecord{
		PartnerID: p.ID, CustomerID: c.ID, CustomerName: c.AccountName, OperationType: op,
		Amount: amount, Time: at, TransID: tradeID, ApplyScene: "partner",
	})
	st.seedPartnerMove(p, signed.Neg(), ptype, tradeID, c.ID, c.AccountName, at)
	st.customerChanges = append(st.customerChanges, &AccountChange{
		ID: fmt.Sprintf("AC%s%06d", at.Format("20060102"), len(st.customerChanges)+1), OwnerID: c.ID,
		BalanceType: "BALANCE_TYPE_DEBIT", TradeType: ctype, TradeID: tradeID, Time: at, Amount: signed,
		AccountName: c.AccountName,
	})
}

// seedCoupon issues a seeded coupon from quota q.
func (st *State) seedCoupon(rng *rand.Rand, p *Partner, c *Customer, q *Quota, face decimal.Decimal, at time.Time) {
	cp := &Coupon{
		ID: "CP" + randAlnum(rng, 18, true), CustomerID: c.ID, IssuerID: p.ID, QuotaID: q.ID,
		QuotaType: q.Type, Type: 1, FaceValue: face, Balance: face, Status: 2,
		Effective: at, Expire: q.Expire, Created: at, Memo: "welcome voucher",
	}
	if q.Type == 1 {
		cp.Type = 4
	}
	q.Balance = q.Balance.Sub(face)
	st.coupons = append(st.coupons, cp)
	st.couponByID[cp.ID] = cp
	st.couponRecords = append(st.couponRecords, &CouponRecord{
		ID: "CR" + randAlnum(rng, 16, true), PartnerID: p.ID, OperationType: "1", QuotaID: q.ID,
		QuotaType: q.Type, CouponID: cp.ID, CustomerID: c.ID, Amount: face, Time: at, Result: "0",
	})
}

// manifest lists the partners (tier1, tier2, tier2, provider) and up to 20
// customers: per partner its showcase customer first, then a consultant-sale
// customer if it has one, then others.
func (st *State) manifest(endpoint string) Manifest {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := Manifest{Endpoint: endpoint, IAMEndpoint: endpoint}
	for _, p := range st.partners {
		mp := ManifestPartner{Kind: p.Kind, ID: p.ID, Name: p.Name, AK: p.AK, SK: p.SK, ParentID: p.ParentID, AgencyName: p.AgencyName,
			OBS: ManifestOBS{Endpoint: endpoint, Bucket: bucketName(p.AccountName), AK: p.AK, SK: p.SK, PathStyle: true}}
		m.Partners = append(m.Partners, mp)
	}
	per := 20 / len(st.partners)
	for _, p := range st.partners {
		list := st.customersByPartner[p.ID]
		var pick []*Customer
		seen := map[string]bool{}
		add := func(c *Customer) {
			if len(pick) < per && !seen[c.ID] {
				pick = append(pick, c)
				seen[c.ID] = true
			}
		}
		if len(list) > 0 {
			add(list[0])
		}
		for _, c := range list {
			if c.AssociationType == "1" {
				add(c)
				break
			}
		}
		for _, c := range list {
			add(c)
		}
		for _, c := range pick {
			m.Customers = append(m.Customers, ManifestCustomer{ID: c.ID, Name: c.Name, PartnerID: c.PartnerID, AssociationType: c.AssociationType})
		}
	}
	return m
}
