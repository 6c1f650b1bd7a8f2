package resolvers

import (
	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"time"
	"unicode"
	"unicode/utf8"
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

// maxText bounds the free text a client sends upstream (remarks, reasons).
const maxText = 200

// validText checks free text a client sends upstream: at most maxText
// characters, none a control character or a bidirectional override or
// isolate (they make a remark read differently from what it holds).
func validText(field string, s *string) error {
	if s == nil {
		return nil
	}
	if utf8.RuneCountInString(*s) > maxText || !utf8.ValidString(*s) {
		return badInput("%s must be valid UTF-8 of at most %d characters", field, maxText)
	}
	for _, r := range *s {
		if unicode.IsControl(r) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' {
			return badInput("%s must not hold control or bidirectional-override characters", field)
		}
	}
	return nil
}

// validTime parses an optional RFC 3339 time input.
func validTime(field string, s *string) (time.Time, bool, error) {
	if s == nil || *s == "" {
		return time.Time{}, false, nil
	}
	if len(*s) > 40 {
		return time.Time{}, false, badInput("%s must be an RFC 3339 time like 2026-01-31T00:00:00Z", field)
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return time.Time{}, false, badInput("%s must be an RFC 3339 time like 2026-01-31T00:00:00Z", field)
	}
	return t, true, nil
}
