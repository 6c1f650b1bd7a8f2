// Package scalar holds the GraphQL custom scalars' Go bindings, and a
// stricter String than gqlgen's own.
package scalar

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"partnergraph/apierr"
)

// Bounds of a Decimal input: every Decimal a client sends is an amount of
// money in yuan, which the upstream takes with at most 2 decimal places. The
// gateway also refuses ten billion yuan and more for one move (no partner
// balance is that large), so no number reaches the upstream or costs a
// parse of unbounded length.
const (
	MaxIntegerDigits  = 10
	MaxFractionDigits = 2
)

// MarshalDecimal writes a decimal as a JSON string so clients never parse
// money into a float.
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDecimal accepts a plain decimal string ("12.50") or a JSON
// integer within the bounds; exponents, floats (they may already have lost
// precision) and longer numbers are refused before anything parses them.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	switch v := v.(type) {
	case string:
		return parseDecimal(v)
	case int:
		return parseDecimal(strconv.Itoa(v))
	case int64:
		return parseDecimal(strconv.FormatInt(v, 10))
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") { // a float literal
			break
		}
		return parseDecimal(string(v))
	}
	return decimal.Decimal{}, apierr.Errorf(apierr.CodeBadUserInput, "a Decimal must be sent as a string, e.g. \"12.50\"")
}

// parseDecimal checks s's shape in one pass over at most a few bytes, then
// parses it.
func parseDecimal(s string) (decimal.Decimal, error) {
	bad := apierr.Errorf(apierr.CodeBadUserInput, "a Decimal is a plain decimal string with at most %d digits before the point and %d after it, e.g. \"12.50\"", MaxIntegerDigits, MaxFractionDigits)
	if len(s) > 1+MaxIntegerDigits+1+MaxFractionDigits {
		return decimal.Decimal{}, bad
	}
	body := s
	if len(body) > 0 && body[0] == '-' {
		body = body[1:]
	}
	intDigits, fracDigits, point := 0, 0, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= '0' && c <= '9' && !point:
			intDigits++
		case c >= '0' && c <= '9':
			fracDigits++
		case c == '.' && !point:
			point = true
		default:
			return decimal.Decimal{}, bad
		}
	}
	if intDigits == 0 || intDigits > MaxIntegerDigits || fracDigits > MaxFractionDigits || (point && fracDigits == 0) {
		return decimal.Decimal{}, bad
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, bad
	}
	return d, nil
}
