package apierr

import (
	"context"
	"errors"
	"fmt"
)

// Code is a stable error code clients can switch on; it is what the GraphQL
// error presenter puts in extensions.code.
type Code string

// The few codes the gateway ever reports.
const (
	CodeUnauthenticated     Code = "UNAUTHENTICATED"
	CodeForbidden           Code = "FORBIDDEN"
	CodeNotFound            Code = "NOT_FOUND"
	CodeBadUserInput        Code = "BAD_USER_INPUT"
	CodeUpstreamError       Code = "UPSTREAM_ERROR"
	CodeUpstreamUnavailable Code = "UPSTREAM_UNAVAILABLE"
	CodeInternal            Code = "INTERNAL"

	// Sensitive mutations (verification codes, idempotency keys).
	CodeVerificationRequired Code = "VERIFICATION_REQUIRED"
	CodeVerificationFailed   Code = "VERIFICATION_FAILED"
	CodeRateLimited          Code = "RATE_LIMITED"
	CodeIdempotencyConflict  Code = "IDEMPOTENCY_CONFLICT"
	// CodeIdempotencyInProgress: another request with the same key is still
	// running; retry later with the same key.
	CodeIdempotencyInProgress Code = "IDEMPOTENCY_IN_PROGRESS"
	// CodeOutcomeUnknown: a money move may or may not have been applied
	// (the upstream did not answer and its records do not tell yet, or
	// hold several moves it could be: Candidates). Retry with the same
	// idempotency key: the gateway settles it before calling again.
	CodeOutcomeUnknown Code = "OUTCOME_UNKNOWN"
)

// Refusals of the HTTP edge, answered before anything executes (the limits
// are settings of the gateway; README "Running it in production").
const (
	CodeQueryTooDeep      Code = "QUERY_TOO_DEEP"
	CodeTooManyAliases    Code = "TOO_MANY_ALIASES"
	CodeTooManyRootFields Code = "TOO_MANY_ROOT_FIELDS"
	CodeTooManyDirectives Code = "TOO_MANY_DIRECTIVES"
	CodeTooManyFields     Code = "TOO_MANY_FIELDS" // fields selected, counted through fragments
	CodeQueryTooComplex   Code = "QUERY_TOO_COMPLEX"
	CodeDocumentTooLarge  Code = "DOCUMENT_TOO_LARGE" // bytes or tokens of the document
	CodeVariablesTooLarge Code = "VARIABLES_TOO_LARGE"
	CodeRequestTooLarge   Code = "REQUEST_TOO_LARGE" // the HTTP body (413)
	CodePersistedNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedRequired Code = "PERSISTED_QUERY_REQUIRED"
	CodeNotAcceptable     Code = "NOT_ACCEPTABLE" // no media type of the Accept header is served (406)
)

// Error is the one error type of the gateway. Message is safe to show to a
// client; Err (the cause) is for logs only.
type Error struct {
	Code         Code
	Message      string
	UpstreamCode string // e.g. CBC.0100, when the upstream answered
	RequestID    string // the upstream's X-Request-Id, when it answered
	Op           string // the upstream operation, for logs
	Err          error
	// RetryAfter is the number of seconds to wait before retrying, for
	// RATE_LIMITED and IDEMPOTENCY_IN_PROGRESS; the presenter puts it in
	// extensions.retryAfter.
	RetryAfter int
	// Candidates are the upstream records an OUTCOME_UNKNOWN move could be
	// (extensions.candidates).
	Candidates []string
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.UpstreamCode != "" {
		s += " (" + e.UpstreamCode + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the Code of an *Error found in its chain,
// UPSTREAM_UNAVAILABLE for context errors, INTERNAL for anything else.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CodeUpstreamUnavailable
	}
	return CodeInternal
}

// NotFound is the answer for anything that does not exist or is not the
// caller's: the two are indistinguishable on purpose.
func NotFound(what string) *Error {
	return Errorf(CodeNotFound, "%s not found", what)
}
