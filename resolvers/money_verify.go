package resolvers

// ---- Verification codes, the verification setting and the audit query (issue 4) ----
//
// Codes go to the partner, never to an address from the request: the
// caller's verified token claims ("email", "phone_number") first, then the
// configured Safety.Contacts of its partner id. A caller with neither for
// the chosen channel gets BAD_USER_INPUT naming the other channel.

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"partnergraph/apierr"
	"partnergraph/graph/model"
	"partnergraph/guard/notify"
	"partnergraph/guard/verify"
	"partnergraph/identity"
)

// destination is where p's codes go over ch.
func (r *Resolver) destination(p *identity.Principal, ch notify.Channel) string {
	c := r.Safety.Contacts[p.PartnerID]
	if ch == notify.Email {
		if p.Email != "" {
			return p.Email
		}
		return c.Email
	}
	if p.Phone != "" {
		return p.Phone
	}
	return c.Phone
}

func (r *Resolver) requestVerificationCode(ctx context.Context, ch model.VerificationChannel, op model.SensitiveOperation, in model.SensitiveInput) (*model.VerificationChallenge, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role == identity.RoleCustomer {
		return nil, forbidden("requestVerificationCode (customers are not challenged; codes go to the partner)")
	}
	if r.Safety.Verify == nil {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: fmt.Errorf("verification engine not configured")}
	}
	member, ok := sensitiveMember(op, &in)
	if !ok {
		return nil, moneyBadInput("set exactly one member of input, %q, for operation %s", memberName(op), op)
	}
	if err := r.authorizeSensitive(p, op, member); err != nil {
		return nil, err
	}
	nch := notify.Channel(ch)
	dest := r.destination(p, nch)
	if dest == "" {
		return nil, moneyBadInput("no verified %s contact is known for your account; use the other channel", strings.ToLower(string(ch)))
	}
	// The mutation digests its `input` argument, a struct value; digest the
	// same value here.
	args := reflect.Indirect(reflect.ValueOf(member)).Interface()
	c, err := r.Safety.Verify.Request(ctx, verifyPrincipal(p), string(op), verify.Digest(string(op), args), nch, dest, describeInput(op, member))
	if err != nil {
		return nil, verifyError(err)
	}
	return &model.VerificationChallenge{
		ID: c.ID, Channel: model.VerificationChannel(c.Channel), MaskedDestination: c.MaskedDestination,
		ExpiresAt: c.ExpiresAt.UTC().Format(time.RFC3339), ResendAfter: c.ResendAfter.UTC().Format(time.RFC3339),
	}, nil
}

// describeInput says what a code approves, for the message: operation,
// amount, target. It never affects the binding (the digest does).
func describeInput(op model.SensitiveOperation, in any) verify.Details {
	action := strings.ReplaceAll(strings.ToLower(string(op)), "_", " ")
	d := verify.Details{Action: strings.ToUpper(action[:1]) + action[1:]}
	list := func(what string, ids []string) string {
		if len(ids) == 1 {
			return what + " " + ids[0]
		}
		return strconv.Itoa(len(ids)) + " " + what + "s (" + strings.Join(ids[:min(3, len(ids))], ", ") + map[bool]string{true: ", …", false: ""}[len(ids) > 3] + ")"
	}
	switch v := in.(type) {
	case *model.CustomerFundsInput:
		d.Amount, d.Target = v.Amount.StringFixed(2)+" CNY", "customer "+v.CustomerID
		if v.ResellerID != nil && *v.ResellerID != "" {
			d.Target += " of reseller " + *v.ResellerID
		}
	case *model.ResellerFundsInput:
		d.Amount, d.Target = v.Amount.StringFixed(2)+" CNY", "reseller "+v.ResellerID
	case *model.IssueCouponQuotasInput:
		d.Amount, d.Target = v.Amount.StringFixed(2)+" CNY each from quota "+v.QuotaID, list("reseller", v.ResellerIds)
	case *model.ReclaimCouponQuotasInput:
		d.Target = list("quota", v.QuotaIds)
	case *model.IssueCouponsInput:
		d.Amount, d.Target = v.FaceValue.StringFixed(2)+" CNY each from quota "+v.QuotaID, list("customer", v.CustomerIds)
	case *model.ReclaimCouponsInput:
		d.Target = list("coupon", v.CouponIds)
	case *model.SetVerificationEnabledInput:
		d.Target = map[bool]string{true: "turn verification ON", false: "turn verification OFF"}[v.Enabled]
	}
	return d
}

func (r *Resolver) setVerificationEnabled(ctx context.Context, in model.SetVerificationEnabledInput) (*model.VerificationSettings, error) {
	p, err := moneyPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Safety.Verify.SetEnabled(ctx, verifyPrincipal(p), in.Enabled); err != nil {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: err}
	}
	return &model.VerificationSettings{Enabled: in.Enabled}, nil
}

// verificationSettings is visible to the partner itself only.
func (r *Resolver) verificationSettings(ctx context.Context, obj *model.Partner) (*model.VerificationSettings, error) {
	p, err := principal(ctx)
	if err != nil || p.Role == identity.RoleCustomer || p.PartnerID != obj.PartnerID || r.Safety.Verify == nil {
		return nil, nil
	}
	on, err := r.Safety.Verify.Enabled(ctx, obj.PartnerID)
	if err != nil {
		return nil, &apierr.Error{Code: apierr.CodeInternal, Message: "internal error", Err: err}
	}
	return &model.VerificationSettings{Enabled: on}, nil
}

// auditLog pages the partner's own audit entries, newest first; only the
// partner itself sees them (anyone else: null).
func (r *Resolver) auditLog(ctx context.Context, obj *model.Partner, first *int, after *string) (*model.AuditEntryConnection, error) {
	p, err := principal(ctx)
	if err != nil || p.Role != identity.RolePartner || p.PartnerID != obj.PartnerID {
		return nil, nil
	}
	return r.readAudit(obj.PartnerID, first, after)
}

// resellerAuditLog is the same for a reseller reading its own entries (its
// tier-1 does not see them here).
func (r *Resolver) resellerAuditLog(ctx context.Context, obj *model.Reseller, first *int, after *string) (*model.AuditEntryConnection, error) {
	p, err := principal(ctx)
	if err != nil || p.Role != identity.RoleReseller || p.PartnerID != obj.ResellerID {
		return nil, nil
	}
	return r.readAudit(obj.ResellerID, first, after)
}

func (r *Resolver) readAudit(partnerID string, first *int, after *string) (*model.AuditEntryConnection, error) {
	if r.Safety.Audit == nil {
		return nil, nil
	}
	n := 20
	if first != nil {
		if *first < 1 || *first > 100 {
			return nil, moneyBadInput("first must be between 1 and 100")
		}
		n = *first
	}
	before := ""
	if after != nil {
		before = *after
	}
	es, next, err := r.Safety.Audit.Read(partnerID, n, before)
	if err != nil {
		return nil, moneyBadInput("invalid cursor")
	}
	conn := &model.AuditEntryConnection{Edges: make([]*model.AuditEntryEdge, len(es)), PageInfo: &model.PageInfo{HasNextPage: next != "", HasPreviousPage: before != ""}}
	for i, e := range es {
		conn.Edges[i] = &model.AuditEntryEdge{Cursor: e.Cursor, Node: &model.AuditEntry{
			Time: e.Time.UTC().Format(time.RFC3339Nano), Principal: e.PrincipalSubject, Role: opt(e.Role), Operation: e.Operation,
			Event: e.Event, Outcome: opt(e.Outcome), ArgsDigest: opt(e.ArgsDigest), UpstreamRequestID: opt(e.UpstreamRequestID),
			ChallengeID: opt(e.ChallengeID), IdempotencyKey: opt(e.IdempotencyKey),
		}}
	}
	if len(es) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(es)-1].Cursor
	}
	return conn, nil
}
