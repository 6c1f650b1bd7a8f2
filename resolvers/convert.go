package resolvers

import (
	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
)

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func money(m gateway.Money) *model.Money {
	return &model.Money{Amount: m.Amount, Currency: m.Currency}
}

func optMoney(m *gateway.Money) *model.Money {
	if m == nil {
		return nil
	}
	return money(*m)
}

func pageInfo(p gateway.Window, n, total int) *model.PageInfo {
	pi := &model.PageInfo{HasPreviousPage: p.Offset > 0, HasNextPage: p.Offset+n < total}
	if n > 0 {
		pi.StartCursor, pi.EndCursor = opt(cursor(p.Offset)), opt(cursor(p.Offset+n-1))
	}
	return pi
}

func keyOf[K comparable, V comparable](m map[K]V, v V) (K, bool) {
	for k, x := range m {
		if x == v {
			return k, true
		}
	}
	var zero K
	return zero, false
}

func lookup[K comparable, V any](m map[K]V, k K) *V {
	if v, ok := m[k]; ok {
		return &v
	}
	return nil
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func badInput(format string, args ...any) error {
	return apierr.Errorf(apierr.CodeBadUserInput, format, args...)
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
