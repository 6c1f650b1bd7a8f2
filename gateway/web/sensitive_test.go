package web

import (
	"context"
	"io"
	"testing"

	"partnergraph/gateway"
)

func TestPresenterRetryAfter(t *testing.T) {
	e := gateway.Errorf(gateway.CodeRateLimited, "slow down")
	e.RetryAfter = 42
	out := Presenter(io.Discard)(context.Background(), e)
	if out.Extensions["code"] != "RATE_LIMITED" || out.Extensions["retryAfter"] != 42 {
		t.Fatalf("%+v", out.Extensions)
	}
	out = Presenter(io.Discard)(context.Background(), gateway.Errorf(gateway.CodeVerificationFailed, "verification failed"))
	if _, ok := out.Extensions["retryAfter"]; ok || out.Extensions["code"] != "VERIFICATION_FAILED" {
		t.Fatalf("%+v", out.Extensions)
	}
}
