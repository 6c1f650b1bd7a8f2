package resolvers

// ---- Verification codes, the verification setting and the audit query (issue 4) ----
//
// Codes go to the partner, never to an address from the request: the
// caller's verified token claims ("email", "phone_number") first, then the
// configured Safety.Contacts of its partner id. A caller with neither for
// the chosen channel gets BAD_USER_INPUT naming the other channel.

import (
	"strconv"
	"strings"
	"time"

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
