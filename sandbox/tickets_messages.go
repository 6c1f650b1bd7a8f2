package sandbox

import (
	"sort"
	"strconv"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/osm/v2/model"
)

// OSM messages: ListMessages, CreateMessages, ListMoreInstantMessages,
// RevokeMessage, and the batch calls a ticket list polls with —
// ListUnreadNewInstantMessages (unread engineer messages and status of up
// to 100 tickets), ListNewInstantMessages (status and messages newer than a
// cursor of up to 100 tickets) — and UpdateNewInstantMessagesRead.
//
// Unread: every engineer message adds one to its ticket's unread count;
// UpdateNewInstantMessagesRead zeroes it. The cursor (last_message_time_id)
// is the decimal sequence number of the newest message the caller has seen
// (every message gets the next one when it is posted, an engineer answer
// when it is applied); without a cursor every message of the tickets is
// returned. Ids that are not the caller's tickets are left out of the batch
// answers. Messages are listed oldest first.

// queryMessages are messages as ListMessages and the instant-message calls
// show them (no message id).
func (o *osmState) queryMessages(ms []*TicketMessage) *[]model.QueryMessageInfoV2 {
	list := make([]model.QueryMessageInfoV2, 0, len(ms))
	for _, m := range ms {
		list = append(list, model.QueryMessageInfoV2{
			Type: ptr(m.Type), ReplierType: ptr(m.Type), Replier: ptr(m.ReplierID), ReplierName: ptr(m.ReplierName),
			Content: ptr(m.Content), CreateTime: sdkTime(m.Created), IsFirstMessage: ptr(boolInt(m.First)),
			AccessoryList: o.accessoryList(m),
		})
	}
	return &list
}

func (s *Sandbox) listMessages(c *call) (any, error) {
	off, lim, err := c.osmPage()
	if err != nil {
		return nil, err
	}
	return s.withCase(c, func(o *osmState, _ osmIdentity, t *Ticket, _ time.Time) (any, error) {
		lo, hi := window(len(t.Messages), off, lim)
		return model.ListMessagesResponse{Count: ptr(int32(len(t.Messages))), MessageList: o.queryMessages(t.Messages[lo:hi])}, nil
	})
}

// createMessages posts the submitter's message on an open ticket. It moves
// 2 and 17 back to 1 and schedules an engineer answer if none is pending.
func (s *Sandbox) createMessages(c *call) (any, error) {
	var body model.CreateMessageV2Req
	ok, err := c.osmDecode(&body)
	if err != nil {
		return nil, err
	}
	if !ok || body.Message == nil {
		return nil, osmInvalid("message is required")
	}
	if err := checkLen("message.content", body.Message.Content, maxDescription, true); err != nil {
		return nil, err
	}
	accIDs := valueOf(body.Message.AccessoryIds)
	return s.withOpenCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		if err := o.checkAccessories(me, accIDs, "message"); err != nil {
			return nil, err
		}
		o.addMessage(t, &TicketMessage{Type: 0, ReplierID: me.UserID, ReplierName: me.UserName, Content: body.Message.Content,
			Created: now, Accessories: append([]string(nil), accIDs...)})
		o.log(t, osmLogMessage, 0, me.UserID, me.UserName, "message posted", now)
		if t.Status == caseToConfirm || t.Status == caseFeedback {
			t.Status = caseHandling
		}
		if t.Status != caseSuspended {
			o.scheduleAnswer(t, now.Add(s.opts.TicketReplyDelay))
		}
		return model.CreateMessagesResponse{}, nil
	})
}

// listMoreInstantMessages pages back: the limit newest messages created
// before create_time (type names the side of that message and must be 0
// or 1), oldest first; count is how many older messages there are.
func (s *Sandbox) listMoreInstantMessages(c *call) (any, error) {
	typ, err := c.osmInt("type", -1<<31, 1<<31-1)
	if err != nil {
		return nil, err
	}
	lim, err := c.osmInt("limit", 0, 100)
	if err != nil {
		return nil, err
	}
	if typ == nil || (*typ != 0 && *typ != 1) {
		return nil, osmFail("OSM.01010012")
	}
	before, err := parseOSMTime("create_time", c.q("create_time"), c.zone())
	if err != nil {
		return nil, err
	}
	if before.IsZero() {
		return nil, osmInvalid("create_time is required")
	}
	n := 10
	if lim != nil && *lim > 0 {
		n = int(*lim)
	}
	return s.withCase(c, func(o *osmState, _ osmIdentity, t *Ticket, _ time.Time) (any, error) {
		older := 0
		for older < len(t.Messages) && t.Messages[older].Created.Before(before) {
			older++
		}
		lo := max(older-n, 0)
		return model.ListMoreInstantMessagesResponse{Count: ptr(int32(older)), MessageList: o.queryMessages(t.Messages[lo:older])}, nil
	})
}

// caseIDs reads the required case_ids of a batch call (1–100 ids).
func (c *call) caseIDs() ([]string, error) {
	ids := c.qs("case_ids")
	if len(ids) == 0 {
		return nil, osmInvalid("case_ids is required")
	}
	if len(ids) > maxCaseIDs {
		return nil, osmInvalid("at most %d case_ids", maxCaseIDs)
	}
	return ids, nil
}

func (s *Sandbox) listUnreadNewInstantMessages(c *call) (any, error) {
	ids, err := c.caseIDs()
	if err != nil {
		return nil, err
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) (any, error) {
		list := []model.ImUnreadV2{}
		for _, t := range o.ticketsOf(me, ids) {
			list = append(list, model.ImUnreadV2{IncidentId: ptr(t.ID), Status: ptr(t.Status), UnreadNum: ptr(t.Unread)})
		}
		return model.ListUnreadNewInstantMessagesResponse{Imunread: &list}, nil
	})
}

func (s *Sandbox) listNewInstantMessages(c *call) (any, error) {
	ids, err := c.caseIDs()
	if err != nil {
		return nil, err
	}
	var cursor int64
	if v := c.q("last_message_time_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, osmInvalid("last_message_time_id %q is not a cursor of this service", v)
		}
		cursor = n
	}
	return withOSM(s, c, func(o *osmState, me osmIdentity, _ time.Time) (any, error) {
		statuses := []model.ImStatusV2{}
		msgs := []model.UserInstantIncidentMsgV2{}
		next := cursor
		for _, t := range o.ticketsOf(me, ids) {
			statuses = append(statuses, model.ImStatusV2{IncidentId: ptr(t.ID), Status: ptr(t.Status)})
			// Messages are in Seq order except engineer answers applied
			// late; collect and sort.
			var fresh []*TicketMessage
			for _, m := range t.Messages {
				if m.Seq > cursor {
					fresh = append(fresh, m)
					next = max(next, m.Seq)
				}
			}
			if len(fresh) == 0 {
				continue
			}
			sort.Slice(fresh, func(i, j int) bool { return fresh[i].Seq < fresh[j].Seq })
			msgs = append(msgs, model.UserInstantIncidentMsgV2{IncidentId: ptr(t.ID), MessageList: o.queryMessages(fresh)})
		}
		return model.ListNewInstantMessagesResponse{Imstatus: &statuses, Immsg: &msgs, LastMessageTimeId: ptr(strconv.FormatInt(next, 10))}, nil
	})
}

func (s *Sandbox) updateNewInstantMessagesRead(c *call) (any, error) {
	var body model.UpdateUnreadNewInstantMsgV2Req
	if _, err := c.osmDecode(&body); err != nil {
		return nil, err
	}
	return s.withCase(c, func(_ *osmState, _ osmIdentity, t *Ticket, _ time.Time) (any, error) {
		t.Unread = 0
		return model.UpdateNewInstantMessagesReadResponse{}, nil
	})
}

// revokeMessage withdraws the caller's own message within revokeWindow of
// posting it (not the description); its attachments go with it.
func (s *Sandbox) revokeMessage(c *call) (any, error) {
	return s.withCase(c, func(o *osmState, me osmIdentity, t *Ticket, now time.Time) (any, error) {
		for i, m := range t.Messages {
			if m.ID != c.params["message_id"] {
				continue
			}
			if m.Type != 0 || m.First || m.ReplierID != me.UserID || now.Sub(m.Created) > revokeWindow || !caseOpen(t.Status) {
				return nil, osmFail("OSM.01010002", "Only your own message can be withdrawn, within %s of posting it.", revokeWindow)
			}
			for _, id := range m.Accessories {
				delete(o.accessories, id)
			}
			t.Messages = append(t.Messages[:i:i], t.Messages[i+1:]...)
			o.log(t, osmLogMessage, 0, me.UserID, me.UserName, "message withdrawn", now)
			return model.RevokeMessageResponse{}, nil
		}
		return nil, osmInvalid("message %s is not a message of the ticket", c.params["message_id"])
	})
}

// messageAt is a helper of the seed: a message at a fixed time.
func messageAt(typ int32, replierID, replierName, content string, at time.Time, accessories ...string) *TicketMessage {
	return &TicketMessage{Type: typ, ReplierID: replierID, ReplierName: replierName, Content: content, Created: at, Accessories: accessories}
}
