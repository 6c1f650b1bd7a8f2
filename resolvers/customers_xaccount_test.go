package resolvers_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"partnergraph/sandbox"
)

const byXAccountQ = `query($x: String!, $r: String) { customerByXAccountId(xaccountId: $x, resellerId: $r) {
  customerId accountName xaccountId xaccountType customerType associationStatus } }`

type xCustomer struct {
	CustomerID, AccountName string
	XaccountID              *string
	XaccountType            *string
	CustomerType            *string
	AssociationStatus       string
}

func (e *env) byXAccount(t *testing.T, tok, xid, reseller string) (xCustomer, gqlResponse) {
	t.Helper()
	vars := map[string]any{"x": xid}
	if reseller != "" {
		vars["r"] = reseller
	}
	r := e.query(t, tok, byXAccountQ, vars)
	var c xCustomer
	if len(r.Errors) == 0 {
		mustUnmarshal(t, r.Data["customerByXAccountId"], &c)
	}
	return c, r
}

// Customers carry the partner's own key, the platform id and their type;
// customerByXAccountId finds them by key: the first look-up pages the list
// (the upstream has no such filter) and remembers every key it passed, so a
// later look-up costs one call. Anything not the caller's is NOT_FOUND.
func TestCustomerByXAccountID(t *testing.T) {
	e := newEnv(t, envConfig{Sandbox: sandbox.Options{Customers: 600}})
	tok := e.providerToken(t)
	var all []xCustomer
	total := 0
	for off := ""; ; {
		var c struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct{ Node xCustomer }
		}
		vars := map[string]any{}
		if off != "" {
			vars["a"] = off
		}
		mustData(t, e.query(t, tok, `query($a: String) { customers(first: 100, after: $a) { totalCount pageInfo { hasNextPage endCursor }
		  edges { node { customerId accountName xaccountId xaccountType customerType } } } }`, vars), "customers", &c)
		for _, ed := range c.Edges {
			all = append(all, ed.Node)
		}
		total = c.TotalCount
		if !c.PageInfo.HasNextPage {
			break
		}
		off = c.PageInfo.EndCursor
	}
	if total <= 100 || len(all) != total {
		t.Fatalf("%d of %d customers: the test needs more than one page", len(all), total)
	}
	for _, c := range all {
		if c.XaccountID == nil || *c.XaccountID == "" || c.XaccountType == nil || !strings.HasSuffix(*c.XaccountType, "_IDP") ||
			c.CustomerType == nil || !map[string]bool{"NONE": true, "INDIVIDUAL": true, "ENTERPRISE": true}[*c.CustomerType] {
			t.Fatalf("identity fields %+v", c)
		}
	}
	last, early := all[len(all)-1], all[3]

	e.resetStats(t)
	got, r := e.byXAccount(t, tok, *last.XaccountID, "")
	if len(r.Errors) > 0 || got.CustomerID != last.CustomerID || *got.XaccountID != *last.XaccountID || got.AssociationStatus != "ASSOCIATED" {
		t.Fatalf("by key: %+v %+v", got, r.Errors)
	}
	if n := e.stats(t)["ListSubCustomers"]; n != ceilDiv(total, 100) {
		t.Fatalf("the first look-up read %d pages, want %d", n, ceilDiv(total, 100))
	}
	e.resetStats(t)
	for _, c := range []xCustomer{last, early} { // remembered: the one found, and one passed on the way
		if got, r := e.byXAccount(t, tok, *c.XaccountID, ""); len(r.Errors) > 0 || got.CustomerID != c.CustomerID {
			t.Fatalf("again %s: %+v %+v", *c.XaccountID, got, r.Errors)
		}
	}
	if got := e.stats(t); !maps.Equal(got, map[string]int{"ListSubCustomers": 2}) {
		t.Fatalf("remembered look-ups cost %v, want one call each", got)
	}

	// Not the caller's: another partner's key, a key nobody has.
	tier1Key := ""
	for _, c := range e.customersOf(e.tier1.ID) {
		var cc xCustomer
		mustData(t, e.query(t, e.tier1Token(t), `query($id: ID!) { node(id: $id) { ... on Customer { customerId xaccountId } } }`,
			map[string]any{"id": e.gidOf(c)}), "node", &cc)
		if cc.XaccountID != nil {
			tier1Key = *cc.XaccountID
			break
		}
	}
	for _, xid := range []string{tier1Key, "nobody-has-this-key"} {
		_, r := e.byXAccount(t, tok, xid, "")
		wantError(t, r, "NOT_FOUND", "")
	}
	// A reseller finds its own; its tier-1 names the reseller.
	var rl struct {
		Edges []struct{ Node xCustomer }
	}
	mustData(t, e.query(t, e.resellerToken(t), `{ customers(first: 1) { edges { node { customerId xaccountId } } } }`, nil), "customers", &rl)
	rc := rl.Edges[0].Node
	for tok, reseller := range map[string]string{e.resellerToken(t): "", e.tier1Token(t): e.reseller.ID} {
		if got, r := e.byXAccount(t, tok, *rc.XaccountID, reseller); len(r.Errors) > 0 || got.CustomerID != rc.CustomerID {
			t.Fatalf("reseller's customer: %+v %+v", got, r.Errors)
		}
	}
	_, r = e.byXAccount(t, e.tier1Token(t), *rc.XaccountID, "")
	wantError(t, r, "NOT_FOUND", "") // not among the tier-1's direct customers
	_, r = e.byXAccount(t, e.providerToken(t), *rc.XaccountID, e.reseller.ID)
	wantError(t, r, "NOT_FOUND", "")

	e.resetStats(t)
	_, r = e.byXAccount(t, tok, "", "")
	wantError(t, r, "BAD_USER_INPUT", "")
	_, r = e.byXAccount(t, tok, strings.Repeat("k", 129), "")
	wantError(t, r, "BAD_USER_INPUT", "")
	_, r = e.byXAccount(t, e.customerToken(t, e.showcase(t, e.provider.ID)), *last.XaccountID, "")
	wantError(t, r, "FORBIDDEN", "")
	if s := e.stats(t); len(s) != 0 {
		t.Fatalf("upstream calls %v, want none", s)
	}
}

// A customer the gateway registered is found by its key at once, while
// the upstream does not list it yet (PENDING), without paging.
func TestCustomerByXAccountIDRegistered(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	created := e.create(t, tok, map[string]any{"xaccountId": "crm-by-key-1"})
	e.resetStats(t)
	got, r := e.byXAccount(t, tok, "crm-by-key-1", "")
	if len(r.Errors) > 0 || got.CustomerID != created.Customer.CustomerID || got.AssociationStatus != "PENDING" || *got.XaccountID != "crm-by-key-1" {
		t.Fatalf("pending: %+v %+v", got, r.Errors)
	}
	if n := e.stats(t)["ListSubCustomers"]; n != 1 {
		t.Fatalf("ListSubCustomers %d, want 1", n)
	}
	e.sbClock.Advance(4 * time.Second)
	if got, r := e.byXAccount(t, tok, "crm-by-key-1", ""); len(r.Errors) > 0 || got.AssociationStatus != "ASSOCIATED" || got.CustomerType == nil || *got.CustomerType != "NONE" {
		t.Fatalf("associated: %+v %+v", got, r.Errors)
	}
}
