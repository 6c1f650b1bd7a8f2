package edge

import (
	"context"
	"fmt"
	"math"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"partnergraph/apierr"
	"partnergraph/identity"
)

// Limits bound what one request may ask for. Each is checked before
// anything executes and refuses with one error and its own code. A zero
// field means no limit (tests of other packages build the handler that
// way); the gateway's configuration starts from DefaultLimits.
type Limits struct {
	// BodyBytes bounds the HTTP request body: 413 REQUEST_TOO_LARGE.
	BodyBytes int
	// DocumentBytes bounds the GraphQL document: DOCUMENT_TOO_LARGE.
	DocumentBytes int
	// Tokens bounds the document's lexical tokens (comments aside), counted
	// before it is parsed: DOCUMENT_TOO_LARGE.
	Tokens int
	// VariablesBytes bounds the JSON of the variables: VARIABLES_TOO_LARGE.
	VariablesBytes int
	// UploadBytes replaces BodyBytes and VariablesBytes for an
	// authenticated caller when it is larger: a ticket attachment travels
	// as base64 in the variables. Anonymous callers keep the small limits.
	UploadBytes int
	// Depth bounds how deep fields nest, leaves and introspection
	// included, through fragments: QUERY_TOO_DEEP.
	Depth int
	// Aliases bounds the aliased fields of an operation, counted through
	// fragments (a fragment spread twice counts twice): TOO_MANY_ALIASES.
	Aliases int
	// RootFields bounds the top-level fields of an operation:
	// TOO_MANY_ROOT_FIELDS.
	RootFields int
	// Directives bounds the directives on one field, fragment spread,
	// inline fragment, fragment or operation: TOO_MANY_DIRECTIVES.
	Directives int
	// Fields bounds the field selections of the document as executed, i.e.
	// counted through every fragment spread (the fan-out of a fragment
	// bomb): TOO_MANY_FIELDS.
	Fields int
	// Cost bounds the operation's cost (see Cost): QUERY_TOO_COMPLEX.
	Cost int
}

// DefaultLimits are the configuration's defaults: the README's queries,
// GraphiQL's introspection query (depth 15, about 230 fields) and a page of
// 100 customers with their batched fields fit; the attack documents of the
// tests do not.
func DefaultLimits() Limits {
	return Limits{
		BodyBytes:      128 << 10,
		DocumentBytes:  32 << 10,
		Tokens:         2000,
		VariablesBytes: 64 << 10,
		UploadBytes:    6 << 20,
		Depth:          20,
		Aliases:        30,
		RootFields:     20,
		Directives:     5,
		Fields:         400,
		Cost:           5000,
	}
}

// DefaultPageSize is what a connection field without `first` returns (the
// resolvers' default page), for the cost.
const DefaultPageSize = 20

// refuse is the one error of a refused request.
func refuse(code apierr.Code, format string, args ...any) *gqlerror.Error {
	return gqlerror.WrapIfUnwrapped(apierr.Errorf(code, format, args...))
}

// queryLimits checks Limits: the document's size and shape before it is
// parsed by the executor and validated (validation itself is what a
// fragment bomb makes slow), its cost after validation, when the variables
// are known. Documents found in the executor's query cache passed the
// checks before and are not analysed again.
type queryLimits struct {
	limits Limits
	cache  graphql.Cache[*ast.QueryDocument]
	es     graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = (*queryLimits)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*queryLimits) ExtensionName() string { return "QueryLimits" }

// Validate implements graphql.HandlerExtension.
func (q *queryLimits) Validate(es graphql.ExecutableSchema) error {
	q.es = es
	return nil
}

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (q *queryLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	l := q.limits
	if l.DocumentBytes > 0 && len(p.Query) > l.DocumentBytes {
		return refuse(apierr.CodeDocumentTooLarge, "the document has %d bytes; the limit is %d", len(p.Query), l.DocumentBytes)
	}
	if p.Query == "" {
		return nil
	}
	if q.cache != nil {
		if _, ok := q.cache.Get(ctx, p.Query); ok {
			return nil
		}
	}
	if l.Tokens > 0 {
		if n := countTokens(p.Query, l.Tokens+1); n > l.Tokens {
			return refuse(apierr.CodeDocumentTooLarge, "the document has more than %d tokens", l.Tokens)
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return nil // the executor reports the syntax error
	}
	return Analyse(doc).Check(l)
}

// MutateOperationContext implements graphql.OperationContextMutator.
// gqlgen's extension.ComplexityLimit would price fields with the generated
// schema's costs (no `first`) and answer its own code; its calculator is
// reused here with pagedCost.
func (q *queryLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if q.limits.Cost <= 0 || oc.Operation == nil {
		return nil
	}
	if c := Cost(ctx, q.es, oc.Operation, oc.Variables); c > q.limits.Cost {
		return refuse(apierr.CodeQueryTooComplex, "the operation costs %d; the limit is %d (a connection costs `first` times its selection)", c, q.limits.Cost)
	}
	return nil
}

// countTokens counts the document's tokens, comments aside, up to max.
// The executor's own token limit (SetParserTokenLimit) answers a parse
// error without a code of its own; counting first gives DOCUMENT_TOO_LARGE.
func countTokens(doc string, max int) int {
	lx := lexer.New(&ast.Source{Input: doc})
	n := 0
	for n < max {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			break
		}
		if tok.Kind != lexer.Comment {
			n++
		}
	}
	return n
}

// Shape is what Analyse measured of a parsed (not yet validated) document.
// Counts saturate at math.MaxInt.
type Shape struct {
	Depth      int // deepest field nesting of an operation
	Aliases    int // most aliased fields of an operation
	RootFields int // most top-level fields of an operation
	Fields     int // field selections of all operations, through spreads
	Directives int // most directives on one node
	// Cycle names a fragment that spreads itself, directly or not.
	Cycle string
}

// shape is one selection set's (or fragment's) measure.
type shape struct{ depth, aliases, roots, fields int }

// Analyse measures doc's operations with every fragment measured once:
// a fragment's counts are added at each spread, so fan-out multiplies
// through spreads without expanding them, and a fragment reached while it
// is being measured is a cycle. It costs one walk of the document, however
// many fields its spreads would expand to.
// gqlparser's validator walks spreads per use (and OverlappingFieldsCanBeMerged
// compares them pairwise), which is what makes a fragment bomb slow.
func Analyse(doc *ast.QueryDocument) Shape {
	a := analyser{fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)), memo: map[string]shape{}, visiting: map[string]bool{}}
	for _, f := range doc.Fragments {
		if _, dup := a.fragments[f.Name]; !dup { // validation reports duplicates
			a.fragments[f.Name] = f
		}
	}
	var s Shape
	for _, op := range doc.Operations {
		a.directives(op.Directives)
		for _, v := range op.VariableDefinitions {
			a.directives(v.Directives)
		}
		m := a.selectionSet(op.SelectionSet)
		s.Depth = max(s.Depth, m.depth)
		s.Aliases = max(s.Aliases, m.aliases)
		s.RootFields = max(s.RootFields, m.roots)
		s.Fields = satAdd(s.Fields, m.fields)
	}
	for _, f := range doc.Fragments { // unused ones too: validation walks them
		a.directives(f.Directives)
		a.fragment(f.Name)
	}
	s.Directives, s.Cycle = a.maxDirectives, a.cycle
	return s
}

// Check returns the first limit s exceeds as one error, in a fixed order
// (directives, cycles, depth, fields, aliases, root fields), or nil.
func (s Shape) Check(l Limits) *gqlerror.Error {
	switch {
	case l.Directives > 0 && s.Directives > l.Directives:
		return refuse(apierr.CodeTooManyDirectives, "a field or fragment carries %d directives; the limit is %d", s.Directives, l.Directives)
	case s.Cycle != "":
		return refuse(apierr.CodeBadUserInput, "fragment %s spreads itself", excerpt(s.Cycle, 64))
	case l.Depth > 0 && s.Depth > l.Depth:
		return refuse(apierr.CodeQueryTooDeep, "the operation nests %d levels deep; the limit is %d", s.Depth, l.Depth)
	case l.Fields > 0 && s.Fields > l.Fields:
		return refuse(apierr.CodeTooManyFields, "the document selects %s fields counted through its fragments; the limit is %d", count(s.Fields), l.Fields)
	case l.Aliases > 0 && s.Aliases > l.Aliases:
		return refuse(apierr.CodeTooManyAliases, "the operation has %s aliases counted through its fragments; the limit is %d", count(s.Aliases), l.Aliases)
	case l.RootFields > 0 && s.RootFields > l.RootFields:
		return refuse(apierr.CodeTooManyRootFields, "the operation has %s top-level fields; the limit is %d", count(s.RootFields), l.RootFields)
	}
	return nil
}

func count(n int) string {
	if n == math.MaxInt {
		return "more than 2^63"
	}
	return fmt.Sprint(n)
}

type analyser struct {
	fragments     map[string]*ast.FragmentDefinition
	memo          map[string]shape
	visiting      map[string]bool
	maxDirectives int
	cycle         string
}

func (a *analyser) directives(d ast.DirectiveList) {
	a.maxDirectives = max(a.maxDirectives, len(d))
}

func (a *analyser) fragment(name string) shape {
	if m, ok := a.memo[name]; ok {
		return m
	}
	if a.visiting[name] {
		if a.cycle == "" {
			a.cycle = name
		}
		return shape{}
	}
	f := a.fragments[name]
	if f == nil {
		return shape{} // unknown: validation reports it
	}
	a.visiting[name] = true
	m := a.selectionSet(f.SelectionSet)
	delete(a.visiting, name)
	a.memo[name] = m
	return m
}

func (a *analyser) selectionSet(ss ast.SelectionSet) shape {
	var m shape
	for _, sel := range ss {
		var in shape
		switch s := sel.(type) {
		case *ast.Field:
			a.directives(s.Directives)
			c := a.selectionSet(s.SelectionSet)
			in = shape{depth: satAdd(c.depth, 1), aliases: c.aliases, roots: 1, fields: satAdd(c.fields, 1)}
			if s.Alias != "" && s.Alias != s.Name {
				in.aliases = satAdd(in.aliases, 1)
			}
		case *ast.InlineFragment:
			a.directives(s.Directives)
			in = a.selectionSet(s.SelectionSet)
		case *ast.FragmentSpread:
			a.directives(s.Directives)
			in = a.fragment(s.Name)
		}
		m.depth = max(m.depth, in.depth)
		m.aliases = satAdd(m.aliases, in.aliases)
		m.roots = satAdd(m.roots, in.roots)
		m.fields = satAdd(m.fields, in.fields)
	}
	return m
}

// satAdd adds two counts, saturating at math.MaxInt.
func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// Cost is the operation's cost: gqlgen's complexity (each field 1 plus its
// selection; introspection free) where a field with a `first` argument
// costs `first` (DefaultPageSize when absent) times its selection, plus
// one. So a page of 100 customers with a few batched fields costs about a
// thousand, and connections nested 100 × 100 × 100 about a million.
func Cost(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	return complexity.Calculate(ctx, pagedCost{es}, op, vars)
}

// pagedCost gives complexity.Calculate the per-field cost of a page.
type pagedCost struct{ graphql.ExecutableSchema }

func (p pagedCost) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	def := p.Schema().Types[typeName]
	if def == nil || def.Fields.ForName(field) == nil || def.Fields.ForName(field).Arguments.ForName("first") == nil {
		return p.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
	}
	n := int64(DefaultPageSize)
	switch v := args["first"].(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case float64:
		n = int64(v)
	case interface{ Int64() (int64, error) }: // json.Number from variables
		if i, err := v.Int64(); err == nil {
			n = i
		}
	}
	n = max(1, min(n, 1<<20))
	if child > 0 && int64(child) > (math.MaxInt-1)/n {
		return math.MaxInt, true
	}
	return 1 + int(n)*child, true
}

// forCaller is l as it applies to the request's caller: an authenticated
// one may send up to UploadBytes.
func (l Limits) forCaller(ctx context.Context) Limits {
	if _, err := identity.For(ctx); err == nil && l.UploadBytes > 0 {
		if l.BodyBytes > 0 {
			l.BodyBytes = max(l.BodyBytes, l.UploadBytes)
		}
		if l.VariablesBytes > 0 {
			l.VariablesBytes = max(l.VariablesBytes, l.UploadBytes)
		}
	}
	return l
}
