package sandbox

import (
	crand "crypto/rand"
	"encoding/base64"
	"math/rand"
	"time"
)

// Seeded OSM tickets, deterministic from Options.Seed and Epoch (their own
// random source, so the rest of the dataset does not move). Each partner's
// showcase customer owns seven tickets, each partner two of its own:
//
//	customer  ECS fault      17 待反馈    engineer asked for details, 1 unread; a screenshot on the description
//	customer  RDS fault       1 处理中    submitted by the partner's agency user; the customer's log reply awaits the engineer
//	customer  billing        2 待确认结果 engineer's solution with a PDF, 1 unread
//	customer  OBS consult     3 已完成    closed and rated
//	customer  VPC consult     4 已撤销    cancelled
//	customer  ECS consult     0 待受理    submitted by the partner's agency user an hour before Epoch
//	customer  account         13 已删除   completed, then deleted
//	partner   billing         2 待确认结果 engineer's answer, 1 unread
//	partner   account         3 已完成
//
// The RDS and the new ECS tickets have an engineer answer due
// Options.TicketReplyDelay after the sandbox starts (sandbox clock), so a
// fresh sandbox shows a live update.

var (
	seedPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
	seedPDF    = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
	seedLog    = []byte("2024-01-01 08:00:01 [Warning] slow query 12.3s: SELECT * FROM orders WHERE created_at > ...\n" +
		"2024-01-01 08:00:09 [Warning] slow query 9.8s: SELECT count(*) FROM order_items ...\n")
)

func seedBusinessType(acronym, key string) *osmBusinessType {
	return osmBusinessTypes[osmID("business", acronym+"/"+key)]
}

// ticketSeeder builds seeded tickets.
type ticketSeeder struct {
	st  *State
	o   *osmState
	rng *rand.Rand
}

func (ts *ticketSeeder) file(owner, name, from string, data []byte, at time.Time) string {
	a := &Accessory{ID: randHex(ts.rng, 16), OwnerID: owner, Name: name, From: from, Data: data, Created: at}
	ts.o.accessories[a.ID] = a
	return a.ID
}

// ticket creates a ticket with its description message.
func (ts *ticketSeeder) ticket(owner, userID, userName string, bt *osmBusinessType, region, severity, desc string, at time.Time, files ...string) *Ticket {
	o := ts.o
	cat := osmCategoryByID[bt.CategoryID]
	t := &Ticket{
		ID: o.newTicketID(at), OwnerID: owner, CreatorID: userID, CreatorName: userName, Status: caseSubmitted,
		SubTypeID: cat.SubTypeID, CategoryID: cat.ID, BusinessTypeID: bt.ID, RegionID: region, SeverityID: severity,
		Description: desc, SourceName: "Console", Created: at, AreaCode: "86", RemindTime: "09:00-18:00", Extends: map[string]string{},
	}
	t.Engineer = o.ticketSeq
	o.addTicket(t)
	first := messageAt(0, userID, userName, desc, at, files...)
	first.First = true
	o.addMessage(t, first)
	o.log(t, osmLogCreate, 0, userID, userName, "ticket submitted", at)
	return t
}

// engineer posts the engineer's message at a fixed time, with a status.
func (ts *ticketSeeder) engineer(t *Ticket, status int32, content string, at time.Time, files ...string) {
	e := osmEngineers[t.Engineer%len(osmEngineers)]
	ts.o.addMessage(t, messageAt(1, e.id, e.name, content, at, files...))
	t.Status = status
	t.Answers++
	t.Unread++
	ts.o.log(t, osmLogAnswer, 1, e.id, e.name, "engineer answered", at)
}

// reply posts the submitter's message.
func (ts *ticketSeeder) reply(t *Ticket, userID, userName, content string, at time.Time, files ...string) {
	ts.o.addMessage(t, messageAt(0, userID, userName, content, at, files...))
	ts.o.log(t, osmLogMessage, 0, userID, userName, "message posted", at)
	if t.Status == caseFeedback || t.Status == caseToConfirm {
		t.Status = caseHandling
	}
}

// close completes t at the given time, closed by its submitter.
func (ts *ticketSeeder) close(t *Ticket, userID, userName string, at time.Time) {
	t.Status, t.Confirmed = caseCompleted, at
	ts.o.log(t, osmLogClose, 0, userID, userName, "ticket closed", at)
}

// seedTickets seeds the OSM tickets (called by seed).
func (st *State) seedTickets() {
	key := make([]byte, 32)
	_, _ = crand.Read(key)
	st.osm = newOSMState(key)
	ts := &ticketSeeder{st: st, o: st.osm, rng: rand.New(rand.NewSource(st.opts.Seed*7_919 + 104_729))}
	for _, p := range st.partners {
		if cs := st.customersByPartner[p.ID]; len(cs) > 0 {
			ts.customerTickets(p, cs[0])
		}
		ts.partnerTickets(p)
	}
}

func (ts *ticketSeeder) customerTickets(p *Partner, c *Customer) {
	E, o, due := ts.st.epoch, ts.o, ts.st.now().Add(ts.st.opts.TicketReplyDelay)
	own, ownName := c.ID, c.AccountName
	agID, agName := agencyUser(p, c)

	// ECS fault, waiting for the customer's feedback.
	at := E.Add(-3*24*time.Hour + 2*time.Hour)
	shot := ts.file(own, "ssh-timeout.png", "incident", seedPNG, at.Add(-time.Minute))
	t := ts.ticket(own, own, ownName, seedBusinessType("ECS", "fault"), "cn-north-4", "2",
		"Since this morning our web server cannot be reached over SSH (port 22 times out); the console shows the instance running.", at, shot)
	t.RemindMobile, t.Extends["instance_id"], t.Extends["port"] = c.Telephone[5:], "0b5f7a3e-5c1d-4a6e-9f3b-2d8c4e1a7b90", "22"
	ts.engineer(t, caseFeedback, "Hello, this is Huawei Cloud technical support. Please tell us the instance's security group rules "+
		"and whether you changed the firewall (iptables/firewalld) recently.", at.Add(40*time.Minute))

	// RDS fault submitted by the partner; the customer's reply awaits the engineer.
	at = E.Add(-2 * 24 * time.Hour)
	t = ts.ticket(own, agID, agName, seedBusinessType("RDS", "fault"), "cn-east-3", "3",
		"Slow queries on our MySQL instance since the weekend: simple selects take 10 s.", at)
	t.Extends["resource_id"] = "rds-7c2e91f0"
	ts.engineer(t, caseFeedback, "Please attach the slow query log of the last 24 hours.", at.Add(time.Hour))
	t.Unread = 0
	logID := ts.file(own, "slow-query.log", "message", seedLog, at.Add(3*time.Hour-time.Minute))
	ts.reply(t, own, ownName, "The slow query log is attached.", at.Add(3*time.Hour), logID)
	o.scheduleAnswer(t, due)

	// Billing question with the engineer's solution to confirm.
	at = E.Add(-6 * 24 * time.Hour)
	t = ts.ticket(own, own, ownName, seedBusinessType("BILL", "consult"), "", "",
		"Why was the EVS disk charged twice in last month's bill?", at)
	ts.engineer(t, caseFeedback, "Please tell us the bill number and the disk ID.", at.Add(2*time.Hour))
	t.Unread = 0
	ts.reply(t, own, ownName, "Bill 2024-11, disk evs-3f9a1c2b.", at.Add(5*time.Hour))
	pdf := ts.file(own, "billing-explanation.pdf", "message", seedPDF, at.Add(24*time.Hour))
	ts.engineer(t, caseToConfirm, "The disk was resized during the month: the two lines are the old and the new size, each for its part "+
		"of the month (explanation attached). Please confirm.", at.Add(24*time.Hour), pdf)
	t.Resolution = "Charged per size for each part of the month after a resize; no double charge."
	t.RootCause = "Not a fault"

	// OBS question, closed and rated.
	at = E.Add(-20 * 24 * time.Hour)
	t = ts.ticket(own, own, ownName, seedBusinessType("OBS", "consult"), "", "3",
		"How do I let a partner account read one bucket without sharing our keys?", at)
	ts.engineer(t, caseToConfirm, "Use a bucket policy that grants the partner's account read access to that bucket only; "+
		"see \"Bucket policies\" in the OBS documentation.", at.Add(3*time.Hour))
	t.Unread = 0
	t.Resolution, t.RootCause = "Bucket policy granting read access to the other account.", "Not a fault"
	ts.close(t, own, ownName, at.Add(24*time.Hour))
	t.Judgement, t.Rated = "Quick and clear answer, thank you.", true
	t.Scores = []CaseScore{{1, 5}, {2, 5}, {3, 4}, {4, 5}}

	// VPC question, cancelled.
	at = E.Add(-10 * 24 * time.Hour)
	t = ts.ticket(own, own, ownName, seedBusinessType("VPC", "consult"), "", "",
		"Can two VPCs in different regions be peered?", at)
	t.Status = caseCancelled
	o.log(t, osmLogCancel, 0, own, ownName, "found the answer in the documentation", at.Add(10*time.Minute))

	// New ECS question from the partner, not yet accepted.
	at = E.Add(-time.Hour)
	t = ts.ticket(own, agID, agName, seedBusinessType("ECS", "consult"), "", "",
		"Which ECS flavors support GPU passthrough in CN North-Beijing4?", at)
	o.scheduleAnswer(t, due)

	// Account question, completed then deleted.
	at = E.Add(-40 * 24 * time.Hour)
	t = ts.ticket(own, own, ownName, seedBusinessType("ACCT", "consult"), "", "",
		"How do we change the enterprise name after real-name authentication?", at)
	ts.engineer(t, caseToConfirm, "Submit an enterprise information change in the account center with the new business licence.", at.Add(2*time.Hour))
	t.Unread = 0
	ts.close(t, own, ownName, at.Add(48*time.Hour))
	t.Status = caseDeleted
	o.log(t, osmLogDelete, 0, own, ownName, "ticket deleted", t.Confirmed.Add(time.Hour))
}

func (ts *ticketSeeder) partnerTickets(p *Partner) {
	E := ts.st.epoch
	at := E.Add(-4 * 24 * time.Hour)
	t := ts.ticket(p.ID, p.ID, p.AccountName, seedBusinessType("BILL", "consult"), "", "",
		"Partner sales platform: where do allocations to our customers appear in our monthly bill?", at)
	ts.engineer(t, caseToConfirm, "Allocations are not charges: they appear in the account change records of the partner account "+
		"(type ADJUST), not in the bill.", at.Add(2*time.Hour))
	t.Resolution, t.RootCause = "Allocations are account changes, not bill items.", "Not a fault"

	at = E.Add(-15 * 24 * time.Hour)
	t = ts.ticket(p.ID, p.ID, p.AccountName, seedBusinessType("ACCT", "security"), "", "",
		"Please reset the MFA device of our operations user, the phone was lost.", at)
	ts.engineer(t, caseToConfirm, "The MFA binding was removed; the user can bind a new device at the next login.", at.Add(4*time.Hour))
	t.Unread = 0
	ts.close(t, p.ID, p.AccountName, at.Add(6*time.Hour))
}
