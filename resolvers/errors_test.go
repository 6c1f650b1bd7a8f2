package resolvers_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"partnergraph/edge"
	"partnergraph/identity"
)

func TestErrors(t *testing.T) {
	var log bytes.Buffer
	e := newEnv(t, envConfig{Web: func(o *edge.Options) { o.RequestTimeout = 500 * time.Millisecond; o.Log = &syncWriter{w: &log} }})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.tier1.ID})

	t.Run("BadUserInput", func(t *testing.T) {
		for name, q := range map[string]string{
			"FirstTooLarge": `{ customers(first: 1000) { totalCount } }`,
			"FirstZero":     `{ customers(first: 0) { totalCount } }`,
			"BadCursor":     `{ customers(after: "nope") { totalCount } }`,
			"BadDate":       `{ customers(filter: {associatedFrom: "yesterday"}) { totalCount } }`,
			"Reversed":      `{ customers(filter: {associatedFrom: "2026-02-01", associatedTo: "2026-01-01"}) { totalCount } }`,
			"BadEnum":       `{ customers(filter: {associationType: MAYBE}) { totalCount } }`,
			"UnknownField":  `{ customers { nope } }`,
			"Syntax":        `{ customers( `,
		} {
			r := e.query(t, tok, q, nil)
			if codes := r.codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" {
				t.Errorf("%s: got %v (%+v), want BAD_USER_INPUT", name, codes, r.Errors)
			}
		}
	})
	t.Run("UpstreamError", func(t *testing.T) {
		e.fault(t, map[string]any{"operation": "ListSubCustomers", "status": 400, "code": "CBC.0100", "message": "secret internal detail", "count": 1})
		r := e.query(t, tok, `{ customers { totalCount } }`, nil)
		if len(r.Errors) != 1 {
			t.Fatalf("got %+v", r.Errors)
		}
		x := r.Errors[0].Extensions
		if x["code"] != "UPSTREAM_ERROR" || x["upstreamCode"] != "CBC.0100" || x["requestId"] == "" || x["requestId"] == nil {
			t.Fatalf("got extensions %v", x)
		}
		if strings.Contains(r.Errors[0].Message, "secret") {
			t.Fatalf("upstream message leaked: %q", r.Errors[0].Message)
		}
	})
	t.Run("UpstreamUnavailable", func(t *testing.T) {
		e.fault(t, map[string]any{"operation": "ListSubCustomers", "status": 503, "code": "CBC.0999", "count": 1})
		r := e.query(t, tok, `{ customers { totalCount } }`, nil)
		if c := r.codes(); len(c) != 1 || c[0] != "UPSTREAM_UNAVAILABLE" {
			t.Fatalf("got %+v", r.Errors)
		}
	})
	t.Run("DeadlineFromRequest", func(t *testing.T) {
		e.fault(t, map[string]any{"operation": "ListSubCustomers", "latency_ms": 3000, "count": 1})
		start := time.Now()
		r := e.query(t, tok, `{ customers { totalCount } }`, nil)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v; the request deadline is 500ms", d)
		}
		if c := r.codes(); len(c) != 1 || c[0] != "UPSTREAM_UNAVAILABLE" {
			t.Fatalf("got %+v", r.Errors)
		}
	})
	if strings.Contains(log.String(), "goroutine ") {
		t.Errorf("stack in log for non-panics: %s", log.String())
	}
}

func TestGraphQLOverHTTP(t *testing.T) {
	e := newEnv(t, envConfig{})
	tok := MustToken(t, identity.Principal{Subject: "t", Role: identity.RolePartner, PartnerID: e.tier1.ID})
	do := func(method, path, ct, accept, body string) (*http.Response, string) {
		t.Helper()
		return httpDo(t, method, e.gw.URL+path, ct, accept, tok, body)
	}
	tests := map[string]struct {
		method, path, ct, accept, body string
		status                         int
		contentType                    string
	}{
		"PostJSON":                  {"POST", "/graphql", "application/json", "", `{"query":"{ viewer { role } }"}`, 200, "application/json; charset=utf-8"},
		"PostGraphQLResponseJSON":   {"POST", "/graphql", "application/json", "application/graphql-response+json", `{"query":"{ viewer { role } }"}`, 200, "application/graphql-response+json; charset=utf-8"},
		"ParseErrorGraphQLResp":     {"POST", "/graphql", "application/json", "application/graphql-response+json", `{"query":"{ viewer { "}`, 400, "application/graphql-response+json; charset=utf-8"},
		"ValidationErrGraphQLResp":  {"POST", "/graphql", "application/json", "application/graphql-response+json", `{"query":"{ nope }"}`, 400, "application/graphql-response+json; charset=utf-8"},
		"NotJSONBody":               {"POST", "/graphql", "application/json", "", `{"query":`, 400, ""},
		"GetQuery":                  {"GET", "/graphql?query=%7Bviewer%7Brole%7D%7D", "", "", "", 200, "application/json; charset=utf-8"},
		"WrongMethod":               {"PUT", "/graphql", "application/json", "", `{}`, 405, ""},
		"GetMutation":               {"GET", "/graphql?query=mutation%7BsetVerificationEnabled(input%3A%7Benabled%3Atrue%7D)%7Benabled%7D%7D", "", "", "", 405, ""},
		"GetNamedMutation":          {"GET", "/graphql?operationName=M&query=query+Q%7Bviewer%7Brole%7D%7D+mutation+M%7BsetVerificationEnabled(input%3A%7Benabled%3Atrue%7D)%7Benabled%7D%7D", "", "", "", 405, ""},
		"GetNamedQuery":             {"GET", "/graphql?operationName=Q&query=query+Q%7Bviewer%7Brole%7D%7D+mutation+M%7BsetVerificationEnabled(input%3A%7Benabled%3Atrue%7D)%7Benabled%7D%7D", "", "", "", 200, "application/json; charset=utf-8"},
		"WrongContentType":          {"POST", "/graphql", "text/plain", "", `{ viewer { role } }`, 415, ""},
		"Healthz":                   {"GET", "/healthz", "", "", "", 200, "application/json"},
		"Readyz":                    {"GET", "/readyz", "", "", "", 200, "application/json"},
		"GraphiQL":                  {"GET", "/", "", "", "", 200, "text/html; charset=utf-8"},
		"GraphiQLAsset":             {"GET", "/graphiql/graphiql.min.js", "", "", "", 200, "application/javascript; charset=utf-8"},
		"NoDevTokensOutsideSandbox": {"GET", "/dev/tokens", "", "", "", 404, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := do(tt.method, tt.path, tt.ct, tt.accept, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			if tt.contentType != "" && resp.Header.Get("Content-Type") != tt.contentType {
				t.Fatalf("content type: got %q, want %q", resp.Header.Get("Content-Type"), tt.contentType)
			}
		})
	}
	t.Run("ReadyzUpstreamDown", func(t *testing.T) {
		e.sb.Close()
		resp, _ := do("GET", "/readyz", "", "", "")
		if resp.StatusCode != 503 {
			t.Fatalf("got %d, want 503", resp.StatusCode)
		}
	})
}
