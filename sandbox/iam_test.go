package sandbox

import (
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/shopspring/decimal"
)

func agencyReq(domainID, domainName, agency string) *iammodel.KeystoneCreateAgencyTokenRequest {
	ar := &iammodel.AgencyTokenAssumerole{AgencyName: agency}
	if domainID != "" {
		ar.DomainId = &domainID
	}
	if domainName != "" {
		ar.DomainName = &domainName
	}
	return &iammodel.KeystoneCreateAgencyTokenRequest{
		Nocatalog: ptr("true"),
		Body: &iammodel.KeystoneCreateAgencyTokenRequestBody{Auth: &iammodel.AgencyTokenAuth{
			Identity: &iammodel.AgencyTokenIdentity{
				Methods:    []iammodel.AgencyTokenIdentityMethods{iammodel.GetAgencyTokenIdentityMethodsEnum().ASSUME_ROLE},
				AssumeRole: ar,
			},
			Scope: &iammodel.AgencyTokenScope{Domain: &iammodel.AgencyTokenScopeDomain{Id: ptr(domainID)}},
		}},
	}
}

func TestIAMPasswordAndAgencyTokens(t *testing.T) {
	sb, srv, m := newTestSandbox(t)
	p := partnerOf(m, KindTier1)

	// KeystoneListAuthDomains with AK/SK.
	account := accountNameOf(t, srv.URL, p)
	if account == "" {
		t.Fatal("no account name")
	}
	// Password token: 201 + X-Subject-Token + token body, 24 h validity.
	c := iamClient(t, srv.URL, p.AK, p.SK)
	resp, err := c.KeystoneCreateUserTokenByPassword(&iammodel.KeystoneCreateUserTokenByPasswordRequest{
		Nocatalog: ptr("true"),
		Body: &iammodel.KeystoneCreateUserTokenByPasswordRequestBody{Auth: &iammodel.PwdAuth{
			Identity: &iammodel.PwdIdentity{
				Methods: []iammodel.PwdIdentityMethods{iammodel.GetPwdIdentityMethodsEnum().PASSWORD},
				Password: &iammodel.PwdPassword{User: &iammodel.PwdPasswordUser{
					Name: account, Password: p.SK, Domain: &iammodel.PwdPasswordUserDomain{Name: account}}},
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.HttpStatusCode != 201 || resp.XSubjectToken == nil || resp.Token == nil || resp.Token.User.Id != p.ID ||
		resp.Token.Domain.Id != p.ID || resp.Token.Methods[0] != "password" {
		t.Fatalf("password token: %v", resp)
	}
	issued, _ := time.Parse(iamTimeLayout, resp.Token.IssuedAt)
	expires, _ := time.Parse(iamTimeLayout, resp.Token.ExpiresAt)
	if expires.Sub(issued) != 24*time.Hour {
		t.Fatalf("validity %v", expires.Sub(issued))
	}
	ptok := *resp.XSubjectToken

	// Wrong password → 401 IAM.0004.
	_, err = c.KeystoneCreateUserTokenByPassword(&iammodel.KeystoneCreateUserTokenByPasswordRequest{
		Body: &iammodel.KeystoneCreateUserTokenByPasswordRequestBody{Auth: &iammodel.PwdAuth{
			Identity: &iammodel.PwdIdentity{
				Methods:  []iammodel.PwdIdentityMethods{iammodel.GetPwdIdentityMethodsEnum().PASSWORD},
				Password: &iammodel.PwdPassword{User: &iammodel.PwdPasswordUser{Name: account, Password: "nope"}},
			},
		}},
	})
	wantErr(t, err, 401, "IAM.0004")

	// assume_role with the partner token into its showcase customer.
	cust := showcaseOf(m, p.ID)
	ic := iamTokenClient(t, srv.URL, ptok)
	ar, err := ic.KeystoneCreateAgencyToken(agencyReq(cust.ID, "", p.AgencyName))
	if err != nil {
		t.Fatal(err)
	}
	if ar.HttpStatusCode != 201 || ar.XSubjectToken == nil || ar.Token.Domain.Id != cust.ID ||
		ar.Token.AssumedBy.User.Id != p.ID || ar.Token.Methods[0] != "assume_role" {
		t.Fatalf("agency token: %v", ar)
	}
	ctok := *ar.XSubjectToken

	// The customer token calls a customer-only BSS operation.
	bal, err := bssTokenClient(t, srv.URL, ctok).ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sb.state.mu.Lock()
	want := sb.state.customerByID[cust.ID].Balance
	sb.state.mu.Unlock()
	if got := *(*bal.AccountBalances)[0].Amount; !got.Equal(want) || !want.GreaterThan(decimal.Zero) {
		t.Fatalf("balance %s, want %s (> 0)", got, want)
	}
	// The customer token lists the customer's own domain.
	doms, err := iamTokenClient(t, srv.URL, ctok).KeystoneListAuthDomains(&iammodel.KeystoneListAuthDomainsRequest{})
	if err != nil || (*doms.Domains)[0].Id != cust.ID {
		t.Fatalf("customer domains: %v %v", doms, err)
	}

	// assume_role signed with AK/SK (not a token) works too, by domain name.
	sb.state.mu.Lock()
	custName := sb.state.customerByID[cust.ID].AccountName
	sb.state.mu.Unlock()
	if _, err := c.KeystoneCreateAgencyToken(agencyReq("", custName, p.AgencyName)); err != nil {
		t.Fatalf("assume_role by AK/SK and domain name: %v", err)
	}
	// Wrong agency name → 403 IAM.0002.
	_, err = ic.KeystoneCreateAgencyToken(agencyReq(cust.ID, "", "someone_else"))
	wantErr(t, err, 403, "IAM.0002")
	// Another partner's customer → 403 IAM.0002.
	prov := partnerOf(m, KindProvider)
	_, err = ic.KeystoneCreateAgencyToken(agencyReq(showcaseOf(m, prov.ID).ID, "", p.AgencyName))
	wantErr(t, err, 403, "IAM.0002")
	// A tier-1 may assume into its tier-2's customer; a tier-2 not into the tier-1's.
	t2 := m.Partners[1]
	if _, err := ic.KeystoneCreateAgencyToken(agencyReq(showcaseOf(m, t2.ID).ID, "", p.AgencyName)); err != nil {
		t.Fatalf("tier-1 into tier-2's customer: %v", err)
	}
	_, err = iamClient(t, srv.URL, t2.AK, t2.SK).KeystoneCreateAgencyToken(agencyReq(cust.ID, "", t2.AgencyName))
	wantErr(t, err, 403, "IAM.0002")
	// A customer token cannot assume roles.
	_, err = iamTokenClient(t, srv.URL, ctok).KeystoneCreateAgencyToken(agencyReq(cust.ID, "", p.AgencyName))
	wantErr(t, err, 403, "IAM.0002")
	// Unsigned assume_role → 401 APIG.0301.
	_, err = iamTokenClient(t, srv.URL, "MIITbogus").KeystoneCreateAgencyToken(agencyReq(cust.ID, "", p.AgencyName))
	wantErr(t, err, 401, "APIG.0301")

	st := sb.Stats()
	if st["KeystoneCreateUserTokenByPassword"] != 2 || st["KeystoneCreateAgencyToken"] < 6 || st["KeystoneListAuthDomains"] < 2 {
		t.Fatalf("stats %v", st)
	}
}
