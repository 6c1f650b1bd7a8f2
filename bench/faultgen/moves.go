package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// The mutations that move money or quota, each with its idempotency key.
const (
	allocateFunds  = "allocateCustomerFunds"
	reclaimFunds   = "reclaimCustomerFunds"
	issueQuotas    = "issueCouponQuotas"
	reclaimQuotas  = "reclaimCouponQuotas"
	issueCoupons   = "issueCoupons"
	reclaimCoupons = "reclaimCoupons"
)

// fields lists them in the order the report prints them.
var fields = []string{allocateFunds, reclaimFunds, issueQuotas, reclaimQuotas, issueCoupons, reclaimCoupons}

var inputType = map[string]string{
	allocateFunds: "CustomerFundsInput", reclaimFunds: "CustomerFundsInput",
	issueQuotas: "IssueCouponQuotasInput", reclaimQuotas: "ReclaimCouponQuotasInput",
	issueCoupons: "IssueCouponsInput", reclaimCoupons: "ReclaimCouponsInput",
}

func isFunds(field string) bool { return field == allocateFunds || field == reclaimFunds }

// document is the mutation of field, named after it (the gateway's metrics
// and access lines show the name).
func document(field string) string {
	sel := "transferId reconciled"
	if !isFunds(field) {
		sel = "results{id ok createdId errorCode amount{amount}} reconciled"
	}
	return fmt.Sprintf(`mutation Move%s($in:%s!,$k:String!){%s(input:$in,idempotencyKey:$k){%s}}`,
		strings.ToUpper(field[:1])+field[1:], inputType[field], field, sel)
}

// item is one item of a batch move as its answer reports it.
type item struct {
	ok      bool
	created string           // the new child quota or coupon
	amount  *decimal.Decimal // reclaimCoupons: what the reclaim took back
	code    string
}

// move is one mutation and what it answered.
type move struct {
	key, field string
	customer   string          // funds moves
	amount     decimal.Decimal // funds moved; each child quota's amount, each coupon's face value
	quota      string          // issues: the tier-1 quota they are cut from
	ids        []string        // batch moves: resellers, customers, child quotas or coupons
	// reclaims: what each child quota or coupon held when it was picked
	values map[string]decimal.Decimal

	outcome    string // ok, failed (with code), unknown
	code       string
	transfer   string          // funds moves: the transfer answered
	items      map[string]item // batch moves: by id
	reconciled bool            // the answer was established from the upstream's records
	wasUnknown bool            // it answered OUTCOME_UNKNOWN (or nothing) at least once
	retries    int             // sends after the first
	next       time.Time       // when the settler sends it again
}

func (mv *move) input() map[string]any {
	switch mv.field {
	case issueQuotas:
		return map[string]any{"quotaId": mv.quota, "resellerIds": mv.ids, "amount": mv.amount.StringFixed(2)}
	case reclaimQuotas:
		return map[string]any{"quotaIds": mv.ids}
	case issueCoupons:
		return map[string]any{"quotaId": mv.quota, "customerIds": mv.ids, "faceValue": mv.amount.StringFixed(2)}
	case reclaimCoupons:
		return map[string]any{"couponIds": mv.ids}
	}
	return map[string]any{"customerId": mv.customer, "amount": mv.amount.StringFixed(2)}
}

func send(c *client, mv *move) (answer, error) {
	return c.do(context.Background(), document(mv.field), map[string]any{"in": mv.input(), "k": mv.key})
}

// judge sorts a move's answer: ok (a transfer, or the batch's items),
// unknown (it may have been applied: settle it with the same key), or
// failed (nothing applied). It returns how long to wait before asking
// again when the answer says so (extensions.retryAfter).
func judge(mv *move, a answer, err error) time.Duration {
	wasUnknown := mv.outcome == "unknown"
	var retryAfter time.Duration
	switch {
	case err != nil || a.status >= 500:
		mv.outcome = "unknown" // no answer: as uncertain as a lost reply
	case len(a.Errors) == 0:
		mv.outcome, mv.code = "ok", ""
		p := path(a.Data, mv.field)
		mv.reconciled, _ = path(p, "reconciled").(bool)
		if isFunds(mv.field) {
			mv.transfer, _ = path(p, "transferId").(string)
			break
		}
		mv.items = map[string]item{}
		rs, _ := path(p, "results").([]any)
		for _, r := range rs {
			it := item{}
			it.ok, _ = path(r, "ok").(bool)
			it.created, _ = path(r, "createdId").(string)
			it.code, _ = path(r, "errorCode").(string)
			if s, ok := path(r, "amount", "amount").(string); ok {
				if d, err := decimal.NewFromString(s); err == nil {
					it.amount = &d
				}
			}
			id, _ := path(r, "id").(string)
			mv.items[id] = it
		}
	default:
		e := a.Errors[0]
		if s, ok := e.Extensions["retryAfter"].(float64); ok {
			retryAfter = time.Duration(s * float64(time.Second))
		}
		switch c := e.code(); c {
		case "OUTCOME_UNKNOWN":
			mv.outcome = "unknown"
		case "IDEMPOTENCY_IN_PROGRESS":
			if !wasUnknown {
				mv.outcome, mv.code = "failed", c // a busy target: nothing was sent
			}
		default:
			mv.outcome, mv.code = "failed", c
		}
	}
	if mv.outcome == "unknown" {
		mv.wasUnknown = true
	}
	return retryAfter
}

// pools hold the child quotas and coupons this run made and has not
// reclaimed: what the reclaims pick from. An id is out of its pool while a
// reclaim of it is under way, and back when that reclaim failed.
type pools struct {
	mu      sync.Mutex
	quotas  map[string]decimal.Decimal // child quota → its amount
	coupons map[string]decimal.Decimal // coupon → its face value
}

func newPools() *pools {
	return &pools{quotas: map[string]decimal.Decimal{}, coupons: map[string]decimal.Decimal{}}
}

// take removes up to n ids of the pool of field (a reclaim) at random.
func (p *pools) take(field string, n int, rng *rand.Rand) map[string]decimal.Decimal {
	p.mu.Lock()
	defer p.mu.Unlock()
	from := p.quotas
	if field == reclaimCoupons {
		from = p.coupons
	}
	ids := make([]string, 0, len(from))
	for id := range from {
		ids = append(ids, id)
	}
	out := map[string]decimal.Decimal{}
	for len(out) < n && len(ids) > 0 {
		i := rng.IntN(len(ids))
		out[ids[i]] = from[ids[i]]
		delete(from, ids[i])
		ids = append(ids[:i], ids[i+1:]...)
	}
	return out
}

// settled updates the pools with a move's final outcome: what an issue
// made can be reclaimed, what a reclaim did not take goes back.
func (p *pools) settled(mv *move) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch mv.field {
	case issueQuotas, issueCoupons:
		to := p.quotas
		if mv.field == issueCoupons {
			to = p.coupons
		}
		if mv.outcome == "ok" {
			for _, it := range mv.items {
				if it.ok && it.created != "" {
					to[it.created] = mv.amount
				}
			}
		}
	case reclaimQuotas, reclaimCoupons:
		to := p.quotas
		if mv.field == reclaimCoupons {
			to = p.coupons
		}
		for id, v := range mv.values {
			if mv.outcome != "ok" || !mv.items[id].ok {
				to[id] = v
			}
		}
	}
}

// cents is a random amount of 1.00 to 3.00.
func cents(rng *rand.Rand) decimal.Decimal { return decimal.New(int64(100+rng.IntN(201)), -2) }

// pick is n distinct entries of list at random.
func pick(list []string, n int, rng *rand.Rand) []string {
	out := []string{}
	for _, i := range rng.Perm(len(list))[:min(n, len(list))] {
		out = append(out, list[i])
	}
	return out
}

// world is what the moves act on.
type world struct {
	customers []string // RESALE customers of the tier-1
	resellers []string // its tier-2 resellers
	quota     string   // its voucher quota: child quotas and coupons are cut from it
	quotaNode string   // the quota's global ID
}

// nextMove draws a money client's next move: a third funds, the rest
// quotas and coupons; a reclaim needs something this run made, else it is
// an issue.
func nextMove(key string, w world, p *pools, rng *rand.Rand) *move {
	mv := &move{key: key}
	r := rng.IntN(100)
	switch {
	case r < 24:
		mv.field = allocateFunds
	case r < 34:
		mv.field = reclaimFunds
	case r < 54:
		mv.field = issueQuotas
	case r < 66:
		mv.field = reclaimQuotas
	case r < 86:
		mv.field = issueCoupons
	default:
		mv.field = reclaimCoupons
	}
	if mv.field == reclaimQuotas || mv.field == reclaimCoupons {
		if mv.values = p.take(mv.field, 1+rng.IntN(2), rng); len(mv.values) == 0 {
			mv.field = map[string]string{reclaimQuotas: issueQuotas, reclaimCoupons: issueCoupons}[mv.field]
		}
	}
	switch mv.field {
	case allocateFunds, reclaimFunds:
		mv.customer, mv.amount = w.customers[rng.IntN(len(w.customers))], decimal.New(int64(1+rng.IntN(300)), -2)
	case issueQuotas:
		mv.quota, mv.ids, mv.amount = w.quota, pick(w.resellers, 1+rng.IntN(2), rng), cents(rng)
	case issueCoupons:
		mv.quota, mv.ids, mv.amount = w.quota, pick(w.customers, 1+rng.IntN(2), rng), cents(rng)
	default:
		for id := range mv.values {
			mv.ids = append(mv.ids, id)
		}
	}
	return mv
}
