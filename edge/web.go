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
	"log/slog"
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
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"partnergraph/apierr"
	"partnergraph/identity"
	"partnergraph/telemetry"
)

// Options are the parts the HTTP surface is built from. The zero value of
// each safety setting is the permissive one (no limit, introspection on,
// no rate limit, no CORS, trusted documents off); the gateway's
// configuration (config.go) sets them all.
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
	// Log receives what cannot be answered to a client, as text, when
	// Logger is nil.
	Log io.Writer
	// Logger receives the access log (one line per /graphql request) and
	// what cannot be answered to a client (default: text lines on Log).
	Logger *slog.Logger
	// Metrics and Tracing: the request metrics and spans (nil: none).
	Metrics *telemetry.Metrics
	Tracing *telemetry.Tracing
	// DevOutbox, when set (sandbox mode only), is served at GET /dev/outbox:
	// the verification codes "sent", so GraphiQL users and tests can finish
	// the verification flow.
	DevOutbox http.Handler

	// Limits bound every request before it executes (DefaultLimits are the
	// configuration's defaults).
	Limits Limits
	// Introspection is who may introspect the schema (default on).
	Introspection IntrospectionPolicy
	// HideSuggestions leaves "Did you mean …?" out of validation errors,
	// so they do not leak field, argument, type and enum value names.
	HideSuggestions bool
	// CORS is who may call /graphql from another origin.
	CORS CORS
	// RateLimits bound how often one caller may call /graphql.
	RateLimits RateLimits
	// TrustedMode and Manifest: the trusted documents of first-party apps.
	TrustedMode TrustedMode
	Manifest    *Manifest
	// APQCache keeps automatic persisted queries (default: 1000 in memory;
	// NewRedisAPQCache shares them between instances).
	APQCache graphql.Cache[string]
}

// NewGraphQL returns the GraphQL handler: the GraphQL-over-HTTP transport,
// a query cache, trusted documents and automatic persisted queries, the
// limits, the introspection policy and the error presenter.
func NewGraphQL(o Options) *handler.Server {
	srv := handler.New(o.Schema)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{limits: o.Limits})
	protect(srv, o)
	return srv
}

// protect sets what every GraphQL server of the edge enforces, whatever
// its transport: the parsed-document cache, suggestions, the introspection
// policy, trusted documents, automatic persisted queries, the limits, one
// sensitive field per operation, and the error presenter.
func protect(srv *handler.Server, o Options) {
	docs := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(docs)
	if o.HideSuggestions {
		srv.SetDisableSuggestion(true)
		srv.SetValidationRulesFn(rulesWithoutSuggestions)
	}
	policy := o.Introspection
	if policy == "" {
		policy = IntrospectionOn
	}
	srv.Use(introspection{policy})
	mode := o.TrustedMode
	if mode == "" {
		mode = TrustedOff
	}
	// parameter mutators run in this order, before the document is parsed:
	// trusted documents, then automatic persisted queries, then the limits
	srv.Use(trustedDocuments{mode: mode, manifest: o.Manifest})
	apq := o.APQCache
	if apq == nil {
		apq = NewMemoryAPQCache(1000, o.Limits.DocumentBytes)
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	srv.Use(&queryLimits{limits: o.Limits, cache: docs})
	srv.Use(SensitiveFieldLimit{}) // one @verified root field per operation
	logger := o.Logger
	if logger == nil {
		logger = textLogger(o.Log)
	}
	srv.SetErrorPresenter(presenter(logger, o.HideSuggestions))
	srv.SetRecoverFunc(recoverWith(logger))
}

// rulesWithoutSuggestions are gqlparser's validation rules with every rule
// that suggests names replaced by its variant that does not.
func rulesWithoutSuggestions() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, rule := range []core.Rule{
		rules.FieldsOnCorrectTypeRuleWithoutSuggestions,
		rules.KnownArgumentNamesRuleWithoutSuggestions,
		rules.KnownTypeNamesRuleWithoutSuggestions,
		rules.ScalarLeafsRuleWithoutSuggestions,
		rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
	} {
		r.RemoveRule(strings.TrimSuffix(rule.Name, "WithoutSuggestions"))
		r.AddRule(rule.Name, rule.RuleFunc)
	}
	return r
}

// NewHandler returns the whole HTTP surface. Every response carries the
// security headers; /graphql is, in this order, CORS, the method and
// media-type checks, the deadline, the caller's identity (from the
// Authorization header only), the rate limits and the GraphQL handler.
func NewHandler(o Options) http.Handler {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = textLogger(o.Log)
	}
	o.Metrics.Operations().Seed(operationNames(o.Manifest)...)
	gql := NewGraphQL(o)
	rl := newRateLimiter(o.RateLimits, presenter(o.Logger, o.HideSuggestions), o.Logger)
	mux := http.NewServeMux()
	mux.Handle("/graphql", observe(o, o.CORS.handler(withSubscriptions(o, rl, graphqlOverHTTP(timeout(o.RequestTimeout, o.Verifier.Middleware(notePrincipal(rl.handler(gql)))))))))
	mux.HandleFunc("GET /{$}", graphiql(o.GraphiQLToken))
	mux.HandleFunc("GET /graphiql/{file}", assets)
	mux.HandleFunc("GET /graphiql/init.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = io.WriteString(w, initJS)
	})
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
	return securityHeaders(mux)
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

// graphqlOverHTTP answers the GraphQL-over-HTTP cases before the GraphQL
// handler: 405 for other methods, 415 for POST bodies that are not JSON
// (so no HTML form can post a query). The transport does the rest.
func graphqlOverHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodOptions:
		case http.MethodPost:
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeGraphQLError(r.Context(), w, http.StatusUnsupportedMediaType, "POST bodies must be application/json")
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			writeGraphQLError(r.Context(), w, http.StatusMethodNotAllowed, "use GET (queries only) or POST")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeGraphQLError(ctx context.Context, w http.ResponseWriter, status int, msg string) {
	telemetry.FromContext(ctx).Errors(string(apierr.CodeBadUserInput))
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
<script id="graphiql-settings" type="application/json">{{.}}</script>
<script src="/graphiql/react.production.min.js"></script>
<script src="/graphiql/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql.min.js"></script>
<script src="/graphiql/init.js"></script>
</body>
</html>
`))

// initJS starts GraphiQL with the page's settings; a file rather than an
// inline script, so the page's Content-Security-Policy allows no inline
// script at all.
const initJS = `(function () {
  const settings = JSON.parse(document.getElementById('graphiql-settings').textContent);
  const url = new URL('/graphql', window.location.href).toString();
  const fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, 'ws') });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: settings.query,
      headers: settings.headers,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: settings.headers !== '' ? 'headers' : true,
    }),
  );
})();
`

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
	settings := map[string]string{"headers": headers, "query": defaultQuery}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", graphiqlCSP)
		_ = page.Execute(w, settings)
	}
}
