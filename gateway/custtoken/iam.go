package custtoken

import (
	"context"
	"fmt"
	"time"

	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
)

// AssumeRole returns a FetchFunc that asks IAM for a token of the
// customer's account with the partner's agency (assume_role, scoped to the
// customer's domain). client must be signed with the partner's AK/SK; the
// customer id is the customer's domain id.
func AssumeRole(client *iam.IamClient, agencyName string) FetchFunc {
	return func(ctx context.Context, customerID string) (Token, error) {
		req := &iammodel.KeystoneCreateAgencyTokenRequest{
			Nocatalog: ptr("true"),
			Body: &iammodel.KeystoneCreateAgencyTokenRequestBody{
				Auth: &iammodel.AgencyTokenAuth{
					Identity: &iammodel.AgencyTokenIdentity{
						Methods:    []iammodel.AgencyTokenIdentityMethods{iammodel.GetAgencyTokenIdentityMethodsEnum().ASSUME_ROLE},
						AssumeRole: &iammodel.AgencyTokenAssumerole{DomainId: ptr(customerID), AgencyName: agencyName},
					},
					Scope: &iammodel.AgencyTokenScope{Domain: &iammodel.AgencyTokenScopeDomain{Id: ptr(customerID)}},
				},
			},
		}
		type result struct {
			resp *iammodel.KeystoneCreateAgencyTokenResponse
			err  error
		}
		ch := make(chan result, 1)
		// The SDK takes no context: the call runs on its own goroutine and
		// its HTTP client's timeout ends it; we stop waiting on ctx.
		go func() {
			resp, err := client.KeystoneCreateAgencyToken(req)
			ch <- result{resp, err}
		}()
		var r result
		select {
		case r = <-ch:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
		if r.err != nil {
			return Token{}, r.err
		}
		if r.resp.XSubjectToken == nil || *r.resp.XSubjectToken == "" {
			return Token{}, fmt.Errorf("custtoken: IAM answered without X-Subject-Token")
		}
		exp := time.Now().Add(time.Hour) // conservative when IAM omits it
		if r.resp.Token != nil && r.resp.Token.ExpiresAt != "" {
			t, err := time.Parse(time.RFC3339Nano, r.resp.Token.ExpiresAt)
			if err != nil {
				return Token{}, fmt.Errorf("custtoken: bad expires_at %q: %w", r.resp.Token.ExpiresAt, err)
			}
			exp = t
		}
		return Token{Value: *r.resp.XSubjectToken, ExpiresAt: exp}, nil
	}
}

func ptr[T any](v T) *T { return &v }
