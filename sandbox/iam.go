package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
)

// IAM: the token operations the partner flow needs (BSS-API.md §2.4–2.5).
//
//   - POST /v3/auth/tokens, password method (KeystoneCreateUserTokenByPassword):
//     no credentials needed; user name = the partner's account (domain)
//     name, password = the partner's SK (the sandbox's password convention),
//     domain name = the account name. → 201, X-Subject-Token: a partner token.
//   - POST /v3/auth/tokens, assume_role method (KeystoneCreateAgencyToken):
//     authenticated by a partner token (X-Auth-Token) or the partner's AK/SK
//     signature; assume_role{domain_id|domain_name, agency_name}: the agency
//     name must be the partner's, the domain one of its own customers (or,
//     for a tier-1, a customer of one of its tier-2 resellers). → 201,
//     X-Subject-Token: a token of the customer's domain.
//   - GET /v3/auth/domains (KeystoneListAuthDomains): the caller's domain.
//
// Tokens are valid 24 hours. IAM errors have IAM's nested shape
// {"error":{"code","message","title"}}: 400 IAM.0003 malformed request,
// 401 IAM.0004 wrong user name or password, 403 IAM.0002 agency or domain
// not allowed (sandbox conventions; gateway-level 401 APIG.0301 for bad
// signatures and tokens).

func (s *Sandbox) registerIAMRoutes() {
	s.handleNamed(http.MethodPost, "/v3/auth/tokens", tokenOpName, callerNone, s.createToken)
	s.handle(http.MethodGet, "/v3/auth/domains", "KeystoneListAuthDomains", callerAny, s.listAuthDomains)
}

const (
	tokenValidity = 24 * time.Hour
	iamTimeLayout = "2006-01-02T15:04:05.000000Z"
)

func iamErr(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Msg: msg, IAM: true}
}

// tokenRequest is the union of the password and assume_role bodies.
type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User struct {
					Name     string `json:"name"`
					Password string `json:"password"`
					Domain   *struct {
						Name string `json:"name"`
						ID   string `json:"id"`
					} `json:"domain"`
				} `json:"user"`
			} `json:"password"`
			AssumeRole *struct {
				DomainID   string `json:"domain_id"`
				DomainName string `json:"domain_name"`
				AgencyName string `json:"agency_name"`
			} `json:"assume_role"`
		} `json:"identity"`
	} `json:"auth"`
}

func tokenOpName(body []byte) string {
	if bytes.Contains(body, []byte(`"assume_role"`)) {
		return "KeystoneCreateAgencyToken"
	}
	return "KeystoneCreateUserTokenByPassword"
}

func newTokenValue() string {
	var b [96]byte
	_, _ = rand.Read(b[:])
	return "MIIT" + base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Sandbox) createToken(c *call) (any, error) {
	var req tokenRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return nil, iamErr(http.StatusBadRequest, "IAM.0003", "The request body is malformed.")
	}
	id := req.Auth.Identity
	method := ""
	if len(id.Methods) == 1 {
		method = id.Methods[0]
	}
	switch {
	case method == "password" && id.Password != nil:
		return s.passwordToken(c, &req)
	case method == "assume_role" && id.AssumeRole != nil:
		return s.agencyToken(c, &req)
	}
	return nil, iamErr(http.StatusBadRequest, "IAM.0003", "auth.identity.methods must be [\"password\"] or [\"assume_role\"] with the matching object.")
}

func (s *Sandbox) passwordToken(c *call, req *tokenRequest) (any, error) {
	u := req.Auth.Identity.Password.User
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	p := st.partnerByName[u.Name]
	if p == nil || u.Password != p.Password || (u.Domain != nil && u.Domain.Name != "" && u.Domain.Name != p.AccountName) {
		return nil, iamErr(http.StatusUnauthorized, "IAM.0004", "The username or password is wrong.")
	}
	now := st.now()
	t := &Token{Value: newTokenValue(), PartnerID: p.ID, Issued: now, Expires: now.Add(tokenValidity)}
	st.tokens[t.Value] = t
	c.w.Header().Set("X-Subject-Token", t.Value)
	dom := &iammodel.TokenDomainResult{Name: p.AccountName, Id: p.ID}
	return withStatus{Status: http.StatusCreated, Body: iammodel.KeystoneCreateUserTokenByPasswordResponse{
		Token: &iammodel.TokenResult{
			Catalog:   []iammodel.TokenCatalog{},
			Domain:    dom,
			ExpiresAt: t.Expires.Format(iamTimeLayout),
			IssuedAt:  t.Issued.Format(iamTimeLayout),
			Methods:   []string{"password"},
			Roles:     []iammodel.TokenRole{{Name: "te_admin", Id: "0"}, {Name: "op_gated_partner", Id: "1"}},
			User: &iammodel.TokenUserResult{
				Name: p.AccountName, Id: p.ID, PasswordExpiresAt: "",
				Domain: &iammodel.TokenUserDomainResult{Name: p.AccountName, Id: p.ID},
			},
		},
	}}, nil
}

func (s *Sandbox) agencyToken(c *call, req *tokenRequest) (any, error) {
	who, aerr := s.authenticate(c.r, c.body)
	if aerr != nil {
		return nil, aerr
	}
	if who.Partner == nil {
		return nil, iamErr(http.StatusForbidden, "IAM.0002", "Only a partner may assume a role in a customer's domain.")
	}
	ar := req.Auth.Identity.AssumeRole
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	var cust *Customer
	if ar.DomainID != "" {
		cust = st.customerByID[ar.DomainID]
	} else if ar.DomainName != "" {
		cust = st.customerByName[ar.DomainName]
		if cust != nil && st.customerByID[cust.ID] == nil { // still pending
			cust = nil
		}
	}
	p := who.Partner
	if cust == nil || ar.AgencyName != p.AgencyName || !st.ownsCustomer(p, cust) {
		return nil, iamErr(http.StatusForbidden, "IAM.0002", "The agency does not exist or you are not allowed to assume it.")
	}
	now := st.now()
	t := &Token{Value: newTokenValue(), PartnerID: p.ID, CustomerID: cust.ID, Issued: now, Expires: now.Add(tokenValidity)}
	st.tokens[t.Value] = t
	c.w.Header().Set("X-Subject-Token", t.Value)
	return withStatus{Status: http.StatusCreated, Body: iammodel.KeystoneCreateAgencyTokenResponse{
		Token: &iammodel.AgencyTokenResult{
			Methods:   []string{"assume_role"},
			ExpiresAt: t.Expires.Format(iamTimeLayout),
			IssuedAt:  t.Issued.Format(iamTimeLayout),
			AssumedBy: &iammodel.AgencyAssumedby{User: &iammodel.AgencyAssumedbyUser{
				Name: p.AccountName, Id: p.ID, PasswordExpiresAt: "",
				Domain: &iammodel.AgencyAssumedbyUserDomain{Name: p.AccountName, Id: p.ID},
			}},
			Domain: &iammodel.AgencyTokenDomain{Name: cust.AccountName, Id: cust.ID},
			Roles:  []iammodel.TokenRole{{Name: "op_service", Id: "0"}},
			User: &iammodel.AgencyTokenUser{
				Name: cust.AccountName + "/" + p.AgencyName, Id: p.ID + "-" + cust.ID[:8],
				Domain: &iammodel.AgencyTokenUserDomain{Name: cust.AccountName, Id: cust.ID},
			},
		},
	}}, nil
}

// ownsCustomer: the customer's direct owner is p, or p is the tier-1 of
// the tier-2 that owns it. Callers hold st.mu.
func (st *State) ownsCustomer(p *Partner, c *Customer) bool {
	if c.PartnerID == p.ID {
		return true
	}
	owner := st.partnerByID[c.PartnerID]
	return p.Kind == KindTier1 && owner != nil && owner.ParentID == p.ID
}

func (s *Sandbox) listAuthDomains(c *call) (any, error) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	var id, name string
	if c.who.Customer != nil {
		id, name = c.who.Customer.ID, c.who.Customer.AccountName
	} else {
		id, name = c.who.Partner.ID, c.who.Partner.AccountName
	}
	self := "http://" + c.r.Host + "/v3/auth/domains"
	return iammodel.KeystoneListAuthDomainsResponse{
		Domains: &[]iammodel.Domains{{Enabled: true, Id: id, Name: name, Description: "",
			Links: &iammodel.LinksSelf{Self: "http://" + c.r.Host + "/v3/domains/" + id}}},
		Links: &iammodel.LinksSelf{Self: self},
	}, nil
}
