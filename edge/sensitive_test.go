package edge

import (
	"context"
	"io"
	"partnergraph/apierr"
	"testing"
)

func TestPresenterRetryAfter(t *testing.T) {
	e := apierr.Errorf(apierr.CodeRateLimited, "slow down")
	e.RetryAfter = 42
	out := Presenter(io.Discard)(context.Background(), e)
	if out.Extensions["code"] != "RATE_LIMITED" || out.Extensions["retryAfter"] != 42 {
		t.Fatalf("%+v", out.Extensions)
	}
	out = Presenter(io.Discard)(context.Background(), apierr.Errorf(apierr.CodeVerificationFailed, "verification failed"))
	if _, ok := out.Extensions["retryAfter"]; ok || out.Extensions["code"] != "VERIFICATION_FAILED" {
		t.Fatalf("%+v", out.Extensions)
	}
}
