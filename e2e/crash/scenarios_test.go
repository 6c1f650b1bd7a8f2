package crash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// scenario2: K1 allocates 22.22; K2, the same input, dies before its move
// is applied. Retried after the restart, K2 must make its own move, not
// claim K1's identical record. A third key with K1's spent code is a
// definite failure and must apply nothing.
func scenario2(t *testing.T, s *suite) []row {
	var (
		k1  *clerk
		in1 map[string]any
		v1  map[string]any
	)
	k := killCase{id: "2", scenario: "takeover must not claim an earlier identical move", amount: "22.22",
		point:  "K2's move: UpdateCustomerAccountAmount +1.5s (not applied)",
		faults: []fault{{"operation": "UpdateCustomerAccountAmount", "latency_ms": 1500, "count": 1}},
		killOn: "UpdateCustomerAccountAmount", killNth: 1, delay: 1500 * time.Millisecond,
		applied: false, retry: "spent", reconciled: false,
		pre: func(t *testing.T, st *stack, g *gateway, cust string) (map[string]string, string) {
			k1 = st.clerk()
			in1 = map[string]any{"customerId": cust, "amount": "22.22"}
			v1 = k1.code(g, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in1)
			a := k1.post(g, allocateQ, map[string]any{"in": in1, "key": "crash-2-K1-" + secret()[:12], "v": v1})
			m := fundsMoved(a)
			if a.code() != "" || len(m.IDs) != 1 {
				t.Fatalf("K1: %s", a)
			}
			return map[string]string{"K1": m.IDs[0]}, "K1 ok " + m.IDs[0]
		},
		post: func(t *testing.T, st *stack, g *gateway, cust string) string {
			before := st.allocations(g, cust, "22.22")
			a := k1.post(g, allocateQ, map[string]any{"in": in1, "key": "crash-2-K3-" + secret()[:12], "v": v1})
			if a.code() != "VERIFICATION_FAILED" {
				t.Errorf("K3 with K1's spent code answered %s %s, want VERIFICATION_FAILED", a, a.Data)
			}
			if n := added(before, st.allocations(g, cust, "22.22")); len(n) != 0 {
				t.Errorf("K3 failed but the sandbox has new records %v", n)
			}
			return "K3 (K1's spent code): VERIFICATION_FAILED, 0"
		},
	}
	return killRun(t, s, k)
}

// retryUntilOK sends a mutation with one key until it succeeds, starting on
// gateway first and alternating, honouring retryAfter. It runs on
// goroutines: it returns errors instead of failing the test.
func retryUntilOK(c *clerk, gws []*gateway, first int, q string, vars map[string]any, deadline time.Time) (answer, []string, error) {
	var codes []string
	for i := 0; ; i++ {
		ans := c.post(gws[(first+i)%len(gws)], q, vars)
		codes = append(codes, ans.code())
		switch {
		case ans.code() == "":
			return ans, codes, nil
		case !slices.Contains(retryable, ans.code()):
			return ans, codes, fmt.Errorf("key %s answered %s", vars["key"], ans)
		case time.Now().After(deadline):
			return ans, codes, fmt.Errorf("key %s: no success before the deadline: %s", vars["key"], tally(codes))
		}
		wait := 50 * time.Millisecond
		if ra := ans.retryAfter(); ra > 0 {
			wait = time.Duration(min(ra, 3)) * time.Second
		}
		time.Sleep(wait)
	}
}

// concurrent runs n identical moves with n keys (one clerk and code each),
// half of them starting on each of two gateways, under 20 % faults of
// upstreamOp (10 % 503, 10 % dropped after applying), each key retried
// until it succeeds. It returns the successes by key index, the answer
// codes and the upstream calls of upstreamOp.
func concurrent(t *testing.T, st *stack, n int, op, member, q, upstreamOp string, in map[string]any, ids func(answer) moved) ([]moved, [][]string, int) {
	gws := []*gateway{st.gateway("A"), st.gateway("B")}
	clerks := make([]*clerk, n)
	vars := make([]map[string]any, n)
	for i := range n {
		clerks[i] = st.clerk()
		v := clerks[i].code(gws[i%2], op, member, in)
		vars[i] = map[string]any{"in": in, "key": fmt.Sprintf("crash-3-%s-%02d-%s", member, i, secret()[:8]), "v": v}
	}
	st.sandbox.resetStats(t)
	st.sandbox.faults(t,
		fault{"operation": upstreamOp, "error_rate": 0.1, "drop": true, "after": true},
		fault{"operation": upstreamOp, "error_rate": 0.1112, "status": 503}) // 0.9 × 0.1112: another 10 %
	out := make([]moved, n)
	codes := make([][]string, n)
	errs := make([]error, n)
	deadline := time.Now().Add(40 * time.Second)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Retries carry the original (spent) code: an armed key must
			// not ask for it again.
			var ans answer
			ans, codes[i], errs[i] = retryUntilOK(clerks[i], gws, i%2, q, vars[i], deadline)
			out[i] = ids(ans)
		})
	}
	wg.Wait()
	st.sandbox.faults(t)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out, codes, st.sandbox.stats(t)[upstreamOp]
}

// checkConcurrent checks n keys against the new upstream records: one
// record per key, each named by its own key only, and one call applied per
// key (every other call of upstreamOp answered 503 to some key).
func checkConcurrent(t *testing.T, n int, got []moved, codes [][]string, calls int, fresh []string) (string, string, string) {
	owner := map[string]int{}
	reconciled, retries, unavailable := 0, 0, 0
	for i, m := range got {
		if len(m.IDs) != 1 {
			t.Fatalf("key %d succeeded with %v, want one record", i, m.IDs)
		}
		if j, dup := owner[m.IDs[0]]; dup {
			t.Fatalf("keys %d and %d both name record %s", j, i, m.IDs[0])
		}
		owner[m.IDs[0]] = i
		if m.Reconciled {
			reconciled++
		}
		retries += len(codes[i]) - 1
		for _, c := range codes[i] {
			if c == "UPSTREAM_UNAVAILABLE" {
				unavailable++
			}
		}
	}
	if len(fresh) != n {
		t.Fatalf("%d new upstream records, want %d (one per key)", len(fresh), n)
	}
	for _, id := range fresh {
		if _, ok := owner[id]; !ok {
			t.Fatalf("new record %s is named by no key", id)
		}
	}
	if calls != n+unavailable {
		t.Errorf("%d upstream calls for %d keys and %d answers of a refused call: a key called twice", calls, n, unavailable)
	}
	if calls == n && reconciled == 0 {
		t.Errorf("no fault fired in %d calls", calls)
	}
	var all []string
	for _, c := range codes {
		all = append(all, c...)
	}
	slices.Sort(all)
	return fmt.Sprintf("%d over %d keys (%s)", retries, n, tally(all)),
		fmt.Sprintf("%d/%d ok, %d distinct ids, %d reconciled; %d calls = %d applied + %d refused (503)", n, n, len(owner), reconciled, calls, n, unavailable),
		fmt.Sprintf("%d new records, 1 per key, each key's own", len(fresh))
}

// scenario3Funds: 40 concurrent allocations of 5.00 to one customer with
// 40 keys through two gateways, under faults.
func scenario3Funds(t *testing.T, s *suite) []row {
	const n = 40
	st := s.stack(t)
	cust := st.resaleCustomer(0)
	in := map[string]any{"customerId": cust, "amount": "5.00"}
	probe := st.gateway("reader")
	before := st.allocations(probe, cust, "5.00")
	got, codes, calls := concurrent(t, st, n, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", allocateQ, "UpdateCustomerAccountAmount", in, fundsMoved)
	fresh := added(before, st.allocations(probe, cust, "5.00"))
	retries, outcome, records := checkConcurrent(t, n, got, codes, calls, fresh)
	return []row{{id: "3a", scenario: "40 concurrent identical allocations of 5.00, 2 instances", kill: "none (20 % faults: 503, drop after applying)",
		retries: retries, outcome: outcome, records: records}}
}

// scenario3Coupons: 40 concurrent issues of a 7.00 coupon to one customer
// with 40 keys through two gateways, under faults.
func scenario3Coupons(t *testing.T, s *suite) []row {
	const n = 40
	st := s.stack(t)
	probe := st.gateway("reader")
	cust := st.resaleCustomer(0)
	quota := st.quota(probe, n*7+1)
	node := st.customerNode(probe, cust)
	in := map[string]any{"quotaId": quota, "customerIds": []string{cust}, "faceValue": "7.00"}
	before := st.coupons(probe, node, "7.00")
	got, codes, calls := concurrent(t, st, n, "ISSUE_COUPONS", "issueCoupons", issueCouponsQ, "CreatePartnerCoupons", in, couponsMoved)
	fresh := added(before, st.coupons(probe, node, "7.00"))
	retries, outcome, records := checkConcurrent(t, n, got, codes, calls, fresh)
	return []row{{id: "3b", scenario: "40 concurrent identical issueCoupons of 7.00, 2 instances", kill: "none (20 % faults: 503, drop after applying)",
		retries: retries, outcome: outcome, records: records}}
}

// scenario5a: the holder dies before its upstream call. Retries on the
// other instance every 100 ms get IDEMPOTENCY_IN_PROGRESS at once until
// the lease ends, then the key is taken over and succeeds.
func scenario5a(t *testing.T, s *suite) []row {
	st := s.stack(t)
	a, b := st.gateway("A"), st.gateway("B")
	cust := st.resaleCustomer(0)
	before := st.allocations(b, cust, "51.51")
	c := st.clerk()
	in := map[string]any{"customerId": cust, "amount": "51.51"}
	vars := map[string]any{"in": in, "key": "crash-5a-" + secret()[:12], "v": c.code(a, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)}
	st.sandbox.resetStats(t)
	st.sandbox.faults(t, fault{"operation": "ListSubCustomers", "latency_ms": 1500, "count": 1})
	first := make(chan answer, 1)
	go func() { first <- c.post(a, allocateQ, vars) }()
	if !st.sandbox.awaitOp(t, "ListSubCustomers", 1, 10*time.Second) {
		t.Fatalf("the ownership read never reached the sandbox; the gateway's log:\n%s", a.p.tail())
	}
	a.p.kill()
	killed := time.Now()
	if ans := <-first; ans.err == nil {
		t.Fatalf("the kill missed: the gateway answered %s", ans)
	}
	var codes []string
	var slowest time.Duration
	var ok answer
	for {
		ans := c.post(b, allocateQ, vars)
		codes = append(codes, ans.code())
		if ans.code() == "" {
			ok = ans
			break
		}
		if ans.code() != "IDEMPOTENCY_IN_PROGRESS" || ans.took > time.Second || ans.retryAfter() < 1 || ans.retryAfter() > int(lease.Seconds()) {
			t.Fatalf("%s after the kill a retry answered %s in %s, want IDEMPOTENCY_IN_PROGRESS at once with retryAfter 1..%d",
				time.Since(killed).Round(time.Millisecond), ans, ans.took, int(lease.Seconds()))
		}
		slowest = max(slowest, ans.took)
		if time.Since(killed) > 3*lease {
			t.Fatalf("the key was not taken over within %s of the kill: %s", 3*lease, tally(codes))
		}
		time.Sleep(100 * time.Millisecond)
	}
	takeover := time.Since(killed)
	if takeover < lease/2 || takeover > lease+time.Second {
		t.Errorf("the key was taken over %s after the kill, want within the lease's last renewal (%s..%s)", takeover, lease/2, lease+time.Second)
	}
	got := fundsMoved(ok)
	fresh := added(before, st.allocations(b, cust, "51.51"))
	if len(got.IDs) != 1 || !slices.Equal(fresh, got.IDs) || got.Reconciled {
		t.Fatalf("success %v (reconciled %v); new records %v", got.IDs, got.Reconciled, fresh)
	}
	return []row{{id: "5a", scenario: "leases follow their owner: the holder died", kill: "ownership read: ListSubCustomers +1.5s",
		retries: fmt.Sprintf("%d (spent code, every 100 ms on B): %s", len(codes), tally(codes)),
		outcome: fmt.Sprintf("in-lease answers ≤ %dms; taken over and ok %.2fs after the kill (lease %s)", slowest.Milliseconds(), takeover.Seconds(), lease),
		records: "1 (its own)"}}
}

// scenario5b: a live holder slower than the lease keeps its key (it renews
// the lease): duplicates on the other instance get IDEMPOTENCY_IN_PROGRESS
// at once the whole time, and the holder's move is the only one.
func scenario5b(t *testing.T, s *suite) []row {
	st := s.stack(t)
	a, b := st.gateway("A"), st.gateway("B")
	cust := st.resaleCustomer(0)
	before := st.allocations(b, cust, "52.52")
	c := st.clerk()
	in := map[string]any{"customerId": cust, "amount": "52.52"}
	vars := map[string]any{"in": in, "key": "crash-5b-" + secret()[:12], "v": c.code(a, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)}
	// Every call of the allocation takes a second more: five in all.
	var slow []fault
	for _, op := range []string{"ListSubCustomers", "ListPartnerAdjustRecords", "UpdateCustomerAccountAmount", "ListCustomersBalancesDetail", "ListPartnerBalances"} {
		slow = append(slow, fault{"operation": op, "latency_ms": 1000, "count": 1})
	}
	st.sandbox.faults(t, slow...)
	first := make(chan answer, 1)
	started := time.Now()
	go func() { first <- c.post(a, allocateQ, vars) }()
	time.Sleep(100 * time.Millisecond)
	var codes []string
	var slowest time.Duration
	var held answer
poll:
	for {
		select {
		case held = <-first:
			break poll
		default:
		}
		ans := c.post(b, allocateQ, vars)
		if ans.code() == "" {
			// The holder may have finished between the two checks: a
			// replay of its outcome.
			held = <-first
			if !slices.Equal(fundsMoved(ans).IDs, fundsMoved(held).IDs) {
				t.Fatalf("a duplicate succeeded with %v while the holder answered %s %v", fundsMoved(ans).IDs, held, fundsMoved(held).IDs)
			}
			break poll
		}
		codes = append(codes, ans.code())
		// A retry time beyond the lease would mean the duplicate took the
		// key over and found the holder's attempt.
		if ans.code() != "IDEMPOTENCY_IN_PROGRESS" || ans.took > time.Second || ans.retryAfter() < 1 || ans.retryAfter() > int(lease.Seconds()) {
			t.Fatalf("a duplicate %s after the start answered %s in %s, want IDEMPOTENCY_IN_PROGRESS at once with retryAfter 1..%d (the holder's live lease)",
				time.Since(started).Round(time.Millisecond), ans, ans.took, int(lease.Seconds()))
		}
		slowest = max(slowest, ans.took)
		time.Sleep(250 * time.Millisecond)
	}
	holding := time.Since(started)
	got := fundsMoved(held)
	if held.code() != "" || len(got.IDs) != 1 || got.Reconciled {
		t.Fatalf("the holder answered %s %s", held, held.Data)
	}
	if holding < 2*lease-100*time.Millisecond {
		t.Errorf("the holder took %s, want more than two leases (the faults did not slow it)", holding)
	}
	replay := c.post(b, allocateQ, vars)
	fresh := added(before, st.allocations(b, cust, "52.52"))
	if replay.code() != "" || !slices.Equal(fundsMoved(replay).IDs, got.IDs) || !slices.Equal(fresh, got.IDs) {
		t.Fatalf("replay %s %v, holder %v, new records %v", replay, fundsMoved(replay).IDs, got.IDs, fresh)
	}
	return []row{{id: "5b", scenario: "leases follow their owner: the holder lives", kill: "none (holder slowed: its 5 calls +1s each)",
		retries: fmt.Sprintf("%d duplicates on B every 250 ms: %s", len(codes), tally(codes)),
		outcome: fmt.Sprintf("holder ok after %.1fs (%.1f leases); duplicates answered ≤ %dms; replay = same record", holding.Seconds(), holding.Seconds()/lease.Seconds(), slowest.Milliseconds()),
		records: "1 (the holder's)"}}
}

// scenario5c: the holder freezes (SIGSTOP) while its move is upstream,
// for longer than its lease and its call's deadline. The other instance
// takes the key over, finds the move in the records and answers it; the
// frozen holder, woken up (SIGCONT), must not move again, and whatever it
// answers names the same record or asks for a retry.
func scenario5c(t *testing.T, s *suite) []row {
	st := s.stack(t)
	a, b := st.gateway("A"), st.gateway("B")
	cust := st.resaleCustomer(0)
	before := st.allocations(b, cust, "53.53")
	c := st.clerk()
	in := map[string]any{"customerId": cust, "amount": "53.53"}
	vars := map[string]any{"in": in, "key": "crash-5c-" + secret()[:12], "v": c.code(a, "ALLOCATE_CUSTOMER_FUNDS", "allocateCustomerFunds", in)}
	st.sandbox.resetStats(t)
	st.sandbox.faults(t, fault{"operation": "UpdateCustomerAccountAmount", "latency_ms": 1000, "count": 1})
	first := make(chan answer, 1)
	go func() { first <- c.post(a, allocateQ, vars) }()
	if !st.sandbox.awaitOp(t, "UpdateCustomerAccountAmount", 1, 10*time.Second) {
		t.Fatalf("the move never reached the sandbox; the gateway's log:\n%s", a.p.tail())
	}
	a.p.signal(t, syscall.SIGSTOP)
	frozen := time.Now()
	ans, codes, err := retryUntilOK(c, []*gateway{b}, 0, allocateQ, vars, frozen.Add(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(frozen)
	got := fundsMoved(ans)
	if len(got.IDs) != 1 || !got.Reconciled {
		t.Fatalf("the takeover answered %v (reconciled %v), want the frozen holder's move from the records", got.IDs, got.Reconciled)
	}
	a.p.signal(t, syscall.SIGCONT)
	woken := <-first
	late := woken.code()
	switch {
	case late == "" && !slices.Equal(fundsMoved(woken).IDs, got.IDs):
		t.Errorf("the woken holder answered %v, the takeover %v", fundsMoved(woken).IDs, got.IDs)
	case late != "" && !slices.Contains(retryable, late):
		t.Errorf("the woken holder answered %s, want the same record or a retryable error", woken)
	}
	if late == "" {
		late = "ok, the same record"
	}
	replay := c.post(a, allocateQ, vars)
	fresh := added(before, st.allocations(b, cust, "53.53"))
	if replay.code() != "" || !slices.Equal(fundsMoved(replay).IDs, got.IDs) || !slices.Equal(fresh, got.IDs) {
		t.Fatalf("replay on the woken instance %s %v, takeover %v, new records %v", replay, fundsMoved(replay).IDs, got.IDs, fresh)
	}
	return []row{{id: "5c", scenario: "leases follow their owner: the holder froze", kill: "SIGSTOP during the move (UpdateCustomerAccountAmount +1s), SIGCONT after the takeover",
		retries: fmt.Sprintf("%d (spent code, on B): %s", len(codes), tally(codes)),
		outcome: fmt.Sprintf("B ok %s reconciled %.1fs after the freeze; the woken holder answered %s; replay on it = same record", got.IDs[0], took.Seconds(), late),
		records: "1 (its own)"}}
}

// scenario6: the client gives up (closes its connection) while the move is
// delayed upstream; the gateway stays up. The move's call outlives the
// client (gateway/reconcile.go), so its answer is stored for the key and
// the client's retry replays it: one record for the key.
func scenario6(t *testing.T, s *suite) []row {
	st := s.stack(t)
	a := st.gateway("A")
	mut := st.allocation("61.61")
	before := mut.records(a)
	c := st.clerk()
	vars := map[string]any{"in": mut.in, "key": "crash-6-" + secret()[:12], "v": c.code(a, mut.op, mut.member, mut.in)}
	st.sandbox.resetStats(t)
	st.sandbox.faults(t, fault{"operation": "UpdateCustomerAccountAmount", "latency_ms": 1000, "count": 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan answer, 1)
	go func() { first <- post(ctx, a.url, c.tok, mut.query, vars) }()
	if !st.sandbox.awaitOp(t, "UpdateCustomerAccountAmount", 1, 10*time.Second) {
		t.Fatalf("the move never reached the sandbox; the gateway's log:\n%s", a.p.tail())
	}
	arrived := time.Now()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if ans := <-first; ans.err == nil {
		t.Fatalf("the gateway answered %s before the client gave up", ans)
	}
	// The gateway's SDK connection stays open (its HTTP timeout is the
	// call timeout + 1 s): the sandbox applies the move after its delay.
	time.Sleep(time.Until(arrived.Add(1300 * time.Millisecond)))
	atGiveUp := added(before, mut.records(a))
	ans, codes, err := retryUntilOK(c, []*gateway{a}, 0, mut.query, vars, time.Now().Add(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := mut.moved(ans)
	fresh := added(before, mut.records(a))
	if len(fresh) != 1 || !slices.Equal(got.IDs, fresh) {
		t.Errorf("key %s: %d records %v after the client gave up (%d then), the retry answered %v reconciled=%v, want the one record",
			vars["key"], len(fresh), fresh, len(atGiveUp), got.IDs, got.Reconciled)
	}
	return []row{{id: "6", scenario: "the client gives up during the move", kill: "none: the client disconnects 0.1s into the move (UpdateCustomerAccountAmount +1s)",
		retries: fmt.Sprintf("%d (spent code): %s", len(codes), tally(codes)),
		outcome: fmt.Sprintf("ok %s reconciled=%v", strings.Join(got.IDs, "+"), got.Reconciled),
		records: fmt.Sprintf("%d applied when the client gave up; K: %d", len(atGiveUp), len(fresh))}}
}

const quotasQ = `{ viewer { partner { couponQuotas(first: 100) { edges { node { quotaId status balance { amount } } } } } } }`

// quota is an active coupon quota of the tier-1 with at least min left.
func (st *stack) quota(g *gateway, least float64) string {
	st.t.Helper()
	a := st.clerk().post(g, quotasQ, nil)
	var r struct {
		Partner struct {
			CouponQuotas struct {
				Edges []struct {
					Node struct {
						QuotaID string
						Status  *int
						Balance *struct{ Amount string }
					}
				}
			}
		}
	}
	if a.code() != "" || json.Unmarshal(a.Data["viewer"], &r) != nil {
		st.t.Fatalf("couponQuotas: %s", a)
	}
	for _, e := range r.Partner.CouponQuotas.Edges {
		var left float64
		if q := e.Node; q.Status != nil && *q.Status == 0 && q.Balance != nil {
			if _, err := fmt.Sscan(q.Balance.Amount, &left); err == nil && left >= least {
				return q.QuotaID
			}
		}
	}
	st.t.Fatalf("no active quota with %.2f left", least)
	return ""
}

const customersQ = `query($a: String) { customers(first: 100, after: $a) { pageInfo { hasNextPage endCursor } edges { node { id customerId } } } }`

// customerNode is the global id of a customer.
func (st *stack) customerNode(g *gateway, customer string) string {
	st.t.Helper()
	var after any
	for {
		a := st.clerk().post(g, customersQ, map[string]any{"a": after})
		var r struct {
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct {
				Node struct{ ID, CustomerID string }
			}
		}
		if a.code() != "" || json.Unmarshal(a.Data["customers"], &r) != nil {
			st.t.Fatalf("customers: %s", a)
		}
		for _, e := range r.Edges {
			if e.Node.CustomerID == customer {
				return e.Node.ID
			}
		}
		if !r.PageInfo.HasNextPage {
			st.t.Fatalf("customer %s not listed", customer)
		}
		after = r.PageInfo.EndCursor
	}
}

const couponsQ = `query($id: ID!, $a: String) { node(id: $id) { ... on Customer { issuedCoupons(first: 100, after: $a) {
  pageInfo { hasNextPage endCursor } edges { node { couponId faceValue { amount } } } } } } }`

// coupons are the customer's coupons of face value face, by id.
func (st *stack) coupons(g *gateway, node, face string) map[string]bool {
	st.t.Helper()
	out := map[string]bool{}
	var after any
	for {
		a := st.clerk().post(g, couponsQ, map[string]any{"id": node, "a": after})
		var r struct {
			IssuedCoupons struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Node struct {
						CouponID  string
						FaceValue struct{ Amount string }
					}
				}
			}
		}
		if a.code() != "" || json.Unmarshal(a.Data["node"], &r) != nil {
			st.t.Fatalf("issuedCoupons: %s", a)
		}
		for _, e := range r.IssuedCoupons.Edges {
			if sameAmount(e.Node.FaceValue.Amount, face) {
				out[e.Node.CouponID] = true
			}
		}
		if !r.IssuedCoupons.PageInfo.HasNextPage {
			return out
		}
		after = r.IssuedCoupons.PageInfo.EndCursor
	}
}
