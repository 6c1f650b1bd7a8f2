package resolvers_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"partnergraph/identity"
)

// Helpers of the money tests (and of the commerce tests' guarded
// mutations), (newMoneyEnv, newCommerceEnv).

func (e *env) tier1Token(tb testing.TB) string {
	return MustToken(tb, identity.Principal{Subject: "alice", Role: identity.RolePartner, PartnerID: e.tier1.ID, Email: "alice@tier1.example", Phone: "+8613800001111"})
}

func (e *env) resellerToken(tb testing.TB) string {
	return MustToken(tb, identity.Principal{Subject: "rita", Role: identity.RoleReseller, PartnerID: e.reseller.ID, Email: "rita@reseller.example"})
}

func (e *env) providerToken(tb testing.TB) string {
	return MustToken(tb, identity.Principal{Subject: "paul", Role: identity.RolePartner, PartnerID: e.provider.ID, Email: "paul@provider.example"})
}

var codeRE = regexp.MustCompile(`verification code is ([0-9]+)`)

// lastCode reads the newest code sent to `to` through GET /dev/outbox.
func (e *env) lastCode(tb testing.TB, to string) (code, summary string) {
	tb.Helper()
	resp, err := http.Get(e.gw.URL + "/dev/outbox?to=" + to)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []struct {
			Text, Summary, To string
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	if len(out.Messages) == 0 {
		tb.Fatalf("no message to %s in the outbox", to)
	}
	mm := codeRE.FindStringSubmatch(out.Messages[0].Text)
	if mm == nil {
		tb.Fatalf("no code in %q", out.Messages[0].Text)
	}
	return mm[1], out.Messages[0].Summary
}

const requestCodeQ = `mutation($ch: VerificationChannel!, $op: SensitiveOperation!, $in: SensitiveInput!) {
  requestVerificationCode(channel: $ch, operation: $op, input: $in) { id channel maskedDestination expiresAt resendAfter }
}`

// challenge asks for a code for op/member and returns (challengeId, code).
func (e *env) challenge(tb testing.TB, token, op, member string, input map[string]any) (string, string) {
	tb.Helper()
	e.verifyClock.Advance(2 * time.Millisecond)
	r := e.query(tb, token, requestCodeQ, map[string]any{"ch": "EMAIL", "op": op, "in": map[string]any{member: input}})
	if len(r.Errors) > 0 {
		tb.Fatalf("requestVerificationCode: %+v", r.Errors)
	}
	var c struct {
		ID, MaskedDestination string
	}
	_ = json.Unmarshal(r.Data["requestVerificationCode"], &c)
	if c.ID == "" {
		tb.Fatalf("no challenge id: %s", r.Data["requestVerificationCode"])
	}
	code, _ := e.lastCodeAny(tb)
	return c.ID, code
}

// sensitive runs a guarded mutation: a code for op/field, then q with
// in, key and the code; on success data[field] is decoded into out.
func (e *env) sensitive(tb testing.TB, tok, q, field, op string, in map[string]any, key string, out any) gqlResponse {
	tb.Helper()
	id, code := e.challenge(tb, tok, op, field, in)
	r := e.query(tb, tok, q, map[string]any{"in": in, "key": key, "v": map[string]any{"challengeId": id, "code": code}})
	if len(r.Errors) == 0 && out != nil {
		mustUnmarshal(tb, r.Data[field], out)
	}
	return r
}

// lastCodeAny reads the newest code in the outbox, whoever it went to.
func (e *env) lastCodeAny(tb testing.TB) (string, string) {
	tb.Helper()
	return e.lastCode(tb, "")
}

// auditEntries reads the audit file.
func (e *env) auditEntries(tb testing.TB) []map[string]any {
	tb.Helper()
	f, err := os.Open(e.auditPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var entry map[string]any
		if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
			tb.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, entry)
	}
	return out
}

var keyN int
var keyMu sync.Mutex

func newKey() string {
	keyMu.Lock()
	defer keyMu.Unlock()
	keyN++
	return fmt.Sprintf("key-%d-%d", time.Now().UnixNano(), keyN)
}

// resaleCustomer returns a RESALE customer directly under partnerID.
func (e *env) resaleCustomer(tb testing.TB, partnerID string, skip int) string {
	tb.Helper()
	for _, c := range e.customersOf(partnerID) {
		if c.AssociationType == "2" {
			if skip == 0 {
				return c.ID
			}
			skip--
		}
	}
	tb.Fatalf("no resale customer of %s", partnerID)
	return ""
}

func (e *env) consultantCustomer(tb testing.TB, partnerID string) string {
	tb.Helper()
	for _, c := range e.customersOf(partnerID) {
		if c.AssociationType == "1" {
			return c.ID
		}
	}
	tb.Skip("no consultant-sale customer in the sample")
	return ""
}
