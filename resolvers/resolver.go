// Package resolvers answers the GraphQL schema: thin resolvers over the
// gateway's upstream client and per-request loaders, with authorization
// decided from the caller's principal (access.go).
package resolvers

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"partnergraph/gateway"
	"partnergraph/gateway/loader"
	"partnergraph/graph"
)

// Upstream is what the resolvers need from the partner APIs; *gateway.Client
// meets it, tests may pass a fake.
type Upstream interface {
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

	// resellerParent caches reseller id -> tier-1 id once the upstream has
	// confirmed the relation (live mode, where resellers are not configured).
	resellerParent sync.Map
}

// New returns a root resolver over up.
func New(up Upstream) *Resolver { return &Resolver{Up: up} }

// loaders returns the request's loaders (fresh ones outside a request).
func (r *Resolver) loaders(ctx context.Context) *loader.Loaders {
	if l := loader.For(ctx); l != nil {
		return l
	}
	return loader.New(r.Up)
}

// NewSchema builds the executable schema; server.go and the tests use it.
func NewSchema(up Upstream) graphql.ExecutableSchema {
	return graph.NewExecutableSchema(graph.Config{Resolvers: New(up)})
}

var _ graph.ResolverRoot = (*Resolver)(nil)
