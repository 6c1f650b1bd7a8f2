// Package resolvers answers the GraphQL schema: thin resolvers over the
// gateway's upstream client and per-request loaders, with authorization
// decided from the caller's principal (access.go).
package resolvers

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"partnergraph/gateway"
	"partnergraph/graph"
	"partnergraph/guard/audit"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/verify"
	"partnergraph/loader"
	pendingstore "partnergraph/pending" // commerce.go has a func pending
)

// Upstream is what the resolvers need from the partner APIs; *gateway.Client
// meets it, tests may pass a fake. Each domain declares its part next to its
// resolvers.
type Upstream interface {
	CoreUpstream
	MoneyUpstream     // money.go: funds, quotas and vouchers moves (issue 4)
	CommerceUpstream  // commerce.go: orders and resources (issue 5)
	LifecycleUpstream // lifecycle.go: registration and real-name (issue 6)
}

// CoreUpstream is the read side of partners, customers and resellers.
type CoreUpstream interface {
	loader.Source
	Account(id string) (gateway.Account, bool)
	Accounts() []gateway.Account
	HasKeys(id string) bool
	ListCustomers(ctx context.Context, s gateway.Scope, q gateway.CustomerQuery) (gateway.CustomerList, error)
	ListResellers(ctx context.Context, s gateway.Scope, p gateway.Page, accountName, resellerID string) (gateway.ResellerList, error)
	CouponQuotas(ctx context.Context, s gateway.Scope, quotaIDs []string, p gateway.Page) (gateway.QuotaList, error)
	QuotaRecords(ctx context.Context, s gateway.Scope, quotaID, parentQuotaID string, p gateway.Page) (gateway.QuotaRecordList, error)
	IssuedCoupons(ctx context.Context, s gateway.Scope, customerID string, p gateway.Page) (gateway.CouponList, error)
	AccountChangeRecords(ctx context.Context, s gateway.Scope, balanceType string, p gateway.Page) (gateway.AccountChangeRecordList, error)
	AdjustRecords(ctx context.Context, s gateway.Scope, customerID string, p gateway.Page) (gateway.AdjustRecordList, error)
	ServiceTypes(ctx context.Context, s gateway.Scope) ([]gateway.ServiceType, error)
	ResourceTypes(ctx context.Context, s gateway.Scope) ([]gateway.ResourceType, error)
	MeasureUnits(ctx context.Context, s gateway.Scope) ([]gateway.MeasureUnit, error)
}

var _ Upstream = (*gateway.Client)(nil)

// Resolver is the root resolver; its fields are the dependencies.
type Resolver struct {
	Up Upstream

	// Safety guards sensitive mutations: verification codes, idempotency
	// keys and the audit log (issue 4). Set with WithSafety.
	Safety Safety

	// resellerParent caches reseller id -> tier-1 id once the upstream has
	// confirmed the relation (live mode, where resellers are not configured).
	resellerParent sync.Map

	// life holds the lifecycle's fallback stores and learnt xaccount types
	// (lifecycle.go, issue 6).
	life lifecycleState
}

// Safety is what sensitive and idempotent mutations need.
type Safety struct {
	Verify *verify.Engine
	Idem   idempotency.Store
	Audit  audit.Store
	// Pending keeps the customers createCustomer made that the upstream
	// does not list yet, and real-name submissions' kind and time
	// (lifecycle.go, issue 6). Share one Redis-backed store between
	// instances so they all show a new customer as PENDING; nil means a
	// memory store of this resolver.
	Pending pendingstore.Store
	// Contacts is where codes go when the caller's token carries no
	// verified "email" / "phone_number" claim: partner id → contact
	// (money_verify.go). Never taken from client input.
	Contacts map[string]Contact
}

// Contact is a partner's verified e-mail address and phone number.
type Contact struct{ Email, Phone string }

// Option configures the root resolver.
type Option func(*Resolver)

// WithSafety sets the verification engine, idempotency store and audit log.
func WithSafety(s Safety) Option { return func(r *Resolver) { r.Safety = s } }

// New returns a root resolver over up.
func New(up Upstream, opts ...Option) *Resolver {
	r := &Resolver{Up: up}
	for _, o := range opts {
		o(r)
	}
	return r
}

// loaders returns the request's loaders (fresh ones outside a request).
func (r *Resolver) loaders(ctx context.Context) *loader.Loaders {
	if l := loader.For(ctx); l != nil {
		return l
	}
	return loader.New(r.Up)
}

// NewSchema builds the executable schema; server.go and the tests use it.
func NewSchema(up Upstream, opts ...Option) graphql.ExecutableSchema {
	r := New(up, opts...)
	return graph.NewExecutableSchema(graph.Config{
		Resolvers:  r,
		Directives: graph.DirectiveRoot{Verified: r.verified}, // money_guard.go (issue 4)
	})
}

var _ graph.ResolverRoot = (*Resolver)(nil)
