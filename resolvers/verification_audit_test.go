package resolvers_test

// Issue 4: the audit entry of an applied sensitive mutation carries the
// upstream's X-Request-Id of the move (not only when the upstream failed).
// The sandbox's /_sandbox/requests says which id it answered each call with.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"partnergraph/sandbox"
)

// sandboxRequests reads GET /_sandbox/requests.
func (e *env) sandboxRequests(tb testing.TB, op string) []sandbox.Request {
	tb.Helper()
	resp, err := http.Get(e.sb.URL + "/_sandbox/requests")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Requests []sandbox.Request }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	var sel []sandbox.Request
	for _, rq := range out.Requests {
		if rq.Operation == op {
			sel = append(sel, rq)
		}
	}
	return sel
}

// lastAudit returns the newest audit entry of op with event.
func (e *env) lastAudit(tb testing.TB, op, event string) map[string]any {
	tb.Helper()
	all := e.auditEntries(tb)
	for i := len(all) - 1; i >= 0; i-- {
		if all[i]["operation"] == op && all[i]["event"] == event {
			return all[i]
		}
	}
	tb.Fatalf("no %s %s entry in %v", op, event, all)
	return nil
}

const ridAllocateQ = `mutation($in: CustomerFundsInput!, $key: String!, $v: VerificationInput) {
  allocateCustomerFunds(input: $in, idempotencyKey: $key, verification: $v) { transferId reconciled }
}`

func TestMoneyRequestIDInAudit(t *testing.T) {
	e := newMoneyEnv(t, envConfig{})
	tok := e.tier1Token(t)
	cust := e.resaleCustomer(t, e.tier1.ID, 0)
	e.resetStats(t)

	var p struct {
		TransferID string
		Reconciled bool
	}
	in := map[string]any{"customerId": cust, "amount": "7.5"}
	r := e.sensitive(t, tok, ridAllocateQ, "allocateCustomerFunds", "ALLOCATE_CUSTOMER_FUNDS", in, newKey(), &p)
	if len(r.Errors) > 0 || p.TransferID == "" || p.Reconciled {
		t.Fatalf("allocate: %+v %+v", p, r.Errors)
	}
	moves := e.sandboxRequests(t, "UpdateCustomerAccountAmount")
	if len(moves) != 1 || moves[0].RequestID == "" {
		t.Fatalf("sandbox saw %+v, want one move", moves)
	}
	// The correlation header went out signed with the partner's AK/SK.
	if moves[0].Auth != "aksk" || !strings.Contains(moves[0].SignedHeaders, "x-partnergraph-call") {
		t.Fatalf("move request %+v: want AK/SK with x-partnergraph-call signed", moves[0])
	}
	ent := e.lastAudit(t, "ALLOCATE_CUSTOMER_FUNDS", "mutation.applied")
	if ent["upstream_request_id"] != moves[0].RequestID {
		t.Fatalf("audit upstream_request_id %v, sandbox answered %q", ent["upstream_request_id"], moves[0].RequestID)
	}

	// The partner-facing audit query shows the same id.
	const q = `{ viewer { partner { auditLog(first: 10) { edges { node { event operation upstreamRequestId } } } } } }`
	var v struct {
		Partner struct {
			AuditLog struct {
				Edges []struct {
					Node struct{ Event, Operation, UpstreamRequestID string }
				}
			}
		}
	}
	mustData(t, e.query(t, tok, q, nil), "viewer", &v)
	found := false
	for _, ed := range v.Partner.AuditLog.Edges {
		if ed.Node.Event == "mutation.applied" && ed.Node.Operation == "ALLOCATE_CUSTOMER_FUNDS" {
			found = ed.Node.UpstreamRequestID == moves[0].RequestID
			break
		}
	}
	if !found {
		t.Fatalf("auditLog %+v lacks the move's request id %q", v.Partner.AuditLog.Edges, moves[0].RequestID)
	}

	// A refusal still records the failing call's id.
	e.resetStats(t)
	in = map[string]any{"customerId": cust, "amount": "99999999"}
	r = e.sensitive(t, tok, ridAllocateQ, "allocateCustomerFunds", "ALLOCATE_CUSTOMER_FUNDS", in, newKey(), nil)
	if len(r.Errors) == 0 {
		t.Fatal("an allocation beyond the balance succeeded")
	}
	moves = e.sandboxRequests(t, "UpdateCustomerAccountAmount")
	ent = e.lastAudit(t, "ALLOCATE_CUSTOMER_FUNDS", "mutation.failed")
	if len(moves) != 1 || ent["upstream_request_id"] != moves[0].RequestID {
		t.Fatalf("failed entry %v, sandbox %+v", ent, moves)
	}
}

const ridPayOrderM = `mutation($in: PayOrderInput!, $key: String!) {
  payOrder(input: $in, idempotencyKey: $key) { order { orderId status } }
}`

// A commerce mutation runs on the customer's token (X-Auth-Token): the
// correlation header travels with it and the audit entry has the payment's
// request id.
func TestCommerceRequestIDInAudit(t *testing.T) {
	e := newCommerceEnv(t, sandbox.Options{})
	cu := e.showcase(t, e.tier1.ID)
	ctok := e.customerToken(t, cu)
	var n struct {
		Orders struct {
			Edges []struct{ Node struct{ OrderID string } }
		}
	}
	mustData(t, e.query(t, ctok, `query($id: ID!) { node(id: $id) { ... on Customer { orders(filter: { status: PENDING_PAYMENT }) { edges { node { orderId } } } } } }`,
		map[string]any{"id": customerGID(e.tier1.ID, "", cu.ID)}), "node", &n)
	if len(n.Orders.Edges) == 0 {
		t.Fatal("no pending order")
	}
	e.resetStats(t)
	var p struct {
		Order struct{ OrderID, Status string }
	}
	mustData(t, e.query(t, ctok, ridPayOrderM, map[string]any{"key": newKey(),
		"in": map[string]any{"customer": map[string]any{"customerId": cu.ID}, "orderId": n.Orders.Edges[0].Node.OrderID}}), "payOrder", &p)
	if p.Order.Status != "COMPLETED" {
		t.Fatalf("order %+v", p.Order)
	}
	pays := e.sandboxRequests(t, "PayOrders")
	if len(pays) != 1 || pays[0].Auth != "token" || pays[0].RequestID == "" {
		t.Fatalf("sandbox saw %+v, want one token-authenticated PayOrders", pays)
	}
	ent := e.lastAudit(t, "PAY_ORDER", "mutation.applied")
	if ent["upstream_request_id"] != pays[0].RequestID {
		t.Fatalf("audit upstream_request_id %v, sandbox answered %q", ent["upstream_request_id"], pays[0].RequestID)
	}
}
