package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/sandbox"
)

// ticketSandbox is a sandbox with a client holding every partner's keys,
// its OSM endpoint the sandbox's own.
type ticketSandbox struct {
	sb       *sandbox.Sandbox
	c        *gateway.Client
	tier1    sandbox.ManifestPartner
	customer string // the tier-1's showcase customer
}

func newTicketSandbox(t *testing.T, o sandbox.Options) *ticketSandbox {
	t.Helper()
	if o.Seed == 0 {
		o.Seed = 7
	}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	m := sb.Manifest(srv.URL)
	ts := &ticketSandbox{sb: sb}
	var accounts []gateway.Account
	for _, p := range m.Partners {
		if p.Kind == "tier1" && ts.tier1.ID == "" {
			ts.tier1 = p
		}
		accounts = append(accounts, gateway.Account{ID: p.ID, Kind: gateway.Kind(p.Kind), ParentID: p.ParentID, AK: p.AK, SK: p.SK, AgencyName: p.AgencyName})
	}
	for _, cu := range m.Customers {
		if cu.PartnerID == ts.tier1.ID {
			ts.customer = cu.ID
			break
		}
	}
	ts.c, err = gateway.New(gateway.Config{Endpoint: m.Endpoint, IAMEndpoint: m.IAMEndpoint, OSMEndpoint: m.Endpoint, Accounts: accounts, CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// The partner's own tickets go with its keys, the customer's with a
// customer token; each sees only its own.
func TestTicketsOwnAndCustomer(t *testing.T) {
	ts := newTicketSandbox(t, sandbox.Options{})
	ctx := context.Background()
	own := gateway.TicketOwner{Scope: gateway.Scope{Account: ts.tier1.ID}}
	cust := gateway.TicketOwner{Scope: gateway.Scope{Account: ts.tier1.ID}, Customer: ts.customer}

	l, err := ts.c.Tickets(ctx, own, gateway.TicketQuery{Window: gateway.Window{Limit: 20}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Total != 2 || len(l.Tickets) != 2 || l.Tickets[0].AccountID != ts.tier1.ID {
		t.Fatalf("partner tickets: %+v", l)
	}
	cl, err := ts.c.Tickets(ctx, cust, gateway.TicketQuery{Window: gateway.Window{Limit: 20}})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Total != 6 { // seven seeded, one deleted
		t.Fatalf("customer tickets: total %d, want 6", cl.Total)
	}
	for _, tk := range cl.Tickets {
		if tk.AccountID != ts.customer || tk.Created.IsZero() || tk.Description == "" {
			t.Fatalf("customer ticket %+v", tk)
		}
	}
	// A customer's ticket is not the partner's.
	if _, err := ts.c.Ticket(ctx, own, cl.Tickets[0].ID); apierr.ErrorCode(err) != apierr.CodeNotFound {
		t.Fatalf("customer ticket with partner keys: %v, want NOT_FOUND", err)
	}
	open, err := ts.c.Tickets(ctx, cust, gateway.TicketQuery{Window: gateway.Window{Limit: 20}, Statuses: gateway.OpenTicketStatuses})
	if err != nil {
		t.Fatal(err)
	}
	if open.Total != 4 {
		t.Fatalf("open customer tickets: %d, want 4", open.Total)
	}
	ids := make([]string, len(cl.Tickets))
	for i, tk := range cl.Tickets {
		ids[i] = tk.ID
	}
	un, err := ts.c.TicketUnread(ctx, cust, ids)
	if err != nil || len(un) != len(ids) {
		t.Fatalf("unread: %v %+v", err, un)
	}
	act, err := ts.c.TicketActivity(ctx, cust, ids, "")
	if err != nil || act.Cursor == "" || len(act.Statuses) != len(ids) || len(act.Messages) == 0 {
		t.Fatalf("activity: %v %+v", err, act)
	}
	again, err := ts.c.TicketActivity(ctx, cust, ids, act.Cursor)
	if err != nil || len(again.Messages) != 0 || again.Cursor != act.Cursor {
		t.Fatalf("activity after the cursor: %v %+v", err, again)
	}
}

// Business errors arrive with HTTP 200: they are errors with the
// upstream code and request id, never successes.
func TestTicketBusinessErrors(t *testing.T) {
	ts := newTicketSandbox(t, sandbox.Options{})
	ctx := context.Background()
	own := gateway.TicketOwner{Scope: gateway.Scope{Account: ts.tier1.ID}}
	l, err := ts.c.Tickets(ctx, own, gateway.TicketQuery{Window: gateway.Window{Limit: 20}, Statuses: []int{gateway.TicketCompleted}})
	if err != nil || len(l.Tickets) == 0 {
		t.Fatalf("completed tickets: %v %+v", err, l)
	}
	done := l.Tickets[0].ID

	err = ts.c.TicketAction(ctx, own, done, gateway.TicketCancel, "", "", nil)
	wantTicketError(t, err, apierr.CodeBadUserInput, gateway.UpCodeTicketNotAllowed)

	err = ts.c.TicketAction(ctx, own, "TT00000000000000", gateway.TicketPress, "", "", nil)
	wantTicketError(t, err, apierr.CodeNotFound, gateway.UpCodeTicketNotFound)

	cats, err := ts.c.TicketCategories(ctx, own)
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories: %v", err)
	}
	var fault gateway.TicketProblemType
	var cat string
	for _, c := range cats {
		pts, err := ts.c.TicketProblemTypes(ctx, own, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, pt := range pts {
			if pt.CaseType == gateway.CaseTypeFault && fault.ID == "" {
				fault, cat = pt, c.ID
			}
		}
	}
	_, err = ts.c.CreateTicket(ctx, own, gateway.NewTicket{ProductCategoryID: cat, ProblemTypeID: fault.ID, Description: "no region"})
	wantTicketError(t, err, apierr.CodeBadUserInput, gateway.UpCodeTicketParam)
}

func wantTicketError(t *testing.T, err error, code apierr.Code, upstream string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != code || e.UpstreamCode != upstream || e.RequestID == "" {
		t.Fatalf("got %v (%+v), want %s %s with a request id", err, e, code, upstream)
	}
}

// A 200 body with error_code is an error whichever SDK model the
// operation has: with error fields (UpdateCases) or without
// (CreateCases, whose incident_id is then simply missing).
func TestTicketErrorIn200Body(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-200")
		_, _ = w.Write([]byte(`{"error_code":"OSM.01010009","error_msg":"Can't create a case because of customer benefit not matching the rule."}`))
	}))
	defer srv.Close()
	c, err := gateway.New(gateway.Config{Endpoint: srv.URL, OSMEndpoint: srv.URL, CallTimeout: time.Second,
		Accounts: []gateway.Account{{ID: "p1", Kind: gateway.KindTier1, AK: "AK", SK: "SK"}}})
	if err != nil {
		t.Fatal(err)
	}
	own := gateway.TicketOwner{Scope: gateway.Scope{Account: "p1"}}
	_, err = c.CreateTicket(context.Background(), own, gateway.NewTicket{ProblemTypeID: "x", Description: "y"})
	wantTicketError(t, err, apierr.CodeBadUserInput, gateway.UpCodeTicketQuota)
	if e := err.(*apierr.Error); e.RequestID != "req-200" || !strings.Contains(e.Message, "quota") {
		t.Fatalf("error %+v", e)
	}
	err = c.TicketAction(context.Background(), own, "TT1", gateway.TicketClose, "", "", nil)
	wantTicketError(t, err, apierr.CodeBadUserInput, gateway.UpCodeTicketQuota)
}
