package sandbox

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"
)

// OSM cases: CreateCases, ListCases, DownloadCases (CSV export),
// ShowCaseDetail, ShowCaseStatus, ListCaseCounts, UpdateCases (press, cancel, close, delete), CreateScores,
// UpdateCaseContactInfo, ShowCaseExtendsParam, CreateCaseExtendsParam,
// ListCaseOperateLogs, CreateRelations, ListRelation, DeleteRelation. The
// status rules are in tickets.go.
//
// CreateCases checks, in order: the body (OSM.01010001 for anything
// missing or malformed): business_type_id exists, source_id is the fixed
// OSM source, simple_description 1–1200 characters, product_category_id and
// incident_sub_type_id (optional) agree with the problem type, region_id is
// given (fault types, case_type "5") and known, severity_id is known
// (OSM.01010006), the contact fields' formats, the problem type's required
// extends_map parameters, at most 5 accessory_ids; then the month's quota
// (OSM.01010009 when used up, see ListCaseQuotas); then the reminder
// contacts: a remind_mobile or remind_mail that is not the account's
// registered one needs the x-phone-verifiedid / x-email-verifiedid header
// naming a verified contact with that value (tickets_contacts.go), else
// OSM.01010010; then the attachments: each the caller's, uploaded with
// accessory_from "incident" and not yet attached (OSM.01010001).

var (
	reRemindTime = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)
	reRemindMail = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	reDigits     = regexp.MustCompile(`^\d{5,20}$`)
	reEpoch      = regexp.MustCompile(`^\d{9,13}$`)
)

// contactFields are the reminder fields of CreateCases and
// UpdateCaseContactInfo.
type contactFields struct {
	AreaCode, Mobile, Mail, RemindTime *string
}

func (f contactFields) check() error {
	if v := f.AreaCode; v != nil && *v != "" && !knownAreaCode(strings.TrimPrefix(*v, "+")) {
		return osmInvalid("area_code %s is not a known country/region code", *v)
	}
	if v := f.Mobile; v != nil && *v != "" && !reDigits.MatchString(*v) {
		return osmInvalid("remind_mobile must be 5 to 20 digits")
	}
	if v := f.Mail; v != nil && *v != "" && (len(*v) > 128 || !reRemindMail.MatchString(*v)) {
		return osmInvalid("remind_mail is not a valid e-mail address")
	}
	if v := f.RemindTime; v != nil && *v != "" && *v != "0" && !reRemindTime.MatchString(*v) {
		return osmInvalid(`remind_time must be "0" (any time) or "HH:MM-HH:MM"`)
	}
	return nil
}

func (f contactFields) area() string {
	if f.AreaCode == nil || *f.AreaCode == "" {
		return "86"
	}
	return strings.TrimPrefix(*f.AreaCode, "+")
}

// contactsAllowed checks that reminder contacts are the account's
// registered ones or verified. With byID (CreateCases) the request must name
// the verified contact (phoneID, mailID: the x-phone-verifiedid and
// x-email-verifiedid headers); without (UpdateCaseContactInfo, which has no
// such headers) any verified contact of that value does. Callers hold
// st.mu.
func (o *osmState) contactsAllowed(me osmIdentity, f contactFields, byID bool, phoneID, mailID string, now time.Time) error {
	if byID && phoneID == "" {
		phoneID = "-"
	}
	if byID && mailID == "" {
		mailID = "-"
	}
	if f.Mobile != nil && *f.Mobile != "" && !(f.area() == "86" && *f.Mobile == me.Mobile) &&
		!o.verified(me.OwnerID, 0, *f.Mobile, f.area(), phoneID, now) {
		return osmFail("OSM.01010010", "remind_mobile %s is not the account's mobile and has not been verified (x-phone-verifiedid)", *f.Mobile)
	}
	if f.Mail != nil && *f.Mail != "" && !strings.EqualFold(*f.Mail, me.Email) &&
		!o.verified(me.OwnerID, 1, *f.Mail, "", mailID, now) {
		return osmFail("OSM.01010010", "remind_mail %s is not the account's e-mail and has not been verified (x-email-verifiedid)", *f.Mail)
	}
	return nil
}

// checkAccessories checks that ids are the caller's unattached uploads of
// the given origin.
func (o *osmState) checkAccessories(me osmIdentity, ids []string, from string) error {
	if len(ids) > accessoryMaxCount {
		return osmInvalid("at most %d accessories", accessoryMaxCount)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		a := o.accessories[id]
		if a == nil || a.OwnerID != me.OwnerID || seen[id] {
			return osmInvalid("accessory %s does not exist", id)
		}
		if a.From != from {
			return osmInvalid("accessory %s was uploaded for a %s, not a %s", id, a.From, from)
		}
		if a.TicketID != "" {
			return osmInvalid("accessory %s is already attached", id)
		}
		seen[id] = true
	}
	return nil
}

func (s *Sandbox) createCases(c *call) (any, error) {
	var req model.CreateOrderIncidentV2Req
	if err := c.osmBody(&req); err != nil {
		return nil, err
	}
	bt := osmBusinessTypes[req.BusinessTypeId]
	if req.BusinessTypeId == "" || bt == nil {
		return nil, osmInvalid("business_type_id %q does not exist", req.BusinessTypeId)
	}
	cat := osmCategoryByID[bt.CategoryID]
	if req.SourceId != osmSourceID {
		return nil, osmInvalid("source_id must be %s", osmSourceID)
	}
	if err := checkLen("simple_description", req.SimpleDescription, maxDescription, true); err != nil {
		return nil, err
	}
	if v := valueOf(req.ProductCategoryId); v != "" && v != bt.CategoryID {
		return nil, osmInvalid("product_category_id %s does not match the problem type", v)
	}
	if v := valueOf(req.IncidentSubTypeId); v != "" && v != cat.SubTypeID {
		return nil, osmInvalid("incident_sub_type_id %s does not match the problem type", v)
	}
	region := valueOf(req.RegionId)
	if region == "" && bt.CaseType == "5" {
		return nil, osmInvalid("region_id is required for a fault ticket")
	}
	if region != "" && regionName(region, "en") == "" {
		return nil, osmInvalid("region_id %s does not exist", region)
	}
	severity := valueOf(req.SeverityId)
	if severity != "" && severityName(severity, "en") == "" {
		return nil, osmFail("OSM.01010006")
	}
	if err := checkLen("project_id", valueOf(req.ProjectId), 64, false); err != nil {
		return nil, err
	}
	cf := contactFields{AreaCode: req.AreaCode, Mobile: req.RemindMobile, Mail: req.RemindMail, RemindTime: req.RemindTime}
	if err := cf.check(); err != nil {
		return nil, err
	}
	extends, err := checkExtends(bt, req.ExtendsMap, true)
	if err != nil {
		return nil, err
	}
	accIDs := valueOf(req.AccessoryIds)
	return withOSM(s, c, func(o *osmState, me osmIdentity, now time.Time) (any, error) {
		if o.usedThisMonth(me.OwnerID, now) >= monthlyCaseQuota {
			return nil, osmFail("OSM.01010009", "The %d tickets of this month are used up.", monthlyCaseQuota)
		}
		if err := o.contactsAllowed(me, cf, true, c.r.Header.Get("x-phone-verifiedid"), c.r.Header.Get("x-email-verifiedid"), now); err != nil {
			return nil, err
		}
		if err := o.checkAccessories(me, accIDs, "incident"); err != nil {
			return nil, err
		}
		t := &Ticket{
			ID: o.newTicketID(now), OwnerID: me.OwnerID, CreatorID: me.UserID, CreatorName: me.UserName,
			Status: caseSubmitted, SubTypeID: cat.SubTypeID, CategoryID: cat.ID, BusinessTypeID: bt.ID,
			RegionID: region, SeverityID: severity, Description: req.SimpleDescription, SourceName: "API",
			ProjectID: valueOf(req.ProjectId), Created: now, AreaCode: cf.area(), RemindMobile: valueOf(req.RemindMobile),
			RemindMail: valueOf(req.RemindMail), RemindTime: valueOf(req.RemindTime), Extends: extends,
		}
		if t.RemindTime == "" {
			t.RemindTime = "0"
		}
		t.Engineer = o.ticketSeq
		o.addTicket(t)
		o.addMessage(t, &TicketMessage{Type: 0, ReplierID: me.UserID, ReplierName: me.UserName, Content: req.SimpleDescription,
			Created: now, First: true, Accessories: append([]string(nil), accIDs...)})
		o.log(t, osmLogCreate, 0, me.UserID, me.UserName, "ticket submitted", now)
		o.scheduleAnswer(t, now.Add(s.opts.TicketReplyDelay))
		return model.CreateCasesResponse{IncidentId: ptr(t.ID)}, nil
	})
}

// parseOSMTime reads a query time: epoch seconds or milliseconds, RFC 3339,
// or "yyyy-MM-dd HH:mm:ss" / "yyyy-MM-ddTHH:mm:ss" / "yyyy-MM-dd" in the
// call's X-Time-Zone.
func parseOSMTime(field, v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if reEpoch.MatchString(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			if len(v) >= 13 {
				return time.UnixMilli(n).UTC(), nil
			}
			return time.Unix(n, 0).UTC(), nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, osmInvalid("%s must be a time (yyyy-MM-dd HH:mm:ss, RFC 3339 or epoch milliseconds)", field)
}

// queryTimes reads the query_start_time and query_end_time filters (see
// parseOSMTime).
func (c *call) queryTimes(loc *time.Location) (from, to time.Time, err error) {
	if from, err = parseOSMTime("query_start_time", c.q("query_start_time"), loc); err != nil {
		return from, to, err
	}
	to, err = parseOSMTime("query_end_time", c.q("query_end_time"), loc)
	return from, to, err
}

// parseStatuses reads incident_status: status codes separated by commas.
func parseStatuses(v string) (map[int32]bool, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	out := map[int32]bool{}
	for _, part := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 32)
		if err != nil || n < 0 || n > 30 {
			return nil, osmInvalid("incident_status must be status codes separated by commas")
		}
		out[int32(n)] = true
	}
	return out, nil
}

// listCases lists the caller's tickets, newest first. Deleted tickets
// (13) are listed only when status or incident_status asks for 13.
func (s *Sandbox) listCases(c *call) (any, error) {
	off, lim, err := c.osmPage()
	if err != nil {
		return nil, err
	}
	status, err := c.osmInt("status", 0, 30)
	if err != nil {
		return nil, err
	}
	keys := c.qs("search_key")
	if len(keys) > 3 {
		return nil, osmInvalid("at most 3 search_key values")
	}
	labels := c.qs("label_id_list")
	if len(labels) > 5 {
		return nil, osmInvalid("at most 5 label_id_list values")
	}
	statuses, err := parseStatuses(c.q("incident_status"))
	if err != nil {
		return nil, err
	}
	from, to, err := c.queryTimes(c.zone())
	if err != nil {
		return nil, err
	}
	appKey, incidentID := strings.ToLower(c.q("app_key")), c.q("incident_id")
	xid, xname := c.q("x_customer_id"), c.q("x_customer_name")
	for i := range keys {
		keys[i] = strings.ToLower(keys[i])
	}
	wantDeleted := (status != nil && *status == caseDeleted) || statuses[caseDeleted]
	keep := func(t *Ticket) bool {
		switch {
		case t.Status == caseDeleted && !wantDeleted,
			status != nil && t.Status != *status,
			statuses != nil && !statuses[t.Status],
			incidentID != "" && t.ID != incidentID,
			xid != "" && t.CreatorID != xid,
			xname != "" && t.CreatorName != xname,
			len(labels) > 0, // the sandbox's tickets carry no labels
			!timeIn(t.Created, from, to):
			return false
		}
		desc := strings.ToLower(t.Description)
		for _, k := range keys {
			if !strings.Contains(desc, k) {
				return false
			}
		}
		if appKey != "" && !strings.Contains(strings.ToLower(t.ID), appKey) && !strings.Contains(desc, appKey) {
			return false
		}
		return true
	}
	lang := c.lang()
	return withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) (any, error) {
		total, page := newestFirst(o.byOwner[me.OwnerID], keep, off, lim)
		list := make([]model.IncidentInfoV2, 0, len(page))
		for _, t := range page {
			list = append(list, caseInfo(t, lang))
		}
		return model.ListCasesResponse{TotalCount: ptr(int32(total)), IncidentInfoList: &list}, nil
	})
}

func caseTypeName(bt *osmBusinessType, lang string) string {
	if bt.CaseType == "5" {
		return l10n{"故障报障", "Fault"}.in(lang)
	}
	return l10n{"咨询", "Consultation"}.in(lang)
}

func subTypeName(id, lang string) string {
	for _, st := range osmSubTypes {
		if st.ID == id {
			return st.Name.in(lang)
		}
	}
	return ""
}

func caseInfo(t *Ticket, lang string) model.IncidentInfoV2 {
	bt := osmBusinessTypes[t.BusinessTypeID]
	return model.IncidentInfoV2{
		XcustomerId: ptr(t.CreatorID), XcustomerName: ptr(t.CreatorName), Status: t.Status, IncidentId: t.ID,
		BusinessTypeName: bt.Name.in(lang), IncidentTypeName: subTypeName(t.SubTypeID, lang),
		ProductCategoryName: ptr(osmCategoryByID[t.CategoryID].Name.in(lang)), IncidentServiceType: ptr(caseTypeName(bt, lang)),
		CustomerId: t.OwnerID, DcName: regionName(t.RegionID, lang), SimpleDescription: t.Description,
		CreateTime: sdkTime(t.Created), ConfirmedTime: sdkTime(t.Confirmed),
		RootCause: strOpt(t.RootCause), Resolution: strOpt(t.Resolution),
	}
}

func (s *Sandbox) showCaseDetail(c *call) (any, error) {
	lang := c.lang()
	return s.withCase(c, func(o *osmState, _ osmIdentity, t *Ticket, _ time.Time) (any, error) {
		bt := osmBusinessTypes[t.BusinessTypeID]
		msgs := make([]model.IncidentMessageV2, 0, len(t.Messages))
		for _, m := range t.Messages {
			msgs = append(msgs, model.IncidentMessageV2{
				Type: ptr(m.Type), Replier: ptr(m.ReplierID), ReplierName: ptr(m.ReplierName), Content: ptr(m.Content),
				MessageId: ptr(m.ID), CreateTime: sdkTime(m.Created), IsFirstMessage: ptr(boolInt(m.First)),
				AccessoryList: o.accessoryList(m),
			})
		}
		d := &model.IncidentDetailInfoV2{
			XcustomerId: ptr(t.CreatorID), XcustomerName: ptr(t.CreatorName), Status: t.Status, Judgement: t.Judgement,
			IncidentId: ptr(t.ID), BusinessTypeName: bt.Name.in(lang), IncidentTypeName: subTypeName(t.SubTypeID, lang),
			CustomerId: t.OwnerID, DcName: regionName(t.RegionID, lang), SimpleDescription: t.Description,
			SourceName: t.SourceName, CreateTime: sdkTime(t.Created), MessageList: msgs,
			IncidentSatisfaction: scoreModels(t.Scores, lang), BusinessOwnership: ptr(int32(0)),
			ExtInfo: &model.IncidentDetailExtInfoV2{
				AreaCode: ptr(t.AreaCode), RemindMobile: ptr(t.RemindMobile), RemindMail: ptr(t.RemindMail),
				ContactType: ptr(contactType(t)), RemindTime: ptr(t.RemindTime), CcEmail: ptr(""), CommodityId: ptr(""),
			},
		}
		if t.SeverityID != "" {
			d.SeverityName = ptr(severityName(t.SeverityID, lang))
		}
		if !t.Confirmed.IsZero() {
			d.ResolveTime = ptr(t.Confirmed.UnixMilli())
		}
		return model.ShowCaseDetailResponse{IncidentDetailInfo: d}, nil
	})
}

// contactType says how the submitter is reminded: "0" mobile, "1" e-mail,
// "0,1" both, "" neither.
func contactType(t *Ticket) string {
	var ways []string
	if t.RemindMobile != "" {
		ways = append(ways, "0")
	}
	if t.RemindMail != "" {
		ways = append(ways, "1")
	}
	return strings.Join(ways, ",")
}

func scoreModels(scores []CaseScore, lang string) []model.IncidentSatisfactionV2Do {
	out := make([]model.IncidentSatisfactionV2Do, 0, len(scores))
	for _, sc := range scores {
		name, _ := satisfactionName(sc.ID, lang)
		out = append(out, model.IncidentSatisfactionV2Do{
			SatisfactionId: sc.ID, SatisfactionValue: sc.Value, Value: ptr(int32(satisfactionMax)), PerValue: ptr(int32(1)),
			SatisfactionName: ptr(name), SatCategoryId: ptr(satisfactionCategory),
			SatCategoryName: ptr(l10n{"服务评价", "Service rating"}.in(lang)),
		})
	}
	return out
}

func (s *Sandbox) showCaseStatus(c *call) (any, error) {
	return s.withCase(c, func(_ *osmState, _ osmIdentity, t *Ticket, _ time.Time) (any, error) {
		return model.ShowCaseStatusResponse{Status: ptr(t.Status)}, nil
	})
}

// listCaseCounts counts the caller's tickets per status (deleted ones only
// when status=13 is asked for).
func (s *Sandbox) listCaseCounts(c *call) (any, error) {
	status, err := c.osmInt("status", 0, 30)
	if err != nil {
		return nil, err
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) (any, error) {
		counts := map[int32]int32{}
		for _, t := range o.byOwner[me.OwnerID] {
			if (status != nil && t.Status != *status) || (status == nil && t.Status == caseDeleted) {
				continue
			}
			counts[t.Status]++
		}
		list := []model.IncidentStatusCount{}
		for _, k := range sortedStatuses(counts) {
			list = append(list, model.IncidentStatusCount{Status: ptr(k), Count: ptr(counts[k])})
		}
		return model.ListCaseCountsResponse{IncidentStatusCounts: &list}, nil
	})
}

// checkScores validates a rating: 1–100 known dimensions, each once, with
// a value of 1..satisfactionMax.
func checkScores(list []model.IncidentSatisfactionV2Do) ([]CaseScore, error) {
	if len(list) == 0 || len(list) > 100 {
		return nil, osmInvalid("incident_satisfaction_list must have 1 to 100 scores")
	}
	seen := map[int32]bool{}
	out := make([]CaseScore, 0, len(list))
	for _, sc := range list {
		if _, ok := satisfactionName(sc.SatisfactionId, "en"); !ok || seen[sc.SatisfactionId] {
			return nil, osmInvalid("satisfaction_id %d is not a satisfaction dimension", sc.SatisfactionId)
		}
		if sc.SatisfactionValue < 1 || sc.SatisfactionValue > satisfactionMax {
			return nil, osmInvalid("satisfaction_value must be between 1 and %d", satisfactionMax)
		}
		seen[sc.SatisfactionId] = true
		out = append(out, CaseScore{ID: sc.SatisfactionId, Value: sc.SatisfactionValue})
	}
	return out, nil
}

// caseActions says in which statuses each UpdateCases action is allowed.
var caseActions = map[string]map[int32]bool{
	"press":  {caseSubmitted: true, caseHandling: true, caseFeedback: true},
	"cancel": {caseSubmitted: true},
	"close":  {caseHandling: true, caseToConfirm: true},
	"delete": {caseCompleted: true, caseCancelled: true, caseInvalid: true},
}

func (s *Sandbox) updateCases(c *call) (any, error) {
	var body model.WorkOrderOperateV2Req
	if _, err := c.osmDecode(&body); err != nil {
		return nil, err
	}
	action := c.q("action_id")
	allowed, ok := caseActions[action]
	if !ok {
		return nil, osmFail("OSM.01010013")
	}
	if err := checkLen("operate_desc", valueOf(body.OperateDesc), 400, false); err != nil {
		return nil, err
	}
	if err := checkLen("judgement", valueOf(body.Judgement), 400, false); err != nil {
		return nil, err
	}
	var scores []CaseScore
	if action == "close" && body.IncidentSatisfactionList != nil && len(*body.IncidentSatisfactionList) > 0 {
		var err error
		if scores, err = checkScores(*body.IncidentSatisfactionList); err != nil {
			return nil, err
		}
	}
	return s.withCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		if !allowed[t.Status] {
			return nil, osmFail("OSM.01010002", "A ticket in status %d cannot be %s.", t.Status, map[string]string{
				"press": "pressed", "cancel": "cancelled", "close": "closed", "delete": "deleted"}[action])
		}
		desc := valueOf(body.OperateDesc)
		switch action {
		case "press":
			if !t.LastPress.IsZero() && now.Sub(t.LastPress) < pressInterval {
				return nil, osmFail("OSM.01010004")
			}
			t.LastPress = now
			o.log(t, osmLogPress, 0, me.UserID, me.UserName, orDefault(desc, "pressed for progress"), now)
		case "cancel":
			t.Status = caseCancelled
			o.cancelAnswer(t)
			o.log(t, osmLogCancel, 0, me.UserID, me.UserName, orDefault(desc, "ticket cancelled"), now)
		case "close":
			t.Status = caseCompleted
			t.Confirmed = now
			o.cancelAnswer(t)
			if scores != nil || valueOf(body.Judgement) != "" {
				t.Judgement, t.Scores, t.Rated = valueOf(body.Judgement), scores, scores != nil
			}
			o.log(t, osmLogClose, 0, me.UserID, me.UserName, orDefault(desc, "ticket closed"), now)
		case "delete":
			t.Status = caseDeleted
			o.log(t, osmLogDelete, 0, me.UserID, me.UserName, orDefault(desc, "ticket deleted"), now)
		}
		return model.UpdateCasesResponse{}, nil
	})
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// createScores rates a completed ticket, once.
func (s *Sandbox) createScores(c *call) (any, error) {
	var body model.CreateScoreV2Req
	if err := c.osmBody(&body); err != nil {
		return nil, err
	}
	if err := checkLen("judgement", body.Judgement, 400, false); err != nil {
		return nil, err
	}
	scores, err := checkScores(body.IncidentSatisfactionList)
	if err != nil {
		return nil, err
	}
	return s.withCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		if t.Status != caseCompleted || t.Rated {
			return nil, osmFail("OSM.01010002", "Only a completed ticket can be rated, once.")
		}
		t.Judgement, t.Scores, t.Rated = body.Judgement, scores, true
		o.log(t, osmLogScore, 0, me.UserID, me.UserName, "ticket rated", now)
		return model.CreateScoresResponse{}, nil
	})
}

// updateCaseContactInfo changes an open ticket's reminder contacts; a new
// mobile or e-mail must be registered or verified (OSM.01010010).
func (s *Sandbox) updateCaseContactInfo(c *call) (any, error) {
	var body model.UpdateCaseContactInfoReq
	if _, err := c.osmDecode(&body); err != nil {
		return nil, err
	}
	cf := contactFields{AreaCode: body.AreaCode, Mobile: body.RemindMobile, Mail: body.RemindMail, RemindTime: body.RemindTime}
	if err := cf.check(); err != nil {
		return nil, err
	}
	return s.withOpenCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		if err := o.contactsAllowed(me, cf, false, "", "", now); err != nil {
			return nil, err
		}
		if body.AreaCode != nil {
			t.AreaCode = cf.area()
		}
		if body.RemindMobile != nil {
			t.RemindMobile = *body.RemindMobile
		}
		if body.RemindMail != nil {
			t.RemindMail = *body.RemindMail
		}
		if body.RemindTime != nil {
			t.RemindTime = orDefault(*body.RemindTime, "0")
		}
		o.log(t, osmLogContact, 0, me.UserID, me.UserName, "contact information changed", now)
		return model.UpdateCaseContactInfoResponse{}, nil
	})
}

func (s *Sandbox) showCaseExtendsParam(c *call) (any, error) {
	return s.withCase(c, func(*osmState, osmIdentity, *Ticket, time.Time) (any, error) {
		return model.ShowCaseExtendsParamResponse{}, nil
	})
}

// createCaseExtendsParam adds or changes extended parameters of an open
// ticket (keys of its problem type only), optionally naming the message
// that asked for them.
func (s *Sandbox) createCaseExtendsParam(c *call) (any, error) {
	var body model.PutCaseExtParamReq
	if _, err := c.osmDecode(&body); err != nil {
		return nil, err
	}
	if len(body.ExtendsMap) == 0 {
		return nil, osmInvalid("extends_map is required")
	}
	return s.withOpenCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		if id := valueOf(body.MessageId); id != "" {
			found := false
			for _, m := range t.Messages {
				found = found || m.ID == id
			}
			if !found {
				return nil, osmInvalid("message_id %s is not a message of the ticket", id)
			}
		}
		bt := osmBusinessTypes[t.BusinessTypeID]
		for k := range body.ExtendsMap {
			known := false
			for _, p := range bt.Params {
				known = known || p.Key == k
			}
			if !known {
				return nil, osmInvalid("extends_map.%s is not a parameter of the problem type", k)
			}
		}
		vals, err := checkExtends(bt, body.ExtendsMap, false)
		if err != nil {
			return nil, err
		}
		if t.Extends == nil {
			t.Extends = map[string]string{}
		}
		for k, v := range vals {
			t.Extends[k] = v
		}
		o.log(t, osmLogExtends, 0, me.UserID, me.UserName, "extended parameters changed", now)
		return model.CreateCaseExtendsParamResponse{}, nil
	})
}

// listCaseOperateLogs lists a ticket's operation log, oldest first;
// operate_time is in the call's X-Time-Zone.
func (s *Sandbox) listCaseOperateLogs(c *call) (any, error) {
	off, lim, err := c.osmPage()
	if err != nil {
		return nil, err
	}
	loc := c.zone()
	return s.withCase(c, func(_ *osmState, _ osmIdentity, t *Ticket, _ time.Time) (any, error) {
		list := pageOf(t.Logs, off, lim, func(l *CaseLog) model.IncidentOperateLogV2 {
			return model.IncidentOperateLogV2{
				IncidentLogId: ptr(l.ID), IncidentId: ptr(t.ID), OperateType: ptr(l.Type), OperatorType: ptr(l.OperatorType),
				OperatorId: ptr(l.OperatorID), OperatorName: ptr(l.OperatorName), OperateDesc: ptr(l.Desc),
				OperateTime: ptr(l.Time.In(loc).Format("2006-01-02 15:04:05")), TimestampOperateTime: sdkTime(l.Time),
			}
		})
		return model.ListCaseOperateLogsResponse{TotalCount: ptr(int32(len(t.Logs))), IncidentOperateLogList: &list}, nil
	})
}

// createRelations links up to 3 of the caller's other tickets to a ticket
// (the console's substitute for reopening).
func (s *Sandbox) createRelations(c *call) (any, error) {
	var body model.CreateRelationsReq
	ok, err := c.osmDecode(&body)
	if err != nil {
		return nil, err
	}
	if !ok || len(body.RelatedIdList) == 0 || len(body.RelatedIdList) > maxRelations {
		return nil, osmInvalid("related_id_list must have 1 to %d ticket ids", maxRelations)
	}
	return s.withCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		if t.Status == caseDeleted {
			return nil, errNoCase
		}
		rel := append([]string(nil), t.Relations...)
		for _, id := range body.RelatedIdList {
			if len(id) > 32 || id == t.ID {
				return nil, osmInvalid("related id %s is invalid", id)
			}
			if r := o.ticketOf(me, id); r == nil || r.Status == caseDeleted {
				return nil, osmFail("OSM.01010015", "Related ticket %s.", id)
			}
			dup := false
			for _, have := range rel {
				dup = dup || have == id
			}
			if !dup {
				rel = append(rel, id)
			}
		}
		if len(rel) > maxRelations {
			return nil, osmInvalid("a ticket has at most %d related tickets", maxRelations)
		}
		t.Relations = rel
		o.log(t, osmLogRelation, 0, me.UserID, me.UserName, "related tickets: "+strings.Join(rel, ","), now)
		return model.CreateRelationsResponse{}, nil
	})
}

func (s *Sandbox) listRelation(c *call) (any, error) {
	return s.withCase(c, func(o *osmState, me osmIdentity, t *Ticket, _ time.Time) (any, error) {
		list := []model.CaseRealtionInfo{}
		for _, id := range t.Relations {
			if r := o.ticketOf(me, id); r != nil && r.Status != caseDeleted {
				list = append(list, model.CaseRealtionInfo{CaseId: ptr(r.ID), SimpleDescription: ptr(r.Description), UserName: ptr(r.CreatorName)})
			}
		}
		return model.ListRelationResponse{CaseRelationList: &list}, nil
	})
}

func (s *Sandbox) deleteRelation(c *call) (any, error) {
	var body model.DeleteRelationsReq
	ok, err := c.osmDecode(&body)
	if err != nil {
		return nil, err
	}
	if !ok || body.RelatedId == "" {
		return nil, osmInvalid("related_id is required")
	}
	return s.withCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		for i, id := range t.Relations {
			if id == body.RelatedId {
				t.Relations = append(t.Relations[:i:i], t.Relations[i+1:]...)
				o.log(t, osmLogRelation, 0, me.UserID, me.UserName, "relation removed: "+id, now)
				return model.DeleteRelationResponse{}, nil
			}
		}
		return nil, osmInvalid("ticket %s is not related to %s", body.RelatedId, t.ID)
	})
}

// downloadCases exports the caller's tickets as CSV (UTF-8 with a BOM, so
// spreadsheets read the Chinese names), newest first: language and
// timezone are required ("zh-cn"/"en-us", "GMT+8"…); filters incident_id,
// query_start_time, query_end_time, x_customer_name, search_key, status,
// customer_id (the caller's own account only); offset, and limit 0–1000
// (0 or absent: every row up to 1000).
func (s *Sandbox) downloadCases(c *call) (any, error) {
	status, err := c.osmInt("status", 0, 30)
	if err != nil {
		return nil, err
	}
	off, err := c.osmInt("offset", 0, 65535)
	if err != nil {
		return nil, err
	}
	lim, err := c.osmInt("limit", 0, 1000)
	if err != nil {
		return nil, err
	}
	lang := c.q("language")
	if lang != "zh-cn" && lang != "en-us" {
		return nil, osmInvalid("language must be zh-cn or en-us")
	}
	if c.q("timezone") == "" {
		return nil, osmInvalid("timezone is required")
	}
	loc, l := zoneOf(c.q("timezone")), lang[:2]
	from, to, err := c.queryTimes(loc)
	if err != nil {
		return nil, err
	}
	key, xname, incidentID := strings.ToLower(c.q("search_key")), c.q("x_customer_name"), c.q("incident_id")
	o0, n := 0, 1000
	if off != nil {
		o0 = int(*off)
	}
	if lim != nil && *lim > 0 {
		n = int(*lim)
	}
	rows, _ := withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) ([][]string, error) {
		var rows [][]string
		if cid := c.q("customer_id"); cid == "" || cid == me.OwnerID {
			_, page := newestFirst(o.byOwner[me.OwnerID], func(t *Ticket) bool {
				return t.Status != caseDeleted && (status == nil || t.Status == *status) && (incidentID == "" || t.ID == incidentID) &&
					(xname == "" || t.CreatorName == xname) && strings.Contains(strings.ToLower(t.Description), key) && timeIn(t.Created, from, to)
			}, o0, n)
			for _, t := range page {
				bt := osmBusinessTypes[t.BusinessTypeID]
				rows = append(rows, []string{t.ID, strconv.Itoa(int(t.Status)), subTypeName(t.SubTypeID, l), osmCategoryByID[t.CategoryID].Name.in(l),
					bt.Name.in(l), t.Description, t.CreatorName, regionName(t.RegionID, l), t.Created.In(loc).Format("2006-01-02 15:04:05")})
			}
		}
		return rows, nil
	})
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	_ = w.Write(strings.Split(l10n{"工单编号,状态,工单类型,产品类型,问题类型,问题描述,提单人,区域,创建时间",
		"Ticket ID,Status,Ticket type,Product category,Problem type,Description,Submitted by,Region,Created"}.in(l), ","))
	_ = w.WriteAll(rows)
	h := http.Header{}
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "cases.csv"}))
	return rawBody{Status: http.StatusOK, Header: h, Body: buf.Bytes()}, nil
}
