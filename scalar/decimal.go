// Package scalar holds the GraphQL custom scalars' Go bindings.
package scalar

import (
	"io"
	"partnergraph/apierr"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"
)

// MarshalDecimal writes a decimal as a JSON string so clients never parse
// money into a float.
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDecimal accepts a decimal string ("12.50") or a JSON integer; a
// float literal is refused because it may already have lost precision.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	switch v := v.(type) {
	case string:
		d, err := decimal.NewFromString(v)
		if err != nil {
			return decimal.Decimal{}, apierr.Errorf(apierr.CodeBadUserInput, "%q is not a decimal number", v)
		}
		return d, nil
	case int:
		return decimal.NewFromInt(int64(v)), nil
	case int64:
		return decimal.NewFromInt(v), nil
	}
	return decimal.Decimal{}, apierr.Errorf(apierr.CodeBadUserInput, "a Decimal must be sent as a string, e.g. \"12.50\"")
}
