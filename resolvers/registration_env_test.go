package resolvers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"partnergraph/identity"
	"partnergraph/sandbox"
)

// Helpers of the lifecycle tests, on newLifecycleEnv.

func (e *env) partnerToken(tb testing.TB, p sandbox.ManifestPartner) string {
	role := identity.RolePartner
	if p.Kind == "tier2" {
		role = identity.RoleReseller
	}
	return MustToken(tb, identity.Principal{Subject: "ops@" + p.Name, Role: role, PartnerID: p.ID})
}

// smsCode returns the latest registration code the sandbox "sent" to
// mobile (11 digits), as GET /_sandbox/sms shows it.
func (e *env) smsCode(tb testing.TB, mobile string) string {
	tb.Helper()
	resp, err := http.Get(e.sb.URL + "/_sandbox/sms")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []struct {
			Mobile string `json:"mobile"`
			Code   string `json:"code"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	for i := len(out.Messages) - 1; i >= 0; i-- {
		if out.Messages[i].Mobile == "0086-"+mobile {
			return out.Messages[i].Code
		}
	}
	tb.Fatalf("no SMS code for %s", mobile)
	return ""
}

var lcSeq atomic.Int64

// freshMobile returns a mobile no customer uses yet (the sandbox seeds
// 0086-13…/14…/15…/16… partner mobiles and customers' own numbers; 19x is
// never seeded).
func freshMobile() string {
	return fmt.Sprintf("199%04d%04d", time.Now().UnixNano()%10000, lcSeq.Add(1)%9000)
}
