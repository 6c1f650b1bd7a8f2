package sandbox

import (
	"net/http"
	"strings"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// The static catalogue: service types, the resource types of each service
// (ListServiceResources), the usage types of each resource type (the usage
// factors on-demand quotes take), measure units, conversions and a slice of
// the administrative regions of China. The codes are the upstream's
// (hws.service.type.*, hws.resource.type.*, measure ids); names are the
// Chinese site's, with English for X-Language: en_US.
//
// Paging: ListServiceTypes and ListResourceTypes take any limit ≥ 1;
// ListServiceResources and ListUsageTypes 1–100 (default 10); the provinces
// family 1–1000 (default 10) under a required parent code (an unknown parent
// has no children: count 0). ListMeasureUnits and ListConversions do not page.

func (s *Sandbox) registerCatalogueRoutes() {
	s.handle(http.MethodGet, "/v2/products/service-types", "ListServiceTypes", callerAny, s.listServiceTypes)
	s.handle(http.MethodGet, "/v2/products/resource-types", "ListResourceTypes", callerAny, s.listResourceTypes)
	s.handle(http.MethodGet, "/v2/products/service-resources", "ListServiceResources", callerAny, s.listServiceResources)
	s.handle(http.MethodGet, "/v2/products/usage-types", "ListUsageTypes", callerAny, s.listUsageTypes)
	s.handle(http.MethodGet, "/v2/bases/measurements", "ListMeasureUnits", callerAny, s.listMeasureUnits)
	s.handle(http.MethodGet, "/v2/bases/conversions", "ListConversions", callerAny, s.listConversions)
	s.handle(http.MethodGet, "/v2/systems/configs/provinces", "ListProvinces", callerPartner, s.listProvinces)
	s.handle(http.MethodGet, "/v2/systems/configs/cities", "ListCities", callerPartner, s.listCities)
	s.handle(http.MethodGet, "/v2/systems/configs/counties", "ListCounties", callerPartner, s.listCounties)
}

type serviceType struct{ code, name, nameEN, abbr string }

var serviceTypes = []serviceType{
	{"hws.service.type.ec2", "弹性云服务器", "Elastic Cloud Server", "ECS"},
	{"hws.service.type.ebs", "云硬盘", "Elastic Volume Service", "EVS"},
	{"hws.service.type.vpc", "虚拟私有云", "Virtual Private Cloud", "VPC"},
	{"hws.service.type.obs", "对象存储服务", "Object Storage Service", "OBS"},
	{"hws.service.type.rds", "云数据库 RDS", "Relational Database Service", "RDS"},
	{"hws.service.type.dcs", "分布式缓存服务", "Distributed Cache Service", "DCS"},
	{"hws.service.type.elb", "弹性负载均衡", "Elastic Load Balance", "ELB"},
	{"hws.service.type.cdn", "内容分发网络", "Content Delivery Network", "CDN"},
	{"hws.service.type.cce", "云容器引擎", "Cloud Container Engine", "CCE"},
	{"hws.service.type.sfs", "弹性文件服务", "Scalable File Service", "SFS"},
	{"hws.service.type.waf", "Web应用防火墙", "Web Application Firewall", "WAF"},
	{"hws.service.type.dns", "云解析服务", "Domain Name Service", "DNS"},
}

type resourceType struct{ code, name, nameEN, desc, service string }

var resourceTypes = []resourceType{
	{"hws.resource.type.vm", "云主机", "ECS VM", "弹性云服务器实例", "hws.service.type.ec2"},
	{"hws.resource.type.volume", "云硬盘", "EVS Disk", "块存储卷", "hws.service.type.ebs"},
	{"hws.resource.type.ip", "弹性公网IP", "Elastic IP", "公网IP地址", "hws.service.type.vpc"},
	{"hws.resource.type.bandwidth", "带宽", "Bandwidth", "公网带宽", "hws.service.type.vpc"},
	{"hws.resource.type.obs", "对象存储", "OBS Bucket", "对象存储桶", "hws.service.type.obs"},
	{"hws.resource.type.obs.package", "对象存储资源包", "OBS Package", "对象存储标准存储包", "hws.service.type.obs"},
	{"hws.resource.type.rds.vm", "数据库实例", "RDS Instance", "关系型数据库实例", "hws.service.type.rds"},
	{"hws.resource.type.rds.volume", "数据库存储", "RDS Storage", "关系型数据库存储", "hws.service.type.rds"},
	{"hws.resource.type.dcs", "缓存实例", "DCS Instance", "分布式缓存实例", "hws.service.type.dcs"},
	{"hws.resource.type.elb", "负载均衡器", "Load Balancer", "弹性负载均衡实例", "hws.service.type.elb"},
	{"hws.resource.type.cdn.package", "CDN流量包", "CDN Traffic Package", "CDN下行流量包", "hws.service.type.cdn"},
	{"hws.resource.type.cce.cluster", "容器集群", "CCE Cluster", "云容器引擎集群", "hws.service.type.cce"},
}

// usageType is a usage factor of a resource type: what on-demand use of it
// is measured in (ListUsageTypes, ListOnDemandResourceRatings usage_factor).
type usageType struct{ code, name, nameEN, resType string }

var usageTypes = []usageType{
	{"Duration", "时长", "Duration", "hws.resource.type.vm"},
	{"Duration", "时长", "Duration", "hws.resource.type.volume"},
	{"Duration", "时长", "Duration", "hws.resource.type.ip"},
	{"Duration", "时长", "Duration", "hws.resource.type.bandwidth"},
	{"upflow", "上行流量", "Upstream traffic", "hws.resource.type.bandwidth"},
	{"storage", "存储容量", "Storage", "hws.resource.type.obs"},
	{"downflow", "公网流出流量", "Outbound traffic", "hws.resource.type.obs"},
	{"reqNumber", "请求次数", "Requests", "hws.resource.type.obs"},
	{"Duration", "时长", "Duration", "hws.resource.type.rds.vm"},
	{"Duration", "时长", "Duration", "hws.resource.type.rds.volume"},
	{"Duration", "时长", "Duration", "hws.resource.type.dcs"},
	{"Duration", "时长", "Duration", "hws.resource.type.elb"},
	{"downflow", "下行流量", "Downstream traffic", "hws.resource.type.cdn.package"},
	{"Duration", "时长", "Duration", "hws.resource.type.cce.cluster"},
}

// resourceTypeOf returns the catalogue entry of a resource type code.
func resourceTypeOf(code string) (resourceType, bool) {
	for _, r := range resourceTypes {
		if r.code == code {
			return r, true
		}
	}
	return resourceType{}, false
}

func serviceTypeName(code string) string {
	for _, s := range serviceTypes {
		if s.code == code {
			return s.name
		}
	}
	return code
}

func resourceTypeName(code string) string {
	for _, r := range resourceTypes {
		if r.code == code {
			return r.name
		}
	}
	return code
}

// Measure types: 1 currency, 2 duration, 3 traffic/storage, 4 count,
// 5 bandwidth.
type measureUnit struct {
	id         int32
	name, abbr string
	nameEN     string
	typ        int32
}

var measureUnits = []measureUnit{
	{1, "元", "元", "Yuan", 1},
	{2, "角", "角", "Jiao", 1},
	{3, "分", "分", "Fen", 1},
	{4, "小时", "H", "Hour", 2},
	{5, "分钟", "Min", "Minute", 2},
	{6, "秒", "S", "Second", 2},
	{7, "字节", "B", "Byte", 3},
	{8, "KB", "KB", "KB", 3},
	{9, "MB", "MB", "MB", 3},
	{10, "GB", "GB", "GB", 3},
	{11, "TB", "TB", "TB", 3},
	{12, "天", "D", "Day", 2},
	{13, "月", "M", "Month", 2},
	{14, "年", "Y", "Year", 2},
	{15, "次", "次", "Count", 4},
	{16, "万次", "万次", "10K Count", 4},
	{17, "Kbps", "Kbps", "Kbps", 5},
	{18, "Mbps", "Mbps", "Mbps", 5},
	{19, "个", "个", "Unit", 4},
}

type conversion struct {
	id, ref int32
	ratio   int64
	typ     int32
}

// conversions: measure_id × ratio = ref_measure_id (1 元 = 10 角 = 100 分).
var conversions = []conversion{
	{1, 2, 10, 1}, {2, 3, 10, 1}, {1, 3, 100, 1},
	{14, 13, 12, 2}, {13, 12, 30, 2}, {12, 4, 24, 2}, {4, 5, 60, 2}, {5, 6, 60, 2},
	{11, 10, 1024, 3}, {10, 9, 1024, 3}, {9, 8, 1024, 3}, {8, 7, 1024, 3},
	{16, 15, 10000, 4},
	{18, 17, 1000, 5},
}

type region struct {
	code, name string
	parent     string
}

var provinces = []region{
	{"110000", "北京市", ""},
	{"310000", "上海市", ""},
	{"440000", "广东省", ""},
	{"330000", "浙江省", ""},
	{"320000", "江苏省", ""},
	{"510000", "四川省", ""},
	{"420000", "湖北省", ""},
	{"370000", "山东省", ""},
	{"610000", "陕西省", ""},
	{"500000", "重庆市", ""},
}

var cities = []region{
	{"110100", "北京市", "110000"},
	{"310100", "上海市", "310000"},
	{"440100", "广州市", "440000"},
	{"440300", "深圳市", "440000"},
	{"440600", "佛山市", "440000"},
	{"441900", "东莞市", "440000"},
	{"330100", "杭州市", "330000"},
	{"330200", "宁波市", "330000"},
	{"320100", "南京市", "320000"},
	{"320500", "苏州市", "320000"},
	{"510100", "成都市", "510000"},
	{"420100", "武汉市", "420000"},
	{"370100", "济南市", "370000"},
	{"370200", "青岛市", "370000"},
	{"610100", "西安市", "610000"},
	{"500100", "重庆市", "500000"},
}

var counties = []region{
	{"110101", "东城区", "110100"}, {"110102", "西城区", "110100"}, {"110105", "朝阳区", "110100"},
	{"110108", "海淀区", "110100"}, {"310101", "黄浦区", "310100"}, {"310104", "徐汇区", "310100"},
	{"310115", "浦东新区", "310100"}, {"440103", "荔湾区", "440100"}, {"440106", "天河区", "440100"},
	{"440304", "福田区", "440300"}, {"440305", "南山区", "440300"}, {"440306", "宝安区", "440300"},
	{"440307", "龙岗区", "440300"}, {"440604", "禅城区", "440600"}, {"330102", "上城区", "330100"},
	{"330106", "西湖区", "330100"}, {"330108", "滨江区", "330100"}, {"330203", "海曙区", "330200"},
	{"320102", "玄武区", "320100"}, {"320505", "虎丘区", "320500"}, {"510104", "锦江区", "510100"},
	{"510107", "武侯区", "510100"}, {"420102", "江岸区", "420100"}, {"420106", "武昌区", "420100"},
	{"370102", "历下区", "370100"}, {"370202", "市南区", "370200"}, {"610113", "雁塔区", "610100"},
	{"500103", "渝中区", "500100"},
}

func english(c *call) bool { return strings.HasPrefix(c.r.Header.Get("X-Language"), "en") }

func (s *Sandbox) listServiceTypes(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 0)
	if err != nil {
		return nil, err
	}
	name := c.q("service_type_name")
	en := english(c)
	var all []model.ServiceTypes
	for _, t := range serviceTypes {
		n := t.name
		if en {
			n = t.nameEN
		}
		if name != "" && !strings.Contains(n, name) && !strings.Contains(t.name, name) && !strings.Contains(t.nameEN, name) {
			continue
		}
		all = append(all, model.ServiceTypes{ServiceTypeName: ptr(n), ServiceTypeCode: ptr(t.code), Abbreviation: ptr(t.abbr)})
	}
	lo, hi := window(len(all), off, lim)
	out := append([]model.ServiceTypes{}, all[lo:hi]...)
	return &model.ListServiceTypesResponse{TotalCount: ptr(int32(len(all))), ServiceTypes: &out}, nil
}

func (s *Sandbox) listResourceTypes(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 0)
	if err != nil {
		return nil, err
	}
	en := english(c)
	all := make([]model.ResourceTypes, 0, len(resourceTypes))
	for _, t := range resourceTypes {
		n := t.name
		if en {
			n = t.nameEN
		}
		all = append(all, model.ResourceTypes{ResourceTypeCode: ptr(t.code), ResourceTypeName: ptr(n), ResourceTypeDesc: ptr(t.desc), ServiceTypeCode: ptr(t.service)})
	}
	lo, hi := window(len(all), off, lim)
	out := all[lo:hi]
	return &model.ListResourceTypesResponse{TotalCount: ptr(int32(len(all))), ResourceTypes: &out}, nil
}

// ListServiceResources: GET /v2/products/service-resources. The resource
// types of service_type_code (required; an unknown service has none).
func (s *Sandbox) listServiceResources(c *call) (any, error) {
	code := c.q("service_type_code")
	if code == "" {
		return nil, badParam("service_type_code is required")
	}
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	en := english(c)
	var all []model.ServiceResourceInfo
	for _, t := range resourceTypes {
		if !strings.EqualFold(t.service, code) {
			continue
		}
		n := t.name
		if en {
			n = t.nameEN
		}
		all = append(all, model.ServiceResourceInfo{BasicInfo: &model.ResourceBasicInfo{
			ResourceTypeCode: ptr(t.code), ProductOwnerService: ptr(t.service), Name: ptr(n), Description: ptr(t.desc),
		}})
	}
	lo, hi := window(len(all), off, lim)
	out := append([]model.ServiceResourceInfo{}, all[lo:hi]...)
	return &model.ListServiceResourcesResponse{TotalCount: ptr(int32(len(all))), Infos: &out}, nil
}

// ListUsageTypes: GET /v2/products/usage-types. The usage types of
// resource_type_code, or of every resource type when it is absent.
func (s *Sandbox) listUsageTypes(c *call) (any, error) {
	off, lim, err := c.pageQuery(10, 100)
	if err != nil {
		return nil, err
	}
	code := c.q("resource_type_code")
	en := english(c)
	var all []model.UsageType
	for _, u := range usageTypes {
		if code != "" && u.resType != code {
			continue
		}
		rt, _ := resourceTypeOf(u.resType)
		n, rn, sn := u.name, rt.name, serviceTypeName(rt.service)
		if en {
			n, rn = u.nameEN, rt.nameEN
			for _, st := range serviceTypes {
				if st.code == rt.service {
					sn = st.nameEN
				}
			}
		}
		all = append(all, model.UsageType{
			Code: ptr(u.code), Name: ptr(n), ResourceTypeCode: ptr(u.resType), ServiceTypeCode: ptr(rt.service),
			ResourceTypeName: ptr(rn), ServiceTypeName: ptr(sn),
		})
	}
	lo, hi := window(len(all), off, lim)
	out := append([]model.UsageType{}, all[lo:hi]...)
	return &model.ListUsageTypesResponse{TotalCount: ptr(int32(len(all))), UsageTypes: &out}, nil
}

func (s *Sandbox) listMeasureUnits(c *call) (any, error) {
	en := english(c)
	out := make([]model.MeasureUnitRest, 0, len(measureUnits))
	for _, m := range measureUnits {
		n := m.name
		if en {
			n = m.nameEN
		}
		out = append(out, model.MeasureUnitRest{MeasureId: ptr(m.id), MeasureName: ptr(n), Abbreviation: ptr(m.abbr), MeasureType: ptr(m.typ)})
	}
	return &model.ListMeasureUnitsResponse{MeasureUnits: &out}, nil
}

func (s *Sandbox) listConversions(c *call) (any, error) {
	mt, err := c.qInt("measure_type")
	if err != nil {
		return nil, err
	}
	out := []model.Conversion{}
	for _, cv := range conversions {
		if mt != nil && *mt != cv.typ {
			continue
		}
		out = append(out, model.Conversion{MeasureId: ptr(cv.id), RefMeasureId: ptr(cv.ref), ConversionRatio: ptr(cv.ratio), MeasureType: ptr(cv.typ)})
	}
	return &model.ListConversionsResponse{Conversions: &out}, nil
}

// regionPage answers the provinces family: offset/limit (default 10, at
// most 1000) over the regions under the parent given by query parameter
// parentParam (required; "" for the provinces, which have no parent), as
// rows made by row, with the count of all of them.
func regionPage[T any](c *call, list []region, parentParam string, row func(code, name string) T) (*[]T, *int32, error) {
	parent := ""
	if parentParam != "" {
		if parent = c.q(parentParam); parent == "" {
			return nil, nil, badParam("%s is required", parentParam)
		}
	}
	off, lim, err := c.pageQuery(10, 1000)
	if err != nil {
		return nil, nil, err
	}
	var all []region
	for _, r := range list {
		if parent == "" || r.parent == parent {
			all = append(all, r)
		}
	}
	out := pageOf(all, off, lim, func(r region) T { return row(r.code, r.name) })
	return &out, ptr(int32(len(all))), nil
}

func (s *Sandbox) listProvinces(c *call) (any, error) {
	out, n, err := regionPage(c, provinces, "", func(code, name string) model.Province { return model.Province{Code: code, Name: name} })
	if err != nil {
		return nil, err
	}
	return &model.ListProvincesResponse{Count: n, Provinces: out}, nil
}

func (s *Sandbox) listCities(c *call) (any, error) {
	out, n, err := regionPage(c, cities, "province_code", func(code, name string) model.City { return model.City{Code: code, Name: name} })
	if err != nil {
		return nil, err
	}
	return &model.ListCitiesResponse{Count: n, Cities: out}, nil
}

func (s *Sandbox) listCounties(c *call) (any, error) {
	out, n, err := regionPage(c, counties, "city_code", func(code, name string) model.County { return model.County{Code: code, Name: name} })
	if err != nil {
		return nil, err
	}
	return &model.ListCountiesResponse{Count: n, Counties: out}, nil
}
