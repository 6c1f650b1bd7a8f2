package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"partnergraph/identity"
)

// In live mode the tickets go to --osm-endpoint with the partner's keys;
// a reseller, whose keys a live gateway does not hold, has no own tickets.
func TestRunLiveTickets(t *testing.T) {
	up, m, tier1 := mustUpstream(t)
	secret := "live-secret-live-secret-live-secret"
	env := map[string]string{
		"PARTNERGRAPH_MODE": "live", "PARTNERGRAPH_BSS_ENDPOINT": up.URL, "PARTNERGRAPH_IAM_ENDPOINT": up.URL, "PARTNERGRAPH_OSM_ENDPOINT": up.URL,
		"PARTNERGRAPH_AK": tier1.AK, "PARTNERGRAPH_SK": tier1.SK, "PARTNERGRAPH_PARTNER_ID": tier1.ID, "PARTNERGRAPH_AGENCY_NAME": tier1.AgencyName,
		"PARTNERGRAPH_JWT_HS256_SECRET": secret,
		"PARTNERGRAPH_REDIS_URL":        testRedisURL(t), "PARTNERGRAPH_VERIFICATION_SECRET": strings.Repeat("v", 32),
		"PARTNERGRAPH_SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms", "PARTNERGRAPH_SMS_WEBHOOK_SECRET": strings.Repeat("w", 16),
		"PARTNERGRAPH_TICKET_POLL_INTERVAL": "1s", "PARTNERGRAPH_TICKET_SUBSCRIPTIONS_PER_ACCOUNT": "5",
	}
	base := MustRun(t, []string{"--listen", "127.0.0.1:0"}, env)
	tok, _ := identity.Mint([]byte(secret), "partnergraph", "partnergraph", identity.Principal{Subject: "x", Role: identity.RolePartner, PartnerID: tier1.ID}, time.Hour)
	out := query(t, base, tok, `{ viewer { tickets(first: 5) { totalCount edges { node { caseId accountId } } } } }`)
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"totalCount":2`) || !strings.Contains(string(b), tier1.ID) || strings.Contains(string(b), "errors") {
		t.Errorf("live tickets: got %s", b)
	}
	var customer string
	for _, c := range m.Customers {
		if c.PartnerID == tier1.ID {
			customer = c.ID
			break
		}
	}
	ctok, _ := identity.Mint([]byte(secret), "partnergraph", "partnergraph",
		identity.Principal{Subject: "c", Role: identity.RoleCustomer, PartnerID: tier1.ID, CustomerID: customer}, time.Hour)
	out = query(t, base, ctok, `{ viewer { tickets(first: 20) { totalCount } } }`)
	if b, _ := json.Marshal(out); !strings.Contains(string(b), `"totalCount":6`) {
		t.Errorf("live customer tickets: got %s", b)
	}
	var reseller string
	for _, p := range m.Partners {
		if p.Kind == "tier2" && p.ParentID == tier1.ID {
			reseller = p.ID
		}
	}
	rtok, _ := identity.Mint([]byte(secret), "partnergraph", "partnergraph", identity.Principal{Subject: "y", Role: identity.RoleReseller, PartnerID: reseller}, time.Hour)
	out = query(t, base, rtok, `{ viewer { tickets(first: 5) { totalCount } } }`)
	if b, _ := json.Marshal(out); !strings.Contains(string(b), "FORBIDDEN") {
		t.Errorf("live reseller's own tickets: got %s", b)
	}
}

// --sandbox-ticket-reply-delay sets when the sandbox's engineer answers.
func TestRunSandboxTicketReplyDelay(t *testing.T) {
	base := MustRun(t, []string{"--listen", "127.0.0.1:0", "--sandbox-listen", "127.0.0.1:0", "--sandbox-ticket-reply-delay", "100ms"}, nil)
	var tokens map[string]string
	getJSON(t, base+"/dev/tokens", &tokens)
	// The showcase customer's newest ticket was due an answer 100 ms after start.
	time.Sleep(200 * time.Millisecond)
	out := query(t, base, tokens["customer"], `{ viewer { tickets(first: 1) { edges { node { status messages(last: 1) { edges { node { author { kind } } } } } } } } }`)
	if b, _ := json.Marshal(out); !strings.Contains(string(b), `"kind":"ENGINEER"`) || !strings.Contains(string(b), "AWAITING_FEEDBACK") {
		t.Errorf("after the reply delay: got %s", b)
	}
}

func TestTicketSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"OSMEndpoint":  {[]string{"--osm-endpoint", "osm.example"}, "--osm-endpoint (PARTNERGRAPH_OSM_ENDPOINT)"},
		"PollInterval": {[]string{"--ticket-poll-interval", "soon"}, "--ticket-poll-interval"},
		"PerAccount":   {[]string{"--ticket-subscriptions-per-account", "0"}, "--ticket-subscriptions-per-account"},
		"Max":          {[]string{"--ticket-subscriptions-max", "x"}, "--ticket-subscriptions-max"},
		"ReplyDelay":   {[]string{"--sandbox-ticket-reply-delay", "0s"}, "--sandbox-ticket-reply-delay"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"partnergraph"}, tc.args...), func(string) string { return "" }, &syncBuffer{}, &syncBuffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	c, err := parseConfig(nil, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.osmEndpoint != "https://osm.cn-south-1.myhuaweicloud.com" || c.ticketPollInterval != 5*time.Second || c.ticketSubsPerAccount != 20 ||
		c.ticketSubs != 1000 || c.sandboxTicketDelay != 30*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	sc, err := parseSandboxConfig([]string{"--ticket-reply-delay", "2s"}, &syncBuffer{})
	if err != nil || sc.ticketDelay != 2*time.Second {
		t.Fatalf("sandbox --ticket-reply-delay: %+v %v", sc, err)
	}
	if _, err := parseSandboxConfig([]string{"--ticket-reply-delay", "0s"}, &syncBuffer{}); err == nil || !strings.Contains(err.Error(), "ticket-reply-delay") {
		t.Fatalf("sandbox --ticket-reply-delay 0s: %v", err)
	}
}
