package main

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// snapshot is the state the ledger compares before and after the run.
type snapshot struct {
	customers map[string]decimal.Decimal // available balance of each customer moved
	partner   decimal.Decimal            // Σ the partner's funds
	quota     decimal.Decimal            // the tier-1 quota's balance
	children  map[string]decimal.Decimal // child quotas cut from it (the resellers' side) → balance
	coupons   map[string]coupon          // every coupon the tier-1 issued (the customers' side)
}

type coupon struct {
	customer string
	balance  decimal.Decimal
	status   int
}

func dec(v any) decimal.Decimal {
	s, _ := v.(string)
	d, _ := decimal.NewFromString(s)
	return d
}

// pages runs a paged query (its variable $a is the cursor) and hands every
// edge to each; conn finds the connection in an answer.
func pages(c *client, query string, vars map[string]any, conn func(map[string]any) any, each func(edge any)) {
	after := ""
	for range 500 {
		v := map[string]any{}
		for k, x := range vars {
			v[k] = x
		}
		if after != "" {
			v["a"] = after
		}
		cn := conn(c.must(query, v))
		edges, _ := path(cn, "edges").([]any)
		for _, e := range edges {
			each(e)
		}
		if path(cn, "pageInfo", "hasNextPage") != true {
			return
		}
		after, _ = path(cn, "pageInfo", "endCursor").(string)
	}
}

// readSnapshot reads the balances of the customers, the partner, the quota,
// the child quotas of the quota (through the resellers) and the coupons.
func readSnapshot(c *client, w world) snapshot {
	s := snapshot{customers: map[string]decimal.Decimal{}, children: map[string]decimal.Decimal{}, coupons: map[string]coupon{}}
	data := c.must(`{customers(first:100,filter:{associationType:RESALE}){edges{node{customerId balance{available{amount}}}}}}`, nil)
	for _, e := range path(data, "customers", "edges").([]any) {
		id := path(e, "node", "customerId").(string)
		if slices.Contains(w.customers, id) {
			s.customers[id] = dec(path(e, "node", "balance", "available", "amount"))
		}
	}
	data = c.must(`{viewer{partner{funds{amount{amount}} couponQuotas(first:100){edges{node{quotaId balance{amount}}}}}}}`, nil)
	for _, f := range path(data, "viewer", "partner", "funds").([]any) {
		s.partner = s.partner.Add(dec(path(f, "amount", "amount")))
	}
	for _, e := range path(data, "viewer", "partner", "couponQuotas", "edges").([]any) {
		if path(e, "node", "quotaId") == w.quota {
			s.quota = dec(path(e, "node", "balance", "amount"))
		}
	}
	data = c.must(`{resellers(first:100){edges{node{couponQuotas{quotaId parentQuotaId balance{amount}}}}}}`, nil)
	for _, e := range path(data, "resellers", "edges").([]any) {
		qs, _ := path(e, "node", "couponQuotas").([]any)
		for _, q := range qs {
			if path(q, "parentQuotaId") == w.quota {
				s.children[path(q, "quotaId").(string)] = dec(path(q, "balance", "amount"))
			}
		}
	}
	pages(c, `query($a:String){viewer{partner{issuedCoupons(first:100,after:$a){pageInfo{hasNextPage endCursor} edges{node{couponId customerId balance{amount} status}}}}}}`, nil,
		func(d map[string]any) any { return path(d, "viewer", "partner", "issuedCoupons") },
		func(e any) {
			st, _ := path(e, "node", "status").(float64)
			cu, _ := path(e, "node", "customerId").(string)
			s.coupons[path(e, "node", "couponId").(string)] = coupon{customer: cu, balance: dec(path(e, "node", "balance", "amount")), status: int(st)}
		})
	return s
}

// record is one upstream record of a move, from the partner's record lists.
type record struct {
	id, kind, target, party string // party: the reseller or customer
	amount                  decimal.Decimal
}

// records reads the records of the moves since start: the customers'
// adjust records (by transfer id), the quota's child-quota records (by
// child quota) and its coupon records (by coupon).
func records(c *client, w world, start time.Time) []record {
	since := start.Add(-5 * time.Second)
	inRun := func(v any) bool {
		t, err := time.Parse(time.RFC3339, fmt.Sprint(v))
		return err != nil || !t.Before(since)
	}
	var out []record
	for _, cu := range w.customers {
		pages(c, `query($c:String,$a:String){viewer{partner{adjustRecords(customerId:$c,first:100,after:$a){pageInfo{hasNextPage endCursor} edges{node{transId operationType amount{amount} operationTime}}}}}}`,
			map[string]any{"c": cu}, func(d map[string]any) any { return path(d, "viewer", "partner", "adjustRecords") },
			func(e any) {
				if n := path(e, "node"); inRun(path(n, "operationTime")) {
					out = append(out, record{id: path(n, "transId").(string), kind: "adjust:" + fmt.Sprint(path(n, "operationType")),
						target: path(n, "transId").(string), party: cu, amount: dec(path(n, "amount", "amount")).Abs()})
				}
			})
	}
	pages(c, `query($q:ID!,$a:String){node(id:$q){... on CouponQuota{records(first:100,after:$a){pageInfo{hasNextPage endCursor} edges{node{id operationType quotaId resellerId amount{amount} operationTime result}}}}}}`,
		map[string]any{"q": w.quotaNode}, func(d map[string]any) any { return path(d, "node", "records") },
		func(e any) {
			if n := path(e, "node"); inRun(path(n, "operationTime")) && path(n, "result") != "-1" {
				r, _ := path(n, "resellerId").(string)
				out = append(out, record{id: path(n, "id").(string), kind: "quota:" + fmt.Sprint(path(n, "operationType")),
					target: path(n, "quotaId").(string), party: r, amount: dec(path(n, "amount", "amount"))})
			}
		})
	pages(c, `query($q:String,$f:String,$a:String){viewer{partner{couponRecords(first:100,after:$a,filter:{quotaId:$q,from:$f}){pageInfo{hasNextPage endCursor} edges{node{id operationType couponId customerId amount{amount} operationTime succeeded}}}}}}`,
		map[string]any{"q": w.quota, "f": since.UTC().Format(time.RFC3339)},
		func(d map[string]any) any { return path(d, "viewer", "partner", "couponRecords") },
		func(e any) {
			if n := path(e, "node"); path(n, "succeeded") == true {
				cu, _ := path(n, "customerId").(string)
				out = append(out, record{id: path(n, "id").(string), kind: "coupon:" + fmt.Sprint(path(n, "operationType")),
					target: path(n, "couponId").(string), party: cu, amount: dec(path(n, "amount", "amount"))})
			}
		})
	return out
}

// recordKind is the kind of record a move's item leaves, keyed by what the
// record names: the transfer, the new child quota, the reclaimed child
// quota, the new coupon, the reclaimed coupon.
var recordKind = map[string]string{
	allocateFunds: "adjust:SOURCE_OPERATION_BEADJUST", reclaimFunds: "adjust:SOURCE_OPERATION_BERETRIEVE",
	issueQuotas: "quota:10", reclaimQuotas: "quota:11",
	issueCoupons: "coupon:ISSUE", reclaimCoupons: "coupon:MANUAL_RECLAIM",
}

// expected is a record a successful move (item) must have left.
type expected struct {
	mv     *move
	party  string
	amount decimal.Decimal
}

// ledger checks the upstream's records and balances against the answers:
// every item that answered success left exactly one record, named by the
// answer, of its amount and for its customer or reseller; no record
// belongs to anything but a success; the balances moved as the successes
// say, and money and quota are conserved.
func ledger(c *client, w world, moves []*move, start time.Time, before snapshot) []string {
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	want := map[string]expected{} // kind + target → the success that names it
	funds := map[string]decimal.Decimal{}
	var quotaWant decimal.Decimal // how the tier-1 quota should have moved
	children := map[string]decimal.Decimal{}
	coupons := map[string]decimal.Decimal{}
	reclaimedChild, reclaimedCoupon := map[string]bool{}, map[string]bool{}
	expect := func(mv *move, target, party string, amount decimal.Decimal) {
		k := recordKind[mv.field] + " " + target
		if prev, dup := want[k]; dup {
			fail("%s is answered by two keys, %s and %s", k, prev.mv.key, mv.key)
		}
		want[k] = expected{mv: mv, party: party, amount: amount}
	}
	for _, mv := range moves {
		if mv.outcome != "ok" {
			continue
		}
		switch mv.field {
		case allocateFunds, reclaimFunds:
			expect(mv, mv.transfer, mv.customer, mv.amount)
			d := mv.amount
			if mv.field == reclaimFunds {
				d = d.Neg()
			}
			funds[mv.customer] = funds[mv.customer].Add(d)
		}
		for _, id := range mv.ids {
			it, ok := mv.items[id]
			switch {
			case !ok:
				fail("%s %s answered no result for %s", mv.key, mv.field, id)
				continue
			case !it.ok:
				continue
			}
			switch mv.field {
			case issueQuotas:
				expect(mv, it.created, id, mv.amount)
				quotaWant = quotaWant.Sub(mv.amount)
				children[it.created] = mv.amount
			case issueCoupons:
				expect(mv, it.created, id, mv.amount)
				quotaWant = quotaWant.Sub(mv.amount)
				coupons[it.created] = mv.amount
			case reclaimQuotas:
				expect(mv, id, "", mv.values[id])
				quotaWant = quotaWant.Add(mv.values[id])
				reclaimedChild[id] = true
			case reclaimCoupons:
				expect(mv, id, "", mv.values[id])
				quotaWant = quotaWant.Add(mv.values[id])
				reclaimedCoupon[id] = true
				if it.amount != nil && !it.amount.Equal(mv.values[id]) {
					fail("%s reclaimCoupons reports %s taken back from %s, which held %s", mv.key, it.amount, id, mv.values[id])
				}
			}
		}
	}

	// Every success has its one record; every record has its success.
	found := map[string]int{}
	kinds := map[string]int{}
	for _, r := range records(c, w, start) {
		k := r.kind + " " + r.target
		found[k]++
		kinds[r.kind]++
		e, ok := want[k]
		switch {
		case !ok:
			if found[k] == 1 {
				fail("record %s (%s %s, %s) was applied but no move answered success for it", r.id, r.kind, r.target, r.amount)
			}
		case !r.amount.Equal(e.amount):
			fail("record %s of %s: amount %s, the move %s says %s", r.id, k, r.amount, e.mv.key, e.amount)
		case e.party != "" && r.party != e.party:
			fail("record %s of %s: for %s, the move %s says %s", r.id, k, r.party, e.mv.key, e.party)
		}
	}
	for k, e := range want {
		if found[k] != 1 {
			fail("%s %s answered %s, found %d times in the records", e.mv.key, e.mv.field, k, found[k])
		}
	}

	// Balances: each side moved as the successes say; money and quota are
	// conserved.
	after := readSnapshot(c, w)
	var custMoved decimal.Decimal
	for _, cu := range w.customers {
		got := after.customers[cu].Sub(before.customers[cu])
		custMoved = custMoved.Add(got)
		if !got.Equal(funds[cu]) {
			fail("customer %s: balance moved %s, the successful moves say %s", cu, got, funds[cu])
		}
	}
	partnerMoved := after.partner.Sub(before.partner)
	if !partnerMoved.Neg().Equal(custMoved) {
		fail("money not conserved: the partner's funds moved %s, its customers' %s", partnerMoved, custMoved)
	}
	quotaMoved := after.quota.Sub(before.quota)
	if !quotaMoved.Equal(quotaWant) {
		fail("the tier-1 quota %s moved %s, the successful moves say %s", w.quota, quotaMoved, quotaWant)
	}
	var resellersMoved, customersMoved decimal.Decimal
	for id, b := range after.children {
		was, old := before.children[id]
		resellersMoved = resellersMoved.Add(b.Sub(was))
		want, made := children[id]
		switch {
		case old && !b.Equal(was):
			fail("child quota %s from before the run moved from %s to %s", id, was, b)
		case !old && !made:
			fail("child quota %s (balance %s) was made but no move answered success for it", id, b)
		case made && reclaimedChild[id] && !b.IsZero():
			fail("child quota %s was reclaimed and still holds %s", id, b)
		case made && !reclaimedChild[id] && !b.Equal(want):
			fail("child quota %s holds %s, issued %s", id, b, want)
		}
	}
	for id := range children {
		if _, ok := after.children[id]; !ok {
			fail("child quota %s was answered but its reseller does not hold it", id)
		}
	}
	for id, cp := range after.coupons {
		was, old := before.coupons[id]
		customersMoved = customersMoved.Add(cp.balance.Sub(was.balance))
		want, made := coupons[id]
		switch {
		case old && (cp.customer != was.customer || cp.status != was.status || !cp.balance.Equal(was.balance)):
			fail("coupon %s from before the run changed from %+v to %+v", id, was, cp)
		case !old && !made:
			fail("coupon %s (balance %s) was issued but no move answered success for it", id, cp.balance)
		case made && reclaimedCoupon[id] && (!cp.balance.IsZero() || cp.status != 5):
			fail("coupon %s was reclaimed and holds %s (status %d)", id, cp.balance, cp.status)
		case made && !reclaimedCoupon[id] && !cp.balance.Equal(want):
			fail("coupon %s holds %s, issued %s", id, cp.balance, want)
		}
	}
	for id := range coupons {
		if _, ok := after.coupons[id]; !ok {
			fail("coupon %s was answered but the partner's coupons do not hold it", id)
		}
	}
	if !quotaMoved.Neg().Equal(resellersMoved.Add(customersMoved)) {
		fail("quota not conserved: the tier-1 quota moved %s, its resellers' child quotas %s and its customers' coupons %s", quotaMoved, resellersMoved, customersMoved)
	}

	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Printf("ledger: %d records since the start for %d successful items (", len(found), len(want))
	for i, k := range names {
		if i > 0 {
			fmt.Print(", ")
		}
		fmt.Printf("%s %d", k, kinds[k])
	}
	fmt.Println(")")
	fmt.Printf("  money: the customers' balances moved %s, the partner's funds %s\n", custMoved, partnerMoved)
	fmt.Printf("  quota: the tier-1 quota moved %s, its resellers' child quotas %s (%d new), its customers' coupons %s (%d new)\n",
		quotaMoved, resellersMoved, len(after.children)-len(before.children), customersMoved, len(after.coupons)-len(before.coupons))
	return problems
}
