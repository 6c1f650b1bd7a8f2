package resolvers_test

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"partnergraph/edge"
	"partnergraph/guard/idempotency"
	"partnergraph/identity"
	"partnergraph/internal/testredis"
	"partnergraph/pending"
	"partnergraph/resolvers"
)

// instance starts one more gateway (its own SDK client, resolver, schema
// and handler) on e's sandbox with the idempotency and pending stores of
// d, as a second replica behind a load balancer would be, and returns its
// URL.
func (e *env) instance(tb testing.TB, d resolvers.Deps) string {
	tb.Helper()
	client := e.newClient(tb, nil)
	v, err := identity.NewVerifier(identity.Config{Issuer: testIssuer, Audience: testAudience, HS256Secret: testSecret})
	if err != nil {
		tb.Fatal(err)
	}
	own := e.deps(tb, envConfig{})
	d.Upstream, d.Verify, d.Audit = client, own.Verify, own.Audit
	schema, err := resolvers.NewSchema(d)
	if err != nil {
		tb.Fatal(err)
	}
	gw := httptest.NewServer(edge.NewHandler(edge.Options{Verifier: v, Ready: client.Ping, Log: io.Discard, Schema: schema}))
	tb.Cleanup(gw.Close)
	return gw.URL
}

// Two gateway instances sharing one Redis (idempotency and pending stores)
// agree on a registration: the customer created through A is PENDING
// through B (node and the customers page) until the upstream lists it; an
// instance with its own memory store does not see it at all.
func TestLifecycleTwoInstancesShareRedis(t *testing.T) {
	e := newLifecycleEnv(t)
	rc := testredis.Start(t)
	shared := resolvers.Deps{
		Idempotency: idempotency.NewRedisStore(rc, idempotency.Options{}),
		Pending:     pending.NewRedisStore(rc, pending.Options{}),
	}
	a, b := e.instance(t, shared), e.instance(t, shared)
	alone := e.instance(t, resolvers.Deps{Idempotency: idempotency.NewMemoryStore(idempotency.Options{}), Pending: pending.NewMemoryStore(pending.Options{})})
	tok := e.partnerToken(t, e.provider)

	var out lcCreated
	mustData(t, MustQuery(t, a, tok, lcCreate, map[string]any{"in": map[string]any{"xaccountId": "crm-two-instances"}}), "createCustomer", &out)
	c := out.Customer
	if !out.Created || c.AssociationStatus != "PENDING" {
		t.Fatalf("created through A: %+v", out)
	}

	var n lcCustomer
	mustData(t, MustQuery(t, b, tok, lcNode, map[string]any{"id": c.ID}), "node", &n)
	if n.CustomerID != c.CustomerID || n.AssociationStatus != "PENDING" {
		t.Fatalf("node through B: %+v", n)
	}
	var l lcConn
	mustData(t, MustQuery(t, b, tok, lcList, nil), "customers", &l)
	if got, k := l.find(c.CustomerID); k != 1 || got.AssociationStatus != "PENDING" {
		t.Fatalf("list through B: %+v x%d", got, k)
	}
	// The replay through B answers from the shared idempotency store.
	var again lcCreated
	mustData(t, MustQuery(t, b, tok, lcCreate, map[string]any{"in": map[string]any{"xaccountId": "crm-two-instances"}}), "createCustomer", &again)
	if again.Created || again.Customer.CustomerID != c.CustomerID || again.Customer.AssociationStatus != "PENDING" {
		t.Fatalf("replay through B: %+v", again)
	}
	// Without the shared store an instance only has the upstream's word.
	wantError(t, MustQuery(t, alone, tok, lcNode, map[string]any{"id": c.ID}), "NOT_FOUND", "")

	// The upstream associates the customer; every instance now agrees.
	e.sbClock.Advance(4 * time.Second)
	for name, url := range map[string]string{"A": a, "B": b, "alone": alone} {
		mustData(t, MustQuery(t, url, tok, lcNode, map[string]any{"id": c.ID}), "node", &n)
		if n.CustomerID != c.CustomerID || n.AssociationStatus != "ASSOCIATED" {
			t.Fatalf("node through %s after association: %+v", name, n)
		}
	}
	mustData(t, MustQuery(t, a, tok, lcList, nil), "customers", &l)
	if got, k := l.find(c.CustomerID); k != 1 || got.AssociationStatus != "ASSOCIATED" {
		t.Fatalf("list through A after association: %+v x%d", got, k)
	}
}
