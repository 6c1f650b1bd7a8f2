package gateway

// Tickets: Huawei Cloud's service tickets (OSM v2, OSM-API.md). A ticket
// belongs to the account behind the credential (OSM-API.md §1.3), so a
// TicketOwner says which credential a call uses: an account's own AK/SK
// for its own tickets, or a customer token (IAM assume_role with the
// signing account's agency, as for orders) for a customer's.
//
// OSM reports its business errors with HTTP 200 and
// {"error_code":"OSM.0101xxxx","error_msg":…} (OSM-API.md §4). Only some
// SDK response models have those fields, so every ticket call carries a
// correlation header and the shared transport (idTransport, requestid.go)
// keeps the error code, message and X-Request-Id of each answer: a
// business error becomes an *apierr.Error exactly as an SDK error does
// (upstream code and request id kept), never a success. The rules a submitter breaks (too
// many attachments, a forbidden file type, an action the status does not
// allow, the quota used up, urging too often) are BAD_USER_INPUT; an
// unknown or foreign ticket is NOT_FOUND.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdktime"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	osm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2"
	osmmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"

	"partnergraph/apierr"
	"partnergraph/gateway/custtoken"
)

// DefaultOSMEndpoint is the documented OSM endpoint of the China site
// (OSM-API.md §1.1; the SDK's own region table says .cn).
const DefaultOSMEndpoint = "https://osm.cn-south-1.myhuaweicloud.com"

// Ticket statuses as the upstream numbers them (OSM-API.md §3).
const (
	TicketSubmitted        = 0
	TicketInProgress       = 1
	TicketAwaitingConfirm  = 2
	TicketCompleted        = 3
	TicketCancelled        = 4
	TicketSuspended        = 5
	TicketInvalid          = 12
	TicketDeleted          = 13
	TicketAwaitingFeedback = 17
)

// OpenTicketStatuses are the statuses in which the submitter may still
// write to a ticket.
var OpenTicketStatuses = []int{TicketSubmitted, TicketInProgress, TicketAwaitingConfirm, TicketSuspended, TicketAwaitingFeedback}

// TicketOpen reports whether status is one of OpenTicketStatuses.
func TicketOpen(status int) bool {
	for _, s := range OpenTicketStatuses {
		if s == status {
			return true
		}
	}
	return false
}

// Submitter actions (UpdateCases action_id).
const (
	TicketPress  = "press"
	TicketCancel = "cancel"
	TicketClose  = "close"
)

// Batch sizes of the upstream.
const (
	MaxTicketBatch     = 100 // case_ids of the instant-message calls
	MaxAttachmentBatch = 20  // accessory_ids of ListAccessoryAccessUrls
	MaxTicketText      = 1200
	MaxTicketNote      = 400
)

// Upstream codes of ticket rules.
const (
	UpCodeTicketParam      = "OSM.01010001"
	UpCodeTicketNotAllowed = "OSM.01010002"
	UpCodeTicketPressed    = "OSM.01010004"
	UpCodeTicketQuota      = "OSM.01010009"
	UpCodeTicketNotFound   = "OSM.01010015"
)

// osmSourceID is CreateCases' fixed source_id (OSM-API.md §2.1).
const osmSourceID = "83aeb0f2834c4df49826c781d32a963e"

// TicketOwner is whose tickets a call reads or writes: the tickets of
// Scope.Account's own account (Customer empty, signed with its keys), or
// of customer Customer (a customer token obtained with Scope.Account's
// agency). Scope.Indirect is the reseller acted for; the upstream does not
// use it, the gateway's authorization does. It is comparable.
type TicketOwner struct {
	Scope    Scope
	Customer string
}

// Ticket is a ticket as ListCases describes it.
type Ticket struct {
	ID                      string
	Status                  int
	TicketType, ProblemType string
	ProductCategory         string
	ServiceType             string
	AccountID               string
	CreatorID, CreatorName  string
	Region                  string
	Description             string
	RootCause, Resolution   string
	Created, Confirmed      time.Time
}

// TicketQuery filters ListCases.
type TicketQuery struct {
	Window
	ID       string
	Statuses []int
	From, To time.Time
	Keyword  string
}

// TicketList is one page of tickets and the total.
type TicketList struct {
	Tickets []Ticket
	Total   int
}

// TicketScore is one satisfaction score.
type TicketScore struct {
	DimensionID, Value int
	Name               string
	Max                int
}

// TicketContact is how the submitter is reminded.
type TicketContact struct {
	AreaCode, Mobile, Email, Hours string
}

// TicketDetail is what ShowCaseDetail adds to a ticket.
type TicketDetail struct {
	Status    int
	Severity  string
	Judgement string
	Scores    []TicketScore
	Contact   TicketContact
}

// TicketAttachment is a file attached to a ticket or message.
type TicketAttachment struct {
	ID, Name string
}

// Message authors (replier_type).
const (
	AuthorCustomer   = 0
	AuthorEngineer   = 1
	AuthorThirdParty = 2
)

// TicketMessage is one message of a ticket.
type TicketMessage struct {
	Author               int // AuthorCustomer, AuthorEngineer, AuthorThirdParty
	AuthorID, AuthorName string
	Content              string
	Created              time.Time
	Description          bool
	Attachments          []TicketAttachment
}

// TicketMessageList is one page of a ticket's messages, oldest first.
type TicketMessageList struct {
	Messages []TicketMessage
	Total    int
}

// TicketUnread is a ticket's status and unread engineer messages.
type TicketUnread struct {
	Status, Unread int
}

// TicketActivity is what ListNewInstantMessages answers for a set of
// tickets: each one's status, the messages newer than the cursor, and the
// cursor to pass next time.
type TicketActivity struct {
	Statuses map[string]int
	Messages map[string][]TicketMessage
	Cursor   string
}

// NewTicket is what CreateCases needs.
type NewTicket struct {
	ProductCategoryID, ProblemTypeID string
	Description                      string
	RegionID, SeverityID             string
	Contact                          TicketContact
	Parameters                       map[string]string
	AttachmentIDs                    []string
}

// Form data (OSM-API.md §2.2).

// TicketCategory is a product category and the ticket type it belongs to.
type TicketCategory struct {
	ID, Name, Description, Acronym string
	TicketTypeID, TicketTypeName   string
	SupportPlan                    bool
}

// TicketProblemType is a problem type; CaseType "0" consultation, "5" fault.
type TicketProblemType struct {
	ID, Name, CaseType string
	SupportPlan        bool
}

// Problem type kinds (case_type).
const (
	CaseTypeConsultation = "0"
	CaseTypeFault        = "5"
)

// TicketTemplate is a description template.
type TicketTemplate struct {
	ID, Name, Content string
}

// TicketSeverities are the severities of a problem type and whether to
// show the picker.
type TicketSeverities struct {
	Show    bool
	Options []TicketSeverity
}

// TicketSeverity is one severity.
type TicketSeverity struct {
	ID, Name string
}

// TicketParameter is an extended parameter of a problem type. Type: 0
// text, 1 select (Options), 2 number (Min..Max).
type TicketParameter struct {
	Key, Name, Description, Tips, Default string
	Required, Shown, Sensitive            bool
	Type, MaxLength                       int
	Options                               []string
	Min, Max                              *int64
}

// TicketRegion is a region of a fault ticket.
type TicketRegion struct {
	ID, Name        string
	OutsideMainland bool
}

// TicketAreaCode is a calling code.
type TicketAreaCode struct {
	Code, Name string
}

// AttachmentLimits are the upstream's limits of ticket attachments.
type AttachmentLimits struct {
	MaxCount, MaxSizeMB int
	FileTypes           []string // lower case
}

// MaxSizeBytes is the largest file in bytes.
func (l AttachmentLimits) MaxSizeBytes() int { return l.MaxSizeMB << 20 }

// Allows reports whether a file name's extension is an accepted type.
func (l AttachmentLimits) Allows(name string) bool {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return false
	}
	ext := strings.ToLower(name[i+1:])
	for _, t := range l.FileTypes {
		if t == ext {
			return true
		}
	}
	return false
}

// TicketQuota is an account's ticket quota for a problem type.
type TicketQuota struct {
	Total, Unused int
}

// SatisfactionDimension is a dimension of a rating.
type SatisfactionDimension struct {
	ID                int
	Name, Description string
	Max, Step         int
}

// The SDK clients.

// osmClients are the ticket SDK clients: one per account with keys, and
// one per customer token (bounded like the BSS ones, client.go).
type osmClients struct {
	endpoint, language string
	byAccount          map[string]*osm.OsmClient

	mu   sync.Mutex // see Client.custMu
	cust *expirable.LRU[custKey, osmTokenClient]
}

type osmTokenClient struct {
	token string
	cl    *osm.OsmClient
}

// newOSMClients prepares the ticket clients of c (none without an
// endpoint).
func (c *Client) newOSMClients() error {
	e := c.cfg.OSMEndpoint
	if e == "" {
		return nil
	}
	if err := checkEndpoint("OSM", e); err != nil {
		return err
	}
	lang := c.cfg.OSMLanguage
	if lang == "" {
		lang = "en-us"
	}
	c.osm = &osmClients{endpoint: e, language: lang, byAccount: map[string]*osm.OsmClient{}, cust: expirable.NewLRU[custKey, osmTokenClient](c.cfg.MaxCustomers, nil, custtoken.MaxAge)}
	return nil
}

func checkEndpoint(what, e string) error {
	if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s endpoint %q is not an http(s) URL", what, e)
	}
	return nil
}

// addOSMClient builds the ticket client of an account with keys.
func (c *Client) addOSMClient(a Account, cred *global.Credentials) error {
	if c.osm == nil {
		return nil
	}
	hc, err := osm.OsmClientBuilder().
		WithEndpoints([]string{c.osm.endpoint}).
		WithCredential(cred).
		WithHttpConfig(c.osmHTTPConfig()).
		SafeBuild()
	if err != nil {
		return fmt.Errorf("partner %s OSM client: %w", a.ID, err)
	}
	c.osm.byAccount[a.ID] = osm.NewOsmClient(hc)
	return nil
}

func (c *Client) osmHTTPConfig() *config.HttpConfig {
	return config.DefaultHttpConfig().WithTimeout(c.cfg.CallTimeout + time.Second).WithHttpRoundTripper(c.ids)
}

// HasTickets reports whether the gateway can read the tickets of account
// id's own account (it has an OSM endpoint and the account's keys).
func (c *Client) HasTickets(id string) bool {
	if c.osm == nil {
		return false
	}
	_, ok := c.osm.byAccount[id]
	return ok
}

var errNoOSM = &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: errors.New("no OSM endpoint configured")}

// osmClient returns the client of o's credential and, for a customer, the
// token it signs with.
func (c *Client) osmClient(ctx context.Context, o TicketOwner) (*osm.OsmClient, string, error) {
	if c.osm == nil {
		return nil, "", errNoOSM
	}
	if o.Customer == "" {
		cl, ok := c.osm.byAccount[o.Scope.Account]
		if !ok {
			return nil, "", &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("no credentials for account %q", o.Scope.Account)}
		}
		return cl, "", nil
	}
	cache, ok := c.tokens[o.Scope.Account]
	if !ok {
		return nil, "", &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("no agency configured for partner %q", o.Scope.Account)}
	}
	t, err := cache.Get(ctx, o.Customer)
	if err != nil {
		return nil, "", tokenError(err)
	}
	k := custKey{o.Scope.Account, o.Customer}
	c.osm.mu.Lock()
	defer c.osm.mu.Unlock()
	if tc, ok := c.osm.cust.Get(k); ok && tc.token == t.Value {
		return tc.cl, t.Value, nil
	}
	hc, err := osm.OsmClientBuilder().
		WithCredentialsType("global.Credentials,v3.IamCredentials").
		WithEndpoints([]string{c.osm.endpoint}).
		WithCredential(iam.NewIamCredentialsBuilder().WithXAuthToken(t.Value).Build()).
		WithHttpConfig(c.osmHTTPConfig()).
		SafeBuild()
	if err != nil {
		return nil, "", &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("customer OSM client: %w", err)}
	}
	cl := osm.NewOsmClient(hc)
	c.osm.cust.Add(k, osmTokenClient{token: t.Value, cl: cl})
	return cl, t.Value, nil
}

// dropOSMToken forgets a customer token the upstream rejected.
func (c *Client) dropOSMToken(o TicketOwner, tok string) {
	c.tokens[o.Scope.Account].Invalidate(o.Customer, tok)
	k := custKey{o.Scope.Account, o.Customer}
	c.osm.mu.Lock()
	if tc, ok := c.osm.cust.Peek(k); ok && tc.token == tok {
		c.osm.cust.Remove(k)
	}
	c.osm.mu.Unlock()
}

// osmMethod is an OSM SDK operation as a method expression, e.g.
// (*osm.OsmClient).ListCases.
type osmMethod[Req, Resp any] func(*osm.OsmClient, Req) (Resp, error)

// ticketCall runs one OSM call with o's credential. For a customer, a 401
// (token rejected, nothing applied) drops the token and retries once, as
// custCall does.
func ticketCall[Req, Resp any](ctx context.Context, c *Client, o TicketOwner, op string, method osmMethod[Req, Resp], req Req) (Resp, error) {
	for attempt := 0; ; attempt++ {
		cl, tok, err := c.osmClient(ctx, o)
		if err != nil {
			var zero Resp
			return zero, err
		}
		v, err := osmCallWith(ctx, c, cl, o.Scope.Account, op, method, req)
		if err != nil && attempt == 0 && o.Customer != "" && unauthorized(err) {
			c.dropOSMToken(o, tok)
			continue
		}
		return v, err
	}
}

// osmCallWith is callWith for the OSM client, account the partner
// credential it counts against: every call is correlated, so that a 2xx
// answer carrying an error_code (OSM's business refusals) is an error, and
// carries the X-Language that localises the upstream's names.
func osmCallWith[Req, Resp any](ctx context.Context, c *Client, cl *osm.OsmClient, account, op string, method osmMethod[Req, Resp], req Req) (Resp, error) {
	return send(ctx, c, callSpec[Resp]{service: "OSM", account: account, op: op, business: businessError, refine: ticketError,
		call: func(h map[string]string) (Resp, error) {
			hc := *cl.HcClient
			hc.WithExtraHeaders(map[string]string{CallHeader: h[CallHeader], "X-Language": c.osm.language})
			return method(osm.NewOsmClient(&hc), req)
		}})
}

// ticketError re-codes an OSM error status answer (OSM-API.md §4).
func ticketError(e *apierr.Error) *apierr.Error {
	if e.UpstreamCode == UpCodeTicketNotFound {
		e.Code, e.Message = apierr.CodeNotFound, "ticket not found"
	}
	return e
}

// ticketRules are the client-safe messages of the business errors that
// are the submitter's to fix (BAD_USER_INPUT).
var ticketRules = map[string]string{
	UpCodeTicketParam:      "the upstream refused the input",
	UpCodeTicketNotAllowed: "the ticket does not allow this now (its status, or the caller's permission)",
	"OSM.01010003":         "the host account and password do not match",
	UpCodeTicketPressed:    "the ticket was urged recently; urge it again later",
	"OSM.01010005":         "today's attachment upload volume is used up",
	"OSM.01010006":         "the severity does not exist",
	"OSM.01010007":         "this account may not open tickets",
	"OSM.01010008":         "a carbon-copy e-mail address is not valid",
	UpCodeTicketQuota:      "the ticket quota is used up, or the support plan does not cover this kind of ticket",
	"OSM.01010010":         "the reminder mobile or e-mail is not verified for this account",
	"OSM.01010012":         "the message type must be 0 or 1",
	"OSM.01010013":         "the action must be cancel, close, press or delete",
}

// businessError is the error of a 200 answer carrying error_code.
func businessError(op string, a answer) *apierr.Error {
	e := &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream refused the request", UpstreamCode: a.code, RequestID: a.requestID,
		Op: op, Err: fmt.Errorf("%s: %s", a.code, a.msg)}
	if a.code == UpCodeTicketNotFound {
		e.Code, e.Message = apierr.CodeNotFound, "ticket not found"
		return e
	}
	if msg, ok := ticketRules[a.code]; ok {
		e.Code, e.Message = apierr.CodeBadUserInput, msg
		if d := strings.TrimSpace(a.msg); d != "" {
			e.Message += ": " + d
		}
	}
	return e
}

// Conversions.

func sdkTime(t *sdktime.SdkTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return time.Time(*t).UTC()
}

func ticketOf(in osmmodel.IncidentInfoV2) Ticket {
	return Ticket{
		ID: in.IncidentId, Status: int(in.Status), TicketType: in.IncidentTypeName, ProblemType: in.BusinessTypeName,
		ProductCategory: str(in.ProductCategoryName), ServiceType: str(in.IncidentServiceType), AccountID: in.CustomerId,
		CreatorID: str(in.XcustomerId), CreatorName: str(in.XcustomerName), Region: in.DcName, Description: in.SimpleDescription,
		RootCause: str(in.RootCause), Resolution: str(in.Resolution), Created: sdkTime(in.CreateTime), Confirmed: sdkTime(in.ConfirmedTime),
	}
}

func attachmentsOf(p *[]osmmodel.SimpleAccessoryV2) []TicketAttachment {
	return convert(p, func(a osmmodel.SimpleAccessoryV2) TicketAttachment {
		return TicketAttachment{ID: str(a.AccessoryId), Name: str(a.FileActualName)}
	})
}

func messageOf(m osmmodel.QueryMessageInfoV2) TicketMessage {
	author := i32(m.Type)
	if m.ReplierType != nil {
		author = int(*m.ReplierType)
	}
	return TicketMessage{
		Author: author, AuthorID: str(m.Replier), AuthorName: str(m.ReplierName), Content: str(m.Content),
		Created: sdkTime(m.CreateTime), Description: i32(m.IsFirstMessage) == 1, Attachments: attachmentsOf(m.AccessoryList),
	}
}

// osmTimeZone is the zone of the query times the gateway sends: the
// upstream's default X-Time-Zone (GMT+8), so no header is needed.
var osmTimeZone = time.FixedZone("GMT+8", 8*3600)

func osmTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return ptr(t.In(osmTimeZone).Format("2006-01-02 15:04:05"))
}

// Cases.

// Tickets lists o's tickets, newest first.
func (c *Client) Tickets(ctx context.Context, o TicketOwner, q TicketQuery) (TicketList, error) {
	off, lim := page(q.Window)
	req := &osmmodel.ListCasesRequest{Offset: off, Limit: lim, QueryStartTime: osmTime(q.From), QueryEndTime: osmTime(q.To),
		AppKey: optStr(q.Keyword), IncidentId: optStr(q.ID)}
	switch len(q.Statuses) {
	case 0:
	case 1:
		req.Status = ptr(int32(q.Statuses[0]))
	default:
		s := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			s[i] = strconv.Itoa(st)
		}
		req.IncidentStatus = ptr(strings.Join(s, ","))
	}
	resp, err := ticketCall(ctx, c, o, "ListCases", (*osm.OsmClient).ListCases, req)
	if err != nil {
		return TicketList{}, err
	}
	return TicketList{Tickets: convert(resp.IncidentInfoList, ticketOf), Total: i32(resp.TotalCount)}, nil
}

// Ticket reads one of o's tickets, or NOT_FOUND.
func (c *Client) Ticket(ctx context.Context, o TicketOwner, id string) (Ticket, error) {
	if id == "" || len(id) > 32 {
		return Ticket{}, apierr.NotFound("ticket")
	}
	l, err := c.Tickets(ctx, o, TicketQuery{Window: Window{Limit: 1}, ID: id})
	if err != nil {
		return Ticket{}, err
	}
	for _, t := range l.Tickets {
		if t.ID == id {
			return t, nil
		}
	}
	return Ticket{}, apierr.NotFound("ticket")
}

// TicketStatus reads a ticket's status (ShowCaseStatus).
func (c *Client) TicketStatus(ctx context.Context, o TicketOwner, id string) (int, error) {
	resp, err := ticketCall(ctx, c, o, "ShowCaseStatus", (*osm.OsmClient).ShowCaseStatus, &osmmodel.ShowCaseStatusRequest{CaseId: id})
	if err != nil {
		return 0, err
	}
	if resp.Status == nil {
		return 0, &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream answered without a status", Op: "ShowCaseStatus"}
	}
	return int(*resp.Status), nil
}

// TicketDetail reads what ShowCaseDetail adds to a ticket.
func (c *Client) TicketDetail(ctx context.Context, o TicketOwner, id string) (TicketDetail, error) {
	resp, err := ticketCall(ctx, c, o, "ShowCaseDetail", (*osm.OsmClient).ShowCaseDetail, &osmmodel.ShowCaseDetailRequest{CaseId: id})
	if err != nil {
		return TicketDetail{}, err
	}
	d := resp.IncidentDetailInfo
	if d == nil {
		return TicketDetail{}, apierr.NotFound("ticket")
	}
	out := TicketDetail{Status: int(d.Status), Severity: str(d.SeverityName), Judgement: d.Judgement}
	for _, s := range d.IncidentSatisfaction {
		out.Scores = append(out.Scores, TicketScore{DimensionID: int(s.SatisfactionId), Value: int(s.SatisfactionValue), Name: str(s.SatisfactionName), Max: i32(s.Value)})
	}
	if x := d.ExtInfo; x != nil {
		out.Contact = TicketContact{AreaCode: str(x.AreaCode), Mobile: str(x.RemindMobile), Email: str(x.RemindMail), Hours: str(x.RemindTime)}
	}
	return out, nil
}

// TicketMessages reads one page of a ticket's messages, oldest first.
func (c *Client) TicketMessages(ctx context.Context, o TicketOwner, id string, w Window) (TicketMessageList, error) {
	off, lim := page(w)
	resp, err := ticketCall(ctx, c, o, "ListMessages", (*osm.OsmClient).ListMessages, &osmmodel.ListMessagesRequest{CaseId: id, Offset: off, Limit: lim})
	if err != nil {
		return TicketMessageList{}, err
	}
	return TicketMessageList{Messages: convert(resp.MessageList, messageOf), Total: i32(resp.Count)}, nil
}

// TicketUnread reads the status and unread count of tickets ids, 100 per
// call (ListUnreadNewInstantMessages). Ids that are not o's are absent.
func (c *Client) TicketUnread(ctx context.Context, o TicketOwner, ids []string) (map[string]TicketUnread, error) {
	out := make(map[string]TicketUnread, len(ids))
	for part := range slices.Chunk(ids, MaxTicketBatch) {
		resp, err := ticketCall(ctx, c, o, "ListUnreadNewInstantMessages", (*osm.OsmClient).ListUnreadNewInstantMessages,
			&osmmodel.ListUnreadNewInstantMessagesRequest{CaseIds: part})
		if err != nil {
			return nil, err
		}
		for _, u := range rows(resp.Imunread) {
			out[str(u.IncidentId)] = TicketUnread{Status: i32(u.Status), Unread: i32(u.UnreadNum)}
		}
	}
	return out, nil
}

// TicketActivity reads the status of at most MaxTicketBatch tickets and
// their messages newer than cursor ("" for all of them), in one call
// (ListNewInstantMessages). Ids that are not o's are absent.
func (c *Client) TicketActivity(ctx context.Context, o TicketOwner, ids []string, cursor string) (TicketActivity, error) {
	if len(ids) == 0 {
		return TicketActivity{Cursor: cursor}, nil
	}
	if len(ids) > MaxTicketBatch {
		return TicketActivity{}, apierr.Errorf(apierr.CodeBadUserInput, "at most %d tickets per read", MaxTicketBatch)
	}
	resp, err := ticketCall(ctx, c, o, "ListNewInstantMessages", (*osm.OsmClient).ListNewInstantMessages,
		&osmmodel.ListNewInstantMessagesRequest{CaseIds: ids, LastMessageTimeId: optStr(cursor)})
	if err != nil {
		return TicketActivity{}, err
	}
	out := TicketActivity{Statuses: map[string]int{}, Messages: map[string][]TicketMessage{}, Cursor: cursor}
	for _, s := range rows(resp.Imstatus) {
		if s.IncidentId != nil && s.Status != nil {
			out.Statuses[*s.IncidentId] = int(*s.Status)
		}
	}
	for _, m := range rows(resp.Immsg) {
		id := str(m.IncidentId)
		ms := convert(m.MessageList, messageOf)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Created.Before(ms[j].Created) })
		out.Messages[id] = append(out.Messages[id], ms...)
	}
	if v := str(resp.LastMessageTimeId); v != "" {
		out.Cursor = v
	}
	return out, nil
}

// AttachmentURLs returns download URLs of the attachments ids, 20 per
// call (ListAccessoryAccessUrls); ids that are not o's are absent.
func (c *Client) AttachmentURLs(ctx context.Context, o TicketOwner, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for part := range slices.Chunk(ids, MaxAttachmentBatch) {
		resp, err := ticketCall(ctx, c, o, "ListAccessoryAccessUrls", (*osm.OsmClient).ListAccessoryAccessUrls,
			&osmmodel.ListAccessoryAccessUrlsRequest{AccessoryIds: part})
		if err != nil {
			return nil, err
		}
		for _, u := range rows(resp.AccessoryUrls) {
			if u.AccessoryId != nil && u.AccessoryUrl != nil {
				out[*u.AccessoryId] = *u.AccessoryUrl
			}
		}
	}
	return out, nil
}

// Writes.

// CreateTicket opens a ticket and returns its id.
func (c *Client) CreateTicket(ctx context.Context, o TicketOwner, t NewTicket) (string, error) {
	body := &osmmodel.CreateOrderIncidentV2Req{
		BusinessTypeId: t.ProblemTypeID, ProductCategoryId: optStr(t.ProductCategoryID), SimpleDescription: t.Description,
		SourceId: osmSourceID, RegionId: optStr(t.RegionID), SeverityId: optStr(t.SeverityID),
		AreaCode: optStr(t.Contact.AreaCode), RemindMobile: optStr(t.Contact.Mobile), RemindMail: optStr(t.Contact.Email),
		RemindTime: optStr(t.Contact.Hours),
	}
	if len(t.AttachmentIDs) > 0 {
		body.AccessoryIds = ptr(append([]string(nil), t.AttachmentIDs...))
	}
	if len(t.Parameters) > 0 {
		body.ExtendsMap = make(map[string]any, len(t.Parameters))
		for k, v := range t.Parameters {
			body.ExtendsMap[k] = v
		}
	}
	resp, err := ticketCall(ctx, c, o, "CreateCases", (*osm.OsmClient).CreateCases, &osmmodel.CreateCasesRequest{Body: body})
	if err != nil {
		return "", err
	}
	if str(resp.IncidentId) == "" {
		return "", &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream answered without a ticket id", Op: "CreateCases"}
	}
	return *resp.IncidentId, nil
}

// ReplyToTicket posts the submitter's message.
func (c *Client) ReplyToTicket(ctx context.Context, o TicketOwner, id, content string, attachments []string) error {
	m := &osmmodel.CreateMessageDoV2{Content: content}
	if len(attachments) > 0 {
		m.AccessoryIds = ptr(append([]string(nil), attachments...))
	}
	_, err := ticketCall(ctx, c, o, "CreateMessages", (*osm.OsmClient).CreateMessages,
		&osmmodel.CreateMessagesRequest{CaseId: id, Body: &osmmodel.CreateMessageV2Req{Message: m}})
	return err
}

// MarkTicketRead zeroes the ticket's unread count.
func (c *Client) MarkTicketRead(ctx context.Context, o TicketOwner, id string) error {
	_, err := ticketCall(ctx, c, o, "UpdateNewInstantMessagesRead", (*osm.OsmClient).UpdateNewInstantMessagesRead,
		&osmmodel.UpdateNewInstantMessagesReadRequest{CaseId: id, Body: &osmmodel.UpdateUnreadNewInstantMsgV2Req{}})
	return err
}

func satisfactionList(scores []TicketScore) []osmmodel.IncidentSatisfactionV2Do {
	out := make([]osmmodel.IncidentSatisfactionV2Do, len(scores))
	for i, s := range scores {
		out[i] = osmmodel.IncidentSatisfactionV2Do{SatisfactionId: int32(s.DimensionID), SatisfactionValue: int32(s.Value)}
	}
	return out
}

// TicketAction applies a submitter action (TicketPress, TicketCancel,
// TicketClose); note is the operate_desc, judgement and scores a rating
// given with a close.
func (c *Client) TicketAction(ctx context.Context, o TicketOwner, id, action, note, judgement string, scores []TicketScore) error {
	body := &osmmodel.WorkOrderOperateV2Req{OperateDesc: optStr(note), Judgement: optStr(judgement)}
	if len(scores) > 0 {
		body.IncidentSatisfactionList = ptr(satisfactionList(scores))
	}
	_, err := ticketCall(ctx, c, o, "UpdateCases", (*osm.OsmClient).UpdateCases, &osmmodel.UpdateCasesRequest{CaseId: id, ActionId: action, Body: body})
	return err
}

// RateTicket rates a completed ticket.
func (c *Client) RateTicket(ctx context.Context, o TicketOwner, id, judgement string, scores []TicketScore) error {
	_, err := ticketCall(ctx, c, o, "CreateScores", (*osm.OsmClient).CreateScores,
		&osmmodel.CreateScoresRequest{CaseId: id, Body: &osmmodel.CreateScoreV2Req{Judgement: judgement, IncidentSatisfactionList: satisfactionList(scores)}})
	return err
}

// UploadTicketAttachment stores a file for a new ticket (forTicket) or a
// message, base64 in JSON (UploadJsonAccessories), and returns its id.
func (c *Client) UploadTicketAttachment(ctx context.Context, o TicketOwner, name string, forTicket bool, base64Data string) (string, error) {
	from := osmmodel.GetAccessoryJsonFormatReqAccessoryFromEnum().MESSAGE
	if forTicket {
		from = osmmodel.GetAccessoryJsonFormatReqAccessoryFromEnum().INCIDENT
	}
	resp, err := ticketCall(ctx, c, o, "UploadJsonAccessories", (*osm.OsmClient).UploadJsonAccessories, &osmmodel.UploadJsonAccessoriesRequest{
		Body: &osmmodel.AccessoryJsonFormatReq{AccessoryName: name, AccessoryFrom: from, UploadType: ptr(int32(0)), AccessoryData: base64Data}})
	if err != nil {
		return "", err
	}
	if str(resp.AccessoryId) == "" {
		return "", &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream answered without an attachment id", Op: "UploadJsonAccessories"}
	}
	return *resp.AccessoryId, nil
}

// Form data.

// TicketCategories lists the product categories with their ticket types
// (ListCaseCategories).
func (c *Client) TicketCategories(ctx context.Context, o TicketOwner) ([]TicketCategory, error) {
	resp, err := ticketCall(ctx, c, o, "ListCaseCategories", (*osm.OsmClient).ListCaseCategories, &osmmodel.ListCaseCategoriesRequest{})
	if err != nil {
		return nil, err
	}
	var out []TicketCategory
	for _, st := range rows(resp.IncidentSubTypeList) {
		for _, pc := range rows(st.IncidentProductCategoryList) {
			out = append(out, TicketCategory{
				ID: str(pc.IncidentProductCategoryId), Name: str(pc.IncidentProductCategoryName), Description: str(pc.IncidentProductCategoryDesc),
				Acronym: str(pc.IncidentProductCategoryAcronym), TicketTypeID: str(st.IncidentSubTypeId), TicketTypeName: str(st.IncidentSubTypeName),
				SupportPlan: pc.CanUseSupportPlan != nil && *pc.CanUseSupportPlan,
			})
		}
	}
	return out, nil
}

// TicketProblemTypes lists a product category's problem types.
func (c *Client) TicketProblemTypes(ctx context.Context, o TicketOwner, categoryID string) ([]TicketProblemType, error) {
	resp, err := ticketCall(ctx, c, o, "ListProblemTypes", (*osm.OsmClient).ListProblemTypes, &osmmodel.ListProblemTypesRequest{ProductCategoryId: &categoryID})
	if err != nil {
		return nil, err
	}
	return convert(resp.IncidentBusinessTypeList, func(b osmmodel.SimpleIncidentBusinessTypeV2) TicketProblemType {
		return TicketProblemType{ID: str(b.BusinessTypeId), Name: str(b.BusinessTypeName), CaseType: str(b.CaseType), SupportPlan: b.CanUseSupportPlan != nil && *b.CanUseSupportPlan}
	}), nil
}

// TicketTemplates lists a problem type's description templates.
func (c *Client) TicketTemplates(ctx context.Context, o TicketOwner, problemTypeID string) ([]TicketTemplate, error) {
	resp, err := ticketCall(ctx, c, o, "ListCaseTemplates", (*osm.OsmClient).ListCaseTemplates, &osmmodel.ListCaseTemplatesRequest{BusinessTypeId: problemTypeID})
	if err != nil {
		return nil, err
	}
	return convert(resp.IncidentTemplateList, func(t osmmodel.IncidentTempV2) TicketTemplate {
		return TicketTemplate{ID: str(t.IncidentTemplateId), Name: str(t.IncidentTemplateName), Content: str(t.IncidentTemplateContent)}
	}), nil
}

// TicketSeverities lists the severities of a problem type.
func (c *Client) TicketSeverities(ctx context.Context, o TicketOwner, categoryID, problemTypeID string) (TicketSeverities, error) {
	resp, err := ticketCall(ctx, c, o, "ListSeverities", (*osm.OsmClient).ListSeverities,
		&osmmodel.ListSeveritiesRequest{ProductCategoryId: categoryID, BusinessTypeId: problemTypeID})
	if err != nil {
		return TicketSeverities{}, err
	}
	return TicketSeverities{Show: resp.Show != nil && *resp.Show, Options: convert(resp.SeverityList, func(s osmmodel.SeverityV2Do) TicketSeverity {
		return TicketSeverity{ID: str(s.SeverityId), Name: str(s.SeverityName)}
	})}, nil
}

// TicketParameters lists a problem type's extended parameters.
func (c *Client) TicketParameters(ctx context.Context, o TicketOwner, categoryID, problemTypeID string) ([]TicketParameter, error) {
	resp, err := ticketCall(ctx, c, o, "ListExtendsParams", (*osm.OsmClient).ListExtendsParams,
		&osmmodel.ListExtendsParamsRequest{BusinessTypeId: problemTypeID, ProductCategoryId: optStr(categoryID)})
	if err != nil {
		return nil, err
	}
	return convert(resp.ExtendsParams, func(p osmmodel.ExtendsParamV2) TicketParameter {
		tp := TicketParameter{Key: str(p.ParamKey), Name: str(p.ParamName), Description: str(p.ParamDesc), Tips: str(p.Tips), Default: str(p.DefaultValue),
			Required: i32(p.Required) == 1, Shown: p.IsShow == nil || *p.IsShow == 1, Sensitive: i32(p.IsSensitive) == 1,
			Type: i32(p.ParamType), MaxLength: i32(p.Length), Min: p.MinValue, Max: p.MaxValue}
		for _, s := range strings.Split(str(p.SelectItem), ",") {
			if s = strings.TrimSpace(s); s != "" {
				tp.Options = append(tp.Options, s)
			}
		}
		return tp
	}), nil
}

// TicketRegions lists the regions of fault tickets.
func (c *Client) TicketRegions(ctx context.Context, o TicketOwner) ([]TicketRegion, error) {
	resp, err := ticketCall(ctx, c, o, "ListRegions", (*osm.OsmClient).ListRegions, &osmmodel.ListRegionsRequest{})
	if err != nil {
		return nil, err
	}
	return convert(resp.DataCenterList, func(d osmmodel.DataCenterV2Do) TicketRegion {
		return TicketRegion{ID: str(d.RegionId), Name: str(d.RegionName), OutsideMainland: i32(d.Type) == 1}
	}), nil
}

// TicketAreaCodes lists the calling codes of reminder mobiles.
func (c *Client) TicketAreaCodes(ctx context.Context, o TicketOwner) ([]TicketAreaCode, error) {
	resp, err := ticketCall(ctx, c, o, "ListAreaCodes", (*osm.OsmClient).ListAreaCodes, &osmmodel.ListAreaCodesRequest{})
	if err != nil {
		return nil, err
	}
	return convert(resp.AreaCodeList, func(a osmmodel.AreaCodeSimpleInfoV2) TicketAreaCode {
		return TicketAreaCode{Code: str(a.AreaCode), Name: str(a.AreaName)}
	}), nil
}

// TicketAttachmentLimits reads the attachment limits (ShowAccessoryLimits;
// the upstream sends the numbers as strings).
func (c *Client) TicketAttachmentLimits(ctx context.Context, o TicketOwner) (AttachmentLimits, error) {
	resp, err := ticketCall(ctx, c, o, "ShowAccessoryLimits", (*osm.OsmClient).ShowAccessoryLimits, &osmmodel.ShowAccessoryLimitsRequest{})
	if err != nil {
		return AttachmentLimits{}, err
	}
	l := resp.AccessoryLimit
	if l == nil {
		return AttachmentLimits{}, &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream answered without attachment limits", Op: "ShowAccessoryLimits"}
	}
	out := AttachmentLimits{}
	out.MaxCount, _ = strconv.Atoi(strings.TrimSpace(str(l.LimitCount)))
	out.MaxSizeMB, _ = strconv.Atoi(strings.TrimSpace(str(l.LimitSize)))
	for _, t := range strings.Split(str(l.LimitFileType), ",") {
		if t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), ".")); t != "" {
			out.FileTypes = append(out.FileTypes, t)
		}
	}
	if out.MaxCount <= 0 || out.MaxSizeMB <= 0 {
		return AttachmentLimits{}, &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream sent unreadable attachment limits", Op: "ShowAccessoryLimits"}
	}
	return out, nil
}

// TicketQuota reads the account's remaining quota for a problem type.
func (c *Client) TicketQuota(ctx context.Context, o TicketOwner, categoryID, problemTypeID string) (TicketQuota, error) {
	resp, err := ticketCall(ctx, c, o, "ListCaseQuotas", (*osm.OsmClient).ListCaseQuotas,
		&osmmodel.ListCaseQuotasRequest{BusinessTypeId: problemTypeID, ProductCategoryId: optStr(categoryID)})
	if err != nil {
		return TicketQuota{}, err
	}
	return TicketQuota{Total: i32(resp.Total), Unused: i32(resp.UnUsed)}, nil
}

// SatisfactionDimensions lists the dimensions of a rating.
func (c *Client) SatisfactionDimensions(ctx context.Context, o TicketOwner) ([]SatisfactionDimension, error) {
	resp, err := ticketCall(ctx, c, o, "ListSatisfactionDimensions", (*osm.OsmClient).ListSatisfactionDimensions, &osmmodel.ListSatisfactionDimensionsRequest{})
	if err != nil {
		return nil, err
	}
	return convert(resp.SatisfactionDimensionList, func(d osmmodel.SatisfactionDimensionSimpleInfoV2) SatisfactionDimension {
		return SatisfactionDimension{ID: i32(d.SatisfactionId), Name: str(d.SatisfactionName), Description: str(d.SatisfactionDesc), Max: i32(d.Value), Step: i32(d.PerValue)}
	}), nil
}
