package edge

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// SensitiveFieldLimit refuses, before anything executes, an operation that
// selects more than Max root fields carrying Directive (the @verified
// sensitive mutations), aliases and fragments included. Together with
// per-field-execution attempt counting in the verify engine this stops one
// request from trying many codes (50 aliased copies of a guarded
// mutation) and from mixing several money moves in one operation.
// Batched (JSON array) requests are refused by the POST transport.
type SensitiveFieldLimit struct {
	Directive string // default "verified"
	Max       int    // default 1
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = SensitiveFieldLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (SensitiveFieldLimit) ExtensionName() string { return "SensitiveFieldLimit" }

// Validate implements graphql.HandlerExtension.
func (SensitiveFieldLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (l SensitiveFieldLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	name, max := l.Directive, l.Max
	if name == "" {
		name = "verified"
	}
	if max <= 0 {
		max = 1
	}
	n := 0
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"}) {
		if f.Definition != nil && f.Definition.Directives.ForName(name) != nil {
			n++
		}
	}
	if n > max {
		e := gqlerror.Errorf("an operation may hold at most %d sensitive mutation field(s) (@%s); found %d", max, name, n)
		e.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
		return e
	}
	return nil
}
