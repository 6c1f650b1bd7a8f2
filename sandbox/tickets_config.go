package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"
)

// OSM form data: what a "create ticket" form offers (OSM-API.md §2.2), in
// the order a form asks for it — ticket type (ListCaseCategories), product
// category (ListProductCategories), problem type (ListProblemTypes),
// template (ListCaseTemplates), severity and whether to show its picker
// (ListSeverities), extended parameters (ListExtendsParams), region
// (ListRegions), area codes (ListAreaCodes), attachment limits
// (ShowAccessoryLimits, tickets_accessories.go), the remaining quota
// (ListCaseQuotas) — plus the satisfaction dimensions of a rating, the
// ticket service agreement and the privilege switches. The catalogue is
// static; names follow X-Language (zh-cn default, en-us), ids are stable
// opaque strings.

// l10n is a name in both languages.
type l10n struct{ zh, en string }

func (t l10n) in(lang string) string {
	if lang == "en" {
		return t.en
	}
	return t.zh
}

// osmID is a stable 32-hex id of a catalogue entry.
func osmID(kind, key string) string {
	sum := sha256.Sum256([]byte("osm/" + kind + "/" + key))
	return hex.EncodeToString(sum[:16])
}

type osmSubType struct {
	ID   string
	Name l10n
}

type osmCategory struct {
	ID, Acronym    string
	SubTypeID      string
	Name, Desc     l10n
	CanUseSupport  bool
	BusinessTypeID []string
}

type osmBusinessType struct {
	ID, CategoryID string
	Name           l10n
	CaseType       string // "0" consultation, "5" fault (needs a region)
	CanUseSupport  bool
	Templates      []osmTemplate
	Params         []osmParam
}

type osmTemplate struct {
	ID            string
	Name, Content l10n
}

// osmParam is an extended parameter of a business type. Type: 0 text,
// 1 select (Select lists the values), 2 number (Min..Max).
type osmParam struct {
	Key       string
	Name, Tip l10n
	Required  bool
	Type      int32
	Length    int32
	Select    string
	Min, Max  int64
	Sensitive bool
}

var (
	osmSubTypes      []*osmSubType
	osmCategories    []*osmCategory
	osmCategoryByID  = map[string]*osmCategory{}
	osmBusinessTypes = map[string]*osmBusinessType{}
	osmBusinessOrder []*osmBusinessType
)

func init() {
	tech := &osmSubType{ID: osmID("subtype", "technical"), Name: l10n{"技术类问题", "Technical issue"}}
	billing := &osmSubType{ID: osmID("subtype", "billing"), Name: l10n{"账户与费用", "Account and billing"}}
	osmSubTypes = []*osmSubType{tech, billing}

	faultTemplate := osmTemplate{
		Name: l10n{"故障描述模板", "Fault template"},
		Content: l10n{"【问题现象】\n【发生时间】\n【资源ID】\n【已尝试的操作】",
			"[Symptom]\n[Time it started]\n[Resource ID]\n[What you tried]"},
	}
	consultTemplate := osmTemplate{
		Name:    l10n{"咨询模板", "Consultation template"},
		Content: l10n{"【咨询内容】\n【期望结果】", "[Question]\n[Expected result]"},
	}
	resourceParam := osmParam{Key: "resource_id", Name: l10n{"资源ID", "Resource ID"},
		Tip: l10n{"出现问题的资源ID", "ID of the affected resource"}, Required: true, Type: 0, Length: 64}

	type catSeed struct {
		acronym       string
		sub           *osmSubType
		name, desc    l10n
		support       bool
		consult, faul l10n
		extra         []osmParam
	}
	seeds := []catSeed{
		{"ECS", tech, l10n{"弹性云服务器", "Elastic Cloud Server"}, l10n{"云服务器的创建、登录、性能与网络问题", "Creating, logging in to, performance and networking of cloud servers"}, true,
			l10n{"产品咨询", "Product consultation"}, l10n{"实例故障", "Instance fault"},
			[]osmParam{
				{Key: "instance_id", Name: l10n{"云服务器ID", "ECS instance ID"}, Tip: l10n{"例如 0b5f7a3e-…", "e.g. 0b5f7a3e-…"}, Required: true, Length: 64},
				{Key: "os_type", Name: l10n{"操作系统", "Operating system"}, Type: 1, Select: "Linux,Windows", Length: 16},
				{Key: "port", Name: l10n{"登录端口", "Login port"}, Type: 2, Min: 1, Max: 65535},
				{Key: "public_ip", Name: l10n{"弹性公网IP", "EIP"}, Tip: l10n{"xx.xx.xx.xx", "xx.xx.xx.xx"}, Length: 64, Sensitive: true},
			}},
		{"EVS", tech, l10n{"云硬盘", "Elastic Volume Service"}, l10n{"磁盘挂载、扩容与性能问题", "Attaching, expanding and performance of disks"}, true,
			l10n{"产品咨询", "Product consultation"}, l10n{"磁盘故障", "Disk fault"}, []osmParam{resourceParam}},
		{"VPC", tech, l10n{"虚拟私有云", "Virtual Private Cloud"}, l10n{"子网、安全组与网络连通性问题", "Subnets, security groups and connectivity"}, true,
			l10n{"产品咨询", "Product consultation"}, l10n{"网络不通", "Connectivity fault"}, []osmParam{resourceParam}},
		{"RDS", tech, l10n{"云数据库 RDS", "Relational Database Service"}, l10n{"数据库实例的连接、性能与备份问题", "Connection, performance and backups of DB instances"}, true,
			l10n{"产品咨询", "Product consultation"}, l10n{"数据库故障", "Database fault"}, []osmParam{resourceParam}},
		{"OBS", tech, l10n{"对象存储服务", "Object Storage Service"}, l10n{"桶、对象与访问权限问题", "Buckets, objects and access rights"}, true,
			l10n{"产品咨询", "Product consultation"}, l10n{"访问故障", "Access fault"}, []osmParam{resourceParam}},
		{"BILL", billing, l10n{"费用中心", "Billing Center"}, l10n{"账单、扣费、退订与发票", "Bills, charges, unsubscriptions and invoices"}, false,
			l10n{"账单与扣费", "Bills and charges"}, l10n{}, nil},
		{"ACCT", billing, l10n{"账号中心", "Account Center"}, l10n{"实名认证、账号安全与权限", "Real-name authentication, account security and permissions"}, false,
			l10n{"实名认证", "Real-name authentication"}, l10n{}, nil},
	}
	for _, cs := range seeds {
		cat := &osmCategory{ID: osmID("category", cs.acronym), Acronym: cs.acronym, SubTypeID: cs.sub.ID,
			Name: cs.name, Desc: cs.desc, CanUseSupport: cs.support}
		add := func(key string, name l10n, caseType string, tpl osmTemplate, params []osmParam) {
			bt := &osmBusinessType{ID: osmID("business", cs.acronym+"/"+key), CategoryID: cat.ID, Name: name,
				CaseType: caseType, CanUseSupport: cs.support, Params: params}
			tpl.ID = osmID("template", cs.acronym+"/"+key)
			bt.Templates = []osmTemplate{tpl}
			osmBusinessTypes[bt.ID] = bt
			osmBusinessOrder = append(osmBusinessOrder, bt)
			cat.BusinessTypeID = append(cat.BusinessTypeID, bt.ID)
		}
		add("consult", cs.consult, "0", consultTemplate, nil)
		switch {
		case cs.faul.zh != "":
			add("fault", cs.faul, "5", faultTemplate, cs.extra)
		case cs.acronym == "BILL":
			add("refund", l10n{"退订与退款", "Unsubscription and refunds"}, "0", consultTemplate, nil)
		case cs.acronym == "ACCT":
			add("security", l10n{"账号安全", "Account security"}, "0", consultTemplate, nil)
		}
		osmCategories = append(osmCategories, cat)
		osmCategoryByID[cat.ID] = cat
	}
}

// osmSeverities are offered for every problem type; the picker is shown
// for fault types.
var osmSeverities = []struct {
	ID   string
	Name l10n
}{
	{"1", l10n{"紧急（业务中断）", "Critical (service down)"}},
	{"2", l10n{"严重（业务受损）", "Major (service degraded)"}},
	{"3", l10n{"一般", "Minor"}},
	{"4", l10n{"咨询建议", "Suggestion"}},
}

func severityName(id, lang string) string {
	for _, s := range osmSeverities {
		if s.ID == id {
			return s.Name.in(lang)
		}
	}
	return ""
}

// osmRegions are ListRegions' data centres (type 0 mainland, 1 outside).
var osmRegions = []struct {
	Type int32
	ID   string
	Name l10n
}{
	{0, "cn-north-4", l10n{"华北-北京四", "CN North-Beijing4"}},
	{0, "cn-north-1", l10n{"华北-北京一", "CN North-Beijing1"}},
	{0, "cn-east-3", l10n{"华东-上海一", "CN East-Shanghai1"}},
	{0, "cn-east-2", l10n{"华东-上海二", "CN East-Shanghai2"}},
	{0, "cn-south-1", l10n{"华南-广州", "CN South-Guangzhou"}},
	{0, "cn-southwest-2", l10n{"西南-贵阳一", "CN Southwest-Guiyang1"}},
	{1, "ap-southeast-1", l10n{"中国-香港", "CN-Hong Kong"}},
	{1, "ap-southeast-3", l10n{"亚太-新加坡", "AP-Singapore"}},
	{1, "af-south-1", l10n{"非洲-约翰内斯堡", "AF-Johannesburg"}},
}

func regionName(id, lang string) string {
	for _, r := range osmRegions {
		if r.ID == id {
			return r.Name.in(lang)
		}
	}
	return ""
}

var osmAreaCodes = []struct {
	Code string
	Name l10n
}{
	{"86", l10n{"中国大陆", "Chinese mainland"}},
	{"852", l10n{"中国香港", "Hong Kong (China)"}},
	{"853", l10n{"中国澳门", "Macao (China)"}},
	{"886", l10n{"中国台湾", "Taiwan (China)"}},
	{"65", l10n{"新加坡", "Singapore"}},
	{"60", l10n{"马来西亚", "Malaysia"}},
	{"66", l10n{"泰国", "Thailand"}},
	{"27", l10n{"南非", "South Africa"}},
	{"1", l10n{"美国/加拿大", "United States/Canada"}},
	{"44", l10n{"英国", "United Kingdom"}},
}

func knownAreaCode(code string) bool {
	for _, a := range osmAreaCodes {
		if a.Code == code {
			return true
		}
	}
	return false
}

// osmSatisfaction are the rating dimensions: 1..5 stars each.
var osmSatisfaction = []struct {
	ID         int32
	Name, Desc l10n
}{
	{1, l10n{"服务态度", "Service attitude"}, l10n{"工程师的沟通与服务态度", "How the engineer communicated"}},
	{2, l10n{"响应速度", "Response speed"}, l10n{"工程师响应与处理的速度", "How fast the engineer answered"}},
	{3, l10n{"解决效果", "Resolution"}, l10n{"问题是否得到解决", "Whether the problem was solved"}},
	{4, l10n{"总体满意度", "Overall satisfaction"}, l10n{"对本次服务的总体评价", "Overall rating of the service"}},
}

const (
	satisfactionMax      = 5
	satisfactionCategory = "1"
)

func satisfactionName(id int32, lang string) (string, bool) {
	for _, d := range osmSatisfaction {
		if d.ID == id {
			return d.Name.in(lang), true
		}
	}
	return "", false
}

// osmAgreements are the published agreements by agreement_type.
var osmAgreements = map[string]struct {
	ID             string
	Name, TypeName l10n
	Content        l10n
	Version        int32
}{
	"0": {ID: "1001", Name: l10n{"华为云工单服务协议", "Huawei Cloud Service Ticket Agreement"}, TypeName: l10n{"工单协议（普通用户）", "Ticket agreement (user)"},
		Content: l10n{"您在提交工单时同意华为云工程师在处理工单所需范围内查看您提供的信息……", "By submitting a ticket you allow Huawei Cloud engineers to view the information you provide, as far as handling the ticket needs…"}, Version: 3},
	"1": {ID: "1002", Name: l10n{"华为云工单服务协议（ISV）", "Huawei Cloud Service Ticket Agreement (ISV)"}, TypeName: l10n{"工单协议（ISV用户）", "Ticket agreement (ISV)"},
		Content: l10n{"ISV 用户提交工单时……", "When an ISV user submits a ticket…"}, Version: 2},
	"2": {ID: "1003", Name: l10n{"华为云授权协议", "Huawei Cloud Authorization Agreement"}, TypeName: l10n{"授权协议", "Authorization agreement"},
		Content: l10n{"您授权华为云工程师访问……", "You authorize Huawei Cloud engineers to access…"}, Version: 1},
}

func (s *Sandbox) listCaseCategories(c *call) (any, error) {
	lang := c.lang()
	list := make([]model.IncidentSubTypeV2Do, 0, len(osmSubTypes))
	for _, st := range osmSubTypes {
		cats := []model.IncidentProductCategoryV2{}
		for _, cat := range osmCategories {
			if cat.SubTypeID == st.ID {
				cats = append(cats, categoryModel(cat, lang))
			}
		}
		list = append(list, model.IncidentSubTypeV2Do{IncidentSubTypeId: ptr(st.ID), IncidentSubTypeName: ptr(st.Name.in(lang)), IncidentProductCategoryList: &cats})
	}
	return model.ListCaseCategoriesResponse{TotalCount: ptr(int32(len(list))), IncidentSubTypeList: &list}, nil
}

func categoryModel(cat *osmCategory, lang string) model.IncidentProductCategoryV2 {
	return model.IncidentProductCategoryV2{
		IncidentProductCategoryId:      ptr(cat.ID),
		IncidentProductCategoryName:    ptr(cat.Name.in(lang)),
		IncidentProductCategoryDesc:    ptr(cat.Desc.in(lang)),
		IncidentProductCategoryAcronym: ptr(cat.Acronym),
		CanUseSupportPlan:              ptr(cat.CanUseSupport),
	}
}

// listProductCategories filters by a name fragment (either language, or
// the acronym), case-insensitively.
func (s *Sandbox) listProductCategories(c *call) (any, error) {
	lang := c.lang()
	q := strings.ToLower(strings.TrimSpace(c.q("product_category_name")))
	if err := checkLen("product_category_name", q, 64, false); err != nil {
		return nil, err
	}
	list := []model.IncidentProductCategoryV2{}
	for _, cat := range osmCategories {
		if q != "" && !strings.Contains(strings.ToLower(cat.Name.zh+"\n"+cat.Name.en+"\n"+cat.Acronym), q) {
			continue
		}
		list = append(list, categoryModel(cat, lang))
	}
	return model.ListProductCategoriesResponse{TotalCount: ptr(int32(len(list))), IncidentProductCategoryList: &list}, nil
}

// listProblemTypes lists a category's problem types (every type without
// product_category_id; an unknown category → OSM.01010001).
func (s *Sandbox) listProblemTypes(c *call) (any, error) {
	lang := c.lang()
	catID := c.q("product_category_id")
	if catID != "" && osmCategoryByID[catID] == nil {
		return nil, osmInvalid("product_category_id %s does not exist", catID)
	}
	list := []model.SimpleIncidentBusinessTypeV2{}
	for _, bt := range osmBusinessOrder {
		if catID != "" && bt.CategoryID != catID {
			continue
		}
		list = append(list, model.SimpleIncidentBusinessTypeV2{
			BusinessTypeId: ptr(bt.ID), BusinessTypeName: ptr(bt.Name.in(lang)),
			CaseType: ptr(bt.CaseType), CanUseSupportPlan: ptr(bt.CanUseSupport),
		})
	}
	return model.ListProblemTypesResponse{TotalCount: ptr(int32(len(list))), IncidentBusinessTypeList: &list}, nil
}

// businessType resolves a required business_type_id query parameter.
func (c *call) businessType() (*osmBusinessType, error) {
	id := c.q("business_type_id")
	if id == "" {
		return nil, osmInvalid("business_type_id is required")
	}
	bt := osmBusinessTypes[id]
	if bt == nil {
		return nil, osmInvalid("business_type_id %s does not exist", id)
	}
	if cat := c.q("product_category_id"); cat != "" && cat != bt.CategoryID {
		return nil, osmInvalid("business_type_id %s is not a problem type of product_category_id %s", id, cat)
	}
	return bt, nil
}

func (s *Sandbox) listCaseTemplates(c *call) (any, error) {
	bt, err := c.businessType()
	if err != nil {
		return nil, err
	}
	lang := c.lang()
	list := []model.IncidentTempV2{}
	for _, t := range bt.Templates {
		list = append(list, model.IncidentTempV2{IncidentTemplateId: ptr(t.ID), IncidentTemplateName: ptr(t.Name.in(lang)), IncidentTemplateContent: ptr(t.Content.in(lang))})
	}
	return model.ListCaseTemplatesResponse{TotalCount: ptr(int32(len(list))), IncidentTemplateList: &list}, nil
}

// listSeverities: both ids are required; show is true for fault types
// (the sandbox's support plan lets fault tickets pick a severity).
func (s *Sandbox) listSeverities(c *call) (any, error) {
	if c.q("product_category_id") == "" {
		return nil, osmInvalid("product_category_id is required")
	}
	bt, err := c.businessType()
	if err != nil {
		return nil, err
	}
	lang := c.lang()
	language := "zh-cn"
	if lang == "en" {
		language = "en-us"
	}
	list := make([]model.SeverityV2Do, 0, len(osmSeverities))
	for _, sv := range osmSeverities {
		list = append(list, model.SeverityV2Do{Language: ptr(language), SeverityName: ptr(sv.Name.in(lang)), SeverityId: ptr(sv.ID)})
	}
	return model.ListSeveritiesResponse{Show: ptr(bt.CaseType == "5"), SeverityList: &list}, nil
}

func (s *Sandbox) listExtendsParams(c *call) (any, error) {
	bt, err := c.businessType()
	if err != nil {
		return nil, err
	}
	if sub := c.q("incident_sub_type_id"); sub != "" && osmCategoryByID[bt.CategoryID].SubTypeID != sub {
		return nil, osmInvalid("incident_sub_type_id %s does not match the problem type", sub)
	}
	lang := c.lang()
	language := map[string]string{"zh": "zh-cn", "en": "en-us"}[lang]
	params := []model.ExtendsParamV2{}
	for _, p := range bt.Params {
		m := model.ExtendsParamV2{
			ParamKey: ptr(p.Key), ParamName: ptr(p.Name.in(lang)), ParamDesc: ptr(p.Name.in(lang)), Tips: ptr(p.Tip.in(lang)),
			Language: ptr(language), DefaultValue: ptr(""), Required: ptr(boolInt(p.Required)), ParamType: ptr(p.Type),
			IsShow: ptr(int32(1)), IsSensitive: ptr(boolInt(p.Sensitive)), SelectItem: strOpt(p.Select),
		}
		if p.Length > 0 {
			m.Length = ptr(p.Length)
		}
		if p.Type == 2 {
			m.MinValue, m.MaxValue = ptr(p.Min), ptr(p.Max)
		}
		params = append(params, m)
	}
	common := []model.CommonParamV2{}
	for _, cp := range []struct {
		key  string
		name l10n
	}{
		{"area_code", l10n{"国家/地区码", "Country/Region code"}},
		{"remind_mobile", l10n{"联系手机", "Mobile for notifications"}},
		{"remind_mail", l10n{"联系邮箱", "E-mail for notifications"}},
		{"remind_time", l10n{"联系时间", "Contact hours"}},
	} {
		common = append(common, model.CommonParamV2{ParamKey: ptr(cp.key), ParamName: ptr(cp.name.in(lang)), IsShow: ptr(int32(1)), IsRequired: ptr(int32(0))})
	}
	return model.ListExtendsParamsResponse{ExtendsParams: &params, CommonParams: &common}, nil
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// checkExtends validates extends_map values against the business type's
// parameters (required ones present; selects, numbers and lengths within
// their limits; unknown keys are ignored) and returns them as strings.
func checkExtends(bt *osmBusinessType, m map[string]any, requireAll bool) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range bt.Params {
		raw, ok := m[p.Key]
		v := ""
		if ok && raw != nil {
			switch x := raw.(type) {
			case string:
				v = strings.TrimSpace(x)
			case float64:
				v = strconv.FormatFloat(x, 'f', -1, 64)
			case bool:
				v = strconv.FormatBool(x)
			default:
				return nil, osmInvalid("extends_map.%s must be a string or a number", p.Key)
			}
		}
		if v == "" {
			if p.Required && requireAll {
				return nil, osmInvalid("extends_map.%s (%s) is required", p.Key, p.Name.en)
			}
			continue
		}
		switch p.Type {
		case 1:
			found := false
			for _, opt := range strings.Split(p.Select, ",") {
				found = found || opt == v
			}
			if !found {
				return nil, osmInvalid("extends_map.%s must be one of %s", p.Key, p.Select)
			}
		case 2:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < p.Min || n > p.Max {
				return nil, osmInvalid("extends_map.%s must be a number between %d and %d", p.Key, p.Min, p.Max)
			}
		}
		if p.Length > 0 && len([]rune(v)) > int(p.Length) {
			return nil, osmInvalid("extends_map.%s must be at most %d characters", p.Key, p.Length)
		}
		out[p.Key] = v
	}
	return out, nil
}

func (s *Sandbox) listOSMRegions(c *call) (any, error) {
	lang := c.lang()
	list := make([]model.DataCenterV2Do, 0, len(osmRegions))
	for _, r := range osmRegions {
		list = append(list, model.DataCenterV2Do{Type: ptr(r.Type), RegionId: ptr(r.ID), RegionName: ptr(r.Name.in(lang)), IsSensitive: ptr(int32(0))})
	}
	return model.ListRegionsResponse{TotalCount: ptr(int32(len(list))), DataCenterList: &list}, nil
}

func (s *Sandbox) listAreaCodes(c *call) (any, error) {
	lang := c.lang()
	list := make([]model.AreaCodeSimpleInfoV2, 0, len(osmAreaCodes))
	for i, a := range osmAreaCodes {
		list = append(list, model.AreaCodeSimpleInfoV2{Id: ptr(int32(i + 1)), AreaCode: ptr(a.Code), AreaName: ptr(a.Name.in(lang))})
	}
	return model.ListAreaCodesResponse{AreaCodeList: &list}, nil
}

func (s *Sandbox) listCaseLimits(c *call) (any, error) {
	return model.ListCaseLimitsResponse{Config: &model.TenantConfigV2{CreateCaseCcemailMaxCount: ptr(int32(5))}}, nil
}

func (s *Sandbox) listSatisfactionDimensions(c *call) (any, error) {
	lang := c.lang()
	list := make([]model.SatisfactionDimensionSimpleInfoV2, 0, len(osmSatisfaction))
	for _, d := range osmSatisfaction {
		list = append(list, model.SatisfactionDimensionSimpleInfoV2{
			SatisfactionId: ptr(d.ID), SatisfactionName: ptr(d.Name.in(lang)), SatisfactionDesc: ptr(d.Desc.in(lang)),
			Value: ptr(int32(satisfactionMax)), PerValue: ptr(int32(1)), SatCategoryId: ptr(satisfactionCategory),
		})
	}
	return model.ListSatisfactionDimensionsResponse{TotalCount: ptr(int32(len(list))), SatisfactionDimensionList: &list}, nil
}

// listCaseQuotas: every account may create monthlyCaseQuota tickets per
// calendar month (UTC), whatever their type; the business type must exist.
func (s *Sandbox) listCaseQuotas(c *call) (any, error) {
	if _, err := c.businessType(); err != nil {
		return nil, err
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		left := max(monthlyCaseQuota-o.usedThisMonth(me.OwnerID, now), 0)
		return model.ListCaseQuotasResponse{Total: ptr(int32(monthlyCaseQuota)), UnUsed: ptr(int32(left))}, nil
	})
}

// agreementType reads agreement_type ("0" when absent).
func (c *call) agreementType() (string, error) {
	t := c.q("agreement_type")
	if t == "" {
		t = "0"
	}
	if _, ok := osmAgreements[t]; !ok {
		return "", osmInvalid("agreement_type must be 0, 1 or 2")
	}
	return t, nil
}

func (s *Sandbox) showLatestPublishedAgreement(c *call) (any, error) {
	t, err := c.agreementType()
	if err != nil {
		return nil, err
	}
	a, lang := osmAgreements[t], c.lang()
	return model.ShowLatestPublishedAgreementResponse{CaseAgreement: &model.AgreementVo{
		Id: ptr(a.ID), AgreementName: ptr(a.Name.in(lang)), AgreementType: ptr(t), AgreementTypeName: ptr(a.TypeName.in(lang)),
		Content: ptr(a.Content.in(lang)), Version: ptr(a.Version),
	}}, nil
}

func (s *Sandbox) showSignedLatestPublishedAgreement(c *call) (any, error) {
	t, err := c.agreementType()
	if err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	me := st.osmIdentityOf(c.who)
	_, signed := st.osm.signed[me.OwnerID][t]
	return model.ShowSignedLatestPublishedAgreementResponse{IsSignedLatest: ptr(signed)}, nil
}

// signPublishedAgreement signs the latest agreement {id} (an int32 path
// parameter); signing again returns the same record.
func (s *Sandbox) signPublishedAgreement(c *call) (any, error) {
	n, err := strconv.ParseInt(c.params["id"], 10, 32)
	if err != nil {
		return nil, osmBad("id must be an integer")
	}
	var body model.SignAgreementReq
	if _, err := c.osmDecode(&body); err != nil {
		return nil, err
	}
	typ := ""
	for k, a := range osmAgreements {
		if a.ID == strconv.FormatInt(n, 10) {
			typ = k
		}
	}
	if typ == "" {
		return nil, osmInvalid("agreement %d is not a published agreement", n)
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	me := st.osmIdentityOf(c.who)
	o := st.osm
	if o.signed[me.OwnerID] == nil {
		o.signed[me.OwnerID] = map[string]int32{}
	}
	rec, ok := o.signed[me.OwnerID][typ]
	if !ok {
		o.signSeq++
		rec = o.signSeq
		o.signed[me.OwnerID][typ] = rec
	}
	return model.SignPublishedAgreementResponse{AgreementSignedRecordId: ptr(rec)}, nil
}

// showCustomerPrivilegePolicy: the sandbox's accounts never restrict
// ticket creation to granted IAM users.
func (s *Sandbox) showCustomerPrivilegePolicy(c *call) (any, error) {
	return model.ShowCustomerPrivilegePolicyResponse{PolicySwitch: ptr(false)}, nil
}

// listPrivileges: the account's own user (and a partner's agency user)
// holds both privileges.
func (s *Sandbox) listPrivileges(c *call) (any, error) {
	switch c.q("privilege") {
	case "export", "createCase":
	default:
		return nil, osmInvalid("privilege must be export or createCase")
	}
	return model.ListPrivilegesResponse{HasPrivilege: ptr(int32(1))}, nil
}

// showPartnersCasesPrivilege: partners may process their customers'
// tickets; customers may not.
func (s *Sandbox) showPartnersCasesPrivilege(c *call) (any, error) {
	return model.ShowPartnersCasesPrivilegeResponse{HasPrivilege: ptr(c.who.Partner != nil)}, nil
}

// showPartnersServiceInfo: a customer's partner and its service hours;
// a partner has no associated partner (empty answer).
func (s *Sandbox) showPartnersServiceInfo(c *call) (any, error) {
	if c.who.Customer == nil {
		return model.ShowPartnersServiceInfoResponse{}, nil
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	p := st.partnerByID[c.who.Customer.PartnerID]
	if p == nil {
		return model.ShowPartnersServiceInfoResponse{}, nil
	}
	days := l10n{"周一至周五", "Monday to Friday"}
	return model.ShowPartnersServiceInfoResponse{PartnersServiceInfo: &model.PartnersServiceInfo{
		CustomerId: ptr(p.ID), CustomerName: ptr(p.Name), ServiceTimeZone: ptr("GMT+08:00"),
		ServiceTimeDay: ptr(days.in(c.lang())), ServiceTimeHour: ptr("09:00-18:00"),
	}}, nil
}

// sortedStatuses returns the keys of a status count map in order.
func sortedStatuses(m map[int32]int32) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
