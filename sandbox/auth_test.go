package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	sdkregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
)

// sdkSign signs a request with the SDK's own signer and returns the headers
// to send (X-Sdk-Date, Authorization plus the given ones).
func sdkSign(t *testing.T, method, rawURL string, body []byte, headers map[string]string, ak, sk string, at time.Time) http.Header {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	b := request.NewHttpRequestBuilder().WithEndpoint(u.Scheme + "://" + u.Host).WithMethod(method).WithPath(u.Path)
	b.AddHeaderParam("X-Sdk-Date", at.UTC().Format(sdkDateLayout))
	for k, v := range headers {
		b.AddHeaderParam(k, v)
	}
	b.AddHeaderParam("Content-Type", "application/json")
	for k, vs := range u.Query() {
		if len(vs) == 1 {
			b.AddQueryParam(k, reflect.ValueOf(vs[0]))
		} else {
			b.AddQueryParam(k, reflect.ValueOf(vs))
		}
	}
	if len(body) > 0 {
		b.WithBody("", string(body))
	}
	out, err := signer.Sign(b.Build(), ak, sk)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	for k, v := range out {
		h.Set(k, v)
	}
	return h
}

// TestSignRequestMatchesSDK compares the sandbox's canonical request with the
// SDK signer on awkward inputs.
func TestSignRequestMatchesSDK(t *testing.T) {
	at := time.Date(2026, 11, 22, 1, 22, 41, 0, time.UTC)
	cases := []struct {
		name, method, url string
		body              string
		headers           map[string]string
	}{
		{"plain GET", "GET", "http://h/v2/accounts/partner-accounts/balances", "", nil},
		{"POST body", "POST", "http://h/v2/accounts/partner-accounts/adjust-amount", `{"customer_id":"c","amount":"100.5"}` + "\n", nil},
		{"repeated keys", "GET", "http://h/v2/x?operation_types=2&operation_types=1&coupon_ids=b&coupon_ids=a&limit=10", "", nil},
		{"empty values", "GET", "http://h/v2/x?quota_id=&offset=0&z", "", nil},
		{"special chars", "GET", "http://h/v2/x?name=a%20b*%27%C3%A9&k%2B=v%2Fw", "", nil},
		{"path escapes", "GET", "http://h/v2/orders/customer-orders/details/CS%2A1%20x", "", nil},
		{"domain and language", "POST", "http://h/v2/y", `{}`, map[string]string{"X-Domain-Id": "abc", "X-Language": "en_US"}},
		{"padded header", "GET", "http://h/v2/y", "", map[string]string{"X-Custom": "  padded value  "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := sdkSign(t, tc.method, tc.url, []byte(tc.body), tc.headers, "AK", "SK", at)
			ak, signed, sig, ok := parseAuthorization(h.Get("Authorization"))
			if !ok || ak != "AK" {
				t.Fatalf("authorization %q", h.Get("Authorization"))
			}
			u, _ := url.Parse(tc.url)
			got := signRequest(tc.method, u.Path, u.Query(), h, signed, []byte(tc.body), h.Get("X-Sdk-Date"), "SK")
			if got != sig {
				t.Fatalf("signature mismatch: sandbox %s, sdk %s (signed %v)", got, sig, signed)
			}
		})
	}
}

func rawCall(t *testing.T, method, u string, body []byte, h http.Header) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp, m
}

func TestSignatureNegative(t *testing.T) {
	_, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindTier1)
	cust := showcaseOf(m, p.ID)
	path := "/v2/accounts/customer-accounts/balances/batch-query"
	body := []byte(`{"customer_infos":[{"customer_id":"` + cust.ID + `"}]}` + "\n")
	now := time.Now()
	// A correctly signed raw request passes (and carries X-Request-Id).
	ok, okBody := rawCall(t, "POST", srv.URL+path, body, sdkSign(t, "POST", srv.URL+path, body, nil, p.AK, p.SK, now))
	if ok.StatusCode != 200 || ok.Header.Get("X-Request-Id") == "" {
		t.Fatalf("signed call: %d %v", ok.StatusCode, okBody)
	}
	check := func(name string, resp *http.Response, m map[string]any, wantMsg string) {
		t.Helper()
		if resp.StatusCode != 401 || m["error_code"] != "APIG.0301" || !strings.Contains(m["error_msg"].(string), wantMsg) {
			t.Errorf("%s: got %d %v", name, resp.StatusCode, m)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", name)
		}
	}
	// Tampered body.
	h := sdkSign(t, "POST", srv.URL+path, body, nil, p.AK, p.SK, now)
	r, mm := rawCall(t, "POST", srv.URL+path, bytes.Replace(body, []byte("customer_id"), []byte("customer_iD"), 1), h)
	check("tampered body", r, mm, "verify aksk signature fail")
	// Tampered query.
	q := "/v3/accounts/partner-accounts/adjust-records?limit=10&offset=0"
	h = sdkSign(t, "GET", srv.URL+q, nil, nil, p.AK, p.SK, now)
	r, mm = rawCall(t, "GET", srv.URL+strings.Replace(q, "offset=0", "offset=1", 1), nil, h)
	check("tampered query", r, mm, "verify aksk signature fail")
	// Wrong SK.
	h = sdkSign(t, "POST", srv.URL+path, body, nil, p.AK, p.SK+"x", now)
	r, mm = rawCall(t, "POST", srv.URL+path, body, h)
	check("wrong sk", r, mm, "verify aksk signature fail")
	// Unknown AK.
	h = sdkSign(t, "POST", srv.URL+path, body, nil, "UNKNOWNAK00000000000", p.SK, now)
	r, mm = rawCall(t, "POST", srv.URL+path, body, h)
	check("unknown ak", r, mm, "verify aksk signature fail")
	// Date 16 minutes off either way; 14 minutes is fine.
	for _, d := range []time.Duration{16 * time.Minute, -16 * time.Minute} {
		h = sdkSign(t, "POST", srv.URL+path, body, nil, p.AK, p.SK, now.Add(d))
		r, mm = rawCall(t, "POST", srv.URL+path, body, h)
		check("skewed date", r, mm, "signature expired")
	}
	h = sdkSign(t, "POST", srv.URL+path, body, nil, p.AK, p.SK, now.Add(-14*time.Minute))
	if r, mm = rawCall(t, "POST", srv.URL+path, body, h); r.StatusCode != 200 {
		t.Errorf("14 min skew: %d %v", r.StatusCode, mm)
	}
	// No credentials at all.
	r, mm = rawCall(t, "POST", srv.URL+path, body, http.Header{"Content-Type": {"application/json"}})
	check("no auth", r, mm, "x-auth-token not found")
	// Unknown token.
	r, mm = rawCall(t, "POST", srv.URL+path, body, http.Header{"X-Auth-Token": {"MIITnotatoken"}})
	check("unknown token", r, mm, "decrypt token fail")
	// Unknown path → 404 APIG.0101 with a request id.
	r, mm = rawCall(t, "GET", srv.URL+"/v2/no/such/api", nil, nil)
	if r.StatusCode != 404 || mm["error_code"] != "APIG.0101" || r.Header.Get("X-Request-Id") == "" {
		t.Errorf("unknown path: %d %v", r.StatusCode, mm)
	}
}

// TestSignedHeadersThroughSDK: X-Domain-Id (WithDomainId) and extra headers
// are signed by the SDK and verified by the sandbox; repeated query keys go
// through ListPartnerCouponsRecord.
func TestSignedHeadersThroughSDK(t *testing.T) {
	_, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindTier1)
	cred, err := global.NewCredentialsBuilder().WithAk(p.AK).WithSk(p.SK).WithDomainId(p.ID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := bss.BssClientBuilder().WithEndpoints([]string{srv.URL}).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc.WithExtraHeaders(map[string]string{"X-Language": "en_US", "X-Trace": "  spaced  "})
	c := bss.NewBssClient(hc)
	if _, err := c.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatalf("domain id + extra headers: %v", err)
	}
	ops := []string{"1", "2"}
	ids := []string{"CPX", "CPY", ""}
	if _, err := c.ListPartnerCouponsRecord(&model.ListPartnerCouponsRecordRequest{OperationTypes: &ops, CouponIds: &ids, QuotaId: ptr("")}); err != nil {
		t.Fatalf("repeated keys: %v", err)
	}
}

func TestTokenExpiryAndCallerRules(t *testing.T) {
	clk := newTestClock()
	_, srv, m := newTestSandboxOpts(t, Options{Seed: 3, Customers: 40, Now: clk.Now})
	p := partnerOf(m, KindProvider)
	cust := showcaseOf(m, p.ID)
	ctok := customerToken(t, srv.URL, p, cust.ID)
	ptok := partnerToken(t, srv.URL, p)

	cc := bssTokenClient(t, srv.URL, ctok)
	if _, err := cc.ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	// Customer token on a partner operation → 403 CBC.0151.
	_, err := cc.ListPartnerBalances(&model.ListPartnerBalancesRequest{})
	wantErr(t, err, 403, "CBC.0151")
	// Partner AK/SK and partner token on a customer-only operation → 403 CBC.0151.
	_, err = bssClient(t, srv.URL, p.AK, p.SK).ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{})
	wantErr(t, err, 403, "CBC.0151")
	pc := bssTokenClient(t, srv.URL, ptok)
	_, err = pc.ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{})
	wantErr(t, err, 403, "CBC.0151")
	// A partner token works on partner operations.
	if _, err := pc.ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	// Tier-1-only operation with provider credentials → 403 CBC.0151.
	_, err = bssClient(t, srv.URL, p.AK, p.SK).ListIndirectPartners(&model.ListIndirectPartnersRequest{Body: &model.QueryIndirectPartnersReq{}})
	wantErr(t, err, 403, "CBC.0151")
	// 24 h later both tokens have expired (AK/SK calls need a real-time
	// clock, tokens do not).
	clk.Advance(24*time.Hour + time.Second)
	_, err = cc.ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{})
	wantErr(t, err, 401, "APIG.0301")
	if e := sdkErr(t, err); !strings.Contains(e.ErrorMessage, "token expires") {
		t.Fatalf("message %q", e.ErrorMessage)
	}
	_, err = pc.ListPartnerBalances(&model.ListPartnerBalancesRequest{})
	wantErr(t, err, 401, "APIG.0301")
}

func TestAKLockAfterFailures(t *testing.T) {
	_, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindTier2)
	bad := bssClient(t, srv.URL, p.AK, "wrong-secret-wrong-secret-wrong-secret-x")
	for i := 0; i < 6; i++ {
		_, err := bad.ListPartnerBalances(&model.ListPartnerBalancesRequest{})
		wantErr(t, err, 401, "APIG.0301")
	}
	_, err := bssClient(t, srv.URL, p.AK, p.SK).ListPartnerBalances(&model.ListPartnerBalancesRequest{})
	wantErr(t, err, 401, "APIG.0301")
	if e := sdkErr(t, err); !strings.Contains(e.ErrorMessage, "locked") {
		t.Fatalf("want a lock, got %q", e.ErrorMessage)
	}
}

var regionSeed int64 = 1_000_000

// TestRegionClientDiscoversDomain: with WithRegion and no DomainId the SDK
// first calls GET /v3/auth/domains (KeystoneListAuthDomains, signed) on the
// IAM endpoint, then sends X-Domain-Id (signed) on every call.
func TestRegionClientDiscoversDomain(t *testing.T) {
	// The SDK caches the discovered domain per AK for the whole process: a
	// seed of its own gives this test AKs no other run has used (-count=N).
	regionSeed++
	sb, srv, m := newTestSandboxOpts(t, Options{Seed: regionSeed, Customers: 60})
	p := partnerOf(m, KindTier2)
	cred, err := global.NewCredentialsBuilder().WithAk(p.AK).WithSk(p.SK).WithIamEndpointOverride(srv.URL).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := bss.BssClientBuilder().WithRegion(sdkregion.NewRegion("cn-north-1", srv.URL)).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bss.NewBssClient(hc).ListPartnerBalances(&model.ListPartnerBalancesRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := sb.Stats(); got["KeystoneListAuthDomains"] != 1 || got["ListPartnerBalances"] != 1 {
		t.Fatalf("stats %v", got)
	}
}
