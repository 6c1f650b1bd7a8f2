package gateway

import (
	"errors"
	"testing"

	"partnergraph/apierr"
)

func TestNormalizeMobile(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678": "13812345678", "+86 13812345678": "13812345678", "+86-138-1234-5678": "13812345678",
		"0086-13812345678": "13812345678", "86 13812345678": "13812345678", " 138 1234 5678 ": "13812345678",
		"23812345678": "", "1381234567": "", "+1 4155550100": "", "": "", "abc": "",
	} {
		if got := NormalizeMobile(in); got != want {
			t.Errorf("NormalizeMobile(%q) = %q, want %q", in, got, want)
		}
	}
}

// Rule codes become BAD_USER_INPUT with the upstream code and request id
// kept; other errors pass unchanged.
func TestRegistrationError(t *testing.T) {
	up := &apierr.Error{Code: apierr.CodeUpstreamError, Message: "the upstream refused the request", UpstreamCode: UpCodeCodeLocked, RequestID: "r1"}
	var e *apierr.Error
	if !errors.As(registrationError(up), &e) || e.Code != apierr.CodeBadUserInput || e.UpstreamCode != UpCodeCodeLocked || e.RequestID != "r1" || e.Message == up.Message {
		t.Fatalf("rule code: %+v", e)
	}
	if up.Code != apierr.CodeUpstreamError {
		t.Fatal("the original error was modified")
	}
	other := &apierr.Error{Code: apierr.CodeUpstreamError, UpstreamCode: "CBC.0999"}
	if registrationError(other) != other {
		t.Fatal("an unrelated code was re-mapped")
	}
	nf := &apierr.Error{Code: apierr.CodeNotFound, UpstreamCode: "CBC.99000037"}
	if registrationError(nf) != nf {
		t.Fatal("NOT_FOUND re-mapped")
	}
	if registrationError(nil) != nil {
		t.Fatal("nil")
	}
}
