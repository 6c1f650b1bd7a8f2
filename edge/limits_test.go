package edge_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"partnergraph/edge"
)

func mustParse(tb testing.TB, q string) *ast.QueryDocument {
	tb.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		tb.Fatalf("parse %q: %v", q, err)
	}
	return doc
}

func TestAnalyse(t *testing.T) {
	chain := func(n, width int) string { // F0 spreads F1 width times, … F(n-1) selects a field
		var b strings.Builder
		b.WriteString("query { ...F0 }")
		for i := range n {
			fmt.Fprintf(&b, " fragment F%d on Query { %s}", i, strings.Repeat(fmt.Sprintf("...F%d ", i+1), width))
		}
		fmt.Fprintf(&b, " fragment F%d on Query { a: __typename }", n)
		return b.String()
	}
	tests := map[string]struct {
		q    string
		want edge.Shape
	}{
		"Flat":            {`{ a b c }`, edge.Shape{Depth: 1, RootFields: 3, Fields: 3}},
		"Nested":          {`{ a { b { c } d } }`, edge.Shape{Depth: 3, RootFields: 1, Fields: 4}},
		"Aliases":         {`{ x: a y: a { z: b } a }`, edge.Shape{Depth: 2, Aliases: 3, RootFields: 3, Fields: 4}},
		"ThroughSpreads":  {`{ ...A ...A v { ...A } } fragment A on Query { p: a { b } }`, edge.Shape{Depth: 3, Aliases: 3, RootFields: 3, Fields: 7}},
		"InlineFragments": {`{ ... on Query { a ... { b { c } } } }`, edge.Shape{Depth: 2, RootFields: 2, Fields: 3}},
		"FanOut2^10":      {chain(10, 2), edge.Shape{Depth: 1, Aliases: 1 << 10, RootFields: 1 << 10, Fields: 1 << 10}},
		"FanOut2^40":      {chain(40, 2), edge.Shape{Depth: 1, Aliases: 1 << 40, RootFields: 1 << 40, Fields: 1 << 40}},
		"Saturates":       {chain(100, 3), edge.Shape{Depth: 1, Aliases: math.MaxInt, RootFields: math.MaxInt, Fields: math.MaxInt}},
		"Directives":      {`query @a { f @b @c @d ...X @e } fragment X on Query @f @g { g }`, edge.Shape{Depth: 1, RootFields: 2, Fields: 2, Directives: 3}},
		"Cycle":           {`{ ...A } fragment A on Query { b ...B } fragment B on Query { ...A }`, edge.Shape{Depth: 1, RootFields: 1, Fields: 1, Cycle: "A"}},
		"SelfSpread":      {`{ a } fragment A on Query { ...A }`, edge.Shape{Depth: 1, RootFields: 1, Fields: 1, Cycle: "A"}},
		"UnknownFragment": {`{ ...Nope a }`, edge.Shape{Depth: 1, RootFields: 1, Fields: 1}},
		"Operations":      {`query A { a { b } } query B { c d e }`, edge.Shape{Depth: 2, RootFields: 3, Fields: 5}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := edge.Analyse(mustParse(t, tt.q))
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCheckOneErrorPerDocument(t *testing.T) {
	l := edge.DefaultLimits()
	tests := map[string]struct{ q, code string }{
		"Directives": {`{ a @x @x @x @x @x @x { b } }`, "TOO_MANY_DIRECTIVES"},
		"Cycle":      {`{ ...A } fragment A on Query { ...A }`, "BAD_USER_INPUT"},
		"Depth":      {`{ a ` + strings.Repeat("{ a ", 20) + strings.Repeat("} ", 20) + `}`, "QUERY_TOO_DEEP"},
		"Fields":     {`{ ` + strings.Repeat("a ", 401) + `}`, "TOO_MANY_FIELDS"},
		"Aliases":    {`{ v { ` + strings.Repeat("x: a ", 31) + `} }`, "TOO_MANY_ALIASES"},
		"RootFields": {`{ ` + strings.Repeat("a ", 21) + `}`, "TOO_MANY_ROOT_FIELDS"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := edge.Analyse(mustParse(t, tt.q)).Check(l)
			if err == nil || fmt.Sprint(err.Err) == "" || !strings.HasPrefix(err.Err.Error(), tt.code+":") {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
}

// GraphiQL's introspection query (depth 15, 227 fields) fits the defaults.
func TestDefaultLimitsAdmitGraphiQL(t *testing.T) {
	b, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	l := edge.DefaultLimits()
	s := edge.Analyse(mustParse(t, string(b)))
	if err := s.Check(l); err != nil || s.Depth != 15 || s.Fields != 227 {
		t.Fatalf("got %+v: %v", s, err)
	}
	if n := edge.CountTokens(string(b), l.Tokens+1); n > l.Tokens || len(b) > l.DocumentBytes {
		t.Fatalf("%d tokens, %d bytes", n, len(b))
	}
}

func TestCountTokens(t *testing.T) {
	for q, want := range map[string]int{
		`{ a }`:                    3,
		"# a comment\n{ a(x: 1) }": 8,
		`{ a(s: "long string") }`:  8,
		strings.Repeat("{ ", 50):   10, // stops at max
	} {
		if got := edge.CountTokens(q, 10); got != want {
			t.Errorf("%q: got %d, want %d", q, got, want)
		}
	}
}
