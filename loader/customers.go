package loader

import (
	"context"

	"partnergraph/gateway"
)

// NewCustomerTags returns the new-customer tags of ids under s, in the
// order of ids (nil for a customer without one): the ids not read yet in
// this operation in ceil(N/200) calls.
func (l *Loaders) NewCustomerTags(ctx context.Context, s gateway.Scope, ids []string) ([]*gateway.NewCustomerTag, error) {
	return l.tags.load(ctx, s, ids)
}
