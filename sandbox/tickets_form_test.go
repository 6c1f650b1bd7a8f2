package sandbox

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/def"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"
)

func TestOSMFormData(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	c := f.cc

	cats, err := c.ListCaseCategories(&model.ListCaseCategoriesRequest{})
	if err != nil || deref(cats.TotalCount) != 2 || len(*(*cats.IncidentSubTypeList)[0].IncidentProductCategoryList) == 0 {
		t.Fatalf("ListCaseCategories %v %+v", err, cats)
	}
	pcs, err := c.ListProductCategories(&model.ListProductCategoriesRequest{})
	if err != nil || deref(pcs.TotalCount) != 7 {
		t.Fatalf("ListProductCategories %v %+v", err, pcs)
	}
	en, err := c.ListProductCategories(&model.ListProductCategoriesRequest{ProductCategoryName: ptr("云硬盘"), XLanguage: ptr("en-us")})
	if err != nil || len(*en.IncidentProductCategoryList) != 1 || *(*en.IncidentProductCategoryList)[0].IncidentProductCategoryName != "Elastic Volume Service" {
		t.Fatalf("filtered, in English: %v %+v", err, en)
	}
	catID, fault := f.businessType(t, "ECS", "5")
	_, consult := f.businessType(t, "ECS", "0")
	bad, err := c.ListProblemTypes(&model.ListProblemTypesRequest{ProductCategoryId: ptr("nope")})
	if err != nil || bad.IncidentBusinessTypeList != nil {
		t.Fatalf("unknown category: %v %+v", err, bad)
	}
	all, _ := c.ListProblemTypes(&model.ListProblemTypesRequest{})
	if deref(all.TotalCount) < 10 {
		t.Fatalf("%d problem types", deref(all.TotalCount))
	}
	tpl, err := c.ListCaseTemplates(&model.ListCaseTemplatesRequest{BusinessTypeId: fault})
	if err != nil || deref(tpl.TotalCount) != 1 || !strings.Contains(deref((*tpl.IncidentTemplateList)[0].IncidentTemplateContent), "【") {
		t.Fatalf("templates %v %+v", err, tpl)
	}
	sv, err := c.ListSeverities(&model.ListSeveritiesRequest{ProductCategoryId: catID, BusinessTypeId: fault})
	if err != nil || !deref(sv.Show) || len(*sv.SeverityList) != 4 || deref((*sv.SeverityList)[0].Language) != "zh-cn" {
		t.Fatalf("severities %v %+v", err, sv)
	}
	sv, _ = c.ListSeverities(&model.ListSeveritiesRequest{ProductCategoryId: catID, BusinessTypeId: consult})
	if deref(sv.Show) {
		t.Fatal("the picker is shown for a consultation")
	}
	sv, _ = c.ListSeverities(&model.ListSeveritiesRequest{BusinessTypeId: consult})
	if sv.Show != nil {
		t.Fatal("product_category_id is required")
	}
	ep, err := c.ListExtendsParams(&model.ListExtendsParamsRequest{BusinessTypeId: fault})
	if err != nil || len(*ep.ExtendsParams) != 4 || len(*ep.CommonParams) != 4 {
		t.Fatalf("extends params %v %+v", err, ep)
	}
	for _, p := range *ep.ExtendsParams {
		if *p.ParamKey == "port" && (deref(p.MaxValue) != 65535 || deref(p.ParamType) != 2) {
			t.Fatalf("port %+v", p)
		}
		if *p.ParamKey == "instance_id" && deref(p.Required) != 1 {
			t.Fatalf("instance_id %+v", p)
		}
	}
	rg, err := c.ListRegions(&model.ListRegionsRequest{})
	if err != nil || deref(rg.TotalCount) != int32(len(osmRegions)) || deref((*rg.DataCenterList)[0].RegionId) != "cn-north-4" {
		t.Fatalf("regions %v %+v", err, rg)
	}
	ac, err := c.ListAreaCodes(&model.ListAreaCodesRequest{})
	if err != nil || deref((*ac.AreaCodeList)[0].AreaCode) != "86" || deref((*ac.AreaCodeList)[0].Id) != 1 {
		t.Fatalf("area codes %v %+v", err, ac)
	}
	lim, err := c.ListCaseLimits(&model.ListCaseLimitsRequest{})
	if err != nil || deref(lim.Config.CreateCaseCcemailMaxCount) != 5 {
		t.Fatalf("limits %v %+v", err, lim)
	}
	al, err := c.ShowAccessoryLimits(&model.ShowAccessoryLimitsRequest{})
	if err != nil || deref(al.AccessoryLimit.LimitCount) != "5" || deref(al.AccessoryLimit.LimitSize) != "4" ||
		!strings.Contains(deref(al.AccessoryLimit.LimitFileType), "png") {
		t.Fatalf("accessory limits %v %+v", err, al)
	}
	sd, err := c.ListSatisfactionDimensions(&model.ListSatisfactionDimensionsRequest{})
	if err != nil || deref(sd.TotalCount) != 4 || deref((*sd.SatisfactionDimensionList)[0].Value) != 5 {
		t.Fatalf("satisfaction %v %+v", err, sd)
	}
	q, err := c.ListCaseQuotas(&model.ListCaseQuotasRequest{BusinessTypeId: fault, ProductCategoryId: &catID})
	if err != nil || deref(q.Total) != 30 || deref(q.UnUsed) > 30 || deref(q.UnUsed) < 20 {
		t.Fatalf("quota %v %+v", err, q)
	}

	// The ticket agreement: shown, not yet signed, signed once.
	ag, err := c.ShowLatestPublishedAgreement(&model.ShowLatestPublishedAgreementRequest{})
	if err != nil || deref(ag.CaseAgreement.AgreementType) != "0" || deref(ag.CaseAgreement.Version) == 0 {
		t.Fatalf("agreement %v %+v", err, ag)
	}
	e1 := model.GetShowSignedLatestPublishedAgreementRequestAgreementTypeEnum().E_0
	signed, err := c.ShowSignedLatestPublishedAgreement(&model.ShowSignedLatestPublishedAgreementRequest{AgreementType: &e1})
	if err != nil || deref(signed.IsSignedLatest) {
		t.Fatalf("signed before signing: %v %+v", err, signed)
	}
	var agID int32
	for _, ch := range deref(ag.CaseAgreement.Id) {
		agID = agID*10 + int32(ch-'0')
	}
	rec, err := c.SignPublishedAgreement(&model.SignPublishedAgreementRequest{Id: agID, Body: &model.SignAgreementReq{}})
	if err != nil || deref(rec.AgreementSignedRecordId) == 0 {
		t.Fatalf("sign %v %+v", err, rec)
	}
	signed, _ = c.ShowSignedLatestPublishedAgreement(&model.ShowSignedLatestPublishedAgreementRequest{AgreementType: &e1})
	if !deref(signed.IsSignedLatest) {
		t.Fatal("not signed after signing")
	}
	if p, _ := f.pc.ShowSignedLatestPublishedAgreement(&model.ShowSignedLatestPublishedAgreementRequest{}); deref(p.IsSignedLatest) {
		t.Fatal("the customer's signature counts for the partner")
	}
	badSign, err := c.SignPublishedAgreement(&model.SignPublishedAgreementRequest{Id: 7})
	if err != nil || badSign.AgreementSignedRecordId != nil {
		t.Fatalf("unknown agreement: %v %+v", err, badSign)
	}

	pol, err := c.ShowCustomerPrivilegePolicy(&model.ShowCustomerPrivilegePolicyRequest{})
	if err != nil || pol.PolicySwitch == nil || *pol.PolicySwitch {
		t.Fatalf("policy %v %+v", err, pol)
	}
	pr, err := c.ListPrivileges(&model.ListPrivilegesRequest{Privilege: model.GetListPrivilegesRequestPrivilegeEnum().CREATE_CASE})
	if err != nil || deref(pr.HasPrivilege) != 1 {
		t.Fatalf("privileges %v %+v", err, pr)
	}
	si, err := c.ShowPartnersServiceInfo(&model.ShowPartnersServiceInfoRequest{})
	if err != nil || si.PartnersServiceInfo == nil || deref(si.PartnersServiceInfo.CustomerId) != f.partner.ID {
		t.Fatalf("service info %v %+v", err, si)
	}
	if si, _ := f.pc.ShowPartnersServiceInfo(&model.ShowPartnersServiceInfoRequest{}); si.PartnersServiceInfo != nil {
		t.Fatal("a partner has an associated partner")
	}
}

func TestOSMAttachments(t *testing.T) {
	f := newOSMFixture(t, KindTier1)

	// Limits: size, type, content, daily total.
	for name, tc := range map[string]struct {
		file string
		data []byte
	}{
		"TooLarge":  {"big.zip", make([]byte, accessoryMaxBytes+1)},
		"Type":      {"tool.exe", []byte("MZ")},
		"Empty":     {"empty.txt", nil},
		"NoName":    {"", []byte("x")},
		"Extension": {"README", []byte("x")},
	} {
		t.Run(name, func(t *testing.T) {
			id, resp := f.upload(t, f.cc, tc.file, "incident", tc.data)
			if id != "" || resp.HttpStatusCode != 200 {
				t.Fatalf("accepted: %s", id)
			}
		})
	}
	if id, _ := f.upload(t, f.cc, "exactly4mb.zip", "incident", make([]byte, accessoryMaxBytes)); id == "" {
		t.Fatal("a 4 MB file was refused")
	}
	status, raw := f.osmRaw(t, f.ctoken, http.MethodPost, "/v2/servicerequest/accessorys/json-format-content",
		map[string]any{"accessory_name": "a.txt", "accessory_from": "incident", "accessory_data": "***"})
	wantBusiness(t, status, raw, "OSM.01010001")
	status, raw = f.osmRaw(t, f.ctoken, http.MethodPost, "/v2/servicerequest/accessorys/json-format-content",
		map[string]any{"accessory_name": "a.txt", "accessory_from": "feedback", "accessory_data": "eA=="})
	wantBusiness(t, status, raw, "OSM.01010001")
	f.sb.state.mu.Lock()
	f.sb.state.osm.uploads[f.cust.ID].bytes = accessoryDailyBytes - 1
	f.sb.state.mu.Unlock()
	status, raw = f.osmRaw(t, f.ctoken, http.MethodPost, "/v2/servicerequest/accessorys/json-format-content",
		map[string]any{"accessory_name": "a.txt", "accessory_from": "incident", "accessory_data": "eHg="})
	wantBusiness(t, status, raw, "OSM.01010005")
	f.sb.state.mu.Lock()
	f.sb.state.osm.uploads[f.cust.ID].bytes = 0
	f.sb.state.mu.Unlock()

	// Multipart upload with a real file (its base name is the part's
	// filename; form_data's fileName wins).
	dir := t.TempDir()
	path := filepath.Join(dir, "upload-part.png")
	if err := os.WriteFile(path, seedPNG, 0o600); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	form, _ := json.Marshal(map[string]any{"fileName": "screen.png", "accessoryFrom": "incident", "uploadType": 0})
	up, err := f.cc.UploadAccessory(&model.UploadAccessoryRequest{Body: &model.UploadAccessoryRequestBody{
		FormData: def.NewMultiPart(string(form)), File: def.NewFilePart(fh),
	}})
	if err != nil || deref(up.AccessoryId) == "" {
		t.Fatalf("UploadAccessory %v %+v", err, up)
	}
	png := *up.AccessoryId
	logID, _ := f.upload(t, f.cc, "app.log", "incident", []byte("line 1\nline 2\n"))

	// Download one (the file), several (a zip), an image inline.
	dl, err := f.cc.DownloadAccessories(&model.DownloadAccessoriesRequest{AccessoryId: png})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	if !bytes.Equal(got, seedPNG) {
		t.Fatalf("download: %d bytes", len(got))
	}
	zdl, err := f.cc.DownloadAccessories(&model.DownloadAccessoriesRequest{AccessoryId: png + "," + logID})
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := io.ReadAll(zdl.Body)
	zdl.Body.Close()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil || len(zr.File) != 2 || zr.File[0].Name != "screen.png" || zr.File[1].Name != "app.log" {
		t.Fatalf("zip: %v", err)
	}
	img, err := f.cc.DownloadImages(&model.DownloadImagesRequest{AccessoryId: png})
	if err != nil {
		t.Fatal(err)
	}
	ib, _ := io.ReadAll(img.Body)
	img.Body.Close()
	if !bytes.Equal(ib, seedPNG) {
		t.Fatal("image bytes")
	}
	notImg, err := f.cc.DownloadImages(&model.DownloadImagesRequest{AccessoryId: logID})
	if err != nil {
		t.Fatal(err)
	}
	nb, _ := io.ReadAll(notImg.Body)
	notImg.Body.Close()
	if !strings.Contains(string(nb), `"OSM.01010001"`) || notImg.HttpStatusCode != 200 {
		t.Fatalf("a log as an image: %d %s", notImg.HttpStatusCode, nb)
	}
	// Someone else's accessory does not exist for the partner.
	foreign, err := f.pc.DownloadAccessories(&model.DownloadAccessoriesRequest{AccessoryId: png})
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := io.ReadAll(foreign.Body)
	foreign.Body.Close()
	if !strings.Contains(string(fb), `"OSM.01010001"`) {
		t.Fatalf("foreign download: %s", fb)
	}

	// The short-lived URL: served without credentials, then expired.
	u, err := f.cc.ShowDownloadAccessoryUrl(&model.ShowDownloadAccessoryUrlRequest{
		AccessoryId: png, RelationType: model.GetShowDownloadAccessoryUrlRequestRelationTypeEnum().NO_RELATION,
	})
	wantE(t, err, u.ErrorCode, "")
	get := func(url string) (int, []byte, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header.Get("Content-Disposition")
	}
	code, body, disp := get(deref(u.AccessoryUrl))
	if code != 200 || !bytes.Equal(body, seedPNG) || !strings.Contains(disp, "screen.png") {
		t.Fatalf("URL download %d %q", code, disp)
	}
	if code, _, _ := get(strings.Replace(deref(u.AccessoryUrl), "Signature=", "Signature=0", 1)); code != 403 {
		t.Fatalf("tampered URL: %d", code)
	}
	urls, err := f.cc.ListAccessoryAccessUrls(&model.ListAccessoryAccessUrlsRequest{AccessoryIds: []string{png, logID, "nope"}})
	if err != nil || len(*urls.AccessoryUrls) != 2 || deref((*urls.AccessoryUrls)[1].AccessoryName) != "app.log" {
		t.Fatalf("access urls %v %+v", err, urls)
	}
	f.clock.Advance(accessoryURLValid + time.Second)
	if code, _, _ := get(deref(u.AccessoryUrl)); code != 403 {
		t.Fatalf("expired URL: %d", code)
	}
	bad, err := f.cc.ShowDownloadAccessoryUrl(&model.ShowDownloadAccessoryUrlRequest{AccessoryId: "nope",
		RelationType: model.GetShowDownloadAccessoryUrlRequestRelationTypeEnum().INCIDENT})
	wantE(t, err, bad.ErrorCode, "OSM.01010001")

	// Attach, then deletion is refused; an unattached one is deleted.
	id := f.create(t, f.cc, &model.CreateOrderIncidentV2Req{BusinessTypeId: f.consultCase(t, "").BusinessTypeId,
		SimpleDescription: "with files", SourceId: osmSourceID, AccessoryIds: &[]string{png, logID}})
	del, err := f.cc.DeleteAccessories(&model.DeleteAccessoriesRequest{AccessoryId: png})
	wantE(t, err, del.ErrorCode, "OSM.01010002")
	spare, _ := f.upload(t, f.cc, "spare.txt", "message", []byte("s"))
	del, err = f.cc.DeleteAccessories(&model.DeleteAccessoriesRequest{AccessoryId: spare})
	wantE(t, err, del.ErrorCode, "")
	if code := f.post(t, f.cc, id, "uses a deleted file", spare); code != "OSM.01010001" {
		t.Fatalf("deleted accessory on a message: %q", code)
	}
	// Attachments on a message: at most 5, "message" uploads.
	var six []string
	for i := 0; i < 6; i++ {
		a, _ := f.upload(t, f.cc, "m.txt", "message", []byte("m"))
		six = append(six, a)
	}
	if code := f.post(t, f.cc, id, "six files", six...); code != "OSM.01010001" {
		t.Fatalf("six files on a message: %q", code)
	}
	if code := f.post(t, f.cc, id, "five files", six[:5]...); code != "" {
		t.Fatalf("five files: %q", code)
	}
	d := f.detail(t, f.cc, id)
	if len(*d.MessageList[0].AccessoryList) != 2 || len(*d.MessageList[1].AccessoryList) != 5 {
		t.Fatalf("attachments in the detail: %+v", d.MessageList)
	}
	u, err = f.cc.ShowDownloadAccessoryUrl(&model.ShowDownloadAccessoryUrlRequest{AccessoryId: png, IncidentId: &id,
		RelationType: model.GetShowDownloadAccessoryUrlRequestRelationTypeEnum().INCIDENT})
	wantE(t, err, u.ErrorCode, "")
}

func TestOSMMessages(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	id := f.create(t, f.cc, f.consultCase(t, "paging"))
	for i := 0; i < 4; i++ {
		f.clock.Advance(time.Second)
		f.post(t, f.cc, id, "m"+string(rune('0'+i)))
	}
	page, err := f.cc.ListMessages(&model.ListMessagesRequest{CaseId: id, Offset: ptr(int32(1)), Limit: ptr(int32(2))})
	if err != nil || deref(page.Count) != 5 || len(*page.MessageList) != 2 || deref((*page.MessageList)[0].Content) != "m0" {
		t.Fatalf("page %v %+v", err, page)
	}
	d := f.detail(t, f.cc, id)
	last := d.MessageList[len(d.MessageList)-1]
	more, err := f.cc.ListMoreInstantMessages(&model.ListMoreInstantMessagesRequest{CaseId: id,
		CreateTime: last.CreateTime.String(), Type: 0, Limit: 2})
	if err != nil || deref(more.Count) != 4 || len(*more.MessageList) != 2 || deref((*more.MessageList)[1].Content) != "m2" {
		t.Fatalf("older messages %v %+v", err, more)
	}
	bad, err := f.cc.ListMoreInstantMessages(&model.ListMoreInstantMessagesRequest{CaseId: id, CreateTime: last.CreateTime.String(), Type: 3, Limit: 2})
	if err != nil || bad.Count != nil {
		t.Fatalf("type 3: %v %+v", err, bad)
	}

	// Withdraw: own message within 2 minutes only.
	rv, err := f.cc.RevokeMessage(&model.RevokeMessageRequest{CaseId: id, MessageId: *last.MessageId})
	wantE(t, err, rv.ErrorCode, "")
	rv, _ = f.cc.RevokeMessage(&model.RevokeMessageRequest{CaseId: id, MessageId: *d.MessageList[0].MessageId})
	wantE(t, nil, rv.ErrorCode, "OSM.01010002") // the description
	f.clock.Advance(revokeWindow + time.Second)
	rv, _ = f.cc.RevokeMessage(&model.RevokeMessageRequest{CaseId: id, MessageId: *d.MessageList[1].MessageId})
	wantE(t, nil, rv.ErrorCode, "OSM.01010002")              // too old
	if n := len(f.detail(t, f.cc, id).MessageList); n != 5 { // 4 left + the engineer's answer
		t.Fatalf("%d messages after the withdrawal", n)
	}

	// Batch calls: foreign and unknown ids are left out, at most 100 ids.
	seeded := f.cases(t, f.cc, nil)
	ids := []string{id, "TT00000000000000"}
	for _, c := range seeded {
		ids = append(ids, c.IncidentId)
	}
	own := f.cases(t, f.pc, nil)
	ids = append(ids, own[0].IncidentId)
	u := f.unread(t, f.cc, ids...)
	if len(u) != len(seeded) {
		t.Fatalf("unread of %d tickets, want %d", len(u), len(seeded))
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = id
	}
	r, err := f.cc.ListUnreadNewInstantMessages(&model.ListUnreadNewInstantMessagesRequest{CaseIds: many})
	if err != nil || r.Imunread != nil {
		t.Fatalf("101 ids: %v %+v", err, r)
	}
	nm, err := f.cc.ListNewInstantMessages(&model.ListNewInstantMessagesRequest{CaseIds: ids})
	if err != nil || len(*nm.Imstatus) != len(seeded) {
		t.Fatalf("new messages %v %+v", err, nm)
	}
	nm, err = f.cc.ListNewInstantMessages(&model.ListNewInstantMessagesRequest{CaseIds: ids, LastMessageTimeId: ptr("abc")})
	if err != nil || nm.Imstatus != nil {
		t.Fatalf("bad cursor: %v %+v", err, nm)
	}
	if rd, _ := f.cc.UpdateNewInstantMessagesRead(&model.UpdateNewInstantMessagesReadRequest{CaseId: own[0].IncidentId}); deref(rd.ErrorCode) != "OSM.01010015" {
		t.Fatal("the customer marked the partner's ticket read")
	}
	counts, err := f.cc.ListCaseCounts(&model.ListCaseCountsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	total := int32(0)
	for _, c := range *counts.IncidentStatusCounts {
		total += *c.Count
	}
	if int(total) != len(seeded) {
		t.Fatalf("counts %d, list %d", total, len(seeded))
	}
}

func TestOSMCaseExtrasAndContacts(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	catID, fault := f.businessType(t, "ECS", "5")
	a := f.create(t, f.cc, &model.CreateOrderIncidentV2Req{BusinessTypeId: fault, ProductCategoryId: &catID, SimpleDescription: "a",
		SourceId: osmSourceID, RegionId: ptr("cn-east-3"), ExtendsMap: map[string]interface{}{"instance_id": "i-a"}})
	b := f.create(t, f.cc, f.consultCase(t, "b"))
	c := f.create(t, f.cc, f.consultCase(t, "c"))

	// Relations.
	rel, err := f.cc.CreateRelations(&model.CreateRelationsRequest{CaseId: a, Body: &model.CreateRelationsReq{RelatedIdList: []string{b, c}}})
	wantE(t, err, rel.ErrorCode, "")
	lr, err := f.cc.ListRelation(&model.ListRelationRequest{CaseId: a})
	if err != nil || len(*lr.CaseRelationList) != 2 || deref((*lr.CaseRelationList)[0].SimpleDescription) != "b" {
		t.Fatalf("relations %v %+v", err, lr)
	}
	partnerTicket := f.cases(t, f.pc, nil)[0].IncidentId
	rel, _ = f.cc.CreateRelations(&model.CreateRelationsRequest{CaseId: a, Body: &model.CreateRelationsReq{RelatedIdList: []string{partnerTicket}}})
	wantE(t, nil, rel.ErrorCode, "OSM.01010015")
	d := f.create(t, f.cc, f.consultCase(t, "d"))
	e := f.create(t, f.cc, f.consultCase(t, "e"))
	rel, _ = f.cc.CreateRelations(&model.CreateRelationsRequest{CaseId: a, Body: &model.CreateRelationsReq{RelatedIdList: []string{d, e}}})
	wantE(t, nil, rel.ErrorCode, "OSM.01010001") // 4 > 3
	dr, err := f.cc.DeleteRelation(&model.DeleteRelationRequest{CaseId: a, Body: &model.DeleteRelationsReq{RelatedId: b}})
	wantE(t, err, dr.ErrorCode, "")
	dr, _ = f.cc.DeleteRelation(&model.DeleteRelationRequest{CaseId: a, Body: &model.DeleteRelationsReq{RelatedId: b}})
	wantE(t, nil, dr.ErrorCode, "OSM.01010001")

	// Extends params.
	se, err := f.cc.ShowCaseExtendsParam(&model.ShowCaseExtendsParamRequest{CaseId: a})
	wantE(t, err, se.ErrorCode, "")
	se, _ = f.pc.ShowCaseExtendsParam(&model.ShowCaseExtendsParamRequest{CaseId: a})
	wantE(t, nil, se.ErrorCode, "OSM.01010015")
	ce, err := f.cc.CreateCaseExtendsParam(&model.CreateCaseExtendsParamRequest{CaseId: a, Body: &model.PutCaseExtParamReq{
		ExtendsMap: map[string]interface{}{"public_ip": "1.2.3.4", "port": 2222}}})
	wantE(t, err, ce.ErrorCode, "")
	ce, _ = f.cc.CreateCaseExtendsParam(&model.CreateCaseExtendsParamRequest{CaseId: a, Body: &model.PutCaseExtParamReq{
		ExtendsMap: map[string]interface{}{"color": "red"}}})
	wantE(t, nil, ce.ErrorCode, "OSM.01010001")
	f.sb.state.mu.Lock()
	ext := f.sb.state.osm.tickets[a].Extends
	f.sb.state.mu.Unlock()
	if ext["public_ip"] != "1.2.3.4" || ext["port"] != "2222" || ext["instance_id"] != "i-a" {
		t.Fatalf("extends %v", ext)
	}

	// Contact verification, then a ticket and a contact change with it.
	need, err := f.cc.CheckNeedVerify(&model.CheckNeedVerifyRequest{ContactValue: "13912345678", ContactWay: 0, AreaCode: ptr("86")})
	if err != nil || deref(need.NeedVerifyCode) != 1 {
		t.Fatalf("need verify %v %+v", err, need)
	}
	need, _ = f.cc.CheckNeedVerify(&model.CheckNeedVerifyRequest{ContactValue: "x@y.z", ContactWay: 2})
	if need.NeedVerifyCode != nil {
		t.Fatal("contact_way 2 accepted")
	}
	status, raw := f.osmRaw(t, f.ctoken, http.MethodPost, "/v2/servicerequest/verifycodes/send",
		map[string]any{"contact_value": "13912345678", "contact_way": 2, "area_code": "86"})
	wantBusiness(t, status, raw, "OSM.01010012")
	sent, err := f.cc.SendVerifyCodes(&model.SendVerifyCodesRequest{Body: &model.SendVerifyCodeReq{ContactValue: "13912345678", ContactWay: 0, AreaCode: "86"}})
	wantE(t, err, sent.ErrorCode, "")
	code := ""
	f.sb.state.mu.Lock()
	for _, m := range f.sb.state.sms {
		if m.Mobile == "13912345678" && m.Scene == osmSceneMobile {
			code = m.Code
		}
	}
	f.sb.state.mu.Unlock()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	cv, err := f.cc.CheckVerifyCodes(&model.CheckVerifyCodesRequest{Body: &model.VerifyVerifyCodeV2Req{VerifyCode: wrong, ContactValue: "13912345678", ContactWay: 0, AreaCode: ptr("86")}})
	wantE(t, err, cv.ErrorCode, "OSM.01010010")
	cv, err = f.cc.CheckVerifyCodes(&model.CheckVerifyCodesRequest{Body: &model.VerifyVerifyCodeV2Req{VerifyCode: code, ContactValue: "13912345678", ContactWay: 0, AreaCode: ptr("86")}})
	wantE(t, err, cv.ErrorCode, "")
	cv, _ = f.cc.CheckVerifyCodes(&model.CheckVerifyCodesRequest{Body: &model.VerifyVerifyCodeV2Req{VerifyCode: code, ContactValue: "13912345678", ContactWay: 0, AreaCode: ptr("86")}})
	wantE(t, nil, cv.ErrorCode, "OSM.01010010") // used
	vl, err := f.cc.ListHasVerifiedContacts(&model.ListHasVerifiedContactsRequest{ContactWay: ptr(int32(0))})
	if err != nil || deref(vl.Count) != 1 || deref((*vl.ContactList)[0].VerifiedId) == "" {
		t.Fatalf("verified contacts %v %+v", err, vl)
	}
	vid := *(*vl.ContactList)[0].VerifiedId
	if pl, _ := f.pc.ListHasVerifiedContacts(&model.ListHasVerifiedContactsRequest{}); deref(pl.Count) != 0 {
		t.Fatal("the customer's verified contact is the partner's")
	}
	need, _ = f.cc.CheckNeedVerify(&model.CheckNeedVerifyRequest{ContactValue: "13912345678", ContactWay: 0})
	if deref(need.NeedVerifyCode) != 0 || need.ExpireTime == nil {
		t.Fatalf("after verification %+v", need)
	}
	body := f.consultCase(t, "remind me elsewhere")
	body.RemindMobile = ptr("13912345678")
	if r, _ := f.cc.CreateCases(&model.CreateCasesRequest{Body: body, XPhoneVerifiedid: ptr("wrong")}); r.IncidentId != nil {
		t.Fatal("a wrong verified id was accepted")
	}
	if r, _ := f.cc.CreateCases(&model.CreateCasesRequest{Body: body}); r.IncidentId != nil {
		t.Fatal("a verified mobile was accepted without x-phone-verifiedid")
	}
	r, err := f.cc.CreateCases(&model.CreateCasesRequest{Body: body, XPhoneVerifiedid: &vid})
	if err != nil || r.IncidentId == nil {
		t.Fatalf("verified mobile: %v %+v", err, r)
	}
	cc, err := f.cc.UpdateCaseContactInfo(&model.UpdateCaseContactInfoRequest{CaseId: *r.IncidentId, Body: &model.UpdateCaseContactInfoReq{
		RemindMail: ptr("someone@else.example")}})
	wantE(t, err, cc.ErrorCode, "OSM.01010010")
	cc, err = f.cc.UpdateCaseContactInfo(&model.UpdateCaseContactInfoRequest{CaseId: *r.IncidentId, Body: &model.UpdateCaseContactInfoReq{
		RemindMobile: ptr("13912345678"), RemindTime: ptr("0")}})
	wantE(t, err, cc.ErrorCode, "")
	if dd := f.detail(t, f.cc, *r.IncidentId); deref(dd.ExtInfo.RemindMobile) != "13912345678" || deref(dd.ExtInfo.RemindTime) != "0" {
		t.Fatalf("contact info %+v", dd.ExtInfo)
	}
}

func TestOSMDownloadCases(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	dl, err := f.cc.DownloadCases(&model.DownloadCasesRequest{Language: "en-us", Timezone: "GMT+8"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 1+6 || rows[0][0] != "Ticket ID" || !strings.HasPrefix(rows[1][0], "TT") {
		t.Fatalf("export: %v %q", err, rows)
	}
	dl, err = f.cc.DownloadCases(&model.DownloadCasesRequest{Language: "zh-cn", Timezone: "GMT+8", Status: ptr(int32(3))})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(dl.Body)
	dl.Body.Close()
	if rows, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll(); len(rows) != 2 || rows[0][0] != "工单编号" || rows[1][1] != "3" {
		t.Fatalf("completed tickets: %q", rows)
	}
	dl, err = f.cc.DownloadCases(&model.DownloadCasesRequest{Language: "fr", Timezone: "GMT+8"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(dl.Body)
	dl.Body.Close()
	if !strings.Contains(string(b), `"OSM.01010001"`) {
		t.Fatalf("bad language: %s", b)
	}
}
