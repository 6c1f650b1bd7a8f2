package edge

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"partnergraph/apierr"
	"partnergraph/identity"
)

// IntrospectionPolicy says who may introspect the schema (__schema,
// __type); __typename is always allowed.
type IntrospectionPolicy string

// The introspection policies.
const (
	IntrospectionOff           IntrospectionPolicy = "off"
	IntrospectionAuthenticated IntrospectionPolicy = "authenticated" // callers with a valid token
	IntrospectionOn            IntrospectionPolicy = "on"
)

// ParseIntrospectionPolicy reads off, authenticated or on.
func ParseIntrospectionPolicy(s string) (IntrospectionPolicy, error) {
	switch p := IntrospectionPolicy(s); p {
	case IntrospectionOff, IntrospectionAuthenticated, IntrospectionOn:
		return p, nil
	}
	return "", fmt.Errorf("must be off, authenticated or on")
}

// introspection enables introspection for the callers the policy allows
// and refuses, with one error before anything executes, an operation of
// another caller that asks for it (gqlgen would answer a field error per
// introspection field, with partial data).
type introspection struct{ policy IntrospectionPolicy }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = introspection{}

// ExtensionName implements graphql.HandlerExtension.
func (introspection) ExtensionName() string { return "IntrospectionPolicy" }

// Validate implements graphql.HandlerExtension.
func (introspection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (i introspection) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	allowed := i.policy == IntrospectionOn
	if i.policy == IntrospectionAuthenticated {
		p, _ := identity.For(ctx)
		allowed = p != nil
	}
	oc.DisableIntrospection = !allowed
	if allowed || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if f.Name != "__schema" && f.Name != "__type" {
			continue
		}
		if i.policy == IntrospectionAuthenticated {
			return refuse(apierr.CodeUnauthenticated, "introspection needs a bearer token")
		}
		return refuse(apierr.CodeForbidden, "introspection is disabled")
	}
	return nil
}
