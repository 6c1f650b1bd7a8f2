// Package resolvers answers the GraphQL schema. Each domain's resolvers are
// in <domain>.resolvers.go (gqlgen's follow-schema layout of
// schema/<domain>.graphqls), its helpers in <domain>.go; authorization is
// decided from the caller's principal (access.go). Resolvers read through
// the request's loaders (partnergraph/loader) and the Huawei adapter
// (partnergraph/gateway); nothing below them calls back up.
package resolvers

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"partnergraph/gateway"
	"partnergraph/graph"
	"partnergraph/guard/audit"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/verify"
	"partnergraph/loader"
	"partnergraph/pending"
)

// Deps are the resolvers' dependencies. Every one is required: NewSchema
// refuses to build a schema without it, so a missing store is a start-up
// error and never an INTERNAL answer at request time.
type Deps struct {
	// Upstream is the Huawei adapter.
	Upstream *gateway.Client
	// Verify checks the verification codes of sensitive mutations.
	Verify *verify.Engine
	// Idempotency remembers sensitive mutations and registrations per
	// idempotency key, serialises moves per target and keeps the upstream
	// records each key claimed (Redis when shared by instances).
	Idempotency *idempotency.Store
	// Audit records sensitive mutations; partners read their own entries.
	Audit AuditLog
	// Pending keeps the customers createCustomer made that the upstream
	// does not list yet, and real-name submissions' kind and time.
	Pending PendingStore
	// Contacts is where codes go when the caller's token carries no
	// verified "email" / "phone_number" claim: partner id → contact.
	// Never taken from client input. May be empty.
	Contacts map[string]Contact
	// Now is the clock of submissions and refund estimates (default
	// time.Now).
	Now func() time.Time
	// Log receives what cannot be answered to a client (default
	// slog.Default()).
	Log *slog.Logger
	// Tickets tunes the service tickets' live updates and caches
	// (tickets.go); the zero value takes the defaults.
	Tickets TicketOptions
}

// AuditLog is the audit log: appended by sensitive mutations, read by
// Partner.auditLog and Reseller.auditLog.
type AuditLog interface {
	audit.Sink
	audit.Reader
}

// PendingStore keeps pending customers and real-name submissions: memory
// in one process, Redis across instances (partnergraph/pending).
type PendingStore interface {
	Add(ctx context.Context, c pending.Customer) error
	List(ctx context.Context, account, indirect, id string) ([]pending.Customer, error)
	Settle(ctx context.Context, account, indirect string, ids ...string) error
	Submit(ctx context.Context, customerID string, s pending.Submission) error
	Submission(ctx context.Context, customerID string) (pending.Submission, bool, error)
}

// Contact is a partner's verified e-mail address and phone number.
type Contact struct{ Email, Phone string }

// Resolver is the root resolver; its fields are the dependencies.
type Resolver struct {
	upstream    *gateway.Client
	verify      *verify.Engine
	idempotency *idempotency.Store
	audit       AuditLog
	pending     PendingStore
	contacts    map[string]Contact
	now         func() time.Time
	log         *slog.Logger

	// resellerParent caches reseller id -> tier-1 id once the upstream has
	// confirmed the relation (live mode, where resellers are not configured).
	resellerParent sync.Map
	// xaccountTypes caches a scope's xaccount type once learnt from the
	// upstream (registration.go).
	xaccountTypes sync.Map
	// tickets holds the ticket pollers and caches (tickets.go).
	tickets *ticketState
	// xaccounts remembers, per scope, the customer a key of the partner's
	// sales platform (xaccount_id) belongs to, briefly (customers.go);
	// xaccountScans shares a scan of the customer list among the requests
	// looking for one key.
	xaccounts     *expirable.LRU[xaccountKey, string]
	xaccountScans singleflight.Group
}

var _ graph.ResolverRoot = (*Resolver)(nil)

// NewSchema builds the executable schema from d; server.go and the tests
// use it. Every operation runs with its own loaders.
func NewSchema(d Deps) (graphql.ExecutableSchema, error) {
	switch {
	case d.Upstream == nil:
		return nil, errors.New("resolvers: no upstream client")
	case d.Verify == nil:
		return nil, errors.New("resolvers: no verification engine")
	case d.Idempotency == nil:
		return nil, errors.New("resolvers: no idempotency store")
	case d.Audit == nil:
		return nil, errors.New("resolvers: no audit log")
	case d.Pending == nil:
		return nil, errors.New("resolvers: no pending-registration store")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	r := &Resolver{upstream: d.Upstream, verify: d.Verify, idempotency: d.Idempotency, audit: d.Audit,
		pending: d.Pending, contacts: d.Contacts, now: d.Now, log: d.Log,
		xaccounts: expirable.NewLRU[xaccountKey, string](maxXAccounts, nil, xaccountTTL)}
	r.tickets = newTicketState(d.Upstream, d.Tickets)
	s := graph.NewExecutableSchema(graph.Config{
		Resolvers:  r,
		Directives: graph.DirectiveRoot{Verified: verifiedDirective},
	})
	return withLoaders{s, d.Upstream}, nil
}

// withLoaders gives every response its own loaders (a query or mutation
// has one response, a subscription one per event): nothing is cached across
// operations or callers.
type withLoaders struct {
	graphql.ExecutableSchema
	src *gateway.Client
}

func (s withLoaders) Exec(ctx context.Context) graphql.ResponseHandler {
	next := s.ExecutableSchema.Exec(ctx)
	return func(ctx context.Context) *graphql.Response { return next(loader.With(ctx, s.src)) }
}
