package loader

import (
	"context"
	"slices"
	"sync"
	"time"

	"partnergraph/gateway"
)

// Ticket loaders. A page of tickets (a TicketPage, made by whoever lists
// them: a tickets connection, node(id:), a mutation's payload) reads the
// per-ticket fields that have a batch form once for the whole page, on
// first use: unread counts (ListUnreadNewInstantMessages) and the time of
// the latest message (ListNewInstantMessages), 100 tickets per call. A
// ticket's detail (ShowCaseDetail: severity, contact, rating) has no batch
// form: it is read once per ticket and shared by its fields. The
// attachments of a page of messages (an AttachmentPage) get their download
// links together, 20 per call.

// TicketSource is what the ticket pages read; *gateway.Client meets it.
type TicketSource interface {
	TicketUnread(ctx context.Context, o gateway.TicketOwner, ids []string) (map[string]gateway.TicketUnread, error)
	TicketActivity(ctx context.Context, o gateway.TicketOwner, ids []string, cursor string) (gateway.TicketActivity, error)
	TicketDetail(ctx context.Context, o gateway.TicketOwner, id string) (gateway.TicketDetail, error)
	AttachmentURLs(ctx context.Context, o gateway.TicketOwner, ids []string) (map[string]string, error)
}

var _ TicketSource = (*gateway.Client)(nil)

// TicketPage is a page of one owner's tickets listed together.
type TicketPage struct {
	src   TicketSource
	Owner gateway.TicketOwner
	IDs   []string

	unread   onceErr
	unreads  map[string]gateway.TicketUnread
	activity onceErr
	latest   map[string]time.Time

	mu      sync.Mutex
	details map[string]*memoEntry
}

// NewTicketPage returns the page of tickets ids of owner.
func NewTicketPage(src TicketSource, owner gateway.TicketOwner, ids []string) *TicketPage {
	return &TicketPage{src: src, Owner: owner, IDs: ids}
}

// Unread returns ticket id's status and unread count; ok is false when
// the upstream did not report the ticket.
func (p *TicketPage) Unread(ctx context.Context, id string) (u gateway.TicketUnread, ok bool, err error) {
	err = p.unread.do(func() error {
		m, err := p.src.TicketUnread(ctx, p.Owner, p.IDs)
		p.unreads = m
		return err
	})
	if err != nil {
		return u, false, err
	}
	u, ok = p.unreads[id]
	return u, ok, nil
}

// LatestMessage returns the time of ticket id's latest message (zero when
// unknown).
func (p *TicketPage) LatestMessage(ctx context.Context, id string) (time.Time, error) {
	err := p.activity.do(func() error {
		p.latest = map[string]time.Time{}
		for part := range slices.Chunk(p.IDs, gateway.MaxTicketBatch) {
			a, err := p.src.TicketActivity(ctx, p.Owner, part, "")
			if err != nil {
				return err
			}
			for tid, ms := range a.Messages {
				for _, m := range ms {
					if m.Created.After(p.latest[tid]) {
						p.latest[tid] = m.Created
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	return p.latest[id], nil
}

// Detail returns ticket id's detail, read once for the page.
func (p *TicketPage) Detail(ctx context.Context, id string) (gateway.TicketDetail, error) {
	p.mu.Lock()
	if p.details == nil {
		p.details = map[string]*memoEntry{}
	}
	e, ok := p.details[id]
	if !ok {
		e = &memoEntry{}
		p.details[id] = e
	}
	p.mu.Unlock()
	e.once.Do(func() { e.v, e.err = p.src.TicketDetail(ctx, p.Owner, id) })
	if e.err != nil {
		return gateway.TicketDetail{}, e.err
	}
	return e.v.(gateway.TicketDetail), nil
}

// AttachmentPage is the attachments of a page of messages.
type AttachmentPage struct {
	src   TicketSource
	Owner gateway.TicketOwner
	IDs   []string

	once onceErr
	urls map[string]string
}

// NewAttachmentPage returns the page of attachments ids of owner.
func NewAttachmentPage(src TicketSource, owner gateway.TicketOwner, ids []string) *AttachmentPage {
	return &AttachmentPage{src: src, Owner: owner, IDs: ids}
}

// URL returns attachment id's download link ("" when the upstream gave
// none), read for the whole page on first use.
func (p *AttachmentPage) URL(ctx context.Context, id string) (string, error) {
	err := p.once.do(func() error {
		m, err := p.src.AttachmentURLs(ctx, p.Owner, p.IDs)
		p.urls = m
		return err
	})
	if err != nil {
		return "", err
	}
	return p.urls[id], nil
}
