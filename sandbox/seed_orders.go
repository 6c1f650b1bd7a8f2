package sandbox

import (
	"math/rand"
	"time"

	"github.com/shopspring/decimal"
)

// product is a yearly/monthly product the seed sells: a main resource with
// its children.
type product struct {
	service, resType string
	specCode, spec   string
	specSize         float64
	price            int64 // monthly price, yuan
	namePrefix       string
	children         []childProduct
}

type childProduct struct {
	service, resType string
	specCode, spec   string
	specSize         float64
	price            int64
}

var products = []product{
	{"hws.service.type.ec2", "hws.resource.type.vm", "s6.large.2.linux", "通用计算型 s6.large.2 2vCPUs 4GiB Linux", 0, 168, "ecs-",
		[]childProduct{
			{"hws.service.type.ebs", "hws.resource.type.volume", "SSD", "超高IO 100GB", 100, 70},
			{"hws.service.type.vpc", "hws.resource.type.ip", "5_bgp", "全动态BGP 弹性公网IP", 1, 0},
			{"hws.service.type.vpc", "hws.resource.type.bandwidth", "19_bgp", "带宽 5Mbit/s", 5, 115},
		}},
	{"hws.service.type.ec2", "hws.resource.type.vm", "c7.xlarge.2.linux", "通用计算增强型 c7.xlarge.2 4vCPUs 8GiB Linux", 0, 402, "ecs-",
		[]childProduct{
			{"hws.service.type.ebs", "hws.resource.type.volume", "SAS", "高IO 200GB", 200, 70},
			{"hws.service.type.vpc", "hws.resource.type.ip", "5_bgp", "全动态BGP 弹性公网IP", 1, 0},
		}},
	{"hws.service.type.rds", "hws.resource.type.rds.vm", "rds.mysql.x1.large.2.single", "MySQL 8.0 单机 2vCPUs 4GiB", 0, 395, "rds-",
		[]childProduct{
			{"hws.service.type.rds", "hws.resource.type.rds.volume", "CLOUDSSD", "SSD云盘 40GB", 40, 32},
		}},
	{"hws.service.type.dcs", "hws.resource.type.dcs", "redis.ha.xu1.large.r2.2", "Redis 6.0 主备 2GB", 2, 220, "dcs-", nil},
}

var regionCodes = []string{"cn-north-4", "cn-east-3", "cn-south-1"}

// onDemandProduct is a pay-per-use product the seed runs. monthly is its
// monthly-equivalent price in yuan (per GB or Mbit/s for sized products, per
// GB stored for OBS), from which prices.go derives the on-demand rate.
type onDemandProduct struct {
	service, resType, specCode, spec, info string
	monthly                                string
}

var onDemandProducts = []onDemandProduct{
	{"hws.service.type.ec2", "hws.resource.type.vm", "s6.medium.2.linux", "通用计算型 s6.medium.2 1vCPUs 2GiB Linux", `{"vcpu":1,"memory":2}`, "84"},
	{"hws.service.type.ebs", "hws.resource.type.volume", "SAS", "高IO 40GB", `{"size":40}`, "0.35"},
	{"hws.service.type.obs", "hws.resource.type.obs", "obs.standard", "标准存储", `{"storage_class":"STANDARD"}`, "0.099"},
	{"hws.service.type.vpc", "hws.resource.type.bandwidth", "19_bgp", "按流量计费带宽 10Mbit/s", `{"size":10}`, "23"},
	{"hws.service.type.elb", "hws.resource.type.elb", "elbv3.basic.1az", "独享型 ELB", `{"flavor":"L4_flavor.elb.s1.small"}`, "60"},
	{"hws.service.type.cce", "hws.resource.type.cce.cluster", "cce.s1.small", "CCE 集群 50节点", `{"nodes":50}`, "300"},
}

type packageProduct struct {
	service, id, name string
	items             []packageItem
}

type packageItem struct {
	typeName, usage string
	amount          int64
	measure         int32
}

var packageProducts = []packageProduct{
	{"hws.service.type.obs", "OFFI817405394286100481", "对象存储标准存储包 500GB 1年",
		[]packageItem{{"标准存储容量", "存储容量", 500, 10}, {"公网流出流量", "下行流量", 100, 10}}},
	{"hws.service.type.cdn", "OFFI736302498219962368", "CDN流量包 1TB",
		[]packageItem{{"CDN下行流量", "下行流量", 1024, 10}}},
}

// seedOrders gives a seeded customer its orders and what they bought:
// yearly/monthly resources, on-demand resources and resource packages,
// deterministically from rng and st.epoch. showcase customers (each
// partner's first) get the full set: yearly/monthly main resources in use
// with children, their completed orders, two pending new-purchase orders
// with two discounts each, several on-demand resources and a resource
// package with used free resources. Other customers get a random, cheaper
// subset.
func (st *State) seedOrders(rng *rand.Rand, c *Customer, showcase bool) {
	if showcase {
		n := max(3, st.opts.ShowcaseResources)
		for i := 0; i < n; i++ {
			st.seedCompleted(rng, c, &products[i%len(products)], i+1)
		}
		for i := 0; i < 2; i++ {
			st.seedPending(rng, c, &products[(i+1)%len(products)], true)
		}
		for i := 0; i < 5; i++ {
			st.seedOnDemand(rng, c, &onDemandProducts[i%len(onDemandProducts)])
		}
		st.seedPackage(rng, c, &packageProducts[0])
		return
	}
	x := rng.Intn(100)
	if x < 50 {
		st.seedCompleted(rng, c, &products[rng.Intn(len(products))], 1)
	}
	if x%3 == 0 {
		st.seedPending(rng, c, &products[rng.Intn(len(products))], x%2 == 0)
	}
	if x%2 == 1 {
		st.seedOnDemand(rng, c, &onDemandProducts[rng.Intn(len(onDemandProducts))])
	}
	if x < 15 {
		st.seedPackage(rng, c, &packageProducts[rng.Intn(len(packageProducts))])
	}
}

// newResource builds a main resource (with children) of product p.
func newResource(rng *rand.Rand, c *Customer, p *product, region, orderID string, eff, exp time.Time) *Resource {
	id := newUUID(rng)
	r := &Resource{
		InstanceID:       id,
		ResourceID:       id,
		Name:             p.namePrefix + id[:4],
		CustomerID:       c.ID,
		RegionCode:       region,
		ServiceTypeCode:  p.service,
		ServiceTypeName:  serviceTypeName(p.service),
		ResourceTypeCode: p.resType,
		ResourceTypeName: resourceTypeName(p.resType),
		SpecCode:         p.specCode,
		SpecDesc:         p.spec,
		SpecSize:         p.specSize,
		ProjectID:        projectOf(c.ID, region),
		ProductID:        "OFFI" + p.specCode,
		IsMain:           true,
		Status:           2,
		Effective:        eff,
		Expire:           exp,
		OrderID:          orderID,
		MonthlyPrice:     decimal.NewFromInt(p.price),
		Updated:          eff,
	}
	for i := range p.children {
		ch := &p.children[i]
		cid := newUUID(rng)
		r.Children = append(r.Children, &Resource{
			InstanceID:       cid,
			ResourceID:       cid,
			Name:             r.Name + "-" + ch.specCode,
			CustomerID:       c.ID,
			RegionCode:       region,
			ServiceTypeCode:  ch.service,
			ServiceTypeName:  serviceTypeName(ch.service),
			ResourceTypeCode: ch.resType,
			ResourceTypeName: resourceTypeName(ch.resType),
			SpecCode:         ch.specCode,
			SpecDesc:         ch.spec,
			SpecSize:         ch.specSize,
			ProjectID:        r.ProjectID,
			ProductID:        "OFFI" + ch.specCode,
			ParentID:         id,
			Status:           2,
			Effective:        eff,
			Expire:           exp,
			OrderID:          orderID,
			MonthlyPrice:     decimal.NewFromInt(ch.price),
			Updated:          eff,
		})
	}
	return r
}

// newPurchase builds a new-purchase order (type "1") of pt/pn periods of
// product p in region, created at created, and the resource it buys, in
// use from eff to exp (zero while the order is unpaid). Callers set the
// order's status and payment.
func newPurchase(rng *rand.Rand, c *Customer, p *product, region string, created time.Time, pt, pn int32, eff, exp time.Time) (*Order, *Resource) {
	o := &Order{
		ID:              newOrderID(rng, created),
		CustomerID:      c.ID,
		ServiceTypeCode: p.service,
		ServiceTypeName: serviceTypeName(p.service),
		SourceType:      1,
		Type:            "1",
		Created:         created,
		Currency:        "CNY",
	}
	r := newResource(rng, c, p, region, o.ID, eff, exp)
	official := periodPrice(resourceMonthly(r), pt, pn)
	o.OfficialAmount = official
	o.AmountAfterDiscount = official
	o.ResourceIDs = []string{r.ResourceID}
	li := newLineItem(o.ID, 1, r, pt, pn, official)
	li.Effective, li.Expire = eff, exp
	o.LineItems = []*LineItem{li}
	return o, r
}

// seedCompleted adds a paid new-purchase order and the in-use resource it
// produced (a yearly or monthly subscription that has not expired).
func (st *State) seedCompleted(rng *rand.Rand, c *Customer, p *product, n int) {
	var pt, pn int32 = 3, 1
	daysAgo := 10 + rng.Intn(300)
	if n%2 == 0 {
		pt, pn, daysAgo = 2, int32(2+rng.Intn(4)), 5+rng.Intn(25)
	}
	created := st.epoch.AddDate(0, 0, -daysAgo).Add(time.Duration(rng.Intn(36000)) * time.Second)
	paid := created.Add(time.Duration(60+rng.Intn(3000)) * time.Second)
	exp := addPeriod(paid, pt, pn)
	region := regionCodes[rng.Intn(len(regionCodes))]
	o, r := newPurchase(rng, c, p, region, created, pt, pn, paid, exp)
	o.Status, o.Paid, o.PaymentDeadline, o.CashAmount = 5, paid, created.AddDate(0, 0, 7), o.OfficialAmount
	st.addOrder(o)
	st.addResource(r)
}

// seedPending adds a new-purchase order waiting for payment (status 6, due
// within 7 days of the epoch) with its not-yet-created resource and, when
// discounts is set, two applicable discounts.
func (st *State) seedPending(rng *rand.Rand, c *Customer, p *product, discounts bool) {
	var pt, pn int32 = 2, int32(1 + rng.Intn(6))
	if rng.Intn(2) == 0 {
		pt, pn = 3, 1
	}
	created := st.epoch.Add(-time.Duration(1+rng.Intn(47)) * time.Hour)
	region := regionCodes[rng.Intn(len(regionCodes))]
	o, r := newPurchase(rng, c, p, region, created, pt, pn, time.Time{}, time.Time{})
	o.Status, o.PaymentDeadline = 6, st.epoch.AddDate(0, 0, 7)
	o.pendingRes = []*Resource{r}
	if discounts {
		o.Discounts = []*Discount{
			{ID: newOpaqueID(rng, "DS", 14), Type: 3, Ratio: decimal.New(85, -2)}, // partner-granted 85%
			{ID: newOpaqueID(rng, "DS", 14), Type: 2, Ratio: decimal.New(9, -1)},  // commercial 90%
		}
	}
	st.addOrder(o)
}

// seedOnDemand adds an on-demand (pay-per-use) resource in normal status.
func (st *State) seedOnDemand(rng *rand.Rand, c *Customer, p *onDemandProduct) {
	id := newUUID(rng)
	region := regionCodes[rng.Intn(len(regionCodes))]
	eff := st.epoch.AddDate(0, 0, -(1 + rng.Intn(200)))
	st.onDemand[c.ID] = append(st.onDemand[c.ID], &OnDemandResource{
		CustomerID:       c.ID,
		RegionCode:       region,
		AZCode:           region + "a",
		ServiceTypeCode:  p.service,
		ServiceTypeName:  serviceTypeName(p.service),
		ResourceTypeCode: p.resType,
		ResourceTypeName: resourceTypeName(p.resType),
		ResourceID:       id,
		Name:             p.specCode + "-" + id[:6],
		Effective:        eff,
		Status:           1,
		SpecCode:         p.specCode,
		Info:             p.info,
		SpecDesc:         p.spec,
	})
}

// seedPackage adds a yearly resource package with partly used free
// resources.
func (st *State) seedPackage(rng *rand.Rand, c *Customer, p *packageProduct) {
	eff := st.epoch.AddDate(0, 0, -(10 + rng.Intn(200)))
	orderID := newOrderID(rng, eff)
	pkg := &ResourcePackage{
		OrderInstanceID: newUUID(rng),
		CustomerID:      c.ID,
		OrderID:         orderID,
		ProductID:       p.id,
		ProductName:     p.name,
		Effective:       eff,
		Expire:          eff.AddDate(1, 0, 0),
		Status:          1,
		ServiceTypeCode: p.service,
		RegionCode:      regionCodes[0],
		SourceType:      1,
		BundleType:      "ATOMIC_PKG",
		QuotaReuseMode:  1,
	}
	for i := range p.items {
		it := &p.items[i]
		orig := decimal.NewFromInt(it.amount)
		used := decimal.NewFromInt(int64(rng.Intn(int(it.amount)))).Add(decimal.New(int64(rng.Intn(100)), -2))
		fr := &FreeResource{
			ID:                  newOpaqueID(rng, "FR", 22),
			PackageID:           pkg.OrderInstanceID,
			CustomerID:          c.ID,
			TypeName:            it.typeName,
			UsageTypeName:       it.usage,
			Amount:              orig.Sub(used),
			OriginalAmount:      orig,
			MeasureID:           it.measure,
			QuotaReuseCycle:     4, // once (no reset) over the validity
			QuotaReuseCycleType: 1,
			Start:               pkg.Effective,
			End:                 pkg.Expire,
		}
		pkg.Items = append(pkg.Items, fr)
		st.freeResources[fr.ID] = fr
	}
	st.packages[c.ID] = append(st.packages[c.ID], pkg)
}
