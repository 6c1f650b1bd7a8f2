package resolvers_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"partnergraph/identity"
)

const (
	lcCheck  = `query($k: CustomerIdentityKind!, $v: String!) { checkCustomerIdentity(kind: $k, value: $v) { kind available mobileRemainingAccounts } }`
	lcSend   = `mutation($m: String!) { sendRegistrationCode(mobile: $m) { maskedMobile expiresAt } }`
	lcCreate = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { created customer { id customerId accountName associationStatus realNameStatus contact { telephone } } } }`
	lcNode   = `query($id: ID!) { node(id: $id) { ... on Customer { customerId accountName associationStatus } } }`
	lcList   = `query($f: CustomerFilter) { customers(first: 100, filter: $f) { totalCount pageInfo { endCursor } edges { cursor node { customerId associationStatus } } } }`
)

type lcCustomer struct {
	ID                string `json:"id"`
	CustomerID        string `json:"customerId"`
	AccountName       string `json:"accountName"`
	AssociationStatus string `json:"associationStatus"`
	RealNameStatus    string `json:"realNameStatus"`
}

type lcCreated struct {
	Created  bool       `json:"created"`
	Customer lcCustomer `json:"customer"`
}

type lcConn struct {
	TotalCount int `json:"totalCount"`
	Edges      []struct {
		Cursor string     `json:"cursor"`
		Node   lcCustomer `json:"node"`
	} `json:"edges"`
}

func (c lcConn) find(id string) (lcCustomer, int) {
	var out lcCustomer
	n := 0
	for _, e := range c.Edges {
		if e.Node.CustomerID == id {
			out = e.Node
			n++
		}
	}
	return out, n
}

func (e *env) check(t *testing.T, tok, kind, v string) (avail bool, remaining *int) {
	t.Helper()
	var c struct {
		Kind      string `json:"kind"`
		Available bool   `json:"available"`
		Remaining *int   `json:"mobileRemainingAccounts"`
	}
	mustData(t, e.query(t, tok, lcCheck, map[string]any{"k": kind, "v": v}), "checkCustomerIdentity", &c)
	if c.Kind != kind {
		t.Fatalf("kind %q", c.Kind)
	}
	return c.Available, c.Remaining
}

func (e *env) create(t *testing.T, tok string, in map[string]any) lcCreated {
	t.Helper()
	var out lcCreated
	mustData(t, e.query(t, tok, lcCreate, map[string]any{"in": in}), "createCustomer", &out)
	return out
}

func (e *env) list(t *testing.T, tok string, filter map[string]any) lcConn {
	t.Helper()
	var c lcConn
	mustData(t, e.query(t, tok, lcList, map[string]any{"f": filter}), "customers", &c)
	return c
}

// The whole registration: check identity, send the SMS code, create, see
// the customer pending, then associated; the identities are now taken.
func TestLifecycleRegisterHappyPath(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	mobile := freshMobile()
	login := fmt.Sprintf("acme-%d", lcSeq.Add(1))

	if ok, rem := e.check(t, tok, "LOGIN_NAME", login); !ok || rem != nil {
		t.Fatalf("login name: available %v remaining %v", ok, rem)
	}
	if ok, rem := e.check(t, tok, "MOBILE", "+86 "+mobile); !ok || rem == nil || *rem != 1 {
		t.Fatalf("mobile: available %v remaining %v", ok, rem)
	}
	if ok, _ := e.check(t, tok, "EMAIL", "nobody@acme.example.com"); !ok {
		t.Fatal("e-mail should be available")
	}
	var sent struct {
		MaskedMobile string `json:"maskedMobile"`
		ExpiresAt    string `json:"expiresAt"`
	}
	mustData(t, e.query(t, tok, lcSend, map[string]any{"m": mobile}), "sendRegistrationCode", &sent)
	if sent.MaskedMobile != mobile[:3]+"****"+mobile[7:] || sent.ExpiresAt == "" {
		t.Fatalf("sent %+v", sent)
	}
	before := e.list(t, tok, nil).TotalCount

	out := e.create(t, tok, map[string]any{
		"xaccountId": "crm-" + login, "loginName": login, "mobile": "0086-" + mobile,
		"verificationCode": e.smsCode(t, mobile), "password": "Secr3t-pass",
	})
	c := out.Customer
	if !out.Created || c.AssociationStatus != "PENDING" || c.AccountName != login || c.CustomerID == "" || c.RealNameStatus != "UNVERIFIED" {
		t.Fatalf("created %+v", out)
	}
	// Pending: visible through node(id) and the first page of the list.
	var n lcCustomer
	mustData(t, e.query(t, tok, lcNode, map[string]any{"id": c.ID}), "node", &n)
	if n.CustomerID != c.CustomerID || n.AssociationStatus != "PENDING" {
		t.Fatalf("node while pending: %+v", n)
	}
	l := e.list(t, tok, nil)
	if got, k := l.find(c.CustomerID); k != 1 || got.AssociationStatus != "PENDING" || l.TotalCount != before+1 {
		t.Fatalf("list while pending: %+v x%d total %d (before %d)", got, k, l.TotalCount, before)
	}
	// The upstream completes the association 3 s later.
	e.sbClock.Advance(4 * time.Second)
	mustData(t, e.query(t, tok, lcNode, map[string]any{"id": c.ID}), "node", &n)
	if n.AssociationStatus != "ASSOCIATED" || n.AccountName != login {
		t.Fatalf("node after association: %+v", n)
	}
	l = e.list(t, tok, nil)
	if got, k := l.find(c.CustomerID); k != 1 || got.AssociationStatus != "ASSOCIATED" || l.TotalCount != before+1 {
		t.Fatalf("list after association: %+v x%d total %d", got, k, l.TotalCount)
	}
	if ok, _ := e.check(t, tok, "LOGIN_NAME", login); ok {
		t.Fatal("login name still available")
	}
	if ok, rem := e.check(t, tok, "MOBILE", mobile); ok || rem == nil || *rem != 0 {
		t.Fatalf("mobile after registration: available %v remaining %v", ok, rem)
	}
}

// A tier-1 registers for its reseller (resellerId); the reseller sees the
// customer; a reseller registers its own.
func TestLifecycleRegisterForReseller(t *testing.T) {
	e := newLifecycleEnv(t)
	t1, rs := e.partnerToken(t, e.tier1), e.partnerToken(t, e.reseller)
	a := e.create(t, t1, map[string]any{"xaccountId": "t1-for-reseller", "resellerId": e.reseller.ID})
	b := e.create(t, rs, map[string]any{"xaccountId": "reseller-own", "resellerId": e.reseller.ID})
	if !a.Created || !b.Created || a.Customer.AssociationStatus != "PENDING" {
		t.Fatalf("created %+v %+v", a, b)
	}
	// The reseller sees the tier-1's registration as pending too (same scope).
	if got, k := e.list(t, rs, nil).find(a.Customer.CustomerID); k != 1 || got.AssociationStatus != "PENDING" {
		t.Fatalf("reseller list while pending: %+v x%d", got, k)
	}
	e.sbClock.Advance(4 * time.Second)
	l := e.list(t, rs, nil)
	for _, id := range []string{a.Customer.CustomerID, b.Customer.CustomerID} {
		if got, k := l.find(id); k != 1 || got.AssociationStatus != "ASSOCIATED" {
			t.Fatalf("reseller list after association: %s %+v x%d", id, got, k)
		}
	}
	// The tier-1 itself has no direct new customer.
	if _, k := e.list(t, t1, nil).find(a.Customer.CustomerID); k != 0 {
		t.Fatal("tier-1 lists its reseller's customer as its own")
	}
}

// Every upstream registration rule surfaces as BAD_USER_INPUT with the
// upstream code and request id; gateway-side input checks come first.
func TestLifecycleRegisterErrors(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	existing := e.list(t, tok, nil).Edges[0].Node.CustomerID
	var existingName string
	for _, c := range e.manifest.Customers {
		if c.ID == existing {
			existingName = c.Name
		}
	}
	_ = existingName
	var acct struct {
		Edges []struct {
			Node struct {
				AccountName string `json:"accountName"`
			} `json:"node"`
		} `json:"edges"`
	}
	mustData(t, e.query(t, tok, `{ customers(first: 1) { edges { node { accountName } } } }`, nil), "customers", &acct)
	taken := acct.Edges[0].Node.AccountName

	run := func(in map[string]any, code, upstream string) gqlError {
		t.Helper()
		return wantError(t, e.query(t, tok, lcCreate, map[string]any{"in": in}), code, upstream)
	}
	x := 0
	key := func() string { x++; return fmt.Sprintf("err-%d", x) }

	// Gateway-side input checks.
	run(map[string]any{"xaccountId": " "}, "BAD_USER_INPUT", "")
	run(map[string]any{"xaccountId": key(), "mobile": "12345", "verificationCode": "1"}, "BAD_USER_INPUT", "")
	run(map[string]any{"xaccountId": key(), "mobile": freshMobile()}, "BAD_USER_INPUT", "")

	// Upstream rules.
	if m := run(map[string]any{"xaccountId": key(), "loginName": taken}, "BAD_USER_INPUT", "CBC.99000038"); !strings.Contains(m.Message, "login name is already taken") {
		t.Fatalf("message %q", m.Message)
	}
	run(map[string]any{"xaccountId": key(), "loginName": "op_reserved1"}, "BAD_USER_INPUT", "CBC.99000031")
	run(map[string]any{"xaccountId": key(), "mobile": "13800009999", "verificationCode": "000000"}, "BAD_USER_INPUT", "CBC.99000030")

	// Mobile taken: register one, then try the same mobile again.
	m1 := freshMobile()
	mustData(t, e.query(t, tok, lcSend, map[string]any{"m": m1}), "sendRegistrationCode", new(any))
	e.create(t, tok, map[string]any{"xaccountId": key(), "mobile": m1, "verificationCode": e.smsCode(t, m1)})
	run(map[string]any{"xaccountId": key(), "mobile": m1, "verificationCode": "000000"}, "BAD_USER_INPUT", "CBC.99000029")

	// Wrong code (x3: each is CBC.99004010), then locked (CBC.99004009).
	m2 := freshMobile()
	mustData(t, e.query(t, tok, lcSend, map[string]any{"m": m2}), "sendRegistrationCode", new(any))
	good := e.smsCode(t, m2)
	bad := "000000"
	if good == bad {
		bad = "111111"
	}
	k2 := key()
	for i := 0; i < 3; i++ {
		if m := run(map[string]any{"xaccountId": k2, "mobile": m2, "verificationCode": bad}, "BAD_USER_INPUT", "CBC.99004010"); !strings.Contains(m.Message, "code is wrong") {
			t.Fatalf("message %q", m.Message)
		}
	}
	run(map[string]any{"xaccountId": k2, "mobile": m2, "verificationCode": good}, "BAD_USER_INPUT", "CBC.99004009")
	// A new code: the same xaccountId registers (failed attempts released it).
	mustData(t, e.query(t, tok, lcSend, map[string]any{"m": m2}), "sendRegistrationCode", new(any))
	if out := e.create(t, tok, map[string]any{"xaccountId": k2, "mobile": m2, "verificationCode": e.smsCode(t, m2)}); !out.Created {
		t.Fatalf("after a new code: %+v", out)
	}

	// Tier-1 without a reseller (upstream CBC.50010059); not its reseller → NOT_FOUND.
	t1 := e.partnerToken(t, e.tier1)
	wantError(t, e.query(t, t1, lcCreate, map[string]any{"in": map[string]any{"xaccountId": key()}}), "BAD_USER_INPUT", "CBC.50010059")
	wantError(t, e.query(t, t1, lcCreate, map[string]any{"in": map[string]any{"xaccountId": key(), "resellerId": e.provider.ID}}), "NOT_FOUND", "")
	// A solution provider has no resellers.
	run(map[string]any{"xaccountId": key(), "resellerId": e.reseller.ID}, "NOT_FOUND", "")

	// Expired code (the sandbox clock moves 11 minutes; keep this last).
	m3 := freshMobile()
	mustData(t, e.query(t, tok, lcSend, map[string]any{"m": m3}), "sendRegistrationCode", new(any))
	code := e.smsCode(t, m3)
	e.sbClock.Advance(11 * time.Minute)
	run(map[string]any{"xaccountId": key(), "mobile": m3, "verificationCode": code}, "BAD_USER_INPUT", "CBC.99004008")
}

// Registration is idempotent on xaccountId: a replay returns the same
// customer with one upstream call, concurrent duplicates too; other
// arguments under the same key conflict.
func TestLifecycleRegisterIdempotent(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	in := map[string]any{"xaccountId": "crm-idem-1", "loginName": "idem-cust-1"}
	e.resetStats(t)
	first := e.create(t, tok, in)
	again := e.create(t, tok, in)
	if !first.Created || again.Created || again.Customer.CustomerID != first.Customer.CustomerID || again.Customer.AssociationStatus != "PENDING" {
		t.Fatalf("replay: %+v then %+v", first, again)
	}
	if n := e.stats(t)["CreateSubCustomer"]; n != 1 {
		t.Fatalf("CreateSubCustomer called %d times", n)
	}
	// A different login name under the same xaccountId.
	wantError(t, e.query(t, tok, lcCreate, map[string]any{"in": map[string]any{"xaccountId": "crm-idem-1", "loginName": "idem-cust-2"}}), "IDEMPOTENCY_CONFLICT", "")
	// After the association the replay answers the associated customer.
	e.sbClock.Advance(4 * time.Second)
	if late := e.create(t, tok, in); late.Created || late.Customer.CustomerID != first.Customer.CustomerID || late.Customer.AssociationStatus != "ASSOCIATED" {
		t.Fatalf("late replay: %+v", late)
	}

	// Eight concurrent duplicates: one upstream call, one customer; a
	// duplicate that arrives while the first runs is told to retry, one
	// that arrives after it replays it, and a retry replays it.
	e.resetStats(t)
	in2 := map[string]any{"xaccountId": "crm-idem-2", "loginName": "idem-cust-3"}
	created := ""
	for _, r := range e.queryParallel(t, 8, tok, lcCreate, func(int) map[string]any { return map[string]any{"in": in2} }) {
		if len(r.Errors) > 0 {
			if r.Errors[0].Extensions["code"] != "IDEMPOTENCY_IN_PROGRESS" {
				t.Fatalf("concurrent duplicate: %+v", r.Errors)
			}
			continue
		}
		var out lcCreated
		_ = json.Unmarshal(r.Data["createCustomer"], &out)
		if out.Customer.CustomerID == "" || (created != "" && out.Customer.CustomerID != created) {
			t.Fatalf("registrations answered %s and %+v", created, out)
		}
		created = out.Customer.CustomerID
	}
	if again := e.create(t, tok, in2); again.Customer.CustomerID != created {
		t.Fatalf("retry answered %+v, want %s", again, created)
	}
	if n := e.stats(t)["CreateSubCustomer"]; n != 1 {
		t.Fatalf("concurrent duplicates: CreateSubCustomer called %d times", n)
	}
}

// The upstream creates the account but the answer is lost: the retry meets
// CBC.99000039 and, once the upstream lists the customer, returns it.
func TestLifecycleRegisterLostResponse(t *testing.T) {
	e := newLifecycleEnv(t)
	tok := e.partnerToken(t, e.provider)
	in := map[string]any{"xaccountId": "crm-lost-1", "loginName": "lost-cust-1"}
	e.fault(t, map[string]any{"operation": "CreateSubCustomer", "drop": true, "after": true, "count": 1})
	wantError(t, e.query(t, tok, lcCreate, map[string]any{"in": in}), "UPSTREAM_UNAVAILABLE", "")
	// Immediately: the account exists but is still associating.
	wantError(t, e.query(t, tok, lcCreate, map[string]any{"in": in}), "UPSTREAM_ERROR", "CBC.99000039")
	e.sbClock.Advance(4 * time.Second)
	out := e.create(t, tok, in)
	if out.Created || out.Customer.AccountName != "lost-cust-1" || out.Customer.AssociationStatus != "ASSOCIATED" {
		t.Fatalf("reconciled: %+v", out)
	}
	// Exactly one account, and replays now come from the store.
	if l := e.list(t, tok, map[string]any{"name": "lost-cust-1"}); l.TotalCount != 1 || l.Edges[0].Node.CustomerID != out.Customer.CustomerID {
		t.Fatalf("accounts named lost-cust-1: %+v", l)
	}
	e.resetStats(t)
	if again := e.create(t, tok, in); again.Customer.CustomerID != out.Customer.CustomerID {
		t.Fatalf("replay after reconcile: %+v", again)
	}
	if n := e.stats(t)["CreateSubCustomer"]; n != 0 {
		t.Fatalf("replay called CreateSubCustomer %d times", n)
	}
	// The same key with another login name is a conflict, not a second account.
	wantError(t, e.query(t, tok, lcCreate, map[string]any{"in": map[string]any{"xaccountId": "crm-lost-1", "loginName": "lost-cust-2"}}), "IDEMPOTENCY_CONFLICT", "")
}

// Only partners and resellers register; customers are FORBIDDEN.
func TestLifecycleRegisterAuthorization(t *testing.T) {
	e := newLifecycleEnv(t)
	cust := e.customersOf(e.provider.ID)[0]
	ctok := MustToken(t, identity.Principal{Subject: "c", Role: identity.RoleCustomer, PartnerID: e.provider.ID, CustomerID: cust.ID})
	wantError(t, e.query(t, ctok, lcCheck, map[string]any{"k": "LOGIN_NAME", "v": "someone-1"}), "FORBIDDEN", "")
	wantError(t, e.query(t, ctok, lcSend, map[string]any{"m": freshMobile()}), "FORBIDDEN", "")
	wantError(t, e.query(t, ctok, lcCreate, map[string]any{"in": map[string]any{"xaccountId": "c-1"}}), "FORBIDDEN", "")
	wantError(t, e.query(t, "", lcCreate, map[string]any{"in": map[string]any{"xaccountId": "c-1"}}), "UNAUTHENTICATED", "")
	// A reseller may not register for another reseller.
	rs := e.partnerToken(t, e.reseller)
	wantError(t, e.query(t, rs, lcCreate, map[string]any{"in": map[string]any{"xaccountId": "c-2", "resellerId": e.manifest.Partners[2].ID}}), "NOT_FOUND", "")
	// Bad input on checks.
	tok := e.partnerToken(t, e.provider)
	wantError(t, e.query(t, tok, lcCheck, map[string]any{"k": "MOBILE", "v": "abc"}), "BAD_USER_INPUT", "")
	wantError(t, e.query(t, tok, lcCheck, map[string]any{"k": "EMAIL", "v": "no-at-sign"}), "BAD_USER_INPUT", "")
	wantError(t, e.query(t, tok, lcSend, map[string]any{"m": "555"}), "BAD_USER_INPUT", "")
}
