package crash

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Settings of every gateway: short, so a crashed holder's key and target
// lock are taken over within seconds and an interrupted call is over
// upstream within upstreamTimeout + 5 s (gateway.deadlineSlack).
const (
	lease           = 2 * time.Second
	upstreamTimeout = 2 * time.Second
	requestTimeout  = 10 * time.Second
	// callDeadline is how long after its start a call may still be
	// running upstream: a key's next holder waits that long before
	// settling it.
	callDeadline = upstreamTimeout + 5*time.Second
)

// suite is what the scenarios share: the binary, one redis-server (a
// logical database per scenario), the secrets and the SMS receiver.
type suite struct {
	dir, bin             string
	redis                string
	jwtSecret, verifySec string
	webhookSec           string
	sms                  *smsReceiver
	phones               atomic.Int64
	db                   atomic.Int64
	start                time.Time
}

func newSuite(t *testing.T) *suite {
	dir := t.TempDir()
	s := &suite{dir: dir, jwtSecret: secret(), verifySec: secret(), webhookSec: secret(), start: time.Now()}
	s.redis = startRedis(t, dir)
	s.bin = binary(t, dir)
	s.sms = startReceiver(t, s.webhookSec)
	return s
}

// stack is one scenario's world: its own sandbox (fault rules are global
// to a sandbox), its own Redis database, and its gateway instances.
type stack struct {
	t       *testing.T
	s       *suite
	dir     string
	db      int64
	sandbox sandboxCtl
	m       *manifest
	tier1   string
	ak, sk  string
	agency  string
}

func (s *suite) stack(t *testing.T) *stack {
	t.Helper()
	dir := filepath.Join(s.dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, m := startSandbox(t, dir, s.bin, "sandbox")
	st := &stack{t: t, s: s, dir: dir, db: s.db.Add(1), sandbox: sandboxCtl{m.Endpoint}, m: m}
	for _, p := range m.Partners {
		if p.Kind == "tier1" {
			st.tier1, st.ak, st.sk, st.agency = p.ID, p.AK, p.SK, p.AgencyName
			break
		}
	}
	if st.tier1 == "" {
		t.Fatal("the manifest has no tier-1 partner")
	}
	return st
}

// gateway is one gateway process in live mode.
type gateway struct {
	name string
	p    *proc
	url  string
}

// gateway starts a gateway instance on the stack's sandbox and Redis
// database.
func (st *stack) gateway(name string) *gateway {
	st.t.Helper()
	args := []string{"--mode", "live", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
		"--bss-endpoint", st.m.Endpoint, "--iam-endpoint", st.m.IAMEndpoint,
		"--ak", st.ak, "--sk", st.sk, "--partner-id", st.tier1, "--partner-kind", "tier1", "--agency-name", st.agency,
		"--redis-url", fmt.Sprintf("redis://%s/%d", st.s.redis, st.db),
		"--sms-webhook-url", st.s.sms.url, "--audit-log", filepath.Join(st.dir, "audit-"+name+".jsonl"),
		"--upstream-timeout", upstreamTimeout.String(), "--idempotency-lease", lease.String(), "--request-timeout", requestTimeout.String()}
	env := append(baseEnv(),
		"PARTNERGRAPH_JWT_HS256_SECRET="+st.s.jwtSecret,
		"PARTNERGRAPH_VERIFICATION_SECRET="+st.s.verifySec,
		"PARTNERGRAPH_SMS_WEBHOOK_SECRET="+st.s.webhookSec)
	p := startProc(st.t, "gateway-"+name, st.dir, st.s.bin, args, env, "")
	return &gateway{name: name, p: p, url: gatewayURL(st.t, p)}
}

// resaleCustomer is the i-th RESALE customer of the tier-1 in the
// manifest.
func (st *stack) resaleCustomer(i int) string {
	st.t.Helper()
	for _, c := range st.m.Customers {
		if c.PartnerID == st.tier1 && c.AssociationType == "2" {
			if i == 0 {
				return c.ID
			}
			i--
		}
	}
	st.t.Fatal("not enough resale customers in the manifest")
	return ""
}

// clerk is one principal of the tier-1, with its own phone for codes.
type clerk struct {
	st    *stack
	sub   string
	phone string
	tok   string
}

func (st *stack) clerk() *clerk {
	n := st.s.phones.Add(1)
	c := &clerk{st: st, sub: fmt.Sprintf("clerk-%d", n), phone: fmt.Sprintf("+86139%08d", n)}
	c.tok = mint(st.s.jwtSecret, c.sub, st.tier1, c.phone)
	return c
}

func (c *clerk) post(g *gateway, q string, vars map[string]any) answer {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout+5*time.Second)
	defer cancel()
	return post(ctx, g.url, c.tok, q, vars)
}

const requestCodeQ = `mutation($op: SensitiveOperation!, $in: SensitiveInput!) {
  requestVerificationCode(channel: SMS, operation: $op, input: $in) { id }
}`

// code asks g for a code approving op (member of SensitiveInput) on in and
// takes it from the SMS webhook: the verification argument of the
// mutation.
func (c *clerk) code(g *gateway, op, member string, in map[string]any) map[string]any {
	c.st.t.Helper()
	inbox := c.st.s.sms.inbox(c.phone)
	a := c.post(g, requestCodeQ, map[string]any{"op": op, "in": map[string]any{member: in}})
	if a.code() != "" {
		c.st.t.Fatalf("requestVerificationCode: %s", a)
	}
	var ch struct{ ID string }
	_ = json.Unmarshal(a.Data["requestVerificationCode"], &ch)
	select {
	case code := <-inbox:
		return map[string]any{"challengeId": ch.ID, "code": code}
	case <-time.After(10 * time.Second):
		c.st.t.Fatalf("no code reached the SMS webhook for %s", c.phone)
	}
	return nil
}

const allocateQ = `mutation($in: CustomerFundsInput!, $key: String!, $v: VerificationInput) {
  allocateCustomerFunds(input: $in, idempotencyKey: $key, verification: $v) { transferId reconciled }
}`

const issueCouponsQ = `mutation($in: IssueCouponsInput!, $key: String!, $v: VerificationInput) {
  issueCoupons(input: $in, idempotencyKey: $key, verification: $v) { issuedCouponIds reconciled results { ok errorCode } }
}`

// moved is what a money mutation's success names: its record and whether
// it was established from the upstream's records.
type moved struct {
	IDs        []string
	Reconciled bool
}

func fundsMoved(a answer) moved {
	var p struct {
		TransferID string
		Reconciled bool
	}
	_ = json.Unmarshal(a.Data["allocateCustomerFunds"], &p)
	m := moved{Reconciled: p.Reconciled}
	if p.TransferID != "" {
		m.IDs = []string{p.TransferID}
	}
	return m
}

func couponsMoved(a answer) moved {
	var p struct {
		IssuedCouponIds []string
		Reconciled      bool
	}
	_ = json.Unmarshal(a.Data["issueCoupons"], &p)
	return moved{IDs: p.IssuedCouponIds, Reconciled: p.Reconciled}
}

const adjustQ = `query($c: String, $a: String) { viewer { partner { adjustRecords(customerId: $c, first: 100, after: $a) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { transId customerId operationType amount { amount } } } } } } }`

// allocations are the customer's allocation records of amount in the
// sandbox (ListPartnerAdjustRecords, through g), by transfer id.
func (st *stack) allocations(g *gateway, customer, amount string) map[string]bool {
	st.t.Helper()
	c := st.clerk()
	out := map[string]bool{}
	var after any
	for {
		a := c.post(g, adjustQ, map[string]any{"c": customer, "a": after})
		if a.code() != "" {
			st.t.Fatalf("adjustRecords: %s", a)
		}
		var r struct {
			Viewer struct {
				Partner struct {
					AdjustRecords struct {
						PageInfo struct {
							HasNextPage bool
							EndCursor   string
						}
						Edges []struct {
							Node struct {
								TransID, CustomerID, OperationType string
								Amount                             struct{ Amount string }
							}
						}
					}
				}
			}
		}
		_ = json.Unmarshal(a.Data["viewer"], &r.Viewer)
		l := r.Viewer.Partner.AdjustRecords
		for _, e := range l.Edges {
			n := e.Node
			if n.CustomerID == customer && n.OperationType == "SOURCE_OPERATION_BEADJUST" && sameAmount(n.Amount.Amount, amount) {
				out[n.TransID] = true
			}
		}
		if !l.PageInfo.HasNextPage {
			return out
		}
		after = l.PageInfo.EndCursor
	}
}

func sameAmount(a, b string) bool {
	var x, y float64
	_, e1 := fmt.Sscan(a, &x)
	_, e2 := fmt.Sscan(b, &y)
	return e1 == nil && e2 == nil && x == y
}

// added are the ids in after but not in before, sorted.
func added(before, after map[string]bool) []string {
	var out []string
	for id := range after {
		if !before[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
