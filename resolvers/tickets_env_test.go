package resolvers_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"partnergraph/resolvers"
	"partnergraph/sandbox"
)

// Helpers of the ticket tests.

// newTicketEnv is the ticket tests' env: the simulated engineer answers
// after replyDelay, the gateway polls every 50 ms.
func newTicketEnv(tb testing.TB, replyDelay time.Duration) *env {
	tb.Helper()
	return newEnv(tb, envConfig{Sandbox: sandbox.Options{TicketReplyDelay: replyDelay}, Tickets: resolvers.TicketOptions{PollInterval: 50 * time.Millisecond}})
}

// showcaseToken is the token of the tier-1's showcase customer, which
// has seeded tickets.
func (e *env) showcaseToken(tb testing.TB) string {
	tb.Helper()
	return e.customerToken(tb, e.customersOf(e.tier1.ID)[0])
}

// ticketNode is a ticket as the tests read it.
type ticketNode struct {
	ID             string   `json:"id"`
	CaseID         string   `json:"caseId"`
	Status         string   `json:"status"`
	StatusCode     int      `json:"statusCode"`
	AccountID      string   `json:"accountId"`
	UnreadCount    int      `json:"unreadCount"`
	UpdatedAt      *string  `json:"updatedAt"`
	CreatedAt      *string  `json:"createdAt"`
	AllowedActions []string `json:"allowedActions"`
	Description    string   `json:"description"`
}

// form is a consultation and a fault problem type of the form.
type form struct {
	category, consult, faultCategory, fault string
	region                                  string
	severity                                string
}

// ticketForm reads the form data a new ticket needs.
func (e *env) ticketForm(tb testing.TB, token string) form {
	tb.Helper()
	r := e.query(tb, token, `{ viewer { ticketForm {
		productCategories { id name problemTypes { id kind regionRequired severities { showPicker options { id } } } }
		regions { id } } } }`, nil)
	var v struct {
		TicketForm struct {
			ProductCategories []struct {
				ID           string `json:"id"`
				ProblemTypes []struct {
					ID         string `json:"id"`
					Kind       string `json:"kind"`
					Severities struct {
						Options []struct {
							ID string `json:"id"`
						} `json:"options"`
					} `json:"severities"`
				} `json:"problemTypes"`
			} `json:"productCategories"`
			Regions []struct {
				ID string `json:"id"`
			} `json:"regions"`
		} `json:"ticketForm"`
	}
	mustData(tb, r, "viewer", &v)
	var f form
	for _, c := range v.TicketForm.ProductCategories {
		for _, pt := range c.ProblemTypes {
			switch {
			case pt.Kind == "CONSULTATION" && f.consult == "":
				f.category, f.consult = c.ID, pt.ID
			case pt.Kind == "FAULT" && f.fault == "":
				f.faultCategory, f.fault = c.ID, pt.ID
				f.severity = pt.Severities.Options[0].ID
			}
		}
	}
	f.region = v.TicketForm.Regions[0].ID
	if f.consult == "" || f.fault == "" {
		tb.Fatalf("form without consultation and fault types: %+v", v)
	}
	return f
}

const ticketFields = `id caseId status statusCode accountId allowedActions description createdAt`

// createTicket opens a consultation ticket with description and returns it.
func (e *env) createTicket(tb testing.TB, token string, f form, description string) ticketNode {
	tb.Helper()
	r := e.query(tb, token, `mutation($in: CreateTicketInput!, $k: String!) { createTicket(input: $in, idempotencyKey: $k) { replayed ticket { `+ticketFields+` } } }`,
		map[string]any{"in": map[string]any{"productCategoryId": f.category, "problemTypeId": f.consult, "description": description}, "k": newKey()})
	var p struct {
		Ticket ticketNode `json:"ticket"`
	}
	mustData(tb, r, "createTicket", &p)
	return p.Ticket
}

// viewerTickets lists the caller's own tickets.
func (e *env) viewerTickets(tb testing.TB, token string, first int, fields string) []ticketNode {
	tb.Helper()
	r := e.query(tb, token, fmt.Sprintf(`{ viewer { tickets(first: %d) { totalCount edges { node { %s } } } } }`, first, fields), nil)
	var v struct {
		Tickets struct {
			Edges []struct {
				Node ticketNode `json:"node"`
			} `json:"edges"`
		} `json:"tickets"`
	}
	mustData(tb, r, "viewer", &v)
	out := make([]ticketNode, len(v.Tickets.Edges))
	for i, ed := range v.Tickets.Edges {
		out[i] = ed.Node
	}
	return out
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
