package resolvers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"partnergraph/graph"
	"partnergraph/identity"
)

// wsClient is a graphql-transport-ws client on a real WebSocket.
type wsClient struct {
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a graphql-transport-ws connection to the gateway and sends
// connection_init with payload; header goes with the upgrade.
func dialWS(tb testing.TB, gwURL string, header http.Header, payload map[string]any) *wsClient {
	tb.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(gwURL, "http")+"/graphql", header)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	resp.Body.Close()
	if conn.Subprotocol() != "graphql-transport-ws" {
		tb.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	tb.Cleanup(func() { conn.Close() })
	c := &wsClient{conn: conn}
	p, _ := json.Marshal(payload)
	c.send(tb, wsMessage{Type: "connection_init", Payload: p})
	return c
}

func (c *wsClient) send(tb testing.TB, m wsMessage) {
	tb.Helper()
	if err := c.conn.WriteJSON(m); err != nil {
		tb.Fatal(err)
	}
}

// next reads the next message that is not a keep-alive; ok is false when
// the connection closed (err says how).
func (c *wsClient) next(tb testing.TB, within time.Duration) (m wsMessage, err error) {
	tb.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(within))
	for {
		if err := c.conn.ReadJSON(&m); err != nil {
			return m, err
		}
		if m.Type != "ping" && m.Type != "pong" {
			return m, nil
		}
	}
}

func (c *wsClient) subscribe(tb testing.TB, id, query string, vars map[string]any) {
	tb.Helper()
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(tb, wsMessage{ID: id, Type: "subscribe", Payload: p})
}

// sseStream is a subscription over Server-Sent Events, read with a plain
// net/http client.
type sseStream struct {
	events chan sseEvent
	cancel context.CancelFunc
}

type sseEvent struct {
	name string
	data string
}

func openSSE(tb testing.TB, gwURL, token, query string, vars map[string]any) *sseStream {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gwURL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		cancel()
		tb.Fatalf("event stream: %d %s", resp.StatusCode, ct)
	}
	s := &sseStream{events: make(chan sseEvent, 64), cancel: cancel}
	tb.Cleanup(cancel)
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				s.events <- ev
				ev = sseEvent{}
			}
		}
	}()
	return s
}

// next returns the next event, or ok false when the stream ended or
// nothing came within d.
func (s *sseStream) next(d time.Duration) (sseEvent, bool) {
	select {
	case ev, ok := <-s.events:
		return ev, ok
	case <-time.After(d):
		return sseEvent{}, false
	}
}

const updateFields = `caseId status statusCode previousStatus newMessages { author { kind name } content createdAt } unreadCount allowedActions observedAt`

type ticketUpdate struct {
	CaseID         string  `json:"caseId"`
	Status         string  `json:"status"`
	PreviousStatus *string `json:"previousStatus"`
	NewMessages    []struct {
		Author struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"author"`
		Content string `json:"content"`
	} `json:"newMessages"`
	UnreadCount *int `json:"unreadCount"`
}

func (u ticketUpdate) engineerReplied() bool {
	for _, m := range u.NewMessages {
		if m.Author.Kind == "ENGINEER" {
			return true
		}
	}
	return false
}

// The simulated engineer's reply reaches a WebSocket subscriber of the
// ticket and an SSE subscriber of all open tickets, from one poller of
// the account; the poller stops when both leave.
func TestTicketUpdatesLive(t *testing.T) {
	e := newTicketEnv(t, time.Second)
	tok := e.providerToken(t)
	f := e.ticketForm(t, tok)
	tk := e.createTicket(t, tok, f, "Live: which ECS flavors have local NVMe disks?")

	ws := dialWS(t, e.gw.URL, nil, map[string]any{"Authorization": "Bearer " + tok})
	if m, err := ws.next(t, 5*time.Second); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	ws.subscribe(t, "1", `subscription($id: ID!) { ticketUpdated(ticketId: $id) { `+updateFields+` } }`, map[string]any{"id": tk.ID})
	sse := openSSE(t, e.gw.URL, tok, `subscription { openTicketsUpdated { `+updateFields+` } }`, nil)

	deadline := time.Now().Add(10 * time.Second)
	var wsGot, sseGot ticketUpdate
	for !wsGot.engineerReplied() && time.Now().Before(deadline) {
		m, err := ws.next(t, time.Until(deadline))
		if err != nil {
			t.Fatalf("websocket: %v", err)
		}
		if m.Type != "next" || m.ID != "1" {
			t.Fatalf("websocket message %s %s", m.Type, m.Payload)
		}
		var p struct {
			Data struct {
				TicketUpdated ticketUpdate `json:"ticketUpdated"`
			} `json:"data"`
			Errors []gqlError `json:"errors"`
		}
		mustUnmarshal(t, m.Payload, &p)
		if len(p.Errors) > 0 {
			t.Fatalf("websocket errors %+v", p.Errors)
		}
		wsGot = p.Data.TicketUpdated
	}
	for !sseGot.engineerReplied() && time.Now().Before(deadline) {
		ev, ok := sse.next(time.Until(deadline))
		if !ok {
			t.Fatal("event stream ended")
		}
		var p struct {
			Data struct {
				OpenTicketsUpdated ticketUpdate `json:"openTicketsUpdated"`
			} `json:"data"`
			Errors []gqlError `json:"errors"`
		}
		mustUnmarshal(t, json.RawMessage(ev.data), &p)
		if ev.name != "next" || len(p.Errors) > 0 {
			t.Fatalf("event %s %s", ev.name, ev.data)
		}
		if p.Data.OpenTicketsUpdated.CaseID == tk.CaseID {
			sseGot = p.Data.OpenTicketsUpdated
		}
	}
	for name, u := range map[string]ticketUpdate{"websocket": wsGot, "sse": sseGot} {
		if u.CaseID != tk.CaseID || u.Status != "AWAITING_FEEDBACK" || u.PreviousStatus == nil || *u.PreviousStatus != "SUBMITTED" ||
			!u.engineerReplied() || u.UnreadCount == nil || *u.UnreadCount != 1 {
			t.Fatalf("%s update: %+v", name, u)
		}
	}

	// One poller for the account whatever the number of subscribers: at
	// most one activity read per 50 ms interval (two pollers would double it).
	e.resetStats(t)
	time.Sleep(time.Second)
	if n := e.calls(t, "ListNewInstantMessages")["ListNewInstantMessages"]; n < 5 || n > 24 {
		t.Fatalf("%d ListNewInstantMessages in 1 s at a 50 ms interval, want one poller's worth", n)
	}
	ws.send(t, wsMessage{ID: "1", Type: "complete"})
	sse.cancel()
	time.Sleep(200 * time.Millisecond)
	e.resetStats(t)
	time.Sleep(300 * time.Millisecond)
	if n := e.calls(t, "ListNewInstantMessages")["ListNewInstantMessages"]; n != 0 {
		t.Fatalf("the poller kept polling after its subscribers left: %d calls", n)
	}
}

// Subscriptions authenticate with the same JWT, in the connection_init
// payload or the upgrade request's header, and end when it expires.
func TestSubscriptionAuth(t *testing.T) {
	e := newTicketEnv(t, time.Hour)
	tok := e.providerToken(t)
	sub := `subscription { openTicketsUpdated { caseId } }`

	t.Run("NoToken", func(t *testing.T) {
		ws := dialWS(t, e.gw.URL, nil, nil)
		if m, err := ws.next(t, 5*time.Second); err == nil {
			t.Fatalf("connection accepted without a token: %+v", m)
		}
	})
	t.Run("BadToken", func(t *testing.T) {
		ws := dialWS(t, e.gw.URL, nil, map[string]any{"Authorization": "Bearer not-a-token"})
		if m, err := ws.next(t, 5*time.Second); err == nil {
			t.Fatalf("connection accepted with a bad token: %+v", m)
		}
	})
	t.Run("HeaderToken", func(t *testing.T) {
		ws := dialWS(t, e.gw.URL, http.Header{"Authorization": {"Bearer " + tok}}, nil)
		if m, err := ws.next(t, 5*time.Second); err != nil || m.Type != "connection_ack" {
			t.Fatalf("init: %+v %v", m, err)
		}
	})
	t.Run("QueryRefused", func(t *testing.T) {
		ws := dialWS(t, e.gw.URL, nil, map[string]any{"Authorization": "Bearer " + tok})
		if m, err := ws.next(t, 5*time.Second); err != nil || m.Type != "connection_ack" {
			t.Fatalf("init: %+v %v", m, err)
		}
		ws.subscribe(t, "q", `{ viewer { role } }`, nil)
		m, err := ws.next(t, 5*time.Second)
		if err != nil || !strings.Contains(string(m.Payload), "BAD_USER_INPUT") {
			t.Fatalf("a query over the WebSocket: %+v %v", m, err)
		}
	})
	t.Run("PlainPOSTRefused", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"query": sub})
		resp, text := httpDo(t, http.MethodPost, e.gw.URL+"/graphql", "application/json", "application/json", tok, string(body))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(text, "BAD_USER_INPUT") || !strings.Contains(text, "text/event-stream") {
			t.Fatalf("a subscription over plain POST: %d %s", resp.StatusCode, text)
		}
		// Queries that merely mention the word pass.
		body, _ = json.Marshal(map[string]any{"query": `{ viewer { role } } # subscription`})
		if resp, text := httpDo(t, http.MethodPost, e.gw.URL+"/graphql", "application/json", "", tok, string(body)); resp.StatusCode != 200 || !strings.Contains(text, "PARTNER") {
			t.Fatalf("a query: %d %s", resp.StatusCode, text)
		}
	})
	t.Run("SSEUnauthenticated", func(t *testing.T) {
		s := openSSE(t, e.gw.URL, "", sub, nil)
		ev, ok := s.next(5 * time.Second)
		if !ok || !strings.Contains(ev.data, "UNAUTHENTICATED") {
			t.Fatalf("event %+v", ev)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		short, err := identity.Mint(testSecret, testIssuer, testAudience,
			identity.Principal{Subject: "paul", Role: identity.RolePartner, PartnerID: e.provider.ID}, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ws := dialWS(t, e.gw.URL, nil, map[string]any{"Authorization": "Bearer " + short})
		if m, err := ws.next(t, 5*time.Second); err != nil || m.Type != "connection_ack" {
			t.Fatalf("init: %+v %v", m, err)
		}
		ws.subscribe(t, "1", sub, nil)
		s := openSSE(t, e.gw.URL, short, sub, nil)
		start := time.Now()
		m, err := ws.next(t, 5*time.Second)
		if err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), "the token has expired") || !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
			t.Fatalf("websocket at expiry: %+v %s %v", m, m.Payload, err)
		}
		if m, err := ws.next(t, 5*time.Second); err != nil || m.Type != "complete" {
			t.Fatalf("websocket after expiry: %+v %v", m, err)
		}
		if _, err := ws.next(t, 5*time.Second); err == nil {
			t.Fatal("the connection stayed open after the token expired")
		}
		var names []string
		for {
			ev, ok := s.next(5 * time.Second)
			if !ok {
				break
			}
			names = append(names, ev.name)
			if ev.name == "next" && !strings.Contains(ev.data, "the token has expired") {
				t.Fatalf("event %+v", ev)
			}
		}
		if strings.Join(names, ",") != "next,complete" {
			t.Fatalf("event stream at expiry: %v", names)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Fatalf("closed %s after subscribing with a 2 s token", d)
		}
	})
}

// subscriptionAccess is what each role gets from each subscription root
// field (tier1, reseller, provider, customer): "ok" when the subscription
// is accepted, else the first error's code. A ticket that is nobody's is
// NOT_FOUND for all.
var subscriptionAccess = map[string]struct {
	query string
	want  [4]string
}{
	"Subscription.ticketUpdated":      {`subscription { ticketUpdated(ticketId: "` + nobodysTicket + `") { caseId } }`, [4]string{nf, nf, nf, nf}},
	"Subscription.openTicketsUpdated": {`subscription { openTicketsUpdated { caseId } }`, [4]string{ok, ok, ok, ok}},
}

// TestEveryRoleEverySubscriptionField is TestEveryRoleEveryRootFieldAccess
// for the subscription root, over SSE.
func TestEveryRoleEverySubscriptionField(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, root := range []*ast.Definition{schema.Subscription} {
		for _, f := range root.Fields {
			if _, ok := subscriptionAccess[root.Name+"."+f.Name]; !ok && !strings.HasPrefix(f.Name, "__") {
				t.Errorf("subscription %s.%s has no row in subscriptionAccess", root.Name, f.Name)
			}
		}
	}
	e := newTicketEnv(t, time.Hour)
	tokens := map[string]string{"none": "", "bad": "not-a-token", "tier1": e.tier1Token(t), "reseller": e.resellerToken(t),
		"provider": e.providerToken(t), "customer": e.showcaseToken(t)}
	fields := make([]string, 0, len(subscriptionAccess))
	for f := range subscriptionAccess {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		t.Run(f, func(t *testing.T) {
			row := subscriptionAccess[f]
			for i, role := range []string{"none", "bad", "tier1", "reseller", "provider", "customer"} {
				want := "UNAUTHENTICATED"
				if i >= 2 {
					want = row.want[i-2]
				}
				s := openSSE(t, e.gw.URL, tokens[role], row.query, nil)
				got := ok
				if ev, more := s.next(300 * time.Millisecond); more {
					var p gqlResponse
					mustUnmarshal(t, json.RawMessage(ev.data), &p)
					if len(p.Errors) > 0 {
						got, _ = p.Errors[0].Extensions["code"].(string)
					}
				}
				s.cancel()
				if got != want {
					t.Errorf("%s: got %s, want %s", role, got, want)
				}
			}
		})
	}
}
