package scalar

import (
	"github.com/99designs/gqlgen/graphql"

	"partnergraph/apierr"
)

// MarshalString writes a String as gqlgen's own String does.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString accepts only a string: the GraphQL spec's input coercion
// of String refuses numbers and booleans, and an idempotency key or an id
// sent as the JSON number 123 is a client bug, not "123". (gqlgen's own
// String converts them.)
func UnmarshalString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	}
	return "", apierr.Errorf(apierr.CodeBadUserInput, "a String must be sent as a JSON string")
}
