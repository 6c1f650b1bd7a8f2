package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestGraphiQLTicketSubscription follows the README's walkthrough in
// headless Chromium: with the customer's token in the headers tab, a
// subscription to the open tickets runs over WebSocket; a ticket opened
// meanwhile shows up, then the simulated engineer's reply.
func TestGraphiQLTicketSubscription(t *testing.T) {
	exe := chromium(t)
	base := MustStart(t, "--sandbox-ticket-reply-delay", "3s", "--ticket-poll-interval", "500ms")
	var tokens map[string]string
	resp, err := http.Get(base + "/dev/tokens")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()

	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 900))
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + tokens["customer"]})
	query, _ := json.Marshal("subscription { openTicketsUpdated { caseId status newMessages { author { kind } content } } }")
	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`.graphiql-execute-button`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('.graphiql-editor-tool .CodeMirror').forEach(e => { if (e.CodeMirror.getValue().includes('Authorization')) e.CodeMirror.setValue(`+"`"+string(headers)+"`"+`) }); true`, nil),
		chromedp.Evaluate(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(`+string(query)+`); true`, nil),
		chromedp.Sleep(time.Second), // GraphiQL parses the new query before it picks the transport
		chromedp.Click(`.graphiql-execute-button`, chromedp.ByQuery),
		chromedp.Sleep(2*time.Second), // connected and watching
	)
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}

	// Open a ticket as the customer; its engineer answers 3 s later.
	category, problemType := consultation(t, base, tokens["customer"])
	body, _ := json.Marshal(map[string]any{
		"query": `mutation($in: CreateTicketInput!) { createTicket(input: $in, idempotencyKey: "e2e-1") { ticket { caseId } } }`,
		"variables": map[string]any{"in": map[string]any{"productCategoryId": category, "problemTypeId": problemType,
			"description": "Opened during the GraphiQL walkthrough"}},
	})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tokens["customer"])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Data struct {
			CreateTicket struct{ Ticket struct{ CaseID string } }
		}
		Errors []any
	}
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	caseID := created.Data.CreateTicket.Ticket.CaseID
	if caseID == "" {
		t.Fatalf("createTicket: %+v", created)
	}

	var result string
	err = chromedp.Run(ctx,
		chromedp.Poll(`(() => { const r = document.querySelector('.graphiql-response .CodeMirror'); const v = r ? r.CodeMirror.getValue() : '';
			return v.includes('`+caseID+`') && v.includes('ENGINEER'); })()`, nil, chromedp.WithPollingTimeout(40*time.Second)),
		chromedp.Evaluate(`document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()`, &result),
	)
	if err != nil {
		_ = chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()`, &result))
		t.Fatalf("no engineer reply for %s in the response pane: %v (%q)", caseID, err, result)
	}
	if !strings.Contains(result, "AWAITING_FEEDBACK") {
		t.Fatalf("response pane: %s", result)
	}
}

// consultation returns a consultation problem type of the form and its
// product category.
func consultation(t *testing.T, base, token string) (category, problemType string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": `{ viewer { ticketForm { productCategories { id problemTypes { id kind } } } } }`})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Viewer struct {
				TicketForm struct {
					ProductCategories []struct {
						ID           string
						ProblemTypes []struct{ ID, Kind string }
					}
				}
			}
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	for _, c := range out.Data.Viewer.TicketForm.ProductCategories {
		for _, pt := range c.ProblemTypes {
			if pt.Kind == "CONSULTATION" {
				return c.ID, pt.ID
			}
		}
	}
	t.Fatal("no consultation problem type in the form")
	return "", ""
}
