package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"partnergraph/guard/idempotency"
	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
)

// Example shows the order a guarded money mutation should follow: reserve
// the idempotency key first (so a retry of a successful call replays the
// first answer instead of failing on an already-spent code), verify only
// when fresh, release on a verification failure, complete after the
// upstream answered.
func Example() {
	ctx := context.Background()
	box := notify.NewOutbox(0)
	eng, _ := verify.New(verify.NewMemoryStore(), verify.Config{Secret: verify.RandomSecret(), Sender: box})
	idem := idempotency.NewMemoryStore(idempotency.Options{})
	upstreamCalls := 0

	p := verify.Principal{Subject: "alice", PartnerID: "p1"}
	op := "allocateFunds"
	args := map[string]any{"customerId": "A", "amount": "100"}
	digest := verify.Digest(op, args)

	// requestVerificationCode
	ch, _ := eng.Request(ctx, p, op, digest, notify.Email, "alice@example.com", verify.Details{Amount: "100 CNY", Target: "customer A"})
	code := regexp.MustCompile(`code is (\d+)`).FindStringSubmatch(box.Messages("")[0].Text)[1]

	mutate := func(key, challengeID, code string) (string, error) {
		scope := p.PartnerID + "/" + p.Subject
		out, fresh, err := idem.Begin(ctx, scope, key, digest)
		if err != nil {
			return "", err // ErrConflict -> IDEMPOTENCY_CONFLICT
		}
		if !fresh {
			var r string
			_ = json.Unmarshal(out.Data, &r)
			return r + " (replayed)", nil // audit.EventMutationReplayed
		}
		if err := eng.Guard(ctx, p, op, args, challengeID, code); err != nil {
			_ = idem.Release(ctx, scope, key, out.Owner)
			return "", err
		}
		// if out.TakenOver: reconcile with the upstream's records first.
		upstreamCalls++
		result := "allocated 100 to A"
		data, _ := json.Marshal(result)
		_ = idem.Complete(ctx, scope, key, out.Owner, data) // audit.EventMutationApplied
		return result, nil
	}

	_, err := mutate("key-1", ch.ID, "000000x")
	fmt.Println(errors.Is(err, verify.ErrVerificationFailed))
	fmt.Println(mutate("key-1", ch.ID, code))
	fmt.Println(mutate("key-1", ch.ID, code))
	fmt.Println("upstream calls:", upstreamCalls)
	// Output:
	// true
	// allocated 100 to A <nil>
	// allocated 100 to A (replayed) <nil>
	// upstream calls: 1
}
