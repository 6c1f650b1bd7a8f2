package resolvers_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"partnergraph/graph"
)

// Every type of the schema, its fields, their arguments and every enum
// value carry a description: the docs explorer is the API's reference.
func TestSchemaDescriptions(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name, d := range s.Types {
		if d.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		if strings.TrimSpace(d.Description) == "" {
			t.Errorf("type %s has no description", name)
		}
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				t.Errorf("field %s.%s has no description", name, f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					t.Errorf("argument %s.%s(%s) has no description", name, f.Name, a.Name)
				}
			}
		}
		if d.Kind == ast.Enum {
			for _, v := range d.EnumValues {
				if strings.TrimSpace(v.Description) == "" {
					t.Errorf("enum value %s.%s has no description", name, v.Name)
				}
			}
		}
	}
}
