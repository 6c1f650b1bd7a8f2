package crash

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// row is one line of the table: scenario | kill point | retries |
// outcome | records per key.
type row struct {
	id, scenario, kill, retries, outcome, records string
}

// TestCrashExactlyOnce runs every scenario at the same time (each has its
// own sandbox, Redis database and gateways; most of their time is spent
// waiting for leases and call deadlines) and prints the table. The
// scenarios run on goroutines rather than with t.Parallel so that they
// all overlap whatever -parallel is.
func TestCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash tests start real processes and wait for leases; skipped with -short")
	}
	s := newSuite(t)
	scenarios := []struct {
		name string
		run  func(*testing.T, *suite) []row
	}{
		{"1a_takeover_spent_code", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario1("1a", "spent")) }},
		{"1b_takeover_no_code", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario1("1b", "none")) }},
		{"2_earlier_identical_move", scenario2},
		{"3_concurrent_funds", scenario3Funds},
		{"3_concurrent_coupons", scenario3Coupons},
		{"4a_before_call", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4a()) }},
		{"4b_during_call", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4b()) }},
		{"4c_after_call", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4c()) }},
		{"4d_reconciling_applied", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4d(true)) }},
		{"4e_reconciling_not_applied", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4d(false)) }},
		{"4f_reconciling_late_apply", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4f()) }},
		{"4g_coupons_after_call", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4g()) }},
		{"4h_coupons_during_call", func(t *testing.T, s *suite) []row { return killRun(t, s, scenario4h()) }},
		{"5a_lease_after_kill", scenario5a},
		{"5b_lease_live_holder", scenario5b},
		{"5c_lease_frozen_holder", scenario5c},
		{"6_client_gives_up", scenario6},
	}
	var (
		mu   sync.Mutex
		rows []row
		wg   sync.WaitGroup
	)
	for _, sc := range scenarios {
		wg.Go(func() {
			t.Run(sc.name, func(t *testing.T) {
				var r []row
				defer func() {
					// A failed or skipped scenario keeps its line in the table.
					if t.Skipped() && r == nil {
						id, name, _ := strings.Cut(sc.name, "_")
						r = []row{{id: id, scenario: strings.ReplaceAll(name, "_", " "), outcome: "skipped (see the log)"}}
					}
					if t.Failed() {
						if r == nil {
							id, name, _ := strings.Cut(sc.name, "_")
							r = []row{{id: id, scenario: strings.ReplaceAll(name, "_", " ")}}
						}
						for i := range r {
							r[i].outcome = strings.TrimSuffix("FAILED (see the log); "+r[i].outcome, "; ")
						}
					}
					mu.Lock()
					rows = append(rows, r...)
					mu.Unlock()
				}()
				r = sc.run(t, s)
			})
		})
	}
	wg.Wait()
	if n := s.sms.rejected(); n > 0 {
		t.Errorf("the SMS webhook received %d deliveries with a bad signature", n)
	}
	table := formatTable(rows)
	t.Logf("exactly once across crashes (wall time %.1fs):\n%s", time.Since(s.start).Seconds(), table)
	if path := os.Getenv("PARTNERGRAPH_CRASH_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func formatTable(rows []row) string {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	cells := [][]string{{"scenario", "kill point", "retries", "outcome", "records per key"}}
	for _, r := range rows {
		cells = append(cells, []string{r.id + " " + r.scenario, r.kill, r.retries, r.outcome, r.records})
	}
	width := make([]int, 5)
	for _, c := range cells {
		for i, v := range c {
			width[i] = max(width[i], len([]rune(v)))
		}
	}
	var b strings.Builder
	for n, c := range cells {
		var line strings.Builder
		for i, v := range c {
			if i > 0 {
				line.WriteString(" | ")
			}
			line.WriteString(v + strings.Repeat(" ", width[i]-len([]rune(v))))
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		if n == 0 {
			for i, w := range width {
				if i > 0 {
					b.WriteString("-|-")
				}
				b.WriteString(strings.Repeat("-", w))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// killCase is one allocation whose gateway is killed while a delayed SDK
// operation is in the sandbox.
type killCase struct {
	id, scenario string
	point        string  // the table's kill point
	amount       string  // allocated, or the face value of the coupons
	coupons      bool    // issueCoupons to two customers instead of an allocation
	faults       []fault // set just before the allocation
	killOn       string  // the delayed SDK operation the kill waits for
	killNth      int     // its occurrence in the allocation (1 = first)
	delay        time.Duration
	// awaitApplied: once killOn arrived, the kill also waits for the
	// move's record to appear in the sandbox.
	awaitApplied bool
	// applied: the sandbox applied the move before the kill (it must
	// hold exactly one record of it then; else none).
	applied bool
	// retry is the verification argument of the retries: "spent" (the
	// original code, consumed by the killed request) or "none".
	retry string
	// reconciled is the expected flag of the success.
	reconciled bool
	// pre runs before the allocation (scenario 2's earlier move): it
	// returns the moves it made, by key, and a note for the table.
	pre func(t *testing.T, st *stack, g *gateway, customer string) (map[string]string, string)
	// post runs after the checks (scenario 2's spent code on a new key).
	post func(t *testing.T, st *stack, g *gateway, customer string) string
}

func scenario1(id, retry string) killCase {
	name := "verification after a takeover: retry with the spent code"
	if retry == "none" {
		name = "verification after a takeover: retry with no code"
	}
	return killCase{id: id, scenario: name, amount: "77.77",
		point:  "after the move, before the answer: ListCustomersBalancesDetail +1.5s",
		faults: []fault{{"operation": "ListCustomersBalancesDetail", "latency_ms": 1500, "count": 1}},
		killOn: "ListCustomersBalancesDetail", killNth: 1, delay: 1500 * time.Millisecond,
		applied: true, retry: retry, reconciled: true}
}

func scenario4a() killCase {
	return killCase{id: "4a", scenario: "kill before the upstream call", amount: "41.41",
		point:  "ownership read: ListSubCustomers +1.5s",
		faults: []fault{{"operation": "ListSubCustomers", "latency_ms": 1500, "count": 1}},
		killOn: "ListSubCustomers", killNth: 1, delay: 1500 * time.Millisecond,
		applied: false, retry: "none", reconciled: false}
}

func scenario4b() killCase {
	return killCase{id: "4b", scenario: "kill during the upstream call", amount: "42.42",
		point:  "the move: UpdateCustomerAccountAmount +1.5s (not applied)",
		faults: []fault{{"operation": "UpdateCustomerAccountAmount", "latency_ms": 1500, "count": 1}},
		killOn: "UpdateCustomerAccountAmount", killNth: 1, delay: 1500 * time.Millisecond,
		applied: false, retry: "spent", reconciled: false}
}

func scenario4c() killCase {
	return killCase{id: "4c", scenario: "kill after the upstream call", amount: "43.43",
		point:  "post-move read: ListPartnerBalances +1.5s",
		faults: []fault{{"operation": "ListPartnerBalances", "latency_ms": 1500, "count": 1}},
		killOn: "ListPartnerBalances", killNth: 1, delay: 1500 * time.Millisecond,
		applied: true, retry: "none", reconciled: true}
}

// scenario4d: the move's answer is lost (applied or not), and the
// gateway dies while it reads the adjust records to find out: the second
// ListPartnerAdjustRecords of the allocation (the first is the snapshot
// before the call, let through by a no-op rule).
func scenario4d(applied bool) killCase {
	k := killCase{id: "4d", scenario: "kill during reconciliation (move applied, answer lost)", amount: "44.44",
		point: "reconciling: move dropped after applying; 2nd ListPartnerAdjustRecords +1.5s",
		faults: []fault{
			{"operation": "UpdateCustomerAccountAmount", "drop": true, "after": true, "count": 1},
			{"operation": "ListPartnerAdjustRecords", "count": 1},
			{"operation": "ListPartnerAdjustRecords", "latency_ms": 1500, "count": 1},
		},
		killOn: "ListPartnerAdjustRecords", killNth: 2, delay: 1500 * time.Millisecond,
		applied: true, retry: "spent", reconciled: true}
	if !applied {
		k.id, k.scenario, k.amount = "4e", "kill during reconciliation (move dropped, not applied)", "45.45"
		k.point = "reconciling: move dropped before applying; 2nd ListPartnerAdjustRecords +1.5s"
		k.faults[0] = fault{"operation": "UpdateCustomerAccountAmount", "drop": true, "count": 1}
		k.applied, k.retry, k.reconciled = false, "none", false
	}
	return k
}

// scenario4f: the gateway gives up on the move at its 2 s timeout, the
// upstream applies it 0.2 s later, and the gateway dies while it reads the
// records to find out (the move's record is already there).
func scenario4f() killCase {
	return killCase{id: "4f", scenario: "kill during reconciliation of a timed-out move applied late", amount: "46.46",
		point: "reconciling a timeout: move +2.2s (applied after the 2s timeout); 2nd ListPartnerAdjustRecords +1.5s",
		faults: []fault{
			{"operation": "UpdateCustomerAccountAmount", "latency_ms": 2200, "count": 1},
			{"operation": "ListPartnerAdjustRecords", "count": 1},
			{"operation": "ListPartnerAdjustRecords", "latency_ms": 1500, "count": 1},
		},
		killOn: "ListPartnerAdjustRecords", killNth: 2, delay: 1500 * time.Millisecond, awaitApplied: true,
		applied: true, retry: "spent", reconciled: true}
}

// scenario4g: issueCoupons to two customers; the gateway dies after the
// move, while it reads the quota's balance.
func scenario4g() killCase {
	return killCase{id: "4g", scenario: "issueCoupons (2 customers): kill after the upstream call", amount: "9.00", coupons: true,
		point:  "post-move read: ListQuotaCoupons +1.5s",
		faults: []fault{{"operation": "ListQuotaCoupons", "latency_ms": 1500, "count": 1}},
		killOn: "ListQuotaCoupons", killNth: 1, delay: 1500 * time.Millisecond,
		applied: true, retry: "spent", reconciled: true}
}

// scenario4h: issueCoupons to two customers; the gateway dies while the
// move is delayed in the sandbox, before it is applied.
func scenario4h() killCase {
	return killCase{id: "4h", scenario: "issueCoupons (2 customers): kill during the upstream call", amount: "8.00", coupons: true,
		point:  "the move: CreatePartnerCoupons +1.5s (not applied)",
		faults: []fault{{"operation": "CreatePartnerCoupons", "latency_ms": 1500, "count": 1}},
		killOn: "CreatePartnerCoupons", killNth: 1, delay: 1500 * time.Millisecond,
		applied: false, retry: "none", reconciled: false}
}

// retryable are the answers after which a client retries with the same
// key: anything else is a definite outcome.
var retryable = []string{"IDEMPOTENCY_IN_PROGRESS", "UPSTREAM_UNAVAILABLE", "OUTCOME_UNKNOWN", "TRANSPORT"}

// tally compresses a sequence of answer codes: "IN_PROGRESS×3, ok".
func tally(codes []string) string {
	var parts []string
	for i := 0; i < len(codes); {
		j := i
		for j < len(codes) && codes[j] == codes[i] {
			j++
		}
		c := strings.TrimPrefix(codes[i], "IDEMPOTENCY_")
		if c == "" {
			c = "ok"
		}
		if j-i > 1 {
			c += fmt.Sprintf("×%d", j-i)
		}
		parts = append(parts, c)
		i = j
	}
	return strings.Join(parts, ", ")
}

// mutation is the money mutation a killCase makes: its code operation and
// SensitiveInput member, its document and input, what its success names,
// and the upstream records of its kind on its targets (by id).
type mutation struct {
	op, member, query string
	in                map[string]any
	targets           int // records one success makes
	moved             func(answer) moved
	records           func(g *gateway) map[string]bool
}

// allocation allocates amount to the stack's first resale customer.
func (st *stack) allocation(amount string) mutation {
	cust := st.resaleCustomer(0)
	return mutation{op: "ALLOCATE_CUSTOMER_FUNDS", member: "allocateCustomerFunds", query: allocateQ,
		in: map[string]any{"customerId": cust, "amount": amount}, targets: 1, moved: fundsMoved,
		records: func(g *gateway) map[string]bool { return st.allocations(g, cust, amount) }}
}

// couponIssue issues a coupon of face to each of the stack's first two
// resale customers.
func (st *stack) couponIssue(g *gateway, face string) mutation {
	custs := []string{st.resaleCustomer(0), st.resaleCustomer(1)}
	nodes := []string{st.customerNode(g, custs[0]), st.customerNode(g, custs[1])}
	return mutation{op: "ISSUE_COUPONS", member: "issueCoupons", query: issueCouponsQ,
		in: map[string]any{"quotaId": st.quota(g, 100), "customerIds": custs, "faceValue": face}, targets: 2, moved: couponsMoved,
		records: func(g *gateway) map[string]bool {
			out := st.coupons(g, nodes[0], face)
			for id := range st.coupons(g, nodes[1], face) {
				out[id] = true
			}
			return out
		}}
}

// killRun runs a killCase: gateway A makes the move and is killed at the
// kill point; B (already running) gets a retry within the lease; A2, a new
// process on the same Redis, gets the retries until one succeeds.
func killRun(t *testing.T, s *suite, k killCase) []row {
	st := s.stack(t)
	a, b := st.gateway("A"), st.gateway("B")
	mut := st.allocation(k.amount)
	if k.coupons {
		mut = st.couponIssue(b, k.amount)
	}
	before := mut.records(b)
	var earlier map[string]string
	var preNote string
	if k.pre != nil {
		earlier, preNote = k.pre(t, st, a, mut.in["customerId"].(string))
	}
	var others []string // the earlier moves' records
	for _, id := range earlier {
		others = append(others, id)
	}
	// fresh are the new records of the target, but the earlier moves'.
	fresh := func() []string {
		return slices.DeleteFunc(added(before, mut.records(b)), func(id string) bool { return slices.Contains(others, id) })
	}
	c := st.clerk()
	v := c.code(a, mut.op, mut.member, mut.in)
	key := "crash-" + k.id + "-" + secret()[:12]
	vars := map[string]any{"in": mut.in, "key": key, "v": v}

	st.sandbox.resetStats(t)
	st.sandbox.faults(t, k.faults...)
	first := make(chan answer, 1)
	go func() { first <- c.post(a, mut.query, vars) }()
	if !st.sandbox.awaitOp(t, k.killOn, k.killNth, 10*time.Second) {
		select {
		case ans := <-first:
			t.Fatalf("%s never reached the sandbox; the mutation answered %s %s", k.killOn, ans, ans.Data)
		default:
			t.Fatalf("%s never reached the sandbox; the gateway's log:\n%s", k.killOn, a.p.tail())
		}
	}
	arrived := time.Now()
	for k.awaitApplied && len(fresh()) == 0 {
		if time.Since(arrived) > 5*time.Second {
			t.Fatalf("the move was not applied within 5 s of %s", k.killOn)
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.p.kill()
	killed := time.Now()
	ops := st.sandbox.operations(t)
	if ans := <-first; ans.err == nil {
		t.Fatalf("the kill missed: the gateway answered %s %s before it died", ans, ans.Data)
	}
	// Leases follow their owner: the dead holder's key answers at once,
	// with a retry time within the lease.
	retryVars := map[string]any{"in": mut.in, "key": key}
	if k.retry == "spent" {
		retryVars["v"] = v
	}
	inLease := c.post(b, mut.query, retryVars)
	next := time.Now().Add(time.Duration(inLease.retryAfter()) * time.Second)
	if inLease.code() != "IDEMPOTENCY_IN_PROGRESS" || inLease.took > time.Second || inLease.retryAfter() < 1 || inLease.retryAfter() > int(lease.Seconds()) {
		t.Errorf("a retry within the lease (%s after the kill) answered %s in %s, want IDEMPOTENCY_IN_PROGRESS at once with retryAfter 1..%d",
			time.Since(killed).Round(time.Millisecond), inLease, inLease.took, int(lease.Seconds()))
	}
	codes := []string{inLease.code()}
	st.sandbox.faults(t)
	a2 := st.gateway("A2")

	// What the sandbox holds once the delayed operation would have run
	// (a kill before applying must leave nothing, even late).
	time.Sleep(time.Until(arrived.Add(k.delay + 300*time.Millisecond)))
	atKill := fresh()
	want := 0
	if k.applied {
		want = mut.targets
	}
	if len(atKill) != want {
		t.Fatalf("after the kill the sandbox holds %d new records %v of this move, want %d (sandbox calls %v)", len(atKill), atKill, want, ops)
	}

	var ok answer
	for {
		if time.Since(killed) > 30*time.Second {
			t.Fatalf("no success within 30 s of the kill: %s", tally(codes))
		}
		time.Sleep(max(time.Until(next), 100*time.Millisecond))
		ans := c.post(a2, mut.query, retryVars)
		codes = append(codes, ans.code())
		if ans.code() == "" {
			ok = ans
			break
		}
		if !slices.Contains(retryable, ans.code()) {
			t.Fatalf("retry %d with key %s answered %s (answers so far: %s)", len(codes), key, ans, tally(codes))
		}
		next = time.Now().Add(time.Duration(ans.retryAfter()) * time.Second)
	}
	took := time.Since(killed)
	got := mut.moved(ok)
	mine := fresh()
	ids := slices.Sorted(slices.Values(got.IDs))
	if len(ids) != mut.targets || !slices.Equal(ids, mine) {
		t.Fatalf("key %s succeeded with %v; the sandbox has %d new records of this move %v, want %d, each named once", key, got.IDs, len(mine), mine, mut.targets)
	}
	if all := added(before, mut.records(b)); len(all) != len(mine)+len(earlier) {
		t.Fatalf("new records %v, want %v and the earlier moves %v", all, mine, earlier)
	}
	for k1, id := range earlier {
		if slices.Contains(ids, id) {
			t.Fatalf("key %s was answered with the earlier move of key %s (%s)", key, k1, id)
		}
	}
	if got.Reconciled != k.reconciled {
		t.Errorf("reconciled = %v, want %v", got.Reconciled, k.reconciled)
	}
	if took > lease+callDeadline+3*time.Second {
		t.Errorf("the key was settled %s after the kill: more than lease + call deadline + 3 s", took)
	}
	// A replay on the other instance answers the same records and moves
	// nothing.
	replay := c.post(b, mut.query, map[string]any{"in": mut.in, "key": key})
	if r := mut.moved(replay); replay.code() != "" || !slices.Equal(r.IDs, got.IDs) {
		t.Errorf("replay of %s answered %s %v, want %v", key, replay, r.IDs, got.IDs)
	}
	if n := fresh(); !slices.Equal(n, mine) {
		t.Errorf("the replay changed the records: %v, want %v", n, mine)
	}
	event := "mutation.applied"
	if k.reconciled {
		event = "mutation.reconciled"
	}
	if !auditHas(t, filepath.Join(st.dir, "audit-A2.jsonl"), key, event) {
		t.Errorf("the audit log of A2 has no %s entry for key %s", event, key)
	}
	var postNote string
	if k.post != nil {
		postNote = k.post(t, st, b, mut.in["customerId"].(string))
	}
	retryLabel := map[string]string{"spent": "spent code", "none": "no code"}[k.retry]
	outcome := fmt.Sprintf("ok %s reconciled=%v %.1fs after the kill; in-lease retry: IN_PROGRESS in %dms, retryAfter %d",
		strings.Join(got.IDs, "+"), got.Reconciled, took.Seconds(), inLease.took.Milliseconds(), inLease.retryAfter())
	records := fmt.Sprintf("%d applied at the kill; K: %d (its own)", len(atKill), len(mine))
	if mut.targets > 1 {
		records = fmt.Sprintf("%d applied at the kill; K: %d (its own, 1 per customer)", len(atKill), len(mine))
	}
	if preNote != "" {
		outcome = preNote + "; K2 " + outcome
		records = fmt.Sprintf("K2: %d at the kill, %d after (its own); K1: 1 (%s)", len(atKill), len(mine), earlier["K1"])
	}
	if postNote != "" {
		records += "; " + postNote
	}
	return []row{{id: k.id, scenario: k.scenario, kill: k.point,
		retries: fmt.Sprintf("%d (%s): %s", len(codes), retryLabel, tally(codes)), outcome: outcome, records: records}}
}

// auditHas reports whether an audit log holds event for key.
func auditHas(t *testing.T, path, key, event string) bool {
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("audit log: %v", err)
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct {
			Event          string `json:"event"`
			IdempotencyKey string `json:"idempotency_key"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.IdempotencyKey == key && e.Event == event {
			return true
		}
	}
	return false
}
