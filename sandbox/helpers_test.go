package sandbox

// Shared test helpers for every sandbox test file (fixture_test.go adds a
// fixture around one showcase customer).
//
//	sb, srv, m := newTestSandbox(t)            // 60 customers, seed 1, real clock
//	sb, srv, m := newTestSandboxOpts(t, Options{Seed: 7, Customers: 200, Now: clk.Now})
//	c := bssClient(t, srv.URL, m.Partners[0].AK, m.Partners[0].SK)   // partner AK/SK client
//	c := bssTokenClient(t, srv.URL, customerToken)                   // X-Auth-Token client
//	tok := customerToken(t, srv.URL, partner, customerID)            // partner token → assume_role
//	p := partnerOf(m, KindTier1); cust := showcaseOf(m, p.ID)       // manifest look-ups
//	e := sdkErr(t, err)                                              // *sdkerr.ServiceResponseError
//
// The manifest lists partners in the order tier1, tier2, tier2, provider; each
// partner's showcase customer (resale, positive balance, pending orders,
// resources) is the first manifest customer with its partner_id.

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
)

// newTestSandbox starts a default sandbox (seed 1, 60 customers) behind an
// httptest.Server closed at the end of the test.
func newTestSandbox(t testing.TB) (*Sandbox, *httptest.Server, Manifest) {
	t.Helper()
	return newTestSandboxOpts(t, Options{Seed: 1, Customers: 60})
}

// newTestSandboxOpts is newTestSandbox with explicit options.
func newTestSandboxOpts(t testing.TB, opts Options) (*Sandbox, *httptest.Server, Manifest) {
	t.Helper()
	sb, err := New(opts)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return sb, srv, sb.Manifest(srv.URL)
}

// bssClient is the official BSS v2 client signing with a partner's AK/SK.
func bssClient(t testing.TB, endpoint, ak, sk string) *bss.BssClient {
	t.Helper()
	cred, err := global.NewCredentialsBuilder().WithAk(ak).WithSk(sk).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := bss.BssClientBuilder().
		WithEndpoints([]string{endpoint}).
		WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(30 * time.Second)).
		SafeBuild()
	if err != nil {
		t.Fatalf("bss client: %v", err)
	}
	return bss.NewBssClient(hc)
}

// bssTokenClient is the official BSS v2 client authenticating with an IAM
// token (X-Auth-Token), e.g. a customer token from customerToken.
func bssTokenClient(t testing.TB, endpoint, token string) *bss.BssClient {
	t.Helper()
	hc, err := bss.BssClientBuilder().
		WithCredentialsType("global.Credentials,v3.IamCredentials").
		WithEndpoints([]string{endpoint}).
		WithCredential(iam.NewIamCredentialsBuilder().WithXAuthToken(token).Build()).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(30 * time.Second)).
		SafeBuild()
	if err != nil {
		t.Fatalf("bss token client: %v", err)
	}
	return bss.NewBssClient(hc)
}

// iamClient is the official IAM v3 client signing with AK/SK.
func iamClient(t testing.TB, endpoint, ak, sk string) *iam.IamClient {
	t.Helper()
	cred, err := global.NewCredentialsBuilder().WithAk(ak).WithSk(sk).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := iam.IamClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatalf("iam client: %v", err)
	}
	return iam.NewIamClient(hc)
}

// iamTokenClient is the official IAM v3 client authenticating with a token.
func iamTokenClient(t testing.TB, endpoint, token string) *iam.IamClient {
	t.Helper()
	hc, err := iam.IamClientBuilder().WithEndpoints([]string{endpoint}).
		WithCredential(iam.NewIamCredentialsBuilder().WithXAuthToken(token).Build()).SafeBuild()
	if err != nil {
		t.Fatalf("iam token client: %v", err)
	}
	return iam.NewIamClient(hc)
}

// partnerToken logs the partner in with the password method (in the sandbox
// a partner's IAM password is its SK) and returns its token.
func partnerToken(t testing.TB, endpoint string, p ManifestPartner) string {
	t.Helper()
	// The password login needs no credentials; the client still wants one.
	c := iamClient(t, endpoint, p.AK, p.SK)
	account := accountNameOf(t, endpoint, p)
	resp, err := c.KeystoneCreateUserTokenByPassword(&iammodel.KeystoneCreateUserTokenByPasswordRequest{
		Body: &iammodel.KeystoneCreateUserTokenByPasswordRequestBody{
			Auth: &iammodel.PwdAuth{
				Identity: &iammodel.PwdIdentity{
					Methods: []iammodel.PwdIdentityMethods{iammodel.GetPwdIdentityMethodsEnum().PASSWORD},
					Password: &iammodel.PwdPassword{User: &iammodel.PwdPasswordUser{
						Name:     account,
						Password: p.SK,
						Domain:   &iammodel.PwdPasswordUserDomain{Name: account},
					}},
				},
			},
		},
	})
	if err != nil {
		t.Fatalf("password token for %s: %v", p.ID, err)
	}
	if resp.XSubjectToken == nil || *resp.XSubjectToken == "" {
		t.Fatalf("password token for %s: no X-Subject-Token", p.ID)
	}
	return *resp.XSubjectToken
}

// accountNameOf returns the partner's account (domain) name from the IAM
// domains endpoint.
func accountNameOf(t testing.TB, endpoint string, p ManifestPartner) string {
	t.Helper()
	resp, err := iamClient(t, endpoint, p.AK, p.SK).KeystoneListAuthDomains(&iammodel.KeystoneListAuthDomainsRequest{})
	if err != nil || resp.Domains == nil || len(*resp.Domains) == 0 {
		t.Fatalf("auth domains for %s: %v", p.ID, err)
	}
	return (*resp.Domains)[0].Name
}

// customerToken swaps the partner's token for a token of customerID's
// domain (assume_role with the partner's agency name).
func customerToken(t testing.TB, endpoint string, p ManifestPartner, customerID string) string {
	t.Helper()
	ptok := partnerToken(t, endpoint, p)
	resp, err := iamTokenClient(t, endpoint, ptok).KeystoneCreateAgencyToken(&iammodel.KeystoneCreateAgencyTokenRequest{
		Body: &iammodel.KeystoneCreateAgencyTokenRequestBody{
			Auth: &iammodel.AgencyTokenAuth{
				Identity: &iammodel.AgencyTokenIdentity{
					Methods:    []iammodel.AgencyTokenIdentityMethods{iammodel.GetAgencyTokenIdentityMethodsEnum().ASSUME_ROLE},
					AssumeRole: &iammodel.AgencyTokenAssumerole{DomainId: &customerID, AgencyName: p.AgencyName},
				},
				Scope: &iammodel.AgencyTokenScope{Domain: &iammodel.AgencyTokenScopeDomain{Id: &customerID}},
			},
		},
	})
	if err != nil {
		t.Fatalf("assume_role %s → %s: %v", p.ID, customerID, err)
	}
	return *resp.XSubjectToken
}

// partnerOf returns the first manifest partner of a kind.
func partnerOf(m Manifest, kind string) ManifestPartner {
	for _, p := range m.Partners {
		if p.Kind == kind {
			return p
		}
	}
	panic("no partner of kind " + kind)
}

// showcaseOf returns the partner's showcase customer (its first manifest
// customer).
func showcaseOf(m Manifest, partnerID string) ManifestCustomer {
	for _, c := range m.Customers {
		if c.PartnerID == partnerID {
			return c
		}
	}
	panic("no manifest customer for " + partnerID)
}

// sdkErr asserts err is an upstream error and returns it.
func sdkErr(t testing.TB, err error) *sdkerr.ServiceResponseError {
	t.Helper()
	var e *sdkerr.ServiceResponseError
	if !errors.As(err, &e) {
		t.Fatalf("want *sdkerr.ServiceResponseError, got %T %v", err, err)
	}
	return e
}

// wantErr asserts err is an upstream error with this status and code.
func wantErr(t testing.TB, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s, got success", status, code)
	}
	e := sdkErr(t, err)
	if e.StatusCode != status || e.ErrorCode != code {
		t.Fatalf("want %d %s, got %d %s (%s)", status, code, e.StatusCode, e.ErrorCode, e.ErrorMessage)
	}
}

// testClock is a settable clock (Options.Now). Keep it within 15 minutes of
// the real time when SDK clients sign requests (the SDK stamps X-Sdk-Date
// with the real clock).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now().UTC()} }

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// benchSetup starts a 10 000-customer sandbox for the benchmarks of the
// hottest list and batch operations, which go through the real SDK
// (signing, HTTP over loopback, JSON both ways) as the tier-1 distributor.
// It returns the server URL, the tier-1 and 200 of its customer ids.
func benchSetup(b *testing.B) (string, ManifestPartner, []string) {
	sb, srv, m := newTestSandboxOpts(b, Options{Seed: 1, Customers: 10000})
	p := partnerOf(m, KindTier1)
	sb.state.mu.Lock()
	var ids []string
	for _, c := range sb.state.customersByPartner[p.ID][:200] {
		ids = append(ids, c.ID)
	}
	sb.state.mu.Unlock()
	return srv.URL, p, ids
}
