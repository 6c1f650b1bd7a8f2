package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdktime"
)

// OSM v2 service tickets (工单), as the SDK's services/osm/v2 client calls
// them (OSM-API.md). The owner of a ticket is the account behind the
// credential: a partner with its AK/SK or token sees and acts on its own
// tickets, a customer token (assume_role) on the customer's. No operation
// takes a partner-customer id, so a partner never sees its customers'
// tickets with its own credential.
//
// Files: tickets.go (routes, state, identity, errors, the engineer),
// tickets_cases.go (cases), tickets_messages.go (messages, unread),
// tickets_accessories.go (attachments), tickets_config.go (form data,
// agreements, privileges), tickets_contacts.go (contact verification),
// tickets_seed.go (the seeded tickets).
//
// Errors. OSM reports business errors with HTTP 200 and
// {"error_code":"OSM.0101xxxx","error_msg":"…"} (OSM-API.md §4): the SDK
// then returns success, with ErrorCode set on the responses that have it and
// the primary field nil on the others (e.g. CreateCasesResponse.IncidentId).
// A request that cannot be read — a body that is not JSON of the model's
// types, a numeric query or path parameter that is not a number or is out of
// its documented range (offset 0–65535, limit 0–100, status 0–30) — is a
// real 400 OSM.0001. Everything else invalid is 200 OSM.01010001.
//
// The simulated engineer. A new ticket, and the submitter's message on an
// open ticket without a pending answer, schedule an engineer answer
// Options.TicketReplyDelay later on the sandbox clock. It is applied lazily,
// at the time it was due, by the next OSM call: a new engineer message (type
// 1), one more unread message for the owner, and a status change — the first
// answer of a ticket (status 0) asks for details and moves it to 17 (待反馈),
// later answers give a solution and move it to 2 (待确认结果). The
// submitter's message moves 2 and 17 back to 1 (处理中).
//
// Status machine (OSM-API.md §3): UpdateCases action_id press (0, 1, 17; at
// most once an hour per ticket, else OSM.01010004), cancel (0 → 4), close
// (1, 2 → 3, optionally rated), delete (3, 4, 12 → 13, then hidden from
// lists unless status 13 is asked for); any other action_id → OSM.01010013;
// an action the ticket's status does not allow → OSM.01010002. Messages,
// contact changes and extends params need an open ticket (0, 1, 2, 5, 17);
// CreateScores needs 3 and rates once. An unknown ticket, or another
// account's, is OSM.01010015.

func (s *Sandbox) registerTicketsRoutes() {
	// Literal paths before the {case_id} / {accessory_id} ones they would
	// otherwise match.
	for _, r := range []struct {
		method, path, name string
		h                  handlerFunc
	}{
		{http.MethodGet, "/v2/servicerequest/config/categories", "ListCaseCategories", s.listCaseCategories},
		{http.MethodGet, "/v2/servicerequest/config/product-categories", "ListProductCategories", s.listProductCategories},
		{http.MethodGet, "/v2/servicerequest/config/problems", "ListProblemTypes", s.listProblemTypes},
		{http.MethodGet, "/v2/servicerequest/config/templates", "ListCaseTemplates", s.listCaseTemplates},
		{http.MethodGet, "/v2/servicerequest/config/severities", "ListSeverities", s.listSeverities},
		{http.MethodGet, "/v2/servicerequest/config/extends-map", "ListExtendsParams", s.listExtendsParams},
		{http.MethodGet, "/v2/servicerequest/config/regions", "ListRegions", s.listOSMRegions},
		{http.MethodGet, "/v2/servicerequest/config/area-codes", "ListAreaCodes", s.listAreaCodes},
		{http.MethodGet, "/v2/servicerequest/config/limits", "ListCaseLimits", s.listCaseLimits},
		{http.MethodGet, "/v2/servicerequest/config/satisfaction-dimensions", "ListSatisfactionDimensions", s.listSatisfactionDimensions},
		{http.MethodGet, "/v2/servicerequest/quotas", "ListCaseQuotas", s.listCaseQuotas},
		{http.MethodGet, "/v2/servicerequest/agreements/published-agreement", "ShowLatestPublishedAgreement", s.showLatestPublishedAgreement},
		{http.MethodGet, "/v2/servicerequest/agreements/signed-latest", "ShowSignedLatestPublishedAgreement", s.showSignedLatestPublishedAgreement},
		{http.MethodPost, "/v2/servicerequest/agreements/{id}/signed", "SignPublishedAgreement", s.signPublishedAgreement},
		{http.MethodGet, "/v2/servicerequest/privileges/privilege-policy", "ShowCustomerPrivilegePolicy", s.showCustomerPrivilegePolicy},
		{http.MethodGet, "/v2/servicerequest/privileges", "ListPrivileges", s.listPrivileges},
		{http.MethodGet, "/v2/servicerequest/cases/partners/privilege/cases-processing", "ShowPartnersCasesPrivilege", s.showPartnersCasesPrivilege},
		{http.MethodGet, "/v2/servicerequest/cases/partners/service-info", "ShowPartnersServiceInfo", s.showPartnersServiceInfo},

		{http.MethodGet, "/v2/servicerequest/verifycodes/need-verify", "CheckNeedVerify", s.checkNeedVerify},
		{http.MethodPost, "/v2/servicerequest/verifycodes/send", "SendVerifyCodes", s.sendVerifyCodes},
		{http.MethodPost, "/v2/servicerequest/verifycodes", "CheckVerifyCodes", s.checkVerifyCodes},
		{http.MethodGet, "/v2/servicerequest/verifycodes/has-verified", "ListHasVerifiedContacts", s.listHasVerifiedContacts},

		{http.MethodGet, "/v2/servicerequest/accessorys/limits", "ShowAccessoryLimits", s.showAccessoryLimits},
		{http.MethodGet, "/v2/servicerequest/accessorys/access-urls", "ListAccessoryAccessUrls", s.listAccessoryAccessURLs},
		{http.MethodPost, "/v2/servicerequest/accessorys/json-format-content", "UploadJsonAccessories", s.uploadJSONAccessories},
		{http.MethodPost, "/v2/servicerequest/accessorys", "UploadAccessory", s.uploadAccessory},
		{http.MethodGet, "/v2/servicerequest/accessorys/{accessory_id}/image", "DownloadImages", s.downloadImages},
		{http.MethodGet, "/v2/servicerequest/accessorys/{accessory_id}/access-url", "ShowDownloadAccessoryUrl", s.showDownloadAccessoryURL},
		{http.MethodDelete, "/v2/servicerequest/accessorys/{accessory_id}", "DeleteAccessories", s.deleteAccessories},

		{http.MethodGet, "/v2/servicerequest/cases/count", "ListCaseCounts", s.listCaseCounts},
		{http.MethodGet, "/v2/servicerequest/cases/export", "DownloadCases", s.downloadCases},
		{http.MethodGet, "/v2/servicerequest/cases/instant-messages/unread", "ListUnreadNewInstantMessages", s.listUnreadNewInstantMessages},
		{http.MethodGet, "/v2/servicerequest/cases/instant-messages", "ListNewInstantMessages", s.listNewInstantMessages},
		{http.MethodPost, "/v2/servicerequest/cases", "CreateCases", s.createCases},
		{http.MethodGet, "/v2/servicerequest/cases", "ListCases", s.listCases},
		{http.MethodGet, "/v2/servicerequest/cases/{case_id}", "ShowCaseDetail", s.showCaseDetail},
		{http.MethodGet, "/v2/servicerequest/cases/{case_id}/status", "ShowCaseStatus", s.showCaseStatus},
		{http.MethodPost, "/v2/servicerequest/cases/{case_id}/action", "UpdateCases", s.updateCases},
		{http.MethodPost, "/v2/servicerequest/cases/{case_id}/score", "CreateScores", s.createScores},
		{http.MethodPut, "/v2/servicerequest/cases/{case_id}/contact-info", "UpdateCaseContactInfo", s.updateCaseContactInfo},
		{http.MethodGet, "/v2/servicerequest/cases/{case_id}/extends-param", "ShowCaseExtendsParam", s.showCaseExtendsParam},
		{http.MethodPost, "/v2/servicerequest/cases/{case_id}/extends-param", "CreateCaseExtendsParam", s.createCaseExtendsParam},
		{http.MethodGet, "/v2/servicerequest/cases/{case_id}/operate-logs", "ListCaseOperateLogs", s.listCaseOperateLogs},
		{http.MethodPost, "/v2/servicerequest/cases/{case_id}/relations", "CreateRelations", s.createRelations},
		{http.MethodGet, "/v2/servicerequest/cases/{case_id}/relations", "ListRelation", s.listRelation},
		{http.MethodDelete, "/v2/servicerequest/cases/{case_id}/relations", "DeleteRelation", s.deleteRelation},
		{http.MethodGet, "/v2/servicerequest/cases/{case_id}/messages", "ListMessages", s.listMessages},
		{http.MethodPost, "/v2/servicerequest/cases/{case_id}/message", "CreateMessages", s.createMessages},
		{http.MethodGet, "/v2/servicerequest/cases/{case_id}/instant-messages/more", "ListMoreInstantMessages", s.listMoreInstantMessages},
		{http.MethodPost, "/v2/servicerequest/cases/{case_id}/instant-messages/unread", "UpdateNewInstantMessagesRead", s.updateNewInstantMessagesRead},
		{http.MethodPost, "/v2/servicerequest/cases/{case_id}/instant-messages/{message_id}/withdraw", "RevokeMessage", s.revokeMessage},
	} {
		s.handle(r.method, r.path, r.name, callerAny, osmHandler(r.h))
	}
	// Authenticated like the others, or by the signature of a URL from
	// ShowDownloadAccessoryUrl (checked in the handler).
	s.handle(http.MethodGet, "/v2/servicerequest/accessorys/{accessory_id}", "DownloadAccessories", callerNone, osmHandler(s.downloadAccessories))
}

// Ticket statuses (OSM-API.md §3).
const (
	caseSubmitted = 0  // 待受理
	caseHandling  = 1  // 处理中
	caseToConfirm = 2  // 待确认结果
	caseCompleted = 3  // 已完成
	caseCancelled = 4  // 已撤销
	caseSuspended = 5  // 暂停
	caseInvalid   = 12 // 无效
	caseDeleted   = 13 // 已删除
	caseFeedback  = 17 // 待反馈
)

// caseOpen reports the statuses in which the submitter may still write.
func caseOpen(status int32) bool {
	switch status {
	case caseSubmitted, caseHandling, caseToConfirm, caseSuspended, caseFeedback:
		return true
	}
	return false
}

const (
	osmSourceID       = "83aeb0f2834c4df49826c781d32a963e" // CreateCases source_id, fixed upstream
	pressInterval     = time.Hour                          // one press (催单) per ticket per hour
	monthlyCaseQuota  = 30                                 // tickets per account per calendar month (UTC)
	maxDescription    = 1200                               // simple_description, message content (characters)
	maxCaseIDs        = 100                                // case_ids of the instant-message batch calls
	maxRelations      = 3                                  // related tickets per ticket
	revokeWindow      = 2 * time.Minute                    // RevokeMessage: own messages this young
	accessoryURLValid = 5 * time.Minute                    // ShowDownloadAccessoryUrl
)

// osmState is the OSM part of State, guarded by State.mu.
type osmState struct {
	tickets     map[string]*Ticket   // by incident id
	byOwner     map[string][]*Ticket // owner account id → its tickets by creation time
	accessories map[string]*Accessory
	pending     []*Ticket // tickets with an engineer answer due
	ticketSeq   int       // incident id sequence
	msgSeq      int64     // message sequence: the last_message_time_id cursor
	uploads     map[string]*dailyUpload
	contacts    map[string][]*VerifiedContact // owner → verified contacts
	signed      map[string]map[string]int32   // owner → agreement type → signed record id
	signSeq     int32
	urlKey      []byte // HMAC key of accessory URLs
}

// Ticket is one service ticket (incident).
type Ticket struct {
	ID             string
	OwnerID        string // the account (domain) that owns it: partner or customer
	CreatorID      string // the IAM user who submitted it (xcustomer_id)
	CreatorName    string // xcustomer_name
	Status         int32
	SubTypeID      string
	CategoryID     string
	BusinessTypeID string
	RegionID       string
	SeverityID     string
	Description    string
	SourceName     string
	ProjectID      string
	Created        time.Time
	Confirmed      time.Time // completed (status 3)
	AreaCode       string
	RemindMobile   string
	RemindMail     string
	RemindTime     string
	Extends        map[string]string // extends_map, values as strings
	Messages       []*TicketMessage  // oldest first; the first is the description
	Unread         int32             // engineer messages the owner has not read
	ReplyAt        time.Time         // when the engineer answers; zero: no answer pending
	Answers        int               // engineer answers so far
	Engineer       int               // index into osmEngineers
	LastPress      time.Time
	Judgement      string
	Scores         []CaseScore
	Rated          bool
	Resolution     string
	RootCause      string
	Relations      []string
	Logs           []*CaseLog
}

// TicketMessage is one message (留言) of a ticket.
type TicketMessage struct {
	ID          string
	Seq         int64 // global order (ListNewInstantMessages cursor)
	Type        int32 // 0 submitter side, 1 Huawei engineer
	ReplierID   string
	ReplierName string
	Content     string
	Created     time.Time
	First       bool     // the ticket's description
	Accessories []string // accessory ids
}

// CaseScore is one satisfaction score of a rated ticket.
type CaseScore struct {
	ID    int32
	Value int32
}

// CaseLog is one entry of a ticket's operation log.
type CaseLog struct {
	ID           string
	Type         int32 // osmLog*
	OperatorType int32 // 0 submitter, 1 Huawei engineer
	OperatorID   string
	OperatorName string
	Desc         string
	Time         time.Time
}

// Operation log types (operate_type), a sandbox numbering.
const (
	osmLogCreate   = 0
	osmLogPress    = 1
	osmLogCancel   = 2
	osmLogClose    = 3
	osmLogDelete   = 4
	osmLogMessage  = 5
	osmLogScore    = 6
	osmLogAnswer   = 7
	osmLogContact  = 8
	osmLogRelation = 9
	osmLogExtends  = 10
)

// Accessory is an uploaded attachment.
type Accessory struct {
	ID         string
	OwnerID    string
	Name       string
	From       string // "incident" | "message"
	UploadType int32  // 0 file, 1 markdown image
	Data       []byte // never changed once stored
	Created    time.Time
	TicketID   string // set once attached
	MessageID  string
}

type dailyUpload struct {
	day   string
	bytes int64
}

func newOSMState(key []byte) *osmState {
	return &osmState{
		tickets:     map[string]*Ticket{},
		byOwner:     map[string][]*Ticket{},
		accessories: map[string]*Accessory{},
		uploads:     map[string]*dailyUpload{},
		contacts:    map[string][]*VerifiedContact{},
		signed:      map[string]map[string]int32{},
		signSeq:     5000,
		urlKey:      key,
	}
}

// osmIdentity is who calls, in OSM's terms.
type osmIdentity struct {
	OwnerID   string // account (domain) id
	OwnerName string // account name
	UserID    string // IAM user: the account's own, or the partner's agency user
	UserName  string
	Mobile    string // registered contact, national number
	Email     string
	Partner   *Partner  // the caller is a partner
	Customer  *Customer // the caller is a customer
}

// osmIdentityOf resolves the caller. Callers hold st.mu.
func (st *State) osmIdentityOf(who principal) osmIdentity {
	if c := who.Customer; c != nil {
		id := osmIdentity{OwnerID: c.ID, OwnerName: c.AccountName, UserID: c.ID, UserName: c.AccountName,
			Mobile: nationalMobile(c.Telephone), Email: c.Email, Customer: c}
		if who.Token != nil && who.Token.PartnerID != "" {
			if p := st.partnerByID[who.Token.PartnerID]; p != nil {
				id.UserID, id.UserName = agencyUser(p, c)
			}
		}
		return id
	}
	p := who.Partner
	return osmIdentity{OwnerID: p.ID, OwnerName: p.AccountName, UserID: p.ID, UserName: p.AccountName,
		Mobile: nationalMobile(p.Mobile), Email: p.Email, Partner: p}
}

// agencyUser is the IAM user of partner p acting in customer c's account
// (as the assume_role token names it).
func agencyUser(p *Partner, c *Customer) (id, name string) {
	return p.ID + "-" + c.ID[:8], c.AccountName + "/" + p.AgencyName
}

// nationalMobile strips the "0086-" prefix of the sandbox's mobiles.
func nationalMobile(m string) string {
	if i := strings.IndexByte(m, '-'); i >= 0 {
		return m[i+1:]
	}
	return m
}

// osmError is an OSM business error, answered with HTTP 200.
type osmError struct{ Code, Msg string }

func (e *osmError) Error() string { return e.Code + ": " + e.Msg }

// osmMessages are the documented messages of the business errors.
var osmMessages = map[string]string{
	"OSM.01010001": "Param validation failed.",
	"OSM.01010002": "No operation permission.",
	"OSM.01010004": "You have asked for the order. Please ask for it later.",
	"OSM.01010005": "Uploaded accessory size exceeded limit today.",
	"OSM.01010006": "Severity Id does not exist.",
	"OSM.01010009": "Can't create a case because of customer benefit not matching the rule.",
	"OSM.01010010": "Verification not passed.",
	"OSM.01010012": "The type must be 0 or 1.",
	"OSM.01010013": "The operation must be canceled or closed or pressed or deleted.",
	"OSM.01010015": "This case does not exist.",
}

// osmFail is a business error with its documented message and, optionally,
// a detail.
func osmFail(code string, detail ...any) error {
	msg := osmMessages[code]
	if len(detail) > 0 {
		msg += " " + fmt.Sprintf(detail[0].(string), detail[1:]...)
	}
	return &osmError{Code: code, Msg: msg}
}

// osmInvalid is OSM.01010001 with a detail.
func osmInvalid(format string, args ...any) error {
	return osmFail("OSM.01010001", append([]any{format}, args...)...)
}

// osmBad is the 400 OSM.0001 of a request that cannot be read.
func osmBad(format string, args ...any) error {
	return errf(http.StatusBadRequest, "OSM.0001", "Failed: "+format, args...)
}

var errNoCase = osmFail("OSM.01010015")

// osmErrorBody is the body of a business error.
type osmErrorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// osmHandler answers an *osmError with 200 and the error body.
func osmHandler(h handlerFunc) handlerFunc {
	return func(c *call) (any, error) {
		v, err := h(c)
		var oe *osmError
		if errors.As(err, &oe) {
			return osmErrorBody{ErrorCode: oe.Code, ErrorMsg: oe.Msg}, nil
		}
		return v, err
	}
}

// osmDecode reads an optional JSON body into v: false when there is none.
func (c *call) osmDecode(v any) (bool, error) {
	if len(strings.TrimSpace(string(c.body))) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return false, osmBad("invalid request body: %v", err)
	}
	return true, nil
}

// osmBody reads the required JSON body into v: none is OSM.01010001.
func (c *call) osmBody(v any) error {
	ok, err := c.osmDecode(v)
	if err == nil && !ok {
		return osmInvalid("the request body is required")
	}
	return err
}

// osmInt parses an optional integer query parameter within [lo, hi].
func (c *call) osmInt(name string, lo, hi int64) (*int32, error) {
	v := c.q(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < lo || n > hi {
		return nil, osmBad("%s must be an integer between %d and %d", name, lo, hi)
	}
	i := int32(n)
	return &i, nil
}

// osmPage reads offset (0–65535, default 0) and limit (0–100; 0 or absent
// means 10).
func (c *call) osmPage() (int, int, error) {
	off, err := c.osmInt("offset", 0, 65535)
	if err != nil {
		return 0, 0, err
	}
	lim, err := c.osmInt("limit", 0, 100)
	if err != nil {
		return 0, 0, err
	}
	o, l := 0, 10
	if off != nil {
		o = int(*off)
	}
	if lim != nil && *lim > 0 {
		l = int(*lim)
	}
	return o, l, nil
}

// lang is the X-Language of the call: "en" for en-*, else "zh".
func (c *call) lang() string {
	if strings.HasPrefix(strings.ToLower(c.r.Header.Get("X-Language")), "en") {
		return "en"
	}
	return "zh"
}

var reGMT = regexp.MustCompile(`^(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?$`)

// zone is the X-Time-Zone of the call (default GMT+8).
func (c *call) zone() *time.Location { return zoneOf(c.r.Header.Get("X-Time-Zone")) }

// zoneOf reads "GMT+8", "GMT+08:00", "UTC-5"… (default GMT+8).
func zoneOf(v string) *time.Location {
	v = strings.ToUpper(strings.TrimSpace(v))
	if v == "GMT" || v == "UTC" {
		return time.UTC
	}
	m := reGMT.FindStringSubmatch(v)
	if m == nil {
		return time.FixedZone("GMT+8", 8*3600)
	}
	h, _ := strconv.Atoi(m[2])
	min, _ := strconv.Atoi(m[3])
	off := h*3600 + min*60
	if m[1] == "-" {
		off = -off
	}
	return time.FixedZone(v, off)
}

// osmNow returns the OSM state after applying the engineer answers that are
// due. Callers hold st.mu.
func (st *State) osmNow() (*osmState, time.Time) {
	now := st.now()
	st.osm.settle(now)
	return st.osm, now
}

// withOSM runs fn under st.mu with the OSM state (the engineer answers due
// by now applied), the caller and now.
func withOSM[T any](s *Sandbox, c *call, fn func(o *osmState, me osmIdentity, now time.Time) (T, error)) (T, error) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	o, now := st.osmNow()
	return fn(o, st.osmIdentityOf(c.who), now)
}

// withCase is withOSM on the caller's ticket of the case_id path
// parameter: an unknown ticket, or another account's, is OSM.01010015.
func (s *Sandbox) withCase(c *call, fn func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error)) (any, error) {
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		t := o.ticketOf(me, c.params["case_id"])
		if t == nil {
			return nil, errNoCase
		}
		return fn(o, me, t, now)
	})
}

// withOpenCase is withCase on a ticket its submitter may still write to:
// a closed one is OSM.01010002.
func (s *Sandbox) withOpenCase(c *call, fn func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error)) (any, error) {
	return s.withCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		if !caseOpen(t.Status) {
			return nil, osmFail("OSM.01010002", "The ticket is closed.")
		}
		return fn(o, me, t, now)
	})
}

// settle applies every engineer answer due by now, oldest first.
func (o *osmState) settle(now time.Time) {
	if len(o.pending) == 0 {
		return
	}
	var due []*Ticket
	keep := o.pending[:0]
	for _, t := range o.pending {
		if t.ReplyAt.IsZero() {
			continue // cancelled
		}
		if now.Before(t.ReplyAt) {
			keep = append(keep, t)
			continue
		}
		due = append(due, t)
	}
	for i := len(keep); i < len(o.pending); i++ {
		o.pending[i] = nil
	}
	o.pending = keep
	sort.Slice(due, func(i, j int) bool {
		if !due[i].ReplyAt.Equal(due[j].ReplyAt) {
			return due[i].ReplyAt.Before(due[j].ReplyAt)
		}
		return due[i].ID < due[j].ID
	})
	for _, t := range due {
		at := t.ReplyAt
		if at.IsZero() {
			continue // listed twice
		}
		t.ReplyAt = time.Time{}
		o.answer(t, at)
	}
}

// scheduleAnswer makes the engineer answer t at the given time, unless an
// answer is already pending.
func (o *osmState) scheduleAnswer(t *Ticket, at time.Time) {
	if !t.ReplyAt.IsZero() {
		return
	}
	t.ReplyAt = at
	o.pending = append(o.pending, t)
}

// cancelAnswer drops t's pending answer (cancelled or closed tickets).
func (o *osmState) cancelAnswer(t *Ticket) { t.ReplyAt = time.Time{} }

// osmEngineers answer the tickets: replier id and name.
var osmEngineers = []struct{ id, name string }{
	{"hwe_li.ming", "Huawei Cloud Engineer Li Ming"},
	{"hwe_zhao.lei", "Huawei Cloud Engineer Zhao Lei"},
	{"hwe_chen.jing", "Huawei Cloud Engineer Chen Jing"},
	{"hwe_wang.tao", "Huawei Cloud Engineer Wang Tao"},
}

// answer posts the engineer's answer to t at time at (see the file comment).
func (o *osmState) answer(t *Ticket, at time.Time) {
	if !caseOpen(t.Status) || t.Status == caseSuspended {
		return
	}
	bt := osmBusinessTypes[t.BusinessTypeID]
	var content string
	if t.Status == caseSubmitted {
		content = fmt.Sprintf("Hello, this is Huawei Cloud technical support. We have accepted ticket %s and started the analysis. "+
			"To locate the problem, please reply with the time it occurred, the affected resource ID and a screenshot or log of the error.", t.ID)
		t.Status = caseFeedback
	} else {
		content = fmt.Sprintf("Thank you for the details. %s Please check whether the problem is solved; if it is, you can close ticket %s.",
			solutionFor(bt), t.ID)
		t.Status = caseToConfirm
		t.Resolution = solutionFor(bt)
		t.RootCause = "Configuration"
	}
	e := osmEngineers[t.Engineer%len(osmEngineers)]
	o.addMessage(t, &TicketMessage{Type: 1, ReplierID: e.id, ReplierName: e.name, Content: content, Created: at})
	t.Answers++
	t.Unread++
	o.log(t, osmLogAnswer, 1, e.id, e.name, fmt.Sprintf("engineer answered; status %d", t.Status), at)
}

func solutionFor(bt *osmBusinessType) string {
	if bt != nil && bt.CaseType == "5" {
		return "The instance's security group did not allow the traffic: we added the missing inbound rule and the service recovered."
	}
	return "The answer to your question is in the product documentation section we linked; the setting you asked about can be changed in the console."
}

// addMessage appends m to t with the next id and cursor sequence.
func (o *osmState) addMessage(t *Ticket, m *TicketMessage) {
	o.msgSeq++
	m.Seq = o.msgSeq
	m.ID = strconv.FormatInt(9_100_000_000+o.msgSeq, 10)
	t.Messages = append(t.Messages, m)
	for _, id := range m.Accessories {
		if a := o.accessories[id]; a != nil {
			a.TicketID, a.MessageID = t.ID, m.ID
		}
	}
}

// log appends an operation log entry.
func (o *osmState) log(t *Ticket, typ, operatorType int32, opID, opName, desc string, at time.Time) {
	t.Logs = append(t.Logs, &CaseLog{
		ID: fmt.Sprintf("%s-L%03d", t.ID, len(t.Logs)+1), Type: typ, OperatorType: operatorType,
		OperatorID: opID, OperatorName: opName, Desc: desc, Time: at,
	})
}

// newTicketID is "TT" + the GMT+8 date + a 6-digit sequence.
func (o *osmState) newTicketID(at time.Time) string {
	o.ticketSeq++
	return fmt.Sprintf("TT%s%06d", at.In(time.FixedZone("GMT+8", 8*3600)).Format("20060102"), o.ticketSeq)
}

// addTicket indexes a new ticket; an owner's tickets stay in creation
// time order (seeded ones arrive out of order, new ones at the end).
func (o *osmState) addTicket(t *Ticket) {
	o.tickets[t.ID] = t
	list := o.byOwner[t.OwnerID]
	i := sort.Search(len(list), func(i int) bool { return list[i].Created.After(t.Created) })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = t
	o.byOwner[t.OwnerID] = list
}

// ticketOf returns the caller's ticket id, or nil.
func (o *osmState) ticketOf(me osmIdentity, id string) *Ticket {
	t := o.tickets[id]
	if t == nil || t.OwnerID != me.OwnerID {
		return nil
	}
	return t
}

// ticketsOf returns the caller's tickets among ids, each once, in the
// order of ids; the other ids are left out.
func (o *osmState) ticketsOf(me osmIdentity, ids []string) []*Ticket {
	seen := make(map[string]bool, len(ids))
	var out []*Ticket
	for _, id := range ids {
		if t := o.ticketOf(me, id); t != nil && !seen[id] {
			seen[id] = true
			out = append(out, t)
		}
	}
	return out
}

// usedThisMonth counts the owner's tickets created in now's month (UTC).
func (o *osmState) usedThisMonth(owner string, now time.Time) int {
	y, m, _ := now.Date()
	n := 0
	for _, t := range o.byOwner[owner] {
		if ty, tm, _ := t.Created.Date(); ty == y && tm == m {
			n++
		}
	}
	return n
}

// checkLen checks a string field's length in characters.
func checkLen(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return osmInvalid("%s is required", field)
	}
	if utf8.RuneCountInString(v) > max {
		return osmInvalid("%s must be at most %d characters", field, max)
	}
	return nil
}

func sdkTime(t time.Time) *sdktime.SdkTime {
	if t.IsZero() {
		return nil
	}
	v := sdktime.SdkTime(t.UTC())
	return &v
}

// accessoryURLSignature signs a download URL of accessory id for owner.
func (o *osmState) accessoryURLSignature(id, owner string, expires int64) string {
	mac := hmac.New(sha256.New, o.urlKey)
	fmt.Fprintf(mac, "%s\n%s\n%d", id, owner, expires)
	return hex.EncodeToString(mac.Sum(nil))
}
