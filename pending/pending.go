// Package pending remembers what the gateway itself did in the customer
// registration that the upstream does not show yet, so that every
// gateway instance answers the same:
//
//   - registrations: the upstream answers CreateSubCustomer before the new
//     customer is associated with the partner and lists it only seconds
//     later; until then the gateway shows the customer it created as
//     PENDING (resolvers/lifecycle.go);
//   - real-name submissions: the upstream's review result does not say which
//     kind of authentication was submitted nor when, so the gateway keeps
//     both from the submission.
//
// RedisStore shares the entries between instances (a customer created
// through one instance is PENDING through all of them); MemoryStore serves
// one process (sandbox without --redis-url, tests). Both pass the same
// behavioural tests. Entries expire (Options.TTL, Options.SubmissionTTL) and
// the stores are size-bounded (Options.Max), so neither grows without bound.
package pending

import (
	"net/url"
	"sort"
	"time"
)

// Defaults of Options.
const (
	// DefaultTTL bounds how long a created customer is shown as pending
	// when the upstream never lists it.
	DefaultTTL = 10 * time.Minute
	// DefaultSubmissionTTL bounds how long a submission's kind and time are
	// remembered; manual reviews take days, not months.
	DefaultSubmissionTTL = 30 * 24 * time.Hour
	// DefaultMax bounds the memory store's entries of each kind, and the
	// Redis store's pending customers per scope.
	DefaultMax = 10_000
	// DefaultPrefix namespaces the Redis keys.
	DefaultPrefix = "pg:pending:"
)

// Options tune a store; zero values take the defaults.
type Options struct {
	TTL           time.Duration
	SubmissionTTL time.Duration
	Max           int
	Prefix        string // Redis only
	// Now is the clock every expiry is compared with (time.Now).
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.SubmissionTTL <= 0 {
		o.SubmissionTTL = DefaultSubmissionTTL
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Customer is a customer the gateway created in scope (Account, Indirect)
// that the upstream may not list yet. The JSON form is also what
// createCustomer stores as its idempotent outcome.
type Customer struct {
	Account     string    `json:"account"`
	Indirect    string    `json:"indirect,omitempty"`
	ID          string    `json:"id"`
	AccountName string    `json:"accountName"`
	Mobile      string    `json:"mobile,omitempty"` // masked
	Created     time.Time `json:"created"`
}

// Submission is the kind and time of a customer's latest real-name
// submission through the gateway.
type Submission struct {
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
}

// scopeKey names a scope unambiguously (ids are escaped, so "/" cannot
// come from them).
func scopeKey(account, indirect string) string {
	return url.QueryEscape(account) + "/" + url.QueryEscape(indirect)
}

func sortCustomers(cs []Customer) {
	sort.Slice(cs, func(i, j int) bool {
		if !cs[i].Created.Equal(cs[j].Created) {
			return cs[i].Created.Before(cs[j].Created)
		}
		return cs[i].ID < cs[j].ID
	})
}
