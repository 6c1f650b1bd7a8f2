package edge

// GraphQL subscriptions on /graphql, beside queries and mutations:
//
//   - WebSocket upgrades (graphql-transport-ws, and the older graphql-ws)
//     authenticate once, at connection_init: the payload's Authorization
//     ("Bearer <jwt>", what GraphiQL and graphql-ws clients send as
//     connection params) or else the upgrade request's Authorization
//     header. Without a valid token the connection is refused
//     (connection_error, then close). Origins other than the page's own are
//     refused at the upgrade (the upgrader's same-origin check);
//   - POST requests that accept text/event-stream get Server-Sent Events
//     (event: next … event: complete), authenticated by the Authorization
//     header like any request;
//   - either way each subscription ends when the token's exp passes, with
//     a last result carrying the error "the token has expired"
//     (extensions.code UNAUTHENTICATED), then complete; a WebSocket
//     connection closes a second later (graphql-ws clients also get
//     connection_error "the token has expired") and takes no new
//     subscription meanwhile;
//   - only subscriptions are served this way (queries and mutations go
//     over POST /graphql with its request timeout), and these requests are
//     not bounded by the request timeout: a subscription lasts as long as
//     its token. A subscription POSTed without Accept: text/event-stream
//     is refused (400, BAD_USER_INPUT) rather than answered with its first
//     event only.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/golang-jwt/jwt/v5"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"partnergraph/apierr"
	"partnergraph/identity"
)

// errTokenExpired is the cause of a subscription ended by its token's exp.
var errTokenExpired = errors.New("the token has expired")

// closeGrace is how long a WebSocket connection stays open after its
// token expired, so the subscriptions' last results reach the client.
const closeGrace = time.Second

// keepAlive is how often an idle subscription connection carries a
// keep-alive message, so proxies do not close it.
const keepAlive = 15 * time.Second

// withSubscriptions serves /graphql's WebSocket upgrades and event-stream
// requests with a subscription server of their own, and every other
// request with next.
func withSubscriptions(o Options, rl *rateLimiter, next http.Handler) http.Handler {
	streams := o.Verifier.Middleware(rl.handler(expireWithToken(newSubscriptionServer(o))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case isUpgrade(r):
			ctx := context.WithValue(r.Context(), upgradeTokenKey{}, r.Header.Get("Authorization"))
			streams.ServeHTTP(w, r.WithContext(ctx))
		case isEventStream(r):
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				writeGraphQLError(r.Context(), w, http.StatusUnsupportedMediaType, "POST bodies must be application/json")
				return
			}
			if l := o.Limits.forCaller(r.Context()); l.BodyBytes > 0 {
				r.Body = http.MaxBytesReader(w, r.Body, int64(l.BodyBytes))
			}
			streams.ServeHTTP(w, r)
		case r.Method == http.MethodPost && postsSubscription(r):
			writeGraphQLError(r.Context(), w, http.StatusBadRequest, "subscriptions are served over WebSocket (graphql-transport-ws) or Server-Sent Events (Accept: text/event-stream)")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func isEventStream(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// postsSubscription reports whether a POST body names a subscription: the
// operation chosen by operationName, or the only one. Only bodies that
// contain the word are parsed; the body is left for the next handler.
func postsSubscription(r *http.Request) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	if err != nil || !bytes.Contains(b, []byte("subscription")) {
		return false
	}
	var p struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(b, &p) != nil {
		return false
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: p.Query})
	if perr != nil {
		return false
	}
	for _, op := range doc.Operations {
		if (p.OperationName == "" && len(doc.Operations) == 1) || op.Name == p.OperationName {
			return op.Operation == ast.Subscription
		}
	}
	return false
}

// newSubscriptionServer is the GraphQL server of subscriptions: the same
// schema, error presenter and complexity limit as NewGraphQL, over
// WebSocket and SSE.
func newSubscriptionServer(o Options) *handler.Server {
	srv := handler.New(o.Schema)
	srv.AddTransport(transport.Websocket{
		InitFunc:              wsInit(o.Verifier),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: keepAlive,
		PongOnlyInterval:      keepAlive,
		CloseFunc: func(ctx context.Context, _ int) {
			if stop, ok := ctx.Value(stopExpiryKey{}).(context.CancelFunc); ok {
				stop()
			}
		},
	})
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: keepAlive})
	protect(srv, o)
	srv.Use(subscriptionsOnly{})
	srv.Use(tokenLifetime{})
	return srv
}

type (
	upgradeTokenKey struct{}
	stopExpiryKey   struct{}
	expiryKey       struct{}
)

// wsInit authenticates a WebSocket connection at connection_init and
// makes its context end when the token expires.
func wsInit(v *identity.Verifier) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		raw := bearer(payload.Authorization())
		if h, _ := ctx.Value(upgradeTokenKey{}).(string); raw == "" {
			raw = bearer(h)
		}
		if raw == "" {
			return nil, nil, errors.New("a bearer token is required: send Authorization: Bearer <token> in the connection_init payload or the upgrade request")
		}
		p, err := v.Verify(ctx, raw)
		if err != nil {
			var ae *apierr.Error
			if errors.As(err, &ae) {
				return nil, nil, errors.New(ae.Message)
			}
			return nil, nil, errors.New("the token is invalid")
		}
		ctx = identity.WithPrincipal(ctx, p)
		if exp, ok := tokenExpiry(raw); ok {
			var stop context.CancelFunc
			ctx, stop = context.WithDeadlineCause(ctx, exp.Add(closeGrace), errTokenExpired)
			ctx = context.WithValue(context.WithValue(ctx, stopExpiryKey{}, stop), expiryKey{}, exp)
		}
		return expiring{ctx}, nil, nil
	}
}

// expiredReason carries the transport's close reason for an expired token.
var expiredReason = transport.AppendCloseReason(context.Background(), errTokenExpired.Error())

// expiring is a connection context that gives the WebSocket transport the
// close reason "the token has expired" once it ended for that cause (and
// no reason when it ended otherwise: the client left, the server stops).
type expiring struct{ context.Context }

func (c expiring) Value(key any) any {
	if errors.Is(context.Cause(c.Context), errTokenExpired) {
		if v := expiredReason.Value(key); v != nil {
			return v
		}
	}
	return c.Context.Value(key)
}

// expireWithToken gives an event stream its token's expiry (tokenLifetime
// ends the stream then). A WebSocket connection gets it at
// connection_init instead: its token may come in the payload.
func expireWithToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := identity.For(r.Context()); err == nil && !isUpgrade(r) {
			if exp, ok := tokenExpiry(bearer(r.Header.Get("Authorization"))); ok {
				r = r.WithContext(context.WithValue(r.Context(), expiryKey{}, exp))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// tokenLifetime ends every subscription when the caller's token expires:
// the operation's context ends then, and the stream's last result is the
// error "the token has expired". An operation started after the expiry
// gets only that error.
type tokenLifetime struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = tokenLifetime{}

func (tokenLifetime) ExtensionName() string                          { return "TokenLifetime" }
func (tokenLifetime) Validate(schema graphql.ExecutableSchema) error { return nil }

func expiredResponse() *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{{Message: errTokenExpired.Error(),
		Extensions: map[string]any{"code": string(apierr.CodeUnauthenticated)}}}}
}

func (tokenLifetime) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	exp, ok := ctx.Value(expiryKey{}).(time.Time)
	if !ok {
		return next(ctx)
	}
	if !time.Now().Before(exp) {
		return graphql.OneShot(expiredResponse())
	}
	ctx, stop := context.WithDeadlineCause(ctx, exp, errTokenExpired)
	responses := next(ctx)
	told := false
	return func(rctx context.Context) *graphql.Response {
		if resp := responses(rctx); resp != nil {
			return resp
		}
		if !told && errors.Is(context.Cause(ctx), errTokenExpired) {
			told = true
			return expiredResponse()
		}
		stop()
		return nil
	}
}

// bearer is the token of an Authorization value, "" when it is not
// "Bearer <token>".
func bearer(h string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// tokenExpiry reads the exp of a token the verifier has already accepted.
func tokenExpiry(raw string) (time.Time, bool) {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil || c.ExpiresAt == nil {
		return time.Time{}, false
	}
	return c.ExpiresAt.Time, true
}

// subscriptionsOnly refuses queries and mutations on the subscription
// transports: they belong to POST /graphql and its request timeout.
type subscriptionsOnly struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = subscriptionsOnly{}

func (subscriptionsOnly) ExtensionName() string                          { return "SubscriptionsOnly" }
func (subscriptionsOnly) Validate(schema graphql.ExecutableSchema) error { return nil }

func (subscriptionsOnly) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation != nil && rc.Operation.Operation != ast.Subscription {
		return gqlerror.Errorf("only subscriptions are served over WebSocket and event streams: send queries and mutations with POST /graphql")
	}
	return nil
}
