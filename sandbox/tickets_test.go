package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/def"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	osm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"
)

// osmSDKDefs are the OSM operations the sandbox serves with the SDK's own
// request definitions; init adds them to sdkDefs so TestRoutesMatchSDK
// holds the OSM routes to the SDK's methods and paths too.
var osmSDKDefs = map[string]func() *def.HttpRequestDef{
	"ListCaseCategories":                 osm.GenReqDefForListCaseCategories,
	"ListProductCategories":              osm.GenReqDefForListProductCategories,
	"ListProblemTypes":                   osm.GenReqDefForListProblemTypes,
	"ListCaseTemplates":                  osm.GenReqDefForListCaseTemplates,
	"ListSeverities":                     osm.GenReqDefForListSeverities,
	"ListExtendsParams":                  osm.GenReqDefForListExtendsParams,
	"ListRegions":                        osm.GenReqDefForListRegions,
	"ListAreaCodes":                      osm.GenReqDefForListAreaCodes,
	"ListCaseLimits":                     osm.GenReqDefForListCaseLimits,
	"ListSatisfactionDimensions":         osm.GenReqDefForListSatisfactionDimensions,
	"ListCaseQuotas":                     osm.GenReqDefForListCaseQuotas,
	"ShowLatestPublishedAgreement":       osm.GenReqDefForShowLatestPublishedAgreement,
	"ShowSignedLatestPublishedAgreement": osm.GenReqDefForShowSignedLatestPublishedAgreement,
	"SignPublishedAgreement":             osm.GenReqDefForSignPublishedAgreement,
	"ShowCustomerPrivilegePolicy":        osm.GenReqDefForShowCustomerPrivilegePolicy,
	"ListPrivileges":                     osm.GenReqDefForListPrivileges,
	"ShowPartnersCasesPrivilege":         osm.GenReqDefForShowPartnersCasesPrivilege,
	"ShowPartnersServiceInfo":            osm.GenReqDefForShowPartnersServiceInfo,
	"CheckNeedVerify":                    osm.GenReqDefForCheckNeedVerify,
	"SendVerifyCodes":                    osm.GenReqDefForSendVerifyCodes,
	"CheckVerifyCodes":                   osm.GenReqDefForCheckVerifyCodes,
	"ListHasVerifiedContacts":            osm.GenReqDefForListHasVerifiedContacts,
	"ShowAccessoryLimits":                osm.GenReqDefForShowAccessoryLimits,
	"ListAccessoryAccessUrls":            osm.GenReqDefForListAccessoryAccessUrls,
	"UploadJsonAccessories":              osm.GenReqDefForUploadJsonAccessories,
	"UploadAccessory":                    osm.GenReqDefForUploadAccessory,
	"DownloadImages":                     osm.GenReqDefForDownloadImages,
	"ShowDownloadAccessoryUrl":           osm.GenReqDefForShowDownloadAccessoryUrl,
	"DeleteAccessories":                  osm.GenReqDefForDeleteAccessories,
	"DownloadAccessories":                osm.GenReqDefForDownloadAccessories,
	"ListCaseCounts":                     osm.GenReqDefForListCaseCounts,
	"DownloadCases":                      osm.GenReqDefForDownloadCases,
	"ListUnreadNewInstantMessages":       osm.GenReqDefForListUnreadNewInstantMessages,
	"ListNewInstantMessages":             osm.GenReqDefForListNewInstantMessages,
	"CreateCases":                        osm.GenReqDefForCreateCases,
	"ListCases":                          osm.GenReqDefForListCases,
	"ShowCaseDetail":                     osm.GenReqDefForShowCaseDetail,
	"ShowCaseStatus":                     osm.GenReqDefForShowCaseStatus,
	"UpdateCases":                        osm.GenReqDefForUpdateCases,
	"CreateScores":                       osm.GenReqDefForCreateScores,
	"UpdateCaseContactInfo":              osm.GenReqDefForUpdateCaseContactInfo,
	"ShowCaseExtendsParam":               osm.GenReqDefForShowCaseExtendsParam,
	"CreateCaseExtendsParam":             osm.GenReqDefForCreateCaseExtendsParam,
	"ListCaseOperateLogs":                osm.GenReqDefForListCaseOperateLogs,
	"CreateRelations":                    osm.GenReqDefForCreateRelations,
	"ListRelation":                       osm.GenReqDefForListRelation,
	"DeleteRelation":                     osm.GenReqDefForDeleteRelation,
	"ListMessages":                       osm.GenReqDefForListMessages,
	"CreateMessages":                     osm.GenReqDefForCreateMessages,
	"ListMoreInstantMessages":            osm.GenReqDefForListMoreInstantMessages,
	"UpdateNewInstantMessagesRead":       osm.GenReqDefForUpdateNewInstantMessagesRead,
	"RevokeMessage":                      osm.GenReqDefForRevokeMessage,
}

func init() {
	for name, gen := range osmSDKDefs {
		sdkDefs[name] = gen
	}
}

// TestOSMRoutesResolve sends every served OSM operation's method and SDK
// path (parameters filled in) and checks the router names it as the SDK
// does: literal paths such as /cases/count must not be taken for
// /cases/{case_id}.
func TestOSMRoutesResolve(t *testing.T) {
	sb, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill := regexp.MustCompile(`\{[a-z_]+\}`)
	for name, gen := range osmSDKDefs {
		d := gen()
		req := httptest.NewRequest(d.Method, fill.ReplaceAllString(d.Path, "123"), nil)
		rec := httptest.NewRecorder()
		sb.Handler().ServeHTTP(rec, req)
		reqs := sb.Requests()
		if len(reqs) == 0 || reqs[len(reqs)-1].Operation != name {
			t.Errorf("%s %s was routed to %+v", d.Method, d.Path, reqs[len(reqs)-1:])
		}
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d %s", name, rec.Code, rec.Body)
		}
	}
}

// osmFixture is a seeded sandbox on a test clock with OSM clients of one
// partner and of its showcase customer.
type osmFixture struct {
	sb      *Sandbox
	srv     *httptest.Server
	m       Manifest
	clock   *testClock
	partner ManifestPartner
	cust    ManifestCustomer
	pc      *osm.OsmClient // partner AK/SK
	cc      *osm.OsmClient // customer token (assume_role by the partner)
	ctoken  string
}

const testReplyDelay = time.Minute

func newOSMFixture(t testing.TB, partnerKind string) *osmFixture {
	t.Helper()
	clk := newTestClock()
	epoch := clk.t.Truncate(24 * time.Hour)
	sb, srv, m := newTestSandboxOpts(t, Options{Seed: 1, Customers: 60, Epoch: epoch, Now: clk.Now, TicketReplyDelay: testReplyDelay})
	p := partnerOf(m, partnerKind)
	cu := showcaseOf(m, p.ID)
	tok := customerToken(t, srv.URL, p, cu.ID)
	return &osmFixture{
		sb: sb, srv: srv, m: m, clock: clk, partner: p, cust: cu, ctoken: tok,
		pc: osmClient(t, srv.URL, p), cc: osmTokenClient(t, srv.URL, tok),
	}
}

// osmClient is the official OSM client signing with a partner's AK/SK.
func osmClient(t testing.TB, endpoint string, p ManifestPartner) *osm.OsmClient {
	t.Helper()
	cred, err := global.NewCredentialsBuilder().WithAk(p.AK).WithSk(p.SK).WithDomainId(p.ID).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := osm.OsmClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(30 * time.Second)).SafeBuild()
	if err != nil {
		t.Fatalf("osm client: %v", err)
	}
	return osm.NewOsmClient(hc)
}

// osmTokenClient is the official OSM client with an IAM token.
func osmTokenClient(t testing.TB, endpoint, token string) *osm.OsmClient {
	t.Helper()
	hc, err := osm.OsmClientBuilder().
		WithCredentialsType("global.Credentials,v3.IamCredentials").
		WithEndpoints([]string{endpoint}).
		WithCredential(iam.NewIamCredentialsBuilder().WithXAuthToken(token).Build()).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(30 * time.Second)).SafeBuild()
	if err != nil {
		t.Fatalf("osm token client: %v", err)
	}
	return osm.NewOsmClient(hc)
}

// osmRaw calls the sandbox with a token and returns the status and the
// JSON body: to read business error codes the SDK's model hides.
func (f *osmFixture) osmRaw(t testing.TB, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// wantBusiness asserts a raw answer is 200 with the business error code.
func wantBusiness(t testing.TB, status int, body map[string]any, code string) {
	t.Helper()
	if status != http.StatusOK || body["error_code"] != code {
		t.Fatalf("want 200 %s, got %d %v", code, status, body)
	}
}

// wantE asserts an E-type response (error_code/error_msg) carries code
// ("" for success).
func wantE(t testing.TB, err error, code *string, want string) {
	t.Helper()
	if err != nil {
		t.Fatalf("want %q in a 200 body, got error %v", want, err)
	}
	if deref(code) != want {
		t.Fatalf("error_code %q, want %q", deref(code), want)
	}
}

func (f *osmFixture) cases(t testing.TB, c *osm.OsmClient, req *model.ListCasesRequest) []model.IncidentInfoV2 {
	t.Helper()
	if req == nil {
		req = &model.ListCasesRequest{}
	}
	if req.Limit == nil {
		req.Limit = ptr(int32(100))
	}
	resp, err := c.ListCases(req)
	if err != nil || resp.IncidentInfoList == nil {
		t.Fatalf("ListCases: %v %+v", err, resp)
	}
	return *resp.IncidentInfoList
}

func (f *osmFixture) detail(t testing.TB, c *osm.OsmClient, id string) *model.IncidentDetailInfoV2 {
	t.Helper()
	resp, err := c.ShowCaseDetail(&model.ShowCaseDetailRequest{CaseId: id})
	if err != nil || resp.IncidentDetailInfo == nil {
		t.Fatalf("ShowCaseDetail(%s): %v %+v", id, err, resp)
	}
	return resp.IncidentDetailInfo
}

func (f *osmFixture) status(t testing.TB, c *osm.OsmClient, id string) int32 {
	t.Helper()
	resp, err := c.ShowCaseStatus(&model.ShowCaseStatusRequest{CaseId: id})
	if err != nil || resp.Status == nil {
		t.Fatalf("ShowCaseStatus(%s): %v %+v", id, err, resp)
	}
	return *resp.Status
}

func (f *osmFixture) unread(t testing.TB, c *osm.OsmClient, ids ...string) map[string]model.ImUnreadV2 {
	t.Helper()
	resp, err := c.ListUnreadNewInstantMessages(&model.ListUnreadNewInstantMessagesRequest{CaseIds: ids})
	if err != nil || resp.Imunread == nil {
		t.Fatalf("ListUnreadNewInstantMessages: %v %+v", err, resp)
	}
	out := map[string]model.ImUnreadV2{}
	for _, u := range *resp.Imunread {
		out[*u.IncidentId] = u
	}
	return out
}

// businessType finds a problem type by category acronym and case type.
func (f *osmFixture) businessType(t testing.TB, acronym, caseType string) (catID, btID string) {
	t.Helper()
	cats, err := f.cc.ListProductCategories(&model.ListProductCategoriesRequest{ProductCategoryName: ptr(acronym)})
	if err != nil || len(*cats.IncidentProductCategoryList) != 1 {
		t.Fatalf("category %s: %v", acronym, err)
	}
	catID = *(*cats.IncidentProductCategoryList)[0].IncidentProductCategoryId
	types, err := f.cc.ListProblemTypes(&model.ListProblemTypesRequest{ProductCategoryId: &catID})
	if err != nil {
		t.Fatal(err)
	}
	for _, bt := range *types.IncidentBusinessTypeList {
		if *bt.CaseType == caseType {
			return catID, *bt.BusinessTypeId
		}
	}
	t.Fatalf("no case type %s in %s", caseType, acronym)
	return "", ""
}

// consultCase is a minimal consultation ticket body.
func (f *osmFixture) consultCase(t testing.TB, desc string) *model.CreateOrderIncidentV2Req {
	_, bt := f.businessType(t, "OBS", "0")
	return &model.CreateOrderIncidentV2Req{BusinessTypeId: bt, SimpleDescription: desc, SourceId: osmSourceID}
}

func (f *osmFixture) create(t testing.TB, c *osm.OsmClient, body *model.CreateOrderIncidentV2Req) string {
	t.Helper()
	resp, err := c.CreateCases(&model.CreateCasesRequest{Body: body})
	if err != nil || resp.IncidentId == nil {
		t.Fatalf("CreateCases: %v %+v", err, resp)
	}
	return *resp.IncidentId
}

func (f *osmFixture) action(t testing.TB, c *osm.OsmClient, id, action string) string {
	t.Helper()
	resp, err := c.UpdateCases(&model.UpdateCasesRequest{CaseId: id, ActionId: action})
	if err != nil {
		t.Fatalf("UpdateCases(%s, %s): %v", id, action, err)
	}
	return deref(resp.ErrorCode)
}

func (f *osmFixture) post(t testing.TB, c *osm.OsmClient, id, content string, accessories ...string) string {
	t.Helper()
	msg := &model.CreateMessageDoV2{Content: content}
	if len(accessories) > 0 {
		msg.AccessoryIds = &accessories
	}
	resp, err := c.CreateMessages(&model.CreateMessagesRequest{CaseId: id, Body: &model.CreateMessageV2Req{Message: msg}})
	if err != nil {
		t.Fatalf("CreateMessages(%s): %v", id, err)
	}
	return deref(resp.ErrorCode)
}

func (f *osmFixture) upload(t testing.TB, c *osm.OsmClient, name, from string, data []byte) (string, *model.UploadJsonAccessoriesResponse) {
	t.Helper()
	fromEnum := model.GetAccessoryJsonFormatReqAccessoryFromEnum().INCIDENT
	if from == "message" {
		fromEnum = model.GetAccessoryJsonFormatReqAccessoryFromEnum().MESSAGE
	}
	resp, err := c.UploadJsonAccessories(&model.UploadJsonAccessoriesRequest{Body: &model.AccessoryJsonFormatReq{
		AccessoryName: name, AccessoryFrom: fromEnum, AccessoryData: base64.StdEncoding.EncodeToString(data),
	}})
	if err != nil {
		t.Fatalf("UploadJsonAccessories: %v", err)
	}
	return deref(resp.AccessoryId), resp
}

func TestOSMSeededTickets(t *testing.T) {
	f := newOSMFixture(t, KindTier1)

	list := f.cases(t, f.cc, nil)
	byStatus := map[int32]int{}
	for i, c := range list {
		byStatus[c.Status]++
		if c.CustomerId != f.cust.ID || !strings.HasPrefix(c.IncidentId, "TT") || len(c.IncidentId) != 16 || c.CreateTime == nil {
			t.Fatalf("ticket %+v", c)
		}
		if i > 0 && time.Time(*list[i-1].CreateTime).Before(time.Time(*c.CreateTime)) {
			t.Fatal("ListCases is not newest first")
		}
		if c.BusinessTypeName == "" || c.IncidentTypeName == "" || deref(c.ProductCategoryName) == "" {
			t.Fatalf("names missing: %+v", c)
		}
	}
	want := map[int32]int{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 17: 1}
	if fmt.Sprint(byStatus) != fmt.Sprint(want) {
		t.Fatalf("customer's tickets by status %v, want %v", byStatus, want)
	}
	deleted := f.cases(t, f.cc, &model.ListCasesRequest{Status: ptr(int32(13))})
	if len(deleted) != 1 {
		t.Fatalf("deleted tickets: %d", len(deleted))
	}

	// The partner's own credential sees only the partner's tickets.
	own := f.cases(t, f.pc, nil)
	if len(own) != 2 {
		t.Fatalf("partner sees %d tickets", len(own))
	}
	for _, c := range own {
		if c.CustomerId != f.partner.ID {
			t.Fatalf("partner sees %+v", c)
		}
	}
	// … and not the customer's, by id.
	resp, err := f.pc.ShowCaseDetail(&model.ShowCaseDetailRequest{CaseId: list[0].IncidentId})
	if err != nil || resp.IncidentDetailInfo != nil {
		t.Fatalf("partner reads its customer's ticket: %v %+v", err, resp)
	}
	// Another partner's customer does not see them either.
	other := partnerOf(f.m, KindProvider)
	oc := osmTokenClient(t, f.srv.URL, customerToken(t, f.srv.URL, other, showcaseOf(f.m, other.ID).ID))
	for _, c := range f.cases(t, oc, nil) {
		for _, mine := range list {
			if c.IncidentId == mine.IncidentId {
				t.Fatal("a ticket leaked to another customer")
			}
		}
	}

	// Details: messages of both sides with ids, an attachment, unread.
	var feedback model.IncidentInfoV2
	for _, c := range list {
		if c.Status == 17 {
			feedback = c
		}
	}
	d := f.detail(t, f.cc, feedback.IncidentId)
	if len(d.MessageList) != 2 || deref(d.MessageList[0].Type) != 0 || deref(d.MessageList[1].Type) != 1 ||
		deref(d.MessageList[0].IsFirstMessage) != 1 || deref(d.MessageList[0].MessageId) == "" {
		t.Fatalf("messages %+v", d.MessageList)
	}
	if acc := *d.MessageList[0].AccessoryList; len(acc) != 1 || *acc[0].FileActualName != "ssh-timeout.png" {
		t.Fatalf("attachment %+v", acc)
	}
	if deref(d.SeverityName) == "" || d.DcName == "" || d.ExtInfo == nil || deref(d.ExtInfo.RemindMobile) == "" {
		t.Fatalf("detail %+v", d)
	}
	if u := f.unread(t, f.cc, feedback.IncidentId); deref(u[feedback.IncidentId].UnreadNum) != 1 {
		t.Fatalf("unread %+v", u)
	}
	for _, c := range list {
		if c.Status == 3 {
			d := f.detail(t, f.cc, c.IncidentId)
			if len(d.IncidentSatisfaction) != 4 || d.Judgement == "" || d.ResolveTime == nil || c.ConfirmedTime == nil {
				t.Fatalf("rated ticket %+v", d)
			}
		}
	}

	// Created by the partner's agency user: xcustomer is that user.
	agency := f.cases(t, f.cc, &model.ListCasesRequest{XCustomerName: ptr(list[0].CustomerId)})
	if len(agency) != 0 {
		t.Fatalf("x_customer_name is the IAM user's name, not the account id: %d", len(agency))
	}
	var agencyUser string
	for _, c := range list {
		if strings.Contains(deref(c.XcustomerName), "/"+f.partner.AgencyName) {
			agencyUser = deref(c.XcustomerId)
		}
	}
	if agencyUser == "" || len(f.cases(t, f.cc, &model.ListCasesRequest{XCustomerId: &agencyUser})) != 2 {
		t.Fatalf("tickets of the agency user %q", agencyUser)
	}
}

func TestOSMSeedDeterministic(t *testing.T) {
	epoch := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dump := func(seed int64) string {
		sb, err := New(Options{Seed: seed, Customers: 40, Epoch: epoch})
		if err != nil {
			t.Fatal(err)
		}
		st := sb.state
		var ids []string
		for id := range st.osm.tickets {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var b strings.Builder
		for _, id := range ids {
			tk := *st.osm.tickets[id]
			tk.ReplyAt = time.Time{} // due relative to the start
			j, _ := json.Marshal(tk)
			b.Write(j)
		}
		var acc []string
		for id, a := range st.osm.accessories {
			acc = append(acc, id+a.Name)
		}
		sort.Strings(acc)
		return b.String() + strings.Join(acc, ",")
	}
	a, b, c := dump(3), dump(3), dump(4)
	if a != b {
		t.Fatal("same seed, different tickets")
	}
	if a == c {
		t.Fatal("different seeds, same tickets")
	}
	sb, _ := New(Options{Seed: 3, Customers: 40, Epoch: epoch})
	if n := len(sb.state.osm.tickets); n != 4*9 {
		t.Fatalf("%d seeded tickets", n)
	}
}

// TestOSMLifecycle walks a ticket through the engineer's answers, the
// unread flow and the submitter's actions, and the polling cursor.
func TestOSMLifecycle(t *testing.T) {
	f := newOSMFixture(t, KindProvider)
	catID, btID := f.businessType(t, "ECS", "5")
	shot, _ := f.upload(t, f.cc, "error.png", "incident", seedPNG)
	id := f.create(t, f.cc, &model.CreateOrderIncidentV2Req{
		BusinessTypeId: btID, ProductCategoryId: &catID, SimpleDescription: "Instance does not boot after resize",
		SourceId: osmSourceID, RegionId: ptr("cn-north-4"), SeverityId: ptr("1"), AccessoryIds: &[]string{shot},
		RemindTime: ptr("09:00-18:00"), ExtendsMap: map[string]interface{}{"instance_id": "i-123", "port": 22, "os_type": "Linux"},
	})
	if got := f.status(t, f.cc, id); got != 0 {
		t.Fatalf("new ticket status %d", got)
	}
	if l := f.cases(t, f.cc, &model.ListCasesRequest{IncidentId: &id}); len(l) != 1 || l[0].DcName == "" {
		t.Fatalf("list by id %+v", l)
	}
	d := f.detail(t, f.cc, id)
	if len(d.MessageList) != 1 || *(*d.MessageList[0].AccessoryList)[0].AccessoryId != shot || deref(d.SeverityName) == "" {
		t.Fatalf("detail %+v", d)
	}
	cur, err := f.cc.ListNewInstantMessages(&model.ListNewInstantMessagesRequest{CaseIds: []string{id}})
	if err != nil || len(*cur.Immsg) != 1 || len(*(*cur.Immsg)[0].MessageList) != 1 {
		t.Fatalf("first poll %v %+v", err, cur)
	}
	cursor := cur.LastMessageTimeId

	// Before the delay: no answer.
	f.clock.Advance(testReplyDelay - time.Second)
	if u := f.unread(t, f.cc, id); deref(u[id].UnreadNum) != 0 || deref(u[id].Status) != 0 {
		t.Fatalf("early answer %+v", u[id])
	}
	// After it: the engineer asks for details (17), one unread.
	f.clock.Advance(2 * time.Second)
	if u := f.unread(t, f.cc, id); deref(u[id].UnreadNum) != 1 || deref(u[id].Status) != 17 {
		t.Fatalf("after the delay %+v", u[id])
	}
	poll, err := f.cc.ListNewInstantMessages(&model.ListNewInstantMessagesRequest{CaseIds: []string{id}, LastMessageTimeId: cursor})
	if err != nil || len(*poll.Immsg) != 1 || len(*(*poll.Immsg)[0].MessageList) != 1 || deref((*poll.Imstatus)[0].Status) != 17 {
		t.Fatalf("poll %v %+v", err, poll)
	}
	m := (*(*poll.Immsg)[0].MessageList)[0]
	if deref(m.Type) != 1 || deref(m.ReplierType) != 1 || !strings.Contains(deref(m.Content), id) {
		t.Fatalf("engineer message %+v", m)
	}
	again, _ := f.cc.ListNewInstantMessages(&model.ListNewInstantMessagesRequest{CaseIds: []string{id}, LastMessageTimeId: poll.LastMessageTimeId})
	if len(*again.Immsg) != 0 || deref(again.LastMessageTimeId) != deref(poll.LastMessageTimeId) {
		t.Fatalf("poll after the cursor %+v", again)
	}
	msgs, err := f.cc.ListMessages(&model.ListMessagesRequest{CaseId: id})
	if err != nil || deref(msgs.Count) != 2 || deref((*msgs.MessageList)[1].Type) != 1 {
		t.Fatalf("ListMessages %v %+v", err, msgs)
	}

	// Read, then answer with a log: back to 1, the engineer answers → 2.
	rr, err := f.cc.UpdateNewInstantMessagesRead(&model.UpdateNewInstantMessagesReadRequest{CaseId: id})
	wantE(t, err, rr.ErrorCode, "")
	if u := f.unread(t, f.cc, id); deref(u[id].UnreadNum) != 0 {
		t.Fatal("mark read did not zero the count")
	}
	logID, _ := f.upload(t, f.cc, "boot.log", "message", []byte("kernel panic"))
	if code := f.post(t, f.cc, id, "Boot log attached.", logID); code != "" {
		t.Fatal(code)
	}
	if s := f.status(t, f.cc, id); s != 1 {
		t.Fatalf("after the submitter's message: %d", s)
	}
	f.clock.Advance(testReplyDelay + time.Second)
	if u := f.unread(t, f.cc, id); deref(u[id].UnreadNum) != 1 || deref(u[id].Status) != 2 {
		t.Fatalf("second answer %+v", u[id])
	}
	if l := f.cases(t, f.cc, &model.ListCasesRequest{IncidentId: &id}); deref(l[0].Resolution) == "" {
		t.Fatal("no resolution after the solution")
	}

	// Close with a rating; rating again is refused; delete.
	resp, err := f.cc.UpdateCases(&model.UpdateCasesRequest{CaseId: id, ActionId: "close", Body: &model.WorkOrderOperateV2Req{
		Judgement: ptr("Solved."), IncidentSatisfactionList: &[]model.IncidentSatisfactionV2Do{{SatisfactionId: 1, SatisfactionValue: 5}, {SatisfactionId: 3, SatisfactionValue: 4}},
	}})
	wantE(t, err, resp.ErrorCode, "")
	d = f.detail(t, f.cc, id)
	if d.Status != 3 || d.Judgement != "Solved." || len(d.IncidentSatisfaction) != 2 || d.ResolveTime == nil {
		t.Fatalf("closed %+v", d)
	}
	sc, err := f.cc.CreateScores(&model.CreateScoresRequest{CaseId: id, Body: &model.CreateScoreV2Req{
		Judgement: "again", IncidentSatisfactionList: []model.IncidentSatisfactionV2Do{{SatisfactionId: 4, SatisfactionValue: 5}},
	}})
	wantE(t, err, sc.ErrorCode, "OSM.01010002")
	if code := f.action(t, f.cc, id, "delete"); code != "" {
		t.Fatal(code)
	}
	if l := f.cases(t, f.cc, &model.ListCasesRequest{IncidentId: &id}); len(l) != 0 {
		t.Fatal("a deleted ticket is listed")
	}
	if s := f.status(t, f.cc, id); s != 13 {
		t.Fatalf("deleted status %d", s)
	}
	logs, err := f.cc.ListCaseOperateLogs(&model.ListCaseOperateLogsRequest{CaseId: id, Limit: ptr(int32(100))})
	if err != nil || deref(logs.TotalCount) != 6 { // create, answer, message, answer, close, delete
		t.Fatalf("operate logs %v %+v", err, logs)
	}
	for _, l := range *logs.IncidentOperateLogList {
		if l.TimestampOperateTime == nil || len(deref(l.OperateTime)) != 19 {
			t.Fatalf("log %+v", l)
		}
	}
	counts, err := f.cc.ListCaseCounts(&model.ListCaseCountsRequest{Status: ptr(int32(13))})
	if err != nil || len(*counts.IncidentStatusCounts) != 1 || deref((*counts.IncidentStatusCounts)[0].Count) != 2 {
		t.Fatalf("deleted count %v %+v", err, counts)
	}
}

// TestOSMActionsPerStatus checks every UpdateCases action in every status
// the submitter can reach, the press rate limit and CreateScores.
func TestOSMActionsPerStatus(t *testing.T) {
	f := newOSMFixture(t, KindTier2)
	mk := func() string { return f.create(t, f.cc, f.consultCase(t, "status machine")) }

	id := mk() // 0
	for action, want := range map[string]string{"close": "OSM.01010002", "delete": "OSM.01010002", "reopen": "OSM.01010013", "": "OSM.01010013"} {
		if got := f.action(t, f.cc, id, action); got != want {
			t.Errorf("%q on a submitted ticket: %q, want %q", action, got, want)
		}
	}
	if got := f.action(t, f.cc, id, "press"); got != "" {
		t.Fatalf("press: %s", got)
	}
	if got := f.action(t, f.cc, id, "press"); got != "OSM.01010004" {
		t.Fatalf("second press: %q", got)
	}
	if got := f.action(t, f.cc, id, "cancel"); got != "" || f.status(t, f.cc, id) != 4 {
		t.Fatalf("cancel: %q", got)
	}
	for _, action := range []string{"press", "cancel", "close"} {
		if got := f.action(t, f.cc, id, action); got != "OSM.01010002" {
			t.Errorf("%s on a cancelled ticket: %q", action, got)
		}
	}
	if code := f.post(t, f.cc, id, "hello?"); code != "OSM.01010002" {
		t.Errorf("message on a cancelled ticket: %q", code)
	}
	if got := f.action(t, f.cc, id, "delete"); got != "" {
		t.Fatalf("delete cancelled: %q", got)
	}
	for _, action := range []string{"press", "cancel", "close", "delete"} {
		if got := f.action(t, f.cc, id, action); got != "OSM.01010002" {
			t.Errorf("%s on a deleted ticket: %q", action, got)
		}
	}
	if got := f.action(t, f.cc, "TT2000010100000", "cancel"); got != "OSM.01010015" {
		t.Errorf("unknown ticket: %q", got)
	}

	// 17 after the first answer: press yes, cancel and close no.
	id = mk()
	sc, err := f.cc.CreateScores(&model.CreateScoresRequest{CaseId: id, Body: &model.CreateScoreV2Req{
		IncidentSatisfactionList: []model.IncidentSatisfactionV2Do{{SatisfactionId: 1, SatisfactionValue: 5}},
	}})
	wantE(t, err, sc.ErrorCode, "OSM.01010002") // not completed
	f.clock.Advance(testReplyDelay + time.Second)
	if s := f.status(t, f.cc, id); s != 17 {
		t.Fatalf("status %d", s)
	}
	for action, want := range map[string]string{"cancel": "OSM.01010002", "close": "OSM.01010002", "delete": "OSM.01010002", "press": ""} {
		if got := f.action(t, f.cc, id, action); got != want {
			t.Errorf("%s on 17: %q, want %q", action, got, want)
		}
	}
	// 1 after the submitter's message: close allowed.
	f.post(t, f.cc, id, "details")
	if got := f.action(t, f.cc, id, "cancel"); got != "OSM.01010002" {
		t.Errorf("cancel on 1: %q", got)
	}
	if got := f.action(t, f.cc, id, "press"); got != "OSM.01010004" {
		t.Errorf("press within the hour: %q", got)
	}
	if got := f.action(t, f.cc, id, "close"); got != "" {
		t.Fatalf("close on 1: %q", got)
	}
	// The pending answer was dropped with the close.
	f.clock.Advance(testReplyDelay + time.Second)
	if d := f.detail(t, f.cc, id); d.Status != 3 || len(d.MessageList) != 3 {
		t.Fatalf("closed ticket changed: %d, %d messages", d.Status, len(d.MessageList))
	}
	bad, err := f.cc.CreateScores(&model.CreateScoresRequest{CaseId: id, Body: &model.CreateScoreV2Req{
		IncidentSatisfactionList: []model.IncidentSatisfactionV2Do{{SatisfactionId: 9, SatisfactionValue: 5}},
	}})
	wantE(t, err, bad.ErrorCode, "OSM.01010001")
	sc, err = f.cc.CreateScores(&model.CreateScoresRequest{CaseId: id, Body: &model.CreateScoreV2Req{
		Judgement: "ok", IncidentSatisfactionList: []model.IncidentSatisfactionV2Do{{SatisfactionId: 1, SatisfactionValue: 5}, {SatisfactionId: 2, SatisfactionValue: 3}},
	}})
	wantE(t, err, sc.ErrorCode, "")
	if d := f.detail(t, f.cc, id); len(d.IncidentSatisfaction) != 2 || deref(d.IncidentSatisfaction[1].SatisfactionName) == "" {
		t.Fatalf("scores %+v", d.IncidentSatisfaction)
	}

	// Press again after the hour (token clients carry no signature date).
	id = mk()
	f.action(t, f.cc, id, "press")
	f.clock.Advance(pressInterval + time.Minute)
	if got := f.action(t, f.cc, id, "press"); got != "" {
		t.Fatalf("press after an hour: %q", got)
	}
}

// TestOSMCreateValidation checks CreateCases' rules and how its business
// errors reach the SDK (a 200 without incident_id).
func TestOSMCreateValidation(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	catID, fault := f.businessType(t, "ECS", "5")
	_, rdsFault := f.businessType(t, "RDS", "5")
	good := func() *model.CreateOrderIncidentV2Req {
		return &model.CreateOrderIncidentV2Req{BusinessTypeId: fault, SimpleDescription: "x", SourceId: osmSourceID,
			RegionId: ptr("cn-north-4"), ExtendsMap: map[string]interface{}{"instance_id": "i-1"}}
	}
	msgAcc, _ := f.upload(t, f.cc, "m.txt", "message", []byte("m"))
	partnerAcc, _ := f.upload(t, f.pc, "p.txt", "incident", []byte("p"))
	var six []string
	for i := 0; i < 6; i++ {
		id, _ := f.upload(t, f.cc, fmt.Sprintf("f%d.txt", i), "incident", []byte("x"))
		six = append(six, id)
	}
	for name, tc := range map[string]struct {
		edit func(*model.CreateOrderIncidentV2Req)
		code string
	}{
		"UnknownBusinessType": {func(r *model.CreateOrderIncidentV2Req) { r.BusinessTypeId = "nope" }, "OSM.01010001"},
		"WrongSource":         {func(r *model.CreateOrderIncidentV2Req) { r.SourceId = "abc" }, "OSM.01010001"},
		"EmptyDescription":    {func(r *model.CreateOrderIncidentV2Req) { r.SimpleDescription = " " }, "OSM.01010001"},
		"LongDescription":     {func(r *model.CreateOrderIncidentV2Req) { r.SimpleDescription = strings.Repeat("长", 1201) }, "OSM.01010001"},
		"FaultWithoutRegion":  {func(r *model.CreateOrderIncidentV2Req) { r.RegionId = nil }, "OSM.01010001"},
		"UnknownRegion":       {func(r *model.CreateOrderIncidentV2Req) { r.RegionId = ptr("mars-1") }, "OSM.01010001"},
		"OtherCategory":       {func(r *model.CreateOrderIncidentV2Req) { r.BusinessTypeId = rdsFault; r.ProductCategoryId = &catID }, "OSM.01010001"},
		"UnknownSeverity":     {func(r *model.CreateOrderIncidentV2Req) { r.SeverityId = ptr("9") }, "OSM.01010006"},
		"MissingExtends":      {func(r *model.CreateOrderIncidentV2Req) { r.ExtendsMap = nil }, "OSM.01010001"},
		"BadSelect":           {func(r *model.CreateOrderIncidentV2Req) { r.ExtendsMap["os_type"] = "BeOS" }, "OSM.01010001"},
		"PortOutOfRange":      {func(r *model.CreateOrderIncidentV2Req) { r.ExtendsMap["port"] = 70000 }, "OSM.01010001"},
		"BadRemindTime":       {func(r *model.CreateOrderIncidentV2Req) { r.RemindTime = ptr("9-18") }, "OSM.01010001"},
		"BadMail":             {func(r *model.CreateOrderIncidentV2Req) { r.RemindMail = ptr("nope") }, "OSM.01010001"},
		"UnverifiedMobile":    {func(r *model.CreateOrderIncidentV2Req) { r.RemindMobile = ptr("13900001111") }, "OSM.01010010"},
		"UnverifiedMail":      {func(r *model.CreateOrderIncidentV2Req) { r.RemindMail = ptr("ops@elsewhere.example") }, "OSM.01010010"},
		"SixAccessories":      {func(r *model.CreateOrderIncidentV2Req) { r.AccessoryIds = &six }, "OSM.01010001"},
		"MessageAccessory":    {func(r *model.CreateOrderIncidentV2Req) { r.AccessoryIds = &[]string{msgAcc} }, "OSM.01010001"},
		"OthersAccessory":     {func(r *model.CreateOrderIncidentV2Req) { r.AccessoryIds = &[]string{partnerAcc} }, "OSM.01010001"},
	} {
		t.Run(name, func(t *testing.T) {
			body := good()
			tc.edit(body)
			resp, err := f.cc.CreateCases(&model.CreateCasesRequest{Body: body})
			if err != nil || resp.IncidentId != nil || resp.HttpStatusCode != 200 {
				t.Fatalf("the SDK should see a 200 without incident_id: %v %+v", err, resp)
			}
			status, raw := f.osmRaw(t, f.ctoken, http.MethodPost, "/v2/servicerequest/cases", body)
			wantBusiness(t, status, raw, tc.code)
		})
	}
	// The registered mobile and e-mail need no verification.
	body := good()
	var mobile, mail string
	f.sb.state.mu.Lock()
	cu := f.sb.state.customerByID[f.cust.ID]
	mobile, mail = nationalMobile(cu.Telephone), cu.Email
	f.sb.state.mu.Unlock()
	body.RemindMobile, body.RemindMail, body.AreaCode = &mobile, &mail, ptr("86")
	f.create(t, f.cc, body)

	// A body that is not JSON is a real 400.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/v2/servicerequest/cases", strings.NewReader("{"))
	req.Header.Set("X-Auth-Token", f.ctoken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("bad JSON: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
	_, err = f.cc.ListCases(&model.ListCasesRequest{Limit: ptr(int32(101))})
	wantErr(t, err, 400, "OSM.0001")
	_, err = f.cc.ListCases(&model.ListCasesRequest{Status: ptr(int32(31))})
	wantErr(t, err, 400, "OSM.0001")
	lr, err := f.cc.ListCases(&model.ListCasesRequest{SearchKey: &[]string{"a", "b", "c", "d"}})
	if err != nil || lr.IncidentInfoList != nil {
		t.Fatalf("4 search keys: %v %+v", err, lr)
	}
}

func TestOSMQuota(t *testing.T) {
	f := newOSMFixture(t, KindProvider)
	_, bt := f.businessType(t, "OBS", "0")
	q, err := f.pc.ListCaseQuotas(&model.ListCaseQuotasRequest{BusinessTypeId: bt})
	if err != nil || deref(q.Total) != 30 {
		t.Fatalf("quota %v %+v", err, q)
	}
	for i := int32(0); i < deref(q.UnUsed); i++ {
		f.create(t, f.pc, f.consultCase(t, fmt.Sprintf("quota %d", i)))
	}
	q, _ = f.pc.ListCaseQuotas(&model.ListCaseQuotasRequest{BusinessTypeId: bt})
	if deref(q.UnUsed) != 0 {
		t.Fatalf("un_used %d", deref(q.UnUsed))
	}
	resp, err := f.pc.CreateCases(&model.CreateCasesRequest{Body: f.consultCase(t, "one too many")})
	if err != nil || resp.IncidentId != nil {
		t.Fatalf("over quota: %v %+v", err, resp)
	}
	// The customer's quota is its own.
	f.create(t, f.cc, f.consultCase(t, "customer"))
	q, err = f.pc.ListCaseQuotas(&model.ListCaseQuotasRequest{BusinessTypeId: "nope"})
	if err != nil || q.Total != nil {
		t.Fatalf("unknown business type: %v %+v", err, q)
	}
}

func TestOSMIdentities(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	// A partner token (password login) is the partner, like its AK/SK.
	ptc := osmTokenClient(t, f.srv.URL, partnerToken(t, f.srv.URL, f.partner))
	id := f.create(t, ptc, f.consultCase(t, "from the partner token"))
	if d := f.detail(t, f.pc, id); d.CustomerId != f.partner.ID || deref(d.XcustomerId) != f.partner.ID {
		t.Fatalf("partner ticket %+v", d)
	}
	// A tier-1 in a tier-2's customer: the customer owns it, created by
	// the tier-1's agency user.
	var t2 ManifestPartner
	for _, p := range f.m.Partners {
		if p.Kind == KindTier2 {
			t2 = p
			break
		}
	}
	rc := showcaseOf(f.m, t2.ID)
	viaTier1 := osmTokenClient(t, f.srv.URL, customerToken(t, f.srv.URL, f.partner, rc.ID))
	id = f.create(t, viaTier1, f.consultCase(t, "for the reseller's customer"))
	viaTier2 := osmTokenClient(t, f.srv.URL, customerToken(t, f.srv.URL, t2, rc.ID))
	d := f.detail(t, viaTier2, id)
	if d.CustomerId != rc.ID || !strings.HasPrefix(deref(d.XcustomerId), f.partner.ID+"-") {
		t.Fatalf("reseller customer's ticket %+v", d)
	}
	if r, _ := f.cc.ShowCaseStatus(&model.ShowCaseStatusRequest{CaseId: id}); r.Status != nil {
		t.Fatal("another customer reads the ticket")
	}
	// Partners have the processing privilege, customers do not.
	pp, err := f.pc.ShowPartnersCasesPrivilege(&model.ShowPartnersCasesPrivilegeRequest{})
	cp, err2 := f.cc.ShowPartnersCasesPrivilege(&model.ShowPartnersCasesPrivilegeRequest{})
	if err != nil || err2 != nil || !deref(pp.HasPrivilege) || deref(cp.HasPrivilege) {
		t.Fatalf("privilege %v %v %+v %+v", err, err2, pp, cp)
	}
}

// TestOSMConcurrency posts messages and races actions from many goroutines
// (run with -race): every message lands once with its own id and cursor,
// exactly one close of a ticket wins.
func TestOSMConcurrency(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	chat := f.create(t, f.cc, f.consultCase(t, "chat"))
	race := f.create(t, f.cc, f.consultCase(t, "race"))
	// Make race closable: the engineer's first answer (→ 17), then the
	// submitter's message (→ 1).
	f.clock.Advance(testReplyDelay + time.Second)
	f.post(t, f.cc, race, "details")
	if s := f.status(t, f.cc, race); s != 1 {
		t.Fatalf("race ticket in status %d", s)
	}
	const workers, each = 12, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	closed, refused := 0, 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if code := f.post(t, f.cc, chat, fmt.Sprintf("w%d-%d", w, i)); code != "" {
					t.Errorf("post: %s", code)
				}
				f.unread(t, f.cc, chat, race)
			}
			code := f.action(t, f.cc, race, "close")
			mu.Lock()
			if code == "" {
				closed++
			} else if code == "OSM.01010002" {
				refused++
			}
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	if closed != 1 || refused != workers-1 {
		t.Fatalf("close: %d won, %d refused", closed, refused)
	}
	msgs, err := f.cc.ListMessages(&model.ListMessagesRequest{CaseId: chat, Limit: ptr(int32(100))})
	if err != nil {
		t.Fatal(err)
	}
	// The description, the engineer's answer to it, and every message.
	if n := deref(msgs.Count); n != 2+workers*each {
		t.Fatalf("%d messages, want %d", n, 2+workers*each)
	}
	d := f.detail(t, f.cc, chat)
	seen := map[string]bool{}
	for _, m := range d.MessageList {
		if seen[*m.MessageId] {
			t.Fatalf("duplicate message id %s", *m.MessageId)
		}
		seen[*m.MessageId] = true
	}
	f.sb.state.mu.Lock()
	defer f.sb.state.mu.Unlock()
	tk := f.sb.state.osm.tickets[chat]
	for i := 1; i < len(tk.Messages); i++ {
		if tk.Messages[i].Seq <= tk.Messages[i-1].Seq {
			t.Fatalf("cursor order broken at %d", i)
		}
	}
}

func TestOSMStatsAndFaults(t *testing.T) {
	f := newOSMFixture(t, KindTier1)
	ids := []string{}
	for _, c := range f.cases(t, f.cc, nil) {
		ids = append(ids, c.IncidentId)
	}
	f.sb.ResetStats()
	f.cases(t, f.cc, nil)
	f.cases(t, f.pc, nil)
	f.unread(t, f.cc, ids...)
	st := f.sb.Stats()
	if st["ListCases"] != 2 || st["ListUnreadNewInstantMessages"] != 1 {
		t.Fatalf("stats %v", st)
	}
	f.sb.faults.set([]*Fault{{Operation: "ListCases", Status: 503, Code: "OSM.0004", Count: 1}})
	_, err := f.cc.ListCases(&model.ListCasesRequest{})
	wantErr(t, err, 503, "OSM.0004")
	f.cases(t, f.cc, nil) // the rule is spent
	// The reply is lost, the ticket exists.
	f.sb.faults.set([]*Fault{{Operation: "CreateCases", Drop: true, After: true, Count: 1}})
	if _, err := f.cc.CreateCases(&model.CreateCasesRequest{Body: f.consultCase(t, "lost reply")}); err == nil {
		t.Fatal("the dropped reply reached the client")
	}
	found := false
	for _, c := range f.cases(t, f.cc, nil) {
		found = found || c.SimpleDescription == "lost reply"
	}
	if !found {
		t.Fatal("the ticket of the lost reply does not exist")
	}
}

// BenchmarkListCases100 lists a page of 100 tickets (of 300) through the
// SDK with the partner's AK/SK.
func BenchmarkListCases100(b *testing.B) {
	sb, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 60})
	p := partnerOf(m, KindTier1)
	benchTickets(sb, p.ID, 300)
	c := osmClient(b, srv.URL, p)
	req := &model.ListCasesRequest{Limit: ptr(int32(100)), Offset: ptr(int32(100))}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.ListCases(req)
		if err != nil || len(*resp.IncidentInfoList) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkListUnreadNewInstantMessages100 asks the unread counts of 100
// tickets in one call.
func BenchmarkListUnreadNewInstantMessages100(b *testing.B) {
	sb, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 60})
	p := partnerOf(m, KindTier1)
	ids := benchTickets(sb, p.ID, 300)[:100]
	c := osmClient(b, srv.URL, p)
	req := &model.ListUnreadNewInstantMessagesRequest{CaseIds: ids}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.ListUnreadNewInstantMessages(req)
		if err != nil || len(*resp.Imunread) != 100 {
			b.Fatal(err)
		}
	}
}

// benchTickets gives owner n answered tickets of three messages.
func benchTickets(sb *Sandbox, owner string, n int) []string {
	st := sb.state
	st.mu.Lock()
	defer st.mu.Unlock()
	ts := &ticketSeeder{st: st, o: st.osm}
	bt := seedBusinessType("ECS", "fault")
	var ids []string
	for i := 0; i < n; i++ {
		at := st.epoch.Add(-time.Duration(n-i) * time.Minute)
		tk := ts.ticket(owner, owner, "bench", bt, "cn-north-4", "3", fmt.Sprintf("benchmark ticket %d", i), at)
		ts.engineer(tk, caseFeedback, "please send details", at.Add(time.Second))
		ts.reply(tk, owner, "bench", "details", at.Add(2*time.Second))
		ids = append(ids, tk.ID)
	}
	return ids
}
