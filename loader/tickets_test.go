package loader_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnergraph/gateway"
	"partnergraph/loader"
)

// fakeTickets counts the ticket reads.
type fakeTickets struct {
	unread, activity, detail, urls atomic.Int32
}

var _ loader.TicketSource = (*fakeTickets)(nil)

func (f *fakeTickets) TicketUnread(ctx context.Context, o gateway.TicketOwner, ids []string) (map[string]gateway.TicketUnread, error) {
	f.unread.Add(1)
	out := map[string]gateway.TicketUnread{}
	for i, id := range ids {
		out[id] = gateway.TicketUnread{Unread: i}
	}
	return out, nil
}

func (f *fakeTickets) TicketActivity(ctx context.Context, o gateway.TicketOwner, ids []string, cursor string) (gateway.TicketActivity, error) {
	f.activity.Add(1)
	a := gateway.TicketActivity{Messages: map[string][]gateway.TicketMessage{}}
	for i, id := range ids {
		a.Messages[id] = []gateway.TicketMessage{{Created: time.Unix(int64(100+i), 0)}, {Created: time.Unix(int64(50+i), 0)}}
	}
	return a, nil
}

func (f *fakeTickets) TicketDetail(ctx context.Context, o gateway.TicketOwner, id string) (gateway.TicketDetail, error) {
	f.detail.Add(1)
	return gateway.TicketDetail{Severity: "sev-" + id}, nil
}

func (f *fakeTickets) AttachmentURLs(ctx context.Context, o gateway.TicketOwner, ids []string) (map[string]string, error) {
	f.urls.Add(1)
	out := map[string]string{}
	for _, id := range ids {
		out[id] = "https://files.example/" + id
	}
	return out, nil
}

// The rows of a page read its batched fields with one call each,
// however many rows ask at once; a detail is read once per ticket.
func TestTicketPageReadsOnce(t *testing.T) {
	f := &fakeTickets{}
	ids := []string{"T0", "T1", "T2", "T3", "T4"}
	p := loader.NewTicketPage(f, gateway.TicketOwner{Scope: gateway.Scope{Account: "p1"}}, ids)
	a := loader.NewAttachmentPage(f, p.Owner, []string{"A1", "A2"})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			u, ok, err := p.Unread(ctx, id)
			if err != nil || !ok || u.Unread != i {
				t.Errorf("unread %s: %+v %v %v", id, u, ok, err)
			}
			if at, err := p.LatestMessage(ctx, id); err != nil || at.Unix() != int64(100+i) {
				t.Errorf("latest %s: %v %v", id, at, err)
			}
			for range 2 {
				if d, err := p.Detail(ctx, id); err != nil || d.Severity != "sev-"+id {
					t.Errorf("detail %s: %+v %v", id, d, err)
				}
			}
			if u, err := a.URL(ctx, "A2"); err != nil || u != "https://files.example/A2" {
				t.Errorf("url: %q %v", u, err)
			}
		})
	}
	wg.Wait()
	if f.unread.Load() != 1 || f.activity.Load() != 1 || f.detail.Load() != int32(len(ids)) || f.urls.Load() != 1 {
		t.Fatalf("calls: unread %d, activity %d, detail %d, urls %d", f.unread.Load(), f.activity.Load(), f.detail.Load(), f.urls.Load())
	}
}
