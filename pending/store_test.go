package pending

import "context"

// Store is what the behavioural tests run against: RedisStore shares
// pending customers and submissions between instances, MemoryStore serves
// one process.
type Store interface {
	// Add remembers c as pending in its scope until c.Created + TTL (an
	// entry already past that is not stored). Adding the same id again
	// replaces it.
	Add(ctx context.Context, c Customer) error
	// List returns the live pending customers of scope (account, indirect),
	// oldest first; only the one with that id when id is set.
	List(ctx context.Context, account, indirect, id string) ([]Customer, error)
	// Settle forgets customers of the scope the upstream now lists.
	Settle(ctx context.Context, account, indirect string, ids ...string) error
	// Submit records a real-name submission for customer id (replacing
	// the previous one) for SubmissionTTL.
	Submit(ctx context.Context, id string, s Submission) error
	// Submission returns customer id's live submission, if any.
	Submission(ctx context.Context, id string) (Submission, bool, error)
}
