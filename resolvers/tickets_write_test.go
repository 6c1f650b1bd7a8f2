package resolvers_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"partnergraph/sandbox"
)

const createQ = `mutation($in: CreateTicketInput!, $k: String!) { createTicket(input: $in, idempotencyKey: $k) { replayed ticket { ` + ticketFields + ` } } }`

type ticketPayload struct {
	Replayed bool       `json:"replayed"`
	Ticket   ticketNode `json:"ticket"`
}

// A retried create does not open a second ticket: the same key replays
// the first ticket, concurrent duplicates make one upstream call (those
// that arrive while it runs are told to retry), and the same key with
// other arguments is a conflict.
func TestCreateTicketIdempotent(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.tier1Token(t)
	f := e.ticketForm(t, tok)
	in := map[string]any{"productCategoryId": f.category, "problemTypeId": f.consult, "description": "How do I enable MFA for all IAM users?"}
	key := newKey()
	e.resetStats(t)
	var first, again ticketPayload
	mustData(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": key}), "createTicket", &first)
	mustData(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": key}), "createTicket", &again)
	if first.Replayed || !again.Replayed || first.Ticket.CaseID == "" || again.Ticket.CaseID != first.Ticket.CaseID || first.Ticket.Status != "SUBMITTED" {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	if !strings.Contains(strings.Join(first.Ticket.AllowedActions, ","), "CANCEL") {
		t.Fatalf("a new ticket can be cancelled: %v", first.Ticket.AllowedActions)
	}

	key2 := newKey()
	rs := e.queryParallel(t, 5, tok, createQ, func(int) map[string]any { return map[string]any{"in": in, "k": key2} })
	ids := map[string]bool{}
	for _, r := range rs {
		if len(r.Errors) > 0 {
			wantError(t, r, "IDEMPOTENCY_IN_PROGRESS", "")
			continue
		}
		var p ticketPayload
		mustData(t, r, "createTicket", &p)
		ids[p.Ticket.CaseID] = true
	}
	if len(ids) != 1 {
		t.Fatalf("5 concurrent creates with one key opened %d tickets", len(ids))
	}
	if n := e.calls(t, "CreateCases")["CreateCases"]; n != 2 {
		t.Fatalf("CreateCases = %d, want 2 (one per key)", n)
	}
	other := map[string]any{"productCategoryId": f.category, "problemTypeId": f.consult, "description": "something else"}
	wantError(t, e.query(t, tok, createQ, map[string]any{"in": other, "k": key}), "IDEMPOTENCY_CONFLICT", "")
	wantError(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": "has space"}), "BAD_USER_INPUT", "")
}

// A create whose answer is lost after the upstream applied it is found
// among the newest tickets: it succeeds once, and the retry replays it.
// One lost before the upstream applied it is reported, and the key is free.
func TestCreateTicketLostAnswer(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.providerToken(t)
	f := e.ticketForm(t, tok)
	in := map[string]any{"productCategoryId": f.category, "problemTypeId": f.consult, "description": "Lost answer: which regions offer GPU flavors?"}
	before := len(e.viewerTickets(t, tok, 100, "caseId"))

	key := newKey()
	e.fault(t, map[string]any{"operation": "CreateCases", "drop": true, "after": true, "count": 1})
	var p, again ticketPayload
	mustData(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": key}), "createTicket", &p)
	mustData(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": key}), "createTicket", &again)
	if p.Ticket.CaseID == "" || again.Ticket.CaseID != p.Ticket.CaseID || !again.Replayed {
		t.Fatalf("found %+v, retried %+v", p, again)
	}
	if n := len(e.viewerTickets(t, tok, 100, "caseId")); n != before+1 {
		t.Fatalf("%d tickets, want %d", n, before+1)
	}

	key = newKey()
	in["description"] = "Lost request: how do I export my bills?"
	e.fault(t, map[string]any{"operation": "CreateCases", "drop": true, "count": 1})
	r := e.query(t, tok, createQ, map[string]any{"in": in, "k": key})
	if e := wantError(t, r, "UPSTREAM_UNAVAILABLE", ""); !strings.Contains(e.Message, "nothing was applied") {
		t.Fatalf("message %q", e.Message)
	}
	mustData(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": key}), "createTicket", &p)
	if p.Replayed {
		t.Fatal("the retry of a lost request replayed nothing")
	}
	if n := len(e.viewerTickets(t, tok, 100, "caseId")); n != before+2 {
		t.Fatalf("%d tickets, want %d", n, before+2)
	}
}

// The upstream's rules answer BAD_USER_INPUT with its code: checked
// before the call where the gateway knows them (attachments, the action a
// status allows), after it where the upstream decides (region, urging
// too often, rating twice, the quota).
func TestTicketRules(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.providerToken(t)
	f := e.ticketForm(t, tok)
	var done ticketNode
	for _, tk := range e.viewerTickets(t, tok, 20, ticketFields) {
		if tk.Status == "COMPLETED" {
			done = tk
		}
	}
	e.resetStats(t)
	r := e.query(t, tok, `mutation($id: ID!) { cancelTicket(ticketId: $id, idempotencyKey: "k1") { replayed } }`, map[string]any{"id": done.ID})
	if e := wantTicketRule(t, r, "OSM.01010002"); !strings.Contains(e.Message, "COMPLETED") {
		t.Fatalf("message %q", e.Message)
	}
	if n := e.calls(t, "UpdateCases")["UpdateCases"]; n != 0 {
		t.Fatalf("UpdateCases called %d times for a refused action", n)
	}

	ids := make([]string, 6)
	for i := range ids {
		ids[i] = fmt.Sprintf("acc-%d", i)
	}
	r = e.query(t, tok, createQ, map[string]any{"k": newKey(), "in": map[string]any{"productCategoryId": f.category, "problemTypeId": f.consult,
		"description": "six attachments", "attachmentIds": ids}})
	wantTicketRule(t, r, "OSM.01010001")
	if n := e.calls(t, "CreateCases")["CreateCases"]; n != 0 {
		t.Fatalf("CreateCases called %d times with too many attachments", n)
	}

	// After the call: the upstream's own rules.
	r = e.query(t, tok, createQ, map[string]any{"k": newKey(), "in": map[string]any{"productCategoryId": f.faultCategory, "problemTypeId": f.fault,
		"description": "a fault without its region"}})
	wantError(t, r, "BAD_USER_INPUT", "OSM.01010001")

	tk := e.createTicket(t, tok, f, "urge me twice")
	urge := `mutation($id: ID!, $k: String!) { urgeTicket(ticketId: $id, idempotencyKey: $k) { ticket { status } } }`
	if r := e.query(t, tok, urge, map[string]any{"id": tk.ID, "k": newKey()}); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	wantError(t, e.query(t, tok, urge, map[string]any{"id": tk.ID, "k": newKey()}), "BAD_USER_INPUT", "OSM.01010004")

	rate := `mutation($id: ID!, $k: String!) { rateTicket(ticketId: $id, comment: "fine", scores: [{ dimensionId: 1, value: 4 }], idempotencyKey: $k) {
		ticket { allowedActions } } }`
	if r := e.query(t, tok, rate, map[string]any{"id": done.ID, "k": newKey()}); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	wantError(t, e.query(t, tok, rate, map[string]any{"id": done.ID, "k": newKey()}), "BAD_USER_INPUT", "OSM.01010002")
	bad := `mutation($id: ID!) { rateTicket(ticketId: $id, comment: "x", scores: [{ dimensionId: 1, value: 9 }], idempotencyKey: "k-bad") { replayed } }`
	wantTicketRule(t, e.query(t, tok, bad, map[string]any{"id": done.ID}), "OSM.01010001")

	// Opening tickets until the month's quota is used up.
	var quota gqlResponse
	for i := 0; i < 40; i++ {
		quota = e.query(t, tok, createQ, map[string]any{"k": newKey(), "in": map[string]any{"productCategoryId": f.category, "problemTypeId": f.consult,
			"description": fmt.Sprintf("quota %d", i)}})
		if len(quota.Errors) > 0 {
			break
		}
	}
	wantError(t, quota, "BAD_USER_INPUT", "OSM.01010009")
	r = e.query(t, tok, `query($c: String!, $p: String!) { viewer { ticketForm { problemType(productCategoryId: $c, id: $p) { quota { total remaining } } } } }`,
		map[string]any{"c": f.category, "p": f.consult})
	if !contains(r.Data["viewer"], `"remaining":0`) {
		t.Fatalf("quota after the last ticket: %s %+v", r.Data["viewer"], r.Errors)
	}
}

// wantTicketRule checks a rule refused before the call: BAD_USER_INPUT
// with the upstream code of the rule.
func wantTicketRule(tb testing.TB, r gqlResponse, upstream string) gqlError {
	tb.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Errors[0].Extensions["upstreamCode"] != upstream {
		tb.Fatalf("want BAD_USER_INPUT %s, got %+v", upstream, r.Errors)
	}
	return r.Errors[0]
}

// A ticket's life through the graph: opened with an attachment, answered
// by the engineer, replied to with an attachment, read, closed and rated.
func TestTicketLifecycle(t *testing.T) {
	e := newTicketEnv(t, 200*time.Millisecond)
	tok := e.showcaseToken(t) // a customer, through its customer token
	f := e.ticketForm(t, tok)
	upload := func(name, purpose string) string {
		r := e.query(t, tok, `mutation($in: UploadTicketAttachmentInput!, $k: String!) { uploadTicketAttachment(input: $in, idempotencyKey: $k) { attachment { id } } }`,
			map[string]any{"in": map[string]any{"fileName": name, "purpose": purpose, "contentBase64": base64.StdEncoding.EncodeToString([]byte("log line\n"))}, "k": newKey()})
		var p struct {
			Attachment struct {
				ID string `json:"id"`
			} `json:"attachment"`
		}
		mustData(t, r, "uploadTicketAttachment", &p)
		return p.Attachment.ID
	}
	att := upload("boot.log", "NEW_TICKET")
	var p ticketPayload
	mustData(t, e.query(t, tok, createQ, map[string]any{"k": newKey(), "in": map[string]any{"productCategoryId": f.faultCategory, "problemTypeId": f.fault,
		"regionId": f.region, "severityId": f.severity, "description": "The instance does not boot after a resize.", "attachmentIds": []string{att},
		"contact": map[string]any{"hours": "09:00-18:00"}, "parameters": []map[string]any{{"key": "instance_id", "value": "i-123"}}}}), "createTicket", &p)
	id := p.Ticket.ID

	// The engineer answers after the reply delay, on the next upstream call.
	time.Sleep(300 * time.Millisecond)
	read := `query($id: ID!) { node(id: $id) { ... on Ticket { status unreadCount allowedActions severity contact { hours }
		messages(last: 2) { edges { node { author { kind } attachments { fileName } } } } } } }`
	r := e.query(t, tok, read, map[string]any{"id": id})
	if !contains(r.Data["node"], `"status":"AWAITING_FEEDBACK"`) || !contains(r.Data["node"], `"unreadCount":1`) || !contains(r.Data["node"], `"hours":"09:00-18:00"`) ||
		!contains(r.Data["node"], `"kind":"ENGINEER"`) || !contains(r.Data["node"], `"fileName":"boot.log"`) {
		t.Fatalf("after the answer: %s %+v", r.Data["node"], r.Errors)
	}
	reply := upload("screen.png", "REPLY")
	r = e.query(t, tok, `mutation($id: ID!, $a: [String!], $k: String!) { replyToTicket(ticketId: $id, content: "Screenshot attached.", attachmentIds: $a, idempotencyKey: $k) {
		ticket { status } } }`, map[string]any{"id": id, "a": []string{reply}, "k": newKey()})
	if !contains(r.Data["replyToTicket"], "IN_PROGRESS") {
		t.Fatalf("reply: %s %+v", r.Data["replyToTicket"], r.Errors)
	}
	r = e.query(t, tok, `mutation($id: ID!) { markTicketRead(ticketId: $id, idempotencyKey: "read-1") { ticket { unreadCount } } }`, map[string]any{"id": id})
	if !contains(r.Data["markTicketRead"], `"unreadCount":0`) {
		t.Fatalf("read: %s %+v", r.Data["markTicketRead"], r.Errors)
	}
	time.Sleep(300 * time.Millisecond) // the engineer's solution
	r = e.query(t, tok, `mutation($id: ID!) { closeTicket(ticketId: $id, comment: "solved", idempotencyKey: "close-1") { ticket { status allowedActions } } }`, map[string]any{"id": id})
	if !contains(r.Data["closeTicket"], `"status":"COMPLETED"`) || !contains(r.Data["closeTicket"], `"RATE"`) {
		t.Fatalf("close: %s %+v", r.Data["closeTicket"], r.Errors)
	}
	r = e.query(t, tok, `mutation($id: ID!) { rateTicket(ticketId: $id, comment: "quick", scores: [{ dimensionId: 1, value: 5 }, { dimensionId: 3, value: 4 }],
		idempotencyKey: "rate-1") { ticket { id } } }`, map[string]any{"id": id})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	r = e.query(t, tok, `query($id: ID!) { node(id: $id) { ... on Ticket { rating { comment scores { dimensionId value max } } } } }`, map[string]any{"id": id})
	if !contains(r.Data["node"], `"comment":"quick"`) || !contains(r.Data["node"], `"dimensionId":3,"value":4`) {
		t.Fatalf("rating: %s %+v", r.Data["node"], r.Errors)
	}
	// The tier-1 reads the customer's ticket by the same id.
	r = e.query(t, e.tier1Token(t), `query($id: ID!) { node(id: $id) { ... on Ticket { status } } }`, map[string]any{"id": id})
	if !contains(r.Data["node"], "COMPLETED") {
		t.Errorf("tier-1 reads the customer's ticket: %s %+v", r.Data["node"], r.Errors)
	}
}

// A create that times out may still be applied: the key keeps its
// attempt, a retry before the attempt's deadline is told when to come
// back, and the retry after it finds the ticket instead of opening a
// second one.
func TestCreateTicketTimeoutKeepsKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{Sandbox: sandbox.Options{TicketReplyDelay: time.Hour}})
	tok := e.providerToken(t)
	f := e.ticketForm(t, tok)
	in := map[string]any{"productCategoryId": f.category, "problemTypeId": f.consult, "description": "Slow upstream: is my ticket there?"}
	key := newKey()
	// The gateway stops waiting at 5s (CallTimeout); the sandbox applies at
	// 5.5s, before the SDK's own HTTP timeout (6s) would abort the request.
	e.fault(t, map[string]any{"operation": "CreateCases", "latency_ms": 5500, "count": 1})
	start := time.Now()
	r := e.query(t, tok, createQ, map[string]any{"in": in, "k": key})
	if e := wantError(t, r, "OUTCOME_UNKNOWN", ""); !strings.Contains(e.Message, "same idempotencyKey") {
		t.Fatalf("message %q", e.Message)
	}
	busy := wantError(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": key}), "IDEMPOTENCY_IN_PROGRESS", "")
	if busy.Extensions["retryAfter"] == nil {
		t.Fatalf("no retryAfter: %+v", busy)
	}
	time.Sleep(time.Until(start.Add(10500 * time.Millisecond))) // the call timeout (5s) + 5s: the attempt is over
	var p ticketPayload
	mustData(t, e.query(t, tok, createQ, map[string]any{"in": in, "k": key}), "createTicket", &p)
	if p.Ticket.Description != in["description"] {
		t.Fatalf("retry: %+v", p)
	}
	if n := e.calls(t, "CreateCases")["CreateCases"]; n != 1 {
		t.Fatalf("CreateCases = %d, want 1", n)
	}
}
