package resolvers

// Service tickets (OSM v2). A ticket belongs to the account behind the
// credential that reads it (gateway.TicketOwner):
//
//   - a partner's own tickets go with its keys; a reseller's own with its
//     own keys when the gateway holds them (else FORBIDDEN); a customer's
//     with a customer token, the signing partner's agency assuming into the
//     customer as for orders (a reseller's customers: the tier-1's agency);
//   - a partner or reseller reaches a customer's tickets only for its own
//     customers (checked once against the customer list and remembered for
//     a few minutes), a customer only its own; anything else is NOT_FOUND;
//   - a Ticket's global ID carries its owner, so node(id:), the mutations
//     and ticketUpdated re-check it before any ticket call.
//
// Form data is cached per principal and owner for TicketOptions.FormTTL.
// Every mutation takes an idempotency key (ticketOnce): the first outcome
// (the ticket or attachment it made) is stored, a retry replays it and
// re-reads the ticket. A create or reply whose answer was lost is looked
// for among the newest tickets or messages before it is reported: found,
// it is the outcome; not found after a timeout, the key stays reserved and
// the retry (after the store's lease) looks again before calling.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"partnergraph/apierr"
	"partnergraph/gateway"
	"partnergraph/graph/model"
	"partnergraph/guard/idempotency"
	"partnergraph/guard/verify"
	"partnergraph/identity"
	"partnergraph/loader"
	"partnergraph/watch"
)

// TicketOptions tune the ticket domain; zero values take the defaults.
type TicketOptions struct {
	// PollInterval is how often the live-update poller of an account reads
	// the upstream (default 5s).
	PollInterval time.Duration
	// SubscriptionsPerAccount bounds the subscriptions of one ticket owner
	// (default 20); MaxSubscriptions those of the gateway (default 1000).
	SubscriptionsPerAccount, MaxSubscriptions int
	// FormTTL is how long form data is cached (default 5 minutes).
	FormTTL time.Duration
	// OnPollError hears about failed polls (default: ignored).
	OnPollError func(gateway.TicketOwner, error)
}

const (
	defaultFormTTL  = 5 * time.Minute
	maxFormEntries  = 10_000
	ownerTTL        = 5 * time.Minute
	maxOwnerEntries = 10_000
	// createdWindow is how far back a lost create or reply is looked for.
	createdWindow = 15 * time.Minute
	// maxUploadBase64 bounds an upload's base64 before it is decoded
	// (twice the upstream's documented 4 MB; the limits decide).
	maxUploadBase64 = 12 << 20
)

// ticketState is what the ticket resolvers keep across requests.
type ticketState struct {
	hub       *watch.Hub
	forms     *expirable.LRU[string, any]
	formCalls singleflight.Group
	owners    *expirable.LRU[gateway.TicketOwner, struct{}] // customers checked to be the caller's
	quotaGen  sync.Map                                      // gateway.TicketOwner → *atomic.Int64: bumped by createTicket
}

func newTicketState(src *gateway.Client, o TicketOptions) *ticketState {
	if o.FormTTL <= 0 {
		o.FormTTL = defaultFormTTL
	}
	return &ticketState{
		hub: watch.New(src, watch.Options{Interval: o.PollInterval, PerAccount: o.SubscriptionsPerAccount, Total: o.MaxSubscriptions,
			OnError: o.OnPollError}),
		forms:  expirable.NewLRU[string, any](maxFormEntries, nil, o.FormTTL),
		owners: expirable.NewLRU[gateway.TicketOwner, struct{}](maxOwnerEntries, nil, ownerTTL),
	}
}

// Statuses and actions.

var ticketStatuses = map[int]model.TicketStatus{
	gateway.TicketSubmitted: model.TicketStatusSubmitted, gateway.TicketInProgress: model.TicketStatusInProgress,
	gateway.TicketAwaitingConfirm: model.TicketStatusAwaitingConfirmation, gateway.TicketCompleted: model.TicketStatusCompleted,
	gateway.TicketCancelled: model.TicketStatusCancelled, gateway.TicketSuspended: model.TicketStatusSuspended,
	gateway.TicketInvalid: model.TicketStatusInvalid, gateway.TicketDeleted: model.TicketStatusDeleted,
	gateway.TicketAwaitingFeedback: model.TicketStatusAwaitingFeedback,
}

// allowedActions are the submitter's actions in a status (OSM-API.md §3).
func allowedActions(status int) []model.TicketAction {
	out := []model.TicketAction{}
	if gateway.TicketOpen(status) {
		out = append(out, model.TicketActionReply)
	}
	switch status {
	case gateway.TicketSubmitted, gateway.TicketInProgress, gateway.TicketAwaitingFeedback:
		out = append(out, model.TicketActionUrge)
	}
	if status == gateway.TicketSubmitted {
		out = append(out, model.TicketActionCancel)
	}
	if status == gateway.TicketInProgress || status == gateway.TicketAwaitingConfirm {
		out = append(out, model.TicketActionClose)
	}
	if status == gateway.TicketCompleted {
		out = append(out, model.TicketActionRate)
	}
	return out
}

func ticketStatusName(status int) string {
	if s, ok := ticketStatuses[status]; ok {
		return string(s)
	}
	return fmt.Sprintf("status %d", status)
}

// requireAction reads the ticket's status and refuses an action it does
// not allow, with the upstream's code for that rule.
func (r *Resolver) requireAction(ctx context.Context, o gateway.TicketOwner, caseID string, a model.TicketAction) error {
	st, err := r.upstream.TicketStatus(ctx, o, caseID)
	if err != nil {
		return err
	}
	allowed := allowedActions(st)
	for _, x := range allowed {
		if x == a {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, x := range allowed {
		names[i] = string(x)
	}
	now := strings.Join(names, ", ")
	if now == "" {
		now = "none"
	}
	return &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketNotAllowed,
		Message: fmt.Sprintf("a ticket in status %s does not allow %s (allowed now: %s)", ticketStatusName(st), a, now)}
}

// Owners and authorization.

// ownTicketOwner is the owner of the caller's own tickets.
func (r *Resolver) ownTicketOwner(ctx context.Context, p *identity.Principal) (gateway.TicketOwner, error) {
	switch p.Role {
	case identity.RolePartner:
		a, err := r.partnerAccount(p)
		if err != nil {
			return gateway.TicketOwner{}, err
		}
		return gateway.TicketOwner{Scope: gateway.Scope{Account: a.ID}}, nil
	case identity.RoleReseller:
		// The upstream knows no indirect partner for tickets: a reseller's
		// own tickets need its own keys.
		if a, ok := r.upstream.Account(p.PartnerID); ok && a.Kind == gateway.KindTier2 && r.upstream.HasTickets(a.ID) {
			return gateway.TicketOwner{Scope: gateway.Scope{Account: a.ID}}, nil
		}
		return gateway.TicketOwner{}, apierr.Errorf(apierr.CodeForbidden, "this gateway holds no keys of reseller %s: its own tickets are not available", p.PartnerID)
	case identity.RoleCustomer:
		home, err := r.homeScope(ctx, p)
		if err != nil {
			return gateway.TicketOwner{}, err
		}
		return gateway.TicketOwner{Scope: home, Customer: p.CustomerID}, nil
	}
	return gateway.TicketOwner{}, apierr.Errorf(apierr.CodeUnauthenticated, "unknown role")
}

// ticketOwnerFor is the owner a ticket operation names: the caller's own
// account without a customer, else that customer, as commerceTarget
// resolves customers (without its resale-only rule).
func (r *Resolver) ticketOwnerFor(ctx context.Context, p *identity.Principal, in *model.TicketCustomerInput) (gateway.TicketOwner, error) {
	if in == nil {
		return r.ownTicketOwner(ctx, p)
	}
	id, reseller := strings.TrimSpace(in.CustomerID), deref(in.ResellerID)
	if id == "" {
		return gateway.TicketOwner{}, badInput("customer.customerId is required")
	}
	home, err := r.homeScope(ctx, p)
	if err != nil {
		return gateway.TicketOwner{}, err
	}
	s := home
	switch p.Role {
	case identity.RoleCustomer:
		if id != p.CustomerID || reseller != "" {
			return gateway.TicketOwner{}, apierr.NotFound("customer")
		}
		return gateway.TicketOwner{Scope: home, Customer: id}, nil
	case identity.RoleReseller:
		if reseller != "" && reseller != home.Indirect {
			return gateway.TicketOwner{}, apierr.NotFound("customer")
		}
	case identity.RolePartner:
		if reseller != "" {
			if !r.isTier1(p) {
				return gateway.TicketOwner{}, apierr.NotFound("customer")
			}
			if s, err = r.resellerScope(ctx, reseller, home.Account); err != nil {
				return gateway.TicketOwner{}, apierr.NotFound("customer")
			}
		}
	}
	o := gateway.TicketOwner{Scope: s, Customer: id}
	return o, r.checkTicketCustomer(ctx, o)
}

// customerOwner is the owner of a Customer object's tickets: the object
// was authorized when it was made.
func (r *Resolver) customerOwner(c *model.Customer) gateway.TicketOwner {
	o := gateway.TicketOwner{Scope: c.Scope, Customer: c.CustomerID}
	r.tickets.owners.Add(o, struct{}{})
	return o
}

// checkTicketCustomer makes sure o's customer is listed under o's scope
// (remembered for ownerTTL), else NOT_FOUND.
func (r *Resolver) checkTicketCustomer(ctx context.Context, o gateway.TicketOwner) error {
	if r.tickets.owners.Contains(o) {
		return nil
	}
	l, err := r.upstream.ListCustomers(ctx, o.Scope, gateway.CustomerQuery{Window: gateway.Window{Limit: 1}, CustomerID: o.Customer})
	if err != nil {
		if apierr.ErrorCode(err) == apierr.CodeNotFound {
			return apierr.NotFound("customer")
		}
		return err
	}
	for _, c := range l.Customers {
		if c.ID == o.Customer {
			r.tickets.owners.Add(o, struct{}{})
			return nil
		}
	}
	return apierr.NotFound("customer")
}

// authorizeOwner decides whether p may use o's tickets (o from a global
// ID): NOT_FOUND when not.
func (r *Resolver) authorizeOwner(ctx context.Context, p *identity.Principal, o gateway.TicketOwner) error {
	notFound := apierr.NotFound("ticket")
	switch {
	case o.Customer == "":
		own, err := r.ownTicketOwner(ctx, p)
		if err != nil || own != o {
			return notFound
		}
		return nil
	case p.Role == identity.RoleCustomer:
		own, err := r.ownTicketOwner(ctx, p)
		if err != nil || own != o {
			return notFound
		}
		return nil
	}
	if !r.canUse(ctx, p, o.Scope, "") {
		return notFound
	}
	if err := r.checkTicketCustomer(ctx, o); err != nil {
		if apierr.ErrorCode(err) == apierr.CodeNotFound {
			return notFound
		}
		return err
	}
	return nil
}

// Global IDs: "Ticket:<account>:<indirect>:<customer>:<case id>".

func ticketGlobalID(o gateway.TicketOwner, caseID string) string {
	return globalID("Ticket", o.Scope, o.Customer+":"+caseID)
}

// ticketRef resolves and authorizes a Ticket's global ID.
func (r *Resolver) ticketRef(ctx context.Context, p *identity.Principal, gid string) (gateway.TicketOwner, string, error) {
	typ, s, objID, ok := parseGlobalID(gid)
	if !ok || typ != "Ticket" {
		return gateway.TicketOwner{}, "", apierr.NotFound("ticket")
	}
	return r.ticketRefIn(ctx, p, s, objID)
}

func (r *Resolver) ticketRefIn(ctx context.Context, p *identity.Principal, s gateway.Scope, objID string) (gateway.TicketOwner, string, error) {
	customer, caseID, ok := strings.Cut(objID, ":")
	if !ok || caseID == "" {
		return gateway.TicketOwner{}, "", apierr.NotFound("ticket")
	}
	o := gateway.TicketOwner{Scope: s, Customer: customer}
	if err := r.authorizeOwner(ctx, p, o); err != nil {
		return gateway.TicketOwner{}, "", err
	}
	return o, caseID, nil
}

// ticketNode answers node(id:) for a Ticket.
func (r *Resolver) ticketNode(ctx context.Context, p *identity.Principal, s gateway.Scope, objID string) (model.Node, error) {
	o, caseID, err := r.ticketRefIn(ctx, p, s, objID)
	if err != nil {
		return nil, apierr.NotFound("node")
	}
	t, err := r.fetchTicket(ctx, o, caseID)
	if apierr.ErrorCode(err) == apierr.CodeNotFound {
		return nil, apierr.NotFound("node")
	}
	return t, err
}

// Models.

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func ticketModel(o gateway.TicketOwner, t gateway.Ticket, page *loader.TicketPage) *model.Ticket {
	return &model.Ticket{
		ID: ticketGlobalID(o, t.ID), CaseID: t.ID, Status: lookup(ticketStatuses, t.Status), StatusCode: t.Status,
		TicketType: opt(t.TicketType), ProblemType: opt(t.ProblemType), ProductCategory: opt(t.ProductCategory), ServiceType: opt(t.ServiceType),
		Description: t.Description, Region: opt(t.Region), Creator: &model.TicketCreator{UserID: opt(t.CreatorID), Name: opt(t.CreatorName)},
		AccountID: t.AccountID, CreatedAt: rfc3339(t.Created), ResolvedAt: rfc3339(t.Confirmed), Resolution: opt(t.Resolution),
		RootCause: opt(t.RootCause), AllowedActions: allowedActions(t.Status), Owner: o, Page: page,
	}
}

// fetchTicket reads one ticket, or NOT_FOUND.
func (r *Resolver) fetchTicket(ctx context.Context, o gateway.TicketOwner, caseID string) (*model.Ticket, error) {
	t, err := r.upstream.Ticket(ctx, o, caseID)
	if err != nil {
		return nil, err
	}
	return ticketModel(o, t, loader.NewTicketPage(r.upstream, o, []string{t.ID})), nil
}

var authorKinds = map[int]model.TicketAuthorKind{
	gateway.AuthorCustomer: model.TicketAuthorKindCustomer, gateway.AuthorEngineer: model.TicketAuthorKindEngineer,
	gateway.AuthorThirdParty: model.TicketAuthorKindThirdParty,
}

// messageModels converts messages; their attachments share one page for
// their download links.
func (r *Resolver) messageModels(o gateway.TicketOwner, ms []gateway.TicketMessage) []*model.TicketMessage {
	var ids []string
	for _, m := range ms {
		for _, a := range m.Attachments {
			ids = append(ids, a.ID)
		}
	}
	var page *loader.AttachmentPage
	if len(ids) > 0 {
		page = loader.NewAttachmentPage(r.upstream, o, ids)
	}
	out := make([]*model.TicketMessage, len(ms))
	for i, m := range ms {
		kind, ok := authorKinds[m.Author]
		if !ok {
			kind = model.TicketAuthorKindThirdParty
		}
		atts := make([]*model.TicketAttachment, len(m.Attachments))
		for j, a := range m.Attachments {
			atts[j] = &model.TicketAttachment{ID: a.ID, FileName: a.Name, Page: page}
		}
		out[i] = &model.TicketMessage{Author: &model.TicketAuthor{Kind: kind, ID: opt(m.AuthorID), Name: opt(m.AuthorName)},
			Content: m.Content, CreatedAt: rfc3339(m.Created), IsDescription: m.Description, Attachments: atts}
	}
	return out
}

// Lists.

// ticketQuery reads the list arguments.
func ticketQuery(first *int, after *string, f *model.TicketFilter) (gateway.TicketQuery, error) {
	w, err := window(first, after)
	if err != nil {
		return gateway.TicketQuery{}, err
	}
	q := gateway.TicketQuery{Window: w}
	if f == nil {
		return q, nil
	}
	seen := map[int]bool{}
	for _, st := range f.Statuses {
		if code, ok := keyOf(ticketStatuses, st); ok && !seen[code] {
			seen[code] = true
			q.Statuses = append(q.Statuses, code)
		}
	}
	parse := func(field string, v *string) (time.Time, error) {
		if v == nil || strings.TrimSpace(*v) == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*v))
		if err != nil {
			return time.Time{}, badInput("%s must be an RFC 3339 time like 2026-01-31T00:00:00Z", field)
		}
		return t, nil
	}
	if q.From, err = parse("filter.createdAfter", f.CreatedAfter); err != nil {
		return q, err
	}
	if q.To, err = parse("filter.createdBefore", f.CreatedBefore); err != nil {
		return q, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return q, badInput("filter.createdAfter is after filter.createdBefore")
	}
	q.Keyword = strings.TrimSpace(deref(f.Keyword))
	if utf8.RuneCountInString(q.Keyword) > 64 {
		return q, badInput("filter.keyword must be at most 64 characters")
	}
	return q, nil
}

// listTickets pages o's tickets; the page's batched fields read together.
func (r *Resolver) listTickets(ctx context.Context, o gateway.TicketOwner, first *int, after *string, f *model.TicketFilter) (*model.TicketConnection, error) {
	q, err := ticketQuery(first, after, f)
	if err != nil {
		return nil, err
	}
	l, err := r.upstream.Tickets(ctx, o, q)
	if err != nil {
		return nil, err
	}
	account := o.Customer
	if account == "" {
		account = o.Scope.Account
	}
	mine := func(t gateway.Ticket) bool { return t.AccountID == "" || t.AccountID == account } // never show another account's ticket
	ids := make([]string, 0, len(l.Tickets))
	for _, t := range l.Tickets {
		if mine(t) {
			ids = append(ids, t.ID)
		}
	}
	page := loader.NewTicketPage(r.upstream, o, ids)
	conn := &model.TicketConnection{Edges: make([]*model.TicketEdge, 0, len(ids)), TotalCount: l.Total, PageInfo: pageInfo(q.Window, len(l.Tickets), l.Total)}
	for i, t := range l.Tickets {
		if mine(t) {
			conn.Edges = append(conn.Edges, &model.TicketEdge{Cursor: cursor(q.Offset + i), Node: ticketModel(o, t, page)})
		}
	}
	return conn, nil
}

// messagePage reads a ticket's messages for first/after or last/before.
func (r *Resolver) messagePage(ctx context.Context, o gateway.TicketOwner, caseID string, first *int, after *string, last *int, before *string) (*model.TicketMessageConnection, error) {
	if last == nil && before == nil {
		w, err := window(first, after)
		if err != nil {
			return nil, err
		}
		l, err := r.upstream.TicketMessages(ctx, o, caseID, w)
		if err != nil {
			return nil, err
		}
		return r.messageConnection(o, w.Offset, l.Messages, l.Total), nil
	}
	if first != nil || after != nil {
		return nil, badInput("use first/after or last/before, not both")
	}
	n := defaultFirst
	if last != nil {
		if *last < 1 || *last > maxFirst {
			return nil, badInput("last must be between 1 and %d", maxFirst)
		}
		n = *last
	}
	end := 0 // exclusive
	if before != nil && *before != "" {
		w, err := window(nil, before) // the offset after the cursor's
		if err != nil {
			return nil, badInput("before is not a cursor from this API")
		}
		end = w.Offset - 1
	} else {
		// The total first: one call returns it with the first page, which
		// is the whole ticket for most tickets.
		l, err := r.upstream.TicketMessages(ctx, o, caseID, gateway.Window{Limit: gateway.MaxPageSize})
		if err != nil {
			return nil, err
		}
		if l.Total <= len(l.Messages) {
			start := max(0, len(l.Messages)-n)
			return r.messageConnection(o, start, l.Messages[start:], l.Total), nil
		}
		end = l.Total
	}
	start := max(0, end-n)
	if end <= start {
		l, err := r.upstream.TicketMessages(ctx, o, caseID, gateway.Window{Limit: 1})
		if err != nil {
			return nil, err
		}
		return r.messageConnection(o, start, nil, l.Total), nil
	}
	l, err := r.upstream.TicketMessages(ctx, o, caseID, gateway.Window{Offset: start, Limit: end - start})
	if err != nil {
		return nil, err
	}
	return r.messageConnection(o, start, l.Messages, l.Total), nil
}

func (r *Resolver) messageConnection(o gateway.TicketOwner, offset int, ms []gateway.TicketMessage, total int) *model.TicketMessageConnection {
	nodes := r.messageModels(o, ms)
	conn := &model.TicketMessageConnection{Edges: make([]*model.TicketMessageEdge, len(nodes)), TotalCount: total,
		PageInfo: pageInfo(gateway.Window{Offset: offset}, len(nodes), total)}
	for i, m := range nodes {
		conn.Edges[i] = &model.TicketMessageEdge{Cursor: cursor(offset + i), Node: m}
	}
	return conn
}

// Form data.

// formCached reads form data once per principal, owner and arguments for
// TicketOptions.FormTTL; concurrent misses share one read.
func formCached[T any](ctx context.Context, r *Resolver, o gateway.TicketOwner, op string, read func(context.Context) (T, error), args ...string) (T, error) {
	var zero T
	p, err := principal(ctx)
	if err != nil {
		return zero, err
	}
	key := strings.Join(append([]string{string(p.Role), p.PartnerID, p.CustomerID, p.Subject, o.Scope.Account, o.Scope.Indirect, o.Customer, op}, args...), "\x00")
	if v, ok := r.tickets.forms.Get(key); ok {
		return v.(T), nil
	}
	v, err, _ := r.tickets.formCalls.Do(key, func() (any, error) {
		v, err := read(ctx)
		if err == nil {
			r.tickets.forms.Add(key, v)
		}
		return v, err
	})
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

// quotaGeneration changes when o opens a ticket, so its cached quotas are
// not used again.
func (r *Resolver) quotaGeneration(o gateway.TicketOwner) *atomic.Int64 {
	v, _ := r.tickets.quotaGen.LoadOrStore(o, new(atomic.Int64))
	return v.(*atomic.Int64)
}

func (r *Resolver) attachmentLimits(ctx context.Context, o gateway.TicketOwner) (gateway.AttachmentLimits, error) {
	return formCached(ctx, r, o, "limits", func(ctx context.Context) (gateway.AttachmentLimits, error) {
		return r.upstream.TicketAttachmentLimits(ctx, o)
	})
}

func (r *Resolver) satisfactionDimensions(ctx context.Context, o gateway.TicketOwner) ([]gateway.SatisfactionDimension, error) {
	return formCached(ctx, r, o, "dimensions", func(ctx context.Context) ([]gateway.SatisfactionDimension, error) {
		return r.upstream.SatisfactionDimensions(ctx, o)
	})
}

func (r *Resolver) problemTypes(ctx context.Context, o gateway.TicketOwner, categoryID string) ([]*model.TicketProblemType, error) {
	pts, err := formCached(ctx, r, o, "problems", func(ctx context.Context) ([]gateway.TicketProblemType, error) {
		return r.upstream.TicketProblemTypes(ctx, o, categoryID)
	}, categoryID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.TicketProblemType, len(pts))
	for i, pt := range pts {
		m := &model.TicketProblemType{ID: pt.ID, Name: pt.Name, ProductCategoryID: categoryID, RegionRequired: pt.CaseType == gateway.CaseTypeFault,
			SupportPlanApplies: pt.SupportPlan, Owner: o}
		switch pt.CaseType {
		case gateway.CaseTypeConsultation:
			k := model.TicketKindConsultation
			m.Kind = &k
		case gateway.CaseTypeFault:
			k := model.TicketKindFault
			m.Kind = &k
		}
		out[i] = m
	}
	return out, nil
}

var parameterTypes = map[int]model.TicketParameterType{0: model.TicketParameterTypeText, 1: model.TicketParameterTypeSelect, 2: model.TicketParameterTypeNumber}

// Mutations.

// ticketOutcome is what a ticket mutation's idempotency key remembers.
type ticketOutcome struct {
	Case       string            `json:"case,omitempty"`
	Attachment *attachmentRecord `json:"attachment,omitempty"`
}

type attachmentRecord struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Size    int    `json:"size"`
	Purpose string `json:"purpose"`
}

// outcomeUnknown marks a write that ended without an answer and was not
// found applied. keep: the upstream may still apply it (a timeout, a
// cancelled request, or the look could not be made), so the key stays
// reserved.
type outcomeUnknown struct {
	err  error
	keep bool
}

func (e *outcomeUnknown) Error() string { return e.err.Error() }
func (e *outcomeUnknown) Unwrap() error { return e.err }

// ticketOnce runs apply at most once per principal and idempotency key
// (see the top of the file). takenOver tells apply that an earlier
// attempt with the key ended without an answer: it looks before it writes.
func (r *Resolver) ticketOnce(ctx context.Context, p *identity.Principal, op, key string, args any,
	apply func(ctx context.Context, takenOver bool) (ticketOutcome, error)) (ticketOutcome, bool, error) {
	if !idempotency.ValidKey(key) {
		return ticketOutcome{}, false, badInput("idempotencyKey must be 1-%d printable ASCII characters without spaces", idempotency.MaxKeyLen)
	}
	digest := verify.Digest("ticket."+op, args)
	if digest == "" {
		return ticketOutcome{}, false, internal(fmt.Errorf("cannot digest the arguments of %s", op))
	}
	res, stored, err := r.idempotency.Begin(ctx, "tickets/"+idemScope(p), key, digest)
	var busy *idempotency.InProgressError
	switch {
	case errors.Is(err, idempotency.ErrConflict):
		return ticketOutcome{}, false, apierr.Errorf(apierr.CodeIdempotencyConflict, "this idempotencyKey was used with other arguments")
	case errors.As(err, &busy):
		return ticketOutcome{}, false, inProgress(busy.RetryAfterSeconds())
	case err != nil:
		return ticketOutcome{}, false, internal(fmt.Errorf("idempotency: %w", err))
	case stored != nil:
		var o ticketOutcome
		if err := json.Unmarshal(stored, &o); err != nil {
			return ticketOutcome{}, false, internal(fmt.Errorf("replay %s: %w", op, err))
		}
		return o, true, nil
	}
	stop, _ := res.Keep(ctx)
	defer stop()
	release := func() { _ = res.Release(context.WithoutCancel(ctx)) }
	if left := res.Busy(); left > 0 {
		// An earlier attempt's write may still be running upstream.
		release()
		return ticketOutcome{}, false, inProgress(int(left.Seconds() + 1))
	}
	// Armed: an earlier attempt with this key may have written; apply
	// looks before it writes.
	takenOver := res.Armed
	now := r.now()
	if err := res.Arm(ctx); err != nil {
		return ticketOutcome{}, false, internal(fmt.Errorf("idempotency: arm: %w", err))
	}
	attempt := &idempotency.Attempt{Since: now, Deadline: now.Add(r.upstream.CallTimeout() + 5*time.Second)}
	if err := res.Record(ctx, "ticket:"+op, attempt); err != nil {
		return ticketOutcome{}, false, internal(fmt.Errorf("idempotency: record: %w", err))
	}
	out, err := apply(ctx, takenOver)
	var unknown *outcomeUnknown
	switch {
	case err == nil:
		b, _ := json.Marshal(out)
		// A failed store leaves the key armed: the retry looks before it
		// writes again.
		_ = res.Complete(context.WithoutCancel(ctx), b)
		return out, false, nil
	case errors.As(err, &unknown) && unknown.keep:
		// The attempt stays: a retry waits for its deadline, then looks.
		release()
		return ticketOutcome{}, false, &apierr.Error{Code: apierr.CodeOutcomeUnknown, Op: op, Err: err,
			Message: "the upstream did not answer in time and the change may still be applied: retry with the same idempotencyKey later; the retry looks for it first"}
	default:
		_ = res.Record(context.WithoutCancel(ctx), "ticket:"+op, nil)
		release()
		if errors.As(err, &unknown) {
			return ticketOutcome{}, false, &apierr.Error{Code: apierr.CodeUpstreamUnavailable, Op: op, Err: err,
				Message: "the upstream did not answer and nothing was applied; retry with the same idempotencyKey"}
		}
		return ticketOutcome{}, false, err
	}
}

// lostWrite reports whether a write's error leaves its outcome open.
func lostWrite(err error) bool { return apierr.ErrorCode(err) == apierr.CodeUpstreamUnavailable }

// findCreated looks among o's newest tickets for one with description
// created since since (a create whose answer was lost).
func (r *Resolver) findCreated(ctx context.Context, o gateway.TicketOwner, description string, since time.Time) (string, bool, error) {
	l, err := r.upstream.Tickets(ctx, o, gateway.TicketQuery{Window: gateway.Window{Limit: 20}})
	if err != nil {
		return "", false, err
	}
	for _, t := range l.Tickets {
		if t.Description == description && !t.Created.Before(since) {
			return t.ID, true, nil
		}
	}
	return "", false, nil
}

// findReply looks among a ticket's newest messages for the submitter's
// content posted since since (a reply whose answer was lost).
func (r *Resolver) findReply(ctx context.Context, o gateway.TicketOwner, caseID, content string, since time.Time) (bool, error) {
	l, err := r.upstream.TicketMessages(ctx, o, caseID, gateway.Window{Limit: gateway.MaxPageSize})
	if err != nil {
		return false, err
	}
	if l.Total > len(l.Messages) {
		if l, err = r.upstream.TicketMessages(ctx, o, caseID, gateway.Window{Offset: max(0, l.Total-10), Limit: 10}); err != nil {
			return false, err
		}
	}
	for _, m := range l.Messages {
		if m.Author == gateway.AuthorCustomer && m.Content == content && !m.Created.Before(since) {
			return true, nil
		}
	}
	return false, nil
}

// lookTimeout bounds the look for a write whose answer was lost.
const lookTimeout = 10 * time.Second

// writeOnce runs a create or reply write: a lost answer is looked for
// (found: done), else reported as outcomeUnknown. With takenOver, it
// looks before writing. find looks with the context it is given: the
// look after a lost answer runs even when the request was cancelled.
func (r *Resolver) writeOnce(ctx context.Context, takenOver bool, find func(ctx context.Context, since time.Time) (bool, error), write func() error) error {
	if takenOver {
		if ok, err := find(ctx, r.now().Add(-createdWindow)); err != nil {
			return err
		} else if ok {
			return nil
		}
	}
	start := r.now()
	err := write()
	if err == nil || !lostWrite(err) {
		return err
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookTimeout)
	defer cancel()
	ok, ferr := find(lctx, start.Add(-time.Minute))
	if ferr == nil && ok {
		return nil
	}
	late := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
	return &outcomeUnknown{err: err, keep: late || ferr != nil}
}

func checkText(field, v string, min, max int) error {
	n := utf8.RuneCountInString(v)
	if n < min || (min > 0 && strings.TrimSpace(v) == "") {
		return badInput("%s is required", field)
	}
	if n > max {
		return badInput("%s must be at most %d characters", field, max)
	}
	return nil
}

// checkAttachmentIDs checks the ids a ticket or reply attaches against
// the upstream's limits (read from the cached form data).
func (r *Resolver) checkAttachmentIDs(ctx context.Context, o gateway.TicketOwner, ids []string) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" || seen[id] {
			return &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam, Message: "attachmentIds must be distinct, non-empty ids"}
		}
		seen[id] = true
	}
	if len(ids) == 0 {
		return nil
	}
	l, err := r.attachmentLimits(ctx, o)
	if err != nil {
		return err
	}
	if len(ids) > l.MaxCount {
		return &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam,
			Message: fmt.Sprintf("at most %d attachments per ticket or reply", l.MaxCount)}
	}
	return nil
}

// ticketScores checks a rating's scores against the dimensions.
func (r *Resolver) ticketScores(ctx context.Context, o gateway.TicketOwner, in []*model.TicketScoreInput, required bool) ([]gateway.TicketScore, error) {
	if len(in) == 0 {
		if required {
			return nil, badInput("scores must rate at least one dimension")
		}
		return nil, nil
	}
	dims, err := r.satisfactionDimensions(ctx, o)
	if err != nil {
		return nil, err
	}
	byID := map[int]gateway.SatisfactionDimension{}
	for _, d := range dims {
		byID[d.ID] = d
	}
	out := make([]gateway.TicketScore, 0, len(in))
	seen := map[int]bool{}
	for _, s := range in {
		d, ok := byID[s.DimensionID]
		if !ok || seen[s.DimensionID] {
			return nil, &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam,
				Message: fmt.Sprintf("dimension %d is not a satisfaction dimension, or is rated twice", s.DimensionID)}
		}
		if s.Value < 1 || (d.Max > 0 && s.Value > d.Max) {
			return nil, &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam,
				Message: fmt.Sprintf("the score of dimension %d must be between 1 and %d", s.DimensionID, d.Max)}
		}
		seen[s.DimensionID] = true
		out = append(out, gateway.TicketScore{DimensionID: s.DimensionID, Value: s.Value})
	}
	return out, nil
}

// ticketPayload re-reads the ticket after a mutation.
func (r *Resolver) ticketPayload(ctx context.Context, o gateway.TicketOwner, caseID string, replayed bool) (*model.TicketPayload, error) {
	t, err := r.fetchTicket(ctx, o, caseID)
	if err != nil {
		return nil, err
	}
	return &model.TicketPayload{Ticket: t, Replayed: replayed}, nil
}

// ticketMutation is the shape of the mutations on an existing ticket:
// authorize the ticket, check its status allows the action, apply once.
func (r *Resolver) ticketMutation(ctx context.Context, op, ticketID, key string, args any, action model.TicketAction,
	apply func(ctx context.Context, o gateway.TicketOwner, caseID string, takenOver bool) error) (*model.TicketPayload, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	o, caseID, err := r.ticketRef(ctx, p, ticketID)
	if err != nil {
		return nil, err
	}
	_, replayed, err := r.ticketOnce(ctx, p, op, key, args, func(ctx context.Context, takenOver bool) (ticketOutcome, error) {
		if action != "" && !takenOver {
			if err := r.requireAction(ctx, o, caseID, action); err != nil {
				return ticketOutcome{}, err
			}
		}
		return ticketOutcome{Case: caseID}, apply(ctx, o, caseID, takenOver)
	})
	if err != nil {
		return nil, err
	}
	return r.ticketPayload(ctx, o, caseID, replayed)
}

var attachmentPurposes = map[model.TicketAttachmentPurpose]bool{model.TicketAttachmentPurposeNewTicket: true, model.TicketAttachmentPurposeReply: true}

// decodeUpload checks an upload's name and content without the upstream.
func decodeUpload(in model.UploadTicketAttachmentInput) ([]byte, error) {
	name := strings.TrimSpace(in.FileName)
	if err := checkText("fileName", name, 1, 512); err != nil {
		return nil, err
	}
	if strings.ContainsAny(name, `/\`) {
		return nil, badInput("fileName must be a file name, not a path")
	}
	if !attachmentPurposes[in.Purpose] {
		return nil, badInput("purpose must be NEW_TICKET or REPLY")
	}
	if len(in.ContentBase64) > maxUploadBase64 {
		return nil, &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam, Message: "the file is too large"}
	}
	data, err := base64.StdEncoding.DecodeString(in.ContentBase64)
	if err != nil {
		return nil, badInput("contentBase64 is not base64 (standard alphabet, padded)")
	}
	if len(data) == 0 {
		return nil, &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam, Message: "the file is empty"}
	}
	return data, nil
}

// checkUpload checks a decoded upload against the upstream's limits.
func checkUpload(l gateway.AttachmentLimits, name string, size int) error {
	if !l.Allows(name) {
		return &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam,
			Message: fmt.Sprintf("files of this type are not accepted (accepted: %s)", strings.Join(l.FileTypes, ", "))}
	}
	if size > l.MaxSizeBytes() {
		return &apierr.Error{Code: apierr.CodeBadUserInput, UpstreamCode: gateway.UpCodeTicketParam,
			Message: fmt.Sprintf("the file is larger than %d MB", l.MaxSizeMB)}
	}
	return nil
}

// Subscriptions.

func (r *Resolver) ticketUpdate(o gateway.TicketOwner, ev watch.Event) *model.TicketUpdate {
	u := &model.TicketUpdate{
		TicketID: ticketGlobalID(o, ev.Ticket), CaseID: ev.Ticket, Status: lookup(ticketStatuses, ev.Status), StatusCode: ev.Status,
		NewMessages: r.messageModels(o, ev.Messages), UnreadCount: ev.Unread, AllowedActions: allowedActions(ev.Status),
		ObservedAt: ev.At.UTC().Format(time.RFC3339),
	}
	if ev.PreviousStatus != nil {
		u.PreviousStatus = lookup(ticketStatuses, *ev.PreviousStatus)
	}
	return u
}

// follow subscribes to o's tickets ids (all open ones when empty) and
// converts the events until ctx ends.
func (r *Resolver) follow(ctx context.Context, o gateway.TicketOwner, ids []string) (<-chan *model.TicketUpdate, error) {
	events, err := r.tickets.hub.Subscribe(ctx, o, ids)
	switch {
	case errors.Is(err, watch.ErrAccountLimit):
		return nil, apierr.Errorf(apierr.CodeRateLimited, "too many live ticket subscriptions for this account; close one first")
	case errors.Is(err, watch.ErrHubFull):
		return nil, apierr.Errorf(apierr.CodeRateLimited, "too many live ticket subscriptions on this gateway; retry later")
	case err != nil:
		return nil, internal(err)
	}
	out := make(chan *model.TicketUpdate, 1)
	go func() {
		defer close(out)
		for ev := range events {
			select {
			case out <- r.ticketUpdate(o, ev):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
