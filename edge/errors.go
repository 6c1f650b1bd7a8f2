package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"partnergraph/apierr"
	"runtime/debug"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Presenter is the one place errors become GraphQL errors: it sets a stable
// extensions.code, keeps the upstream code and request id, and replaces
// anything unexpected by "internal error" (logged once to log, with the
// detail the client never sees).
func Presenter(log io.Writer) graphql.ErrorPresenterFunc {
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(log, format, args...)
	}
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := graphql.DefaultErrorPresenter(ctx, err)
		ext := map[string]any{}
		var ge *apierr.Error
		var qe *gqlerror.Error
		switch {
		case errors.As(err, &ge):
			out.Message = ge.Message
			ext["code"] = string(ge.Code)
			if ge.UpstreamCode != "" {
				ext["upstreamCode"] = ge.UpstreamCode
			}
			if ge.RequestID != "" {
				ext["requestId"] = ge.RequestID
			}
			if ge.RetryAfter > 0 {
				ext["retryAfter"] = ge.RetryAfter
			}
			if len(ge.Candidates) > 0 {
				ext["candidates"] = ge.Candidates
			}
			if ge.Code == apierr.CodeInternal || ge.Code == apierr.CodeUpstreamUnavailable || ge.Code == apierr.CodeOutcomeUnknown || (ge.Code == apierr.CodeUpstreamError && ge.UpstreamCode == "") {
				logf("graphql: %s %v: %v\n", ge.Op, out.Path, ge)
			}
		case errors.As(err, &qe) && qe.Unwrap() == nil:
			// produced by gqlgen itself: parse, validation or argument
			// coercion errors; the message is about the client's input.
			ext["code"] = string(apierr.CodeBadUserInput)
			if c, ok := qe.Extensions["code"]; ok && c != "" {
				ext["graphqlCode"] = c
			}
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			out.Message = "the request was cancelled or ran out of time"
			ext["code"] = string(apierr.CodeUpstreamUnavailable)
		default:
			logf("graphql: internal error at %v: %v\n", out.Path, err)
			out.Message = "internal error"
			ext["code"] = string(apierr.CodeInternal)
		}
		out.Extensions = ext
		return out
	}
}

// Recover turns a resolver panic into INTERNAL, logging the stack.
func Recover(log io.Writer) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		fmt.Fprintf(log, "graphql: panic: %v\n%s\n", p, debug.Stack())
		return &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("panic: %v", p)}
	}
}
