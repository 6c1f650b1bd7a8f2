package resolvers_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"partnergraph/gateway"
)

// Each role reads its own tickets; a partner (or reseller) its customers'
// through Customer.tickets; the customer the same ones through viewer.
func TestTicketsByRole(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	cust := e.customersOf(e.tier1.ID)[0].ID
	for name, tc := range map[string]struct {
		token   string
		account string
		total   int
	}{
		"Tier1":    {e.tier1Token(t), e.tier1.ID, 2},
		"Reseller": {e.resellerToken(t), e.reseller.ID, 2},
		"Provider": {e.providerToken(t), e.provider.ID, 2},
		"Customer": {e.showcaseToken(t), cust, 6}, // seven seeded, one deleted
	} {
		t.Run(name, func(t *testing.T) {
			ts := e.viewerTickets(t, tc.token, 20, ticketFields+" unreadCount updatedAt")
			if len(ts) != tc.total {
				t.Fatalf("got %d tickets, want %d", len(ts), tc.total)
			}
			for _, tk := range ts {
				if tk.AccountID != tc.account || tk.Status == "" || tk.CreatedAt == nil || tk.UpdatedAt == nil || *tk.UpdatedAt < *tk.CreatedAt {
					t.Fatalf("ticket %+v", tk)
				}
				if _, err := time.Parse(time.RFC3339, *tk.UpdatedAt); err != nil {
					t.Fatalf("updatedAt %q: %v", *tk.UpdatedAt, err)
				}
			}
		})
	}

	// The tier-1 reaches its customer's tickets through the customer.
	r := e.query(t, e.tier1Token(t), `query($id: String) { customers(first: 1, filter: { name: $id }) { edges { node { customerId
		tickets(first: 20, filter: { statuses: [AWAITING_FEEDBACK, AWAITING_CONFIRMATION] }) { totalCount edges { node { caseId status unreadCount allowedActions } } } } } } }`,
		map[string]any{"id": nil})
	var cs struct {
		Edges []struct {
			Node struct {
				CustomerID string `json:"customerId"`
				Tickets    struct {
					TotalCount int `json:"totalCount"`
					Edges      []struct {
						Node ticketNode `json:"node"`
					} `json:"edges"`
				} `json:"tickets"`
			} `json:"node"`
		} `json:"edges"`
	}
	mustData(t, r, "customers", &cs)
	got := cs.Edges[0].Node
	if got.CustomerID != cust || got.Tickets.TotalCount != 2 {
		t.Fatalf("customer tickets: %+v", got)
	}
	for _, ed := range got.Tickets.Edges {
		tk := ed.Node
		if tk.UnreadCount != 1 || !strings.Contains(strings.Join(tk.AllowedActions, ","), "REPLY") {
			t.Fatalf("ticket %+v", tk)
		}
	}
}

// A reseller reaches its own customers' tickets through its tier-1's
// agency, as for orders.
func TestResellerCustomerTickets(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	cu := e.customersOf(e.reseller.ID)[0] // the reseller's showcase customer
	r := e.query(t, e.resellerToken(t), `query($id: String) { customers(first: 100, filter: { name: $id }) { edges { node { customerId
		tickets(first: 20) { totalCount edges { node { id accountId } } } } } } }`, map[string]any{"id": nil})
	var cs struct {
		Edges []struct {
			Node struct {
				CustomerID string `json:"customerId"`
				Tickets    struct {
					TotalCount int `json:"totalCount"`
					Edges      []struct {
						Node ticketNode `json:"node"`
					} `json:"edges"`
				} `json:"tickets"`
			} `json:"node"`
		} `json:"edges"`
	}
	mustData(t, r, "customers", &cs)
	for _, ed := range cs.Edges {
		if ed.Node.CustomerID != cu.ID {
			continue
		}
		if ed.Node.Tickets.TotalCount != 6 || ed.Node.Tickets.Edges[0].Node.AccountID != cu.ID {
			t.Fatalf("reseller's customer tickets: %+v", ed.Node.Tickets)
		}
		// The same ticket by id, for the reseller; not for the tier-1's
		// other partners.
		id := ed.Node.Tickets.Edges[0].Node.ID
		nodeQ := `query($id: ID!) { node(id: $id) { ... on Ticket { accountId } } }`
		if r := e.query(t, e.resellerToken(t), nodeQ, map[string]any{"id": id}); len(r.Errors) > 0 || !contains(r.Data["node"], cu.ID) {
			t.Fatalf("reseller node: %+v %s", r.Errors, r.Data["node"])
		}
		if r := e.query(t, e.providerToken(t), nodeQ, map[string]any{"id": id}); !hasCode(r, "NOT_FOUND") {
			t.Fatalf("provider node: %+v %s", r.Errors, r.Data["node"])
		}
		return
	}
	t.Fatalf("the reseller's showcase customer %s is not in its list", cu.ID)
}

// A ticket's messages come oldest first, with authors and attachments
// whose links download the file without credentials; the detail fields
// share one read.
func TestTicketMessagesAndAttachments(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.showcaseToken(t)
	r := e.query(t, tok, `{ viewer { tickets(first: 20, filter: { statuses: [AWAITING_CONFIRMATION] }) { edges { node {
		id severity contact { mobile hours } rating { comment }
		messages(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { node { author { kind name } content isDescription createdAt
			attachments { id fileName downloadUrl } } } }
		latest: messages(last: 1) { edges { node { author { kind } } } } } } } } }`, nil)
	var v struct {
		Tickets struct {
			Edges []struct {
				Node struct {
					ID       string  `json:"id"`
					Severity *string `json:"severity"`
					Contact  struct {
						Hours *string `json:"hours"`
					} `json:"contact"`
					Rating   *struct{} `json:"rating"`
					Messages struct {
						TotalCount int `json:"totalCount"`
						Edges      []struct {
							Node struct {
								Author struct {
									Kind string `json:"kind"`
								} `json:"author"`
								IsDescription bool `json:"isDescription"`
								Attachments   []struct {
									FileName    string  `json:"fileName"`
									DownloadURL *string `json:"downloadUrl"`
								} `json:"attachments"`
							} `json:"node"`
						} `json:"edges"`
					} `json:"messages"`
					Latest struct {
						Edges []struct {
							Node struct {
								Author struct {
									Kind string `json:"kind"`
								} `json:"author"`
							} `json:"node"`
						} `json:"edges"`
					} `json:"latest"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"tickets"`
	}
	mustData(t, r, "viewer", &v)
	if len(v.Tickets.Edges) != 1 {
		t.Fatalf("tickets awaiting confirmation: %d, want 1", len(v.Tickets.Edges))
	}
	tk := v.Tickets.Edges[0].Node
	ms := tk.Messages.Edges
	if tk.Messages.TotalCount != 4 || len(ms) != 4 || !ms[0].Node.IsDescription || ms[3].Node.Author.Kind != "ENGINEER" || tk.Rating != nil {
		t.Fatalf("messages %+v", tk)
	}
	if k := tk.Latest.Edges; len(k) != 1 || k[0].Node.Author.Kind != "ENGINEER" {
		t.Fatalf("last message %+v", k)
	}
	att := ms[3].Node.Attachments
	if len(att) != 1 || att[0].FileName != "billing-explanation.pdf" || att[0].DownloadURL == nil {
		t.Fatalf("attachments %+v", att)
	}
	resp, err := http.Get(*att[0].DownloadURL) // no credentials
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "%PDF") {
		t.Fatalf("download: %d %q", resp.StatusCode, body[:min(len(body), 20)])
	}

	// node(id:) answers the same ticket.
	r = e.query(t, tok, `query($id: ID!) { node(id: $id) { ... on Ticket { caseId status } } }`, map[string]any{"id": tk.ID})
	if len(r.Errors) > 0 || !contains(r.Data["node"], "AWAITING_CONFIRMATION") {
		t.Fatalf("node: %+v %s", r.Errors, r.Data["node"])
	}
}

// The fields of a page of tickets cost a constant number of upstream
// calls: the list, one unread read and one activity read for the page,
// whatever its size.
func TestTicketPageBatching(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.providerToken(t)
	f := e.ticketForm(t, tok)
	for i := range 18 { // 20 with the two seeded
		e.createTicket(t, tok, f, "batch ticket "+string(rune('a'+i)))
	}
	for _, n := range []int{5, 20} {
		e.resetStats(t)
		ts := e.viewerTickets(t, tok, n, "caseId status statusCode unreadCount updatedAt allowedActions")
		if len(ts) != n {
			t.Fatalf("first %d: %d tickets", n, len(ts))
		}
		got := e.calls(t, "ListCases", "ListUnreadNewInstantMessages", "ListNewInstantMessages", "ShowCaseDetail", "ShowCaseStatus")
		want := map[string]int{"ListCases": 1, "ListUnreadNewInstantMessages": 1, "ListNewInstantMessages": 1, "ShowCaseDetail": 0, "ShowCaseStatus": 0}
		if mustJSON(t, got) != mustJSON(t, want) {
			t.Fatalf("page of %d: calls %v, want %v", n, got, want)
		}
		t.Logf("page of %d tickets with status, unreadCount, updatedAt: %v", n, got)
	}
}

// Form data is cached per principal: a second read costs no upstream call.
func TestTicketFormCached(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.tier1Token(t)
	q := `{ viewer { ticketForm {
		productCategories { id name ticketTypeName }
		fault: problemType(productCategoryId: $cat, id: $pt) { name kind regionRequired templates { content } severities { showPicker options { id name } }
			parameters { key name required type options min max } quota { total remaining } }
		regions { id name } areaCodes { code name } attachmentLimits { maxCount maxSizeMb maxSizeBytes fileTypes }
		satisfactionDimensions { id name maxScore } } } }`
	f := e.ticketForm(t, tok)
	q = strings.NewReplacer("$cat", `"`+f.faultCategory+`"`, "$pt", `"`+f.fault+`"`).Replace(q)
	e.resetStats(t)
	r := e.query(t, tok, q, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, s := range []string{`"kind":"FAULT"`, `"regionRequired":true`, `"showPicker":true`, `"key":"instance_id"`, `"maxCount":5`, `"maxSizeBytes":4194304`, `"remaining":`} {
		if !contains(r.Data["viewer"], s) {
			t.Fatalf("form lacks %s: %s", s, r.Data["viewer"])
		}
	}
	first := e.stats(t)
	r2 := e.query(t, tok, q, nil)
	if string(r2.Data["viewer"]) != string(r.Data["viewer"]) {
		t.Fatal("the cached form differs")
	}
	if again := e.stats(t); mustJSON(t, again) != mustJSON(t, first) {
		t.Fatalf("second read called the upstream: %v then %v", first, again)
	}
	// Another principal reads its own.
	e.query(t, e.providerToken(t), q, nil)
	if after := e.stats(t); after["ListCaseCategories"] != first["ListCaseCategories"]+1 {
		t.Fatalf("another principal shared the cache: %v", after)
	}
}

// Uploads are checked against the limits before the upload: a forbidden
// type or an empty file never reaches the upstream.
func TestTicketUploadChecks(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.tier1Token(t)
	upload := func(name, content string) gqlResponse {
		return e.query(t, tok, `mutation($in: UploadTicketAttachmentInput!, $k: String!) { uploadTicketAttachment(input: $in, idempotencyKey: $k) {
			attachment { id fileName downloadUrl } size purpose replayed } }`,
			map[string]any{"in": map[string]any{"fileName": name, "purpose": "NEW_TICKET", "contentBase64": content}, "k": newKey()})
	}
	e.resetStats(t)
	for name, tc := range map[string]struct{ file, content string }{
		"ForbiddenType": {"setup.exe", base64.StdEncoding.EncodeToString([]byte("MZ"))},
		"Empty":         {"empty.txt", ""},
		"NotBase64":     {"notes.txt", "%%%"},
		"Path":          {"../etc/passwd.txt", "aGk="},
	} {
		t.Run(name, func(t *testing.T) {
			r := upload(tc.file, tc.content)
			if !hasCode(r, "BAD_USER_INPUT") {
				t.Fatalf("got %+v", r.Errors)
			}
		})
	}
	if n := e.calls(t, "UploadJsonAccessories")["UploadJsonAccessories"]; n != 0 {
		t.Fatalf("UploadJsonAccessories called %d times for refused files", n)
	}
	r := upload("screenshot.png", base64.StdEncoding.EncodeToString([]byte("\x89PNG fake")))
	var p struct {
		Attachment struct {
			ID          string  `json:"id"`
			DownloadURL *string `json:"downloadUrl"`
		} `json:"attachment"`
		Size int `json:"size"`
	}
	mustData(t, r, "uploadTicketAttachment", &p)
	if p.Attachment.ID == "" || p.Size != 9 || p.Attachment.DownloadURL == nil {
		t.Fatalf("upload %+v", p)
	}
}

// An id that is not the caller's, or a customer that is not its own, is
// NOT_FOUND — for reads, mutations and subscriptions alike.
func TestTicketOwnership(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	cust := e.customersOf(e.tier1.ID)[0].ID
	custTickets := e.viewerTickets(t, e.showcaseToken(t), 1, "id caseId")
	tier1Tickets := e.viewerTickets(t, e.tier1Token(t), 1, "id caseId")

	// The tier-1 reaches its customer's ticket by id; the provider does
	// not, nor the reseller, nor another customer.
	nodeQ := `query($id: ID!) { node(id: $id) { ... on Ticket { caseId } } }`
	if r := e.query(t, e.tier1Token(t), nodeQ, map[string]any{"id": custTickets[0].ID}); len(r.Errors) > 0 || !contains(r.Data["node"], custTickets[0].CaseID) {
		t.Fatalf("tier-1 node: %+v %s", r.Errors, r.Data["node"])
	}
	other := e.customersOf(e.tier1.ID)[1].ID
	for name, tok := range map[string]string{
		"Provider":      e.providerToken(t),
		"Reseller":      e.resellerToken(t),
		"OtherCustomer": MustToken(t, customerPrincipal(e.tier1.ID, other)),
	} {
		for _, id := range []string{custTickets[0].ID, tier1Tickets[0].ID} {
			if r := e.query(t, tok, nodeQ, map[string]any{"id": id}); !hasCode(r, "NOT_FOUND") {
				t.Fatalf("%s node %s: %+v %s", name, id, r.Errors, r.Data["node"])
			}
			r := e.query(t, tok, `mutation($id: ID!) { urgeTicket(ticketId: $id, idempotencyKey: "k-own") { replayed } }`, map[string]any{"id": id})
			if !hasCode(r, "NOT_FOUND") {
				t.Fatalf("%s urge %s: %+v", name, id, r.Errors)
			}
		}
	}
	// A reseller forging an id under its own scope for the tier-1's direct
	// customer is refused: the customer is not in the reseller's list.
	forged := forgeTicketID(gateway.Scope{Account: e.tier1.ID, Indirect: e.reseller.ID}, cust, custTickets[0].CaseID)
	if r := e.query(t, e.resellerToken(t), nodeQ, map[string]any{"id": forged}); !hasCode(r, "NOT_FOUND") {
		t.Fatalf("forged id: %+v %s", r.Errors, r.Data["node"])
	}
	// Naming a customer that is not the caller's.
	r := e.query(t, e.providerToken(t), `mutation($in: CreateTicketInput!) { createTicket(input: $in, idempotencyKey: "k-c") { replayed } }`,
		map[string]any{"in": map[string]any{"customer": map[string]any{"customerId": cust}, "productCategoryId": "x", "problemTypeId": "y", "description": "z"}})
	wantError(t, r, "NOT_FOUND", "")
}

// forgeTicketID builds a Ticket global ID as the gateway encodes them.
func forgeTicketID(s gateway.Scope, customer, caseID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("Ticket:" + s.Account + ":" + s.Indirect + ":" + customer + ":" + caseID))
}
