// Package edge is partnergraph's HTTP surface: GraphQL over HTTP at
// /graphql, GraphiQL at /, /healthz, /readyz and (sandbox mode only)
// /dev/tokens and /dev/outbox. It verifies the caller's identity and turns
// errors into GraphQL errors with stable codes; the schema it serves comes
// from partnergraph/resolvers.
package edge

import (
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"partnergraph/identity"
)

// Options are the parts the HTTP surface is built from.
type Options struct {
	Schema   graphql.ExecutableSchema
	Verifier *identity.Verifier
	// Ready reports whether the upstream answers (for /readyz).
	Ready func(ctx context.Context) error
	// DevTokens, when non-nil, is served at GET /dev/tokens (sandbox mode).
	DevTokens map[string]string
	// GraphiQLToken, when set, is pre-filled as the Authorization header.
	GraphiQLToken string
	// RequestTimeout bounds a GraphQL request, upstream calls included
	// (default 30s).
	RequestTimeout time.Duration
	// ComplexityLimit caps a query's complexity (default 2000).
	ComplexityLimit int
	Log             io.Writer
	// DevOutbox, when set (sandbox mode only), is served at GET /dev/outbox:
	// the verification codes "sent", so GraphiQL users and tests can finish
	// the verification flow.
	DevOutbox http.Handler
}

// NewGraphQL returns the GraphQL handler with explicit transports, a query
// cache, a complexity limit and the error presenter.
func NewGraphQL(o Options) *handler.Server {
	srv := handler.New(o.Schema)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	limit := o.ComplexityLimit
	if limit == 0 {
		limit = 2000
	}
	srv.Use(extension.FixedComplexityLimit(limit))
	srv.Use(SensitiveFieldLimit{}) // one @verified root field per operation
	srv.SetErrorPresenter(Presenter(o.Log))
	srv.SetRecoverFunc(Recover(o.Log))
	return srv
}

// NewHandler returns the whole HTTP surface.
func NewHandler(o Options) http.Handler {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 30 * time.Second
	}
	gql := NewGraphQL(o)
	mux := http.NewServeMux()
	mux.Handle("/graphql", withSubscriptions(o, graphqlOverHTTP(timeout(o.RequestTimeout, o.Verifier.Middleware(gql)))))
	mux.HandleFunc("GET /{$}", graphiql(o.GraphiQLToken))
	mux.HandleFunc("GET /graphiql/{file}", assets)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if o.Ready != nil {
			if err := o.Ready(ctx); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "the upstream does not answer"})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if o.DevOutbox != nil {
		mux.Handle("GET /dev/outbox", o.DevOutbox)
	}
	if o.DevTokens != nil {
		mux.HandleFunc("GET /dev/tokens", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, o.DevTokens)
		})
	}
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func timeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// graphqlOverHTTP answers the GraphQL-over-HTTP cases gqlgen leaves to the
// server: 405 for other methods, 415 for POST bodies that are not JSON.
func graphqlOverHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			if getWouldMutate(r) {
				// GraphQL over HTTP: GET must not run a mutation (405).
				w.Header().Set("Allow", "POST")
				writeGraphQLError(w, http.StatusMethodNotAllowed, "mutations must be sent with POST")
				return
			}
		case http.MethodOptions:
		case http.MethodPost:
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeGraphQLError(w, http.StatusUnsupportedMediaType, "POST bodies must be application/json")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeGraphQLError(w, http.StatusMethodNotAllowed, "use GET (queries only) or POST")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// getWouldMutate reports whether a GET request names a mutation or
// subscription: the operation chosen by operationName, or the only one. A
// query that does not parse is left to the executor's own error.
func getWouldMutate(r *http.Request) bool {
	q := r.URL.Query()
	doc, err := parser.ParseQuery(&ast.Source{Input: q.Get("query")})
	if err != nil {
		return false
	}
	name := q.Get("operationName")
	for _, op := range doc.Operations {
		if (name == "" && len(doc.Operations) == 1) || op.Name == name {
			return op.Operation != ast.Query
		}
	}
	return false
}

func writeGraphQLError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]string{"code": "BAD_USER_INPUT"}}}})
}

//go:embed assets/*.gz
var assetFS embed.FS

func assets(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := assetFS.ReadFile("assets/" + name + ".gz")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := "application/javascript; charset=utf-8"
	if strings.HasSuffix(name, ".css") {
		ct = "text/css; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(b)
		return
	}
	gunzip(w, b)
}

var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>partnergraph · GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/graphiql/graphiql.min.css">
<style>html,body,#graphiql{height:100%;margin:0;overflow:hidden}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/react.production.min.js"></script>
<script src="/graphiql/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql.min.js"></script>
<script>
const headers = {{.Headers}};
const url = new URL('/graphql', window.location.href).toString();
const fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, 'ws') });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: {{.Query}},
    headers: headers,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: headers !== '' ? 'headers' : true,
  }),
);
</script>
</body>
</html>
`))

const defaultQuery = `# partnergraph: the Huawei Cloud partner platform as a graph.
# Press the play button (or Ctrl-Enter) to run.
{
  viewer {
    role
    partner { partnerId kind funds { accountType amount { amount currency } } }
  }
  customers(first: 5) {
    totalCount
    edges {
      node {
        accountName
        associationType
        balance { available { amount currency } debt { amount } }
        newCustomerTag { value }
      }
    }
  }
}
`

func graphiql(token string) http.HandlerFunc {
	headers := ""
	if token != "" {
		b, _ := json.MarshalIndent(map[string]string{"Authorization": "Bearer " + token}, "", "  ")
		headers = string(b)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = page.Execute(w, map[string]string{"Headers": headers, "Query": defaultQuery})
	}
}
