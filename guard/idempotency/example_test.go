package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"partnergraph/guard/idempotency"
	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
)

// Example shows the order a guarded money mutation follows: reserve the
// idempotency key first (a retry of a successful call replays the first
// answer instead of failing on an already-spent code), verify only while the
// key is not armed, release an unarmed key on a verification failure, arm
// it once the code is accepted, then serialise on the target, remember the
// attempt before the call and claim the upstream record the call left.
func Example() {
	ctx := context.Background()
	box := notify.NewOutbox(0)
	eng, _ := verify.New(verify.NewMemoryStore(), verify.Config{Secret: verify.RandomSecret(), Sender: box})
	store := idempotency.NewMemoryStore(idempotency.Options{})
	upstreamCalls := 0

	p := verify.Principal{Subject: "alice", PartnerID: "p1"}
	op := "allocateFunds"
	args := map[string]any{"customerId": "A", "amount": "100"}
	digest := verify.Digest(op, args)

	// requestVerificationCode
	ch, _ := eng.Request(ctx, p, op, digest, notify.Email, "alice@example.com", verify.Details{Amount: "100 CNY", Target: "customer A"})
	code := regexp.MustCompile(`code is (\d+)`).FindStringSubmatch(box.Messages("")[0].Text)[1]

	mutate := func(key, challengeID, code string) (string, error) {
		r, replay, err := store.Begin(ctx, p.PartnerID+"/"+p.Subject, key, digest)
		if err != nil {
			return "", err // ErrConflict, *InProgressError
		}
		if replay != nil {
			var out string
			_ = json.Unmarshal(replay, &out)
			return out + " (replayed)", nil
		}
		stop, _ := r.Keep(ctx)
		defer stop()
		if !r.Armed {
			if err := eng.Guard(ctx, p, op, args, challengeID, code); err != nil {
				_ = r.Release(ctx)
				return "", err
			}
			_ = r.Arm(ctx)
		}
		lock, _ := store.Lock(ctx, "customer/A")
		defer lock.Unlock(ctx)
		// r.Attempts["customer/A"] != nil: an earlier holder's call; after
		// its deadline, look for its record among the target's records first.
		_ = r.Record(ctx, "customer/A", &idempotency.Attempt{Seen: []string{"T0"}, Deadline: time.Now().Add(10 * time.Second)})
		upstreamCalls++
		transfer := "T1"
		_ = lock.Claim(ctx, r.Claimant(), []string{transfer})
		result := "allocated 100 to A: " + transfer
		data, _ := json.Marshal(result)
		_ = r.Complete(ctx, data)
		return result, nil
	}

	_, err := mutate("key-1", ch.ID, "000000x")
	fmt.Println(errors.Is(err, verify.ErrVerificationFailed))
	fmt.Println(mutate("key-1", ch.ID, code))
	fmt.Println(mutate("key-1", ch.ID, code))
	fmt.Println("upstream calls:", upstreamCalls)
	// Output:
	// true
	// allocated 100 to A: T1 <nil>
	// allocated 100 to A: T1 (replayed) <nil>
	// upstream calls: 1
}
