package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"partnergraph/apierr"
	"partnergraph/telemetry"
)

// Presenter is the one place errors become GraphQL errors: it sets a stable
// extensions.code, keeps the upstream code and request id, and replaces
// anything unexpected by "internal error" (logged once to log, with the
// detail the client never sees). Messages quote at most a short excerpt of
// the client's input (see clip).
func Presenter(log io.Writer) graphql.ErrorPresenterFunc { return presenter(textLogger(log), false) }

// textLogger writes text lines to w (nothing when w is nil).
func textLogger(w io.Writer) *slog.Logger {
	if w == nil {
		w = io.Discard
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// passThrough are the codes of gqlgen's own errors that clients switch on
// (Apollo Client's persisted-query link retries with the full document on
// PERSISTED_QUERY_NOT_FOUND).
var passThrough = map[string]bool{string(apierr.CodePersistedNotFound): true}

// presenter is Presenter; hideSuggestions also drops "Did you mean …?"
// hints (live mode: the validator's rules without suggestions are the first
// line, this the second).
func presenter(log *slog.Logger, hideSuggestions bool) graphql.ErrorPresenterFunc {
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
				log.LogAttrs(ctx, slog.LevelWarn, "graphql error", slog.String("request_id", telemetry.FromContext(ctx).ID()),
					slog.String("code", string(ge.Code)), slog.String("op", ge.Op), slog.String("path", out.Path.String()), slog.String("err", ge.Error()))
			}
		case errors.As(err, &qe) && qe.Unwrap() == nil:
			// produced by gqlgen itself: parse, validation or argument
			// coercion errors; the message is about the client's input.
			ext["code"] = string(apierr.CodeBadUserInput)
			if c, ok := qe.Extensions["code"].(string); ok && passThrough[c] {
				ext["code"] = c
			} else if ok && c != "" {
				ext["graphqlCode"] = c
			}
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			out.Message = "the request was cancelled or ran out of time"
			ext["code"] = string(apierr.CodeUpstreamUnavailable)
		default:
			log.LogAttrs(ctx, slog.LevelError, "graphql internal error", slog.String("request_id", telemetry.FromContext(ctx).ID()),
				slog.String("path", out.Path.String()), slog.String("err", err.Error()))
			out.Message = "internal error"
			ext["code"] = string(apierr.CodeInternal)
		}
		out.Extensions = ext
		if hideSuggestions {
			out.Message = suggestion.ReplaceAllString(out.Message, "")
		}
		out.Message = clip(out.Message)
		return out
	}
}

var (
	suggestion = regexp.MustCompile(` ?Did you mean[^?]*\?`)
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	longWord   = regexp.MustCompile(`[^\s"]{65,}`)
)

// Excerpts: a quoted string or a word of the client's input in a message is
// cut to about 64 characters, and a message to 300.
const (
	excerptLen = 64
	messageLen = 300
)

// clip cuts what a message may echo of the client's input: parse and
// validation messages quote names and values from the document, coercion
// errors the variables; none may carry more than an excerpt back.
func clip(msg string) string {
	if len(msg) <= excerptLen {
		return msg
	}
	msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) <= excerptLen+2 {
			return q
		}
		return `"` + excerpt(q[1:len(q)-1], excerptLen) + `"`
	})
	msg = longWord.ReplaceAllStringFunc(msg, func(w string) string { return excerpt(w, excerptLen) })
	return excerpt(msg, messageLen)
}

// excerpt returns s cut to at most n bytes on a rune boundary, marked with
// an ellipsis when cut.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + "…"
}

// Recover turns a resolver panic into INTERNAL, logging the stack.
func Recover(log io.Writer) graphql.RecoverFunc { return recoverWith(textLogger(log)) }

func recoverWith(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.LogAttrs(ctx, slog.LevelError, "graphql panic", slog.String("request_id", telemetry.FromContext(ctx).ID()),
			slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
		return &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("panic: %v", p)}
	}
}
