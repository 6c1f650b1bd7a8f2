package edge_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"partnergraph/apierr"
	"partnergraph/edge"
)

func TestPresenter(t *testing.T) {
	tests := map[string]struct {
		err     error
		code    string
		message string
		logged  bool
	}{
		"Internal":        {errors.New("pq: password=hunter2 at db.go:42"), "INTERNAL", "internal error", true},
		"Wrapped":         {fmt.Errorf("loading: %w", apierr.NotFound("customer")), "NOT_FOUND", "customer not found", false},
		"Upstream":        {&apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream refused the request", UpstreamCode: "CBC.0100", RequestID: "r1", Err: errors.New("raw body")}, "UPSTREAM_ERROR", "the upstream refused the request", false},
		"GraphQLInput":    {gqlerror.Errorf("Cannot query field \"nope\""), "BAD_USER_INPUT", "Cannot query field \"nope\"", false},
		"DeadlineRaw":     {context.DeadlineExceeded, "UPSTREAM_UNAVAILABLE", "the request was cancelled or ran out of time", false},
		"Unauthenticated": {apierr.Errorf(apierr.CodeUnauthenticated, "a bearer token is required"), "UNAUTHENTICATED", "a bearer token is required", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var log bytes.Buffer
			got := edge.Presenter(&log)(context.Background(), tt.err)
			if got.Message != tt.message || got.Extensions["code"] != tt.code {
				t.Fatalf("got %q %v, want %q %s", got.Message, got.Extensions, tt.message, tt.code)
			}
			if tt.logged != (log.Len() > 0) {
				t.Fatalf("logged %q, want logged=%v", log.String(), tt.logged)
			}
			if strings.Contains(got.Message, "hunter2") || strings.Contains(fmt.Sprint(got.Extensions), "raw body") {
				t.Fatal("internal detail reached the client")
			}
		})
	}
	t.Run("RecoverHidesPanic", func(t *testing.T) {
		var log bytes.Buffer
		err := edge.Recover(&log)(context.Background(), "nil map write")
		got := edge.Presenter(&log)(context.Background(), err)
		if got.Message != "internal error" || got.Extensions["code"] != "INTERNAL" || !strings.Contains(log.String(), "goroutine") {
			t.Fatalf("got %q %v; log %q", got.Message, got.Extensions, log.String())
		}
	})
}
