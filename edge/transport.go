package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"partnergraph/apierr"
)

// The media types of GraphQL over HTTP.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// httpTransport is GraphQL over HTTP for GET and POST (application/json)
// as the spec writes it, SHOULDs included: request errors (parse,
// validation, variables, the limits) carry no "data" entry and answer 200
// with application/json, 400 with application/graphql-response+json;
// malformed requests answer 400, bodies over the limit 413, and nothing
// of the body is echoed. gqlgen's GET and POST transports answer 422 with
// "data": null, echo an undecodable body and read it without a limit.
type httpTransport struct {
	limits Limits
}

var _ graphql.Transport = httpTransport{}

// Supports implements graphql.Transport.
func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

// Do implements graphql.Transport.
func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	mt, ok := negotiate(r.Header.Get("Accept"))
	if !ok {
		w.Header().Set("Content-Type", mediaJSON+"; charset=utf-8")
		writeResponse(ctx, w, http.StatusNotAcceptable, exec.DispatchError(ctx, gqlerror.List{
			refuse(apierr.CodeNotAcceptable, "the Accept header names no media type served here (application/graphql-response+json, application/json)")}))
		return
	}
	w.Header().Set("Content-Type", mt+"; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Accept")

	start := graphql.Now()
	t.limits = t.limits.forCaller(ctx)
	req, status, gerr := t.read(w, r)
	if gerr != nil {
		if status == 0 {
			status = requestErrorStatus(mt, gqlerror.List{gerr})
		}
		writeResponse(ctx, w, status, exec.DispatchError(ctx, gqlerror.List{gerr}))
		return
	}
	req.params.Headers = r.Header
	req.params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	if req.documentID != "" {
		ctx = context.WithValue(ctx, documentIDKey{}, req.documentID)
	}

	oc, errs := exec.CreateOperationContext(ctx, &req.params)
	if errs != nil {
		noteOperation(ctx, oc, false)
		writeResponse(ctx, w, requestErrorStatus(mt, errs), exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	noteOperation(ctx, oc, r.Method != http.MethodGet || oc.Operation.Operation == ast.Query)
	if r.Method == http.MethodGet && oc.Operation.Operation != ast.Query {
		// GraphQL over HTTP: GET must not run a mutation.
		w.Header().Set("Allow", "POST")
		writeResponse(ctx, w, http.StatusMethodNotAllowed, exec.DispatchError(ctx, gqlerror.List{
			refuse(apierr.CodeBadUserInput, "mutations must be sent with POST")}))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	resp := responses(ctx)
	status = http.StatusOK
	if resp != nil && resp.Data == nil && len(resp.Errors) > 0 {
		status = requestErrorStatus(mt, resp.Errors)
	}
	writeResponse(ctx, w, status, resp)
}

// request is one decoded GraphQL-over-HTTP request.
type request struct {
	params graphql.RawParams
	// documentID is a persisted document's id sent as documentId or doc_id
	// (the trusted documents look it up).
	documentID string
}

// read decodes the request's parameters. A malformed request is refused
// with status 400 (413 for a body over the limit); a limit of the GraphQL
// request with status 0, i.e. that of a request error.
func (t httpTransport) read(w http.ResponseWriter, r *http.Request) (request, int, *gqlerror.Error) {
	var req request
	raw := map[string]json.RawMessage{}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return req, http.StatusBadRequest, refuse(apierr.CodeBadUserInput, "the query string is not URL-encoded")
		}
		for _, k := range []string{"query", "operationName", "documentId", "doc_id"} {
			if q.Has(k) {
				raw[k], _ = json.Marshal(q.Get(k))
			}
		}
		for _, k := range []string{"variables", "extensions"} {
			if v := q.Get(k); v != "" {
				raw[k] = json.RawMessage(v)
			}
		}
	} else {
		body, status, gerr := t.body(w, r)
		if gerr != nil {
			return req, status, gerr
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '[' {
				return req, http.StatusBadRequest, refuse(apierr.CodeBadUserInput, "batched requests (a JSON array) are not accepted")
			}
			return req, http.StatusBadRequest, refuse(apierr.CodeBadUserInput, "the request body is not a JSON object")
		}
	}

	p := &req.params
	bad := func(msg string) (request, int, *gqlerror.Error) {
		return req, http.StatusBadRequest, refuse(apierr.CodeBadUserInput, "%s", msg)
	}
	if !stringParam(raw["query"], &p.Query) {
		return bad("query must be a string")
	}
	if !stringParam(raw["operationName"], &p.OperationName) {
		return bad("operationName must be a string")
	}
	for _, k := range []string{"documentId", "doc_id"} {
		if !stringParam(raw[k], &req.documentID) {
			return bad(k + " must be a string")
		}
		if req.documentID != "" {
			break
		}
	}
	if v := raw["variables"]; t.limits.VariablesBytes > 0 && len(v) > t.limits.VariablesBytes {
		return req, 0, refuse(apierr.CodeVariablesTooLarge, "the variables have %d bytes; the limit is %d", len(v), t.limits.VariablesBytes)
	}
	if !objectParam(raw["variables"], &p.Variables) {
		return bad("variables must be a JSON object")
	}
	if !objectParam(raw["extensions"], &p.Extensions) {
		return bad("extensions must be a JSON object")
	}
	if p.Query == "" && req.documentID == "" && p.Extensions["persistedQuery"] == nil {
		return bad("the request has no query")
	}
	return req, 0, nil
}

// body reads a POST body up to the limit.
func (t httpTransport) body(w http.ResponseWriter, r *http.Request) ([]byte, int, *gqlerror.Error) {
	tooLarge := func() ([]byte, int, *gqlerror.Error) {
		return nil, http.StatusRequestEntityTooLarge, refuse(apierr.CodeRequestTooLarge, "the request body is larger than %d bytes", t.limits.BodyBytes)
	}
	if t.limits.BodyBytes > 0 {
		if r.ContentLength > int64(t.limits.BodyBytes) {
			return tooLarge()
		}
		r.Body = http.MaxBytesReader(w, r.Body, int64(t.limits.BodyBytes))
	}
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge()
	case err != nil:
		return nil, http.StatusBadRequest, refuse(apierr.CodeBadUserInput, "the request body could not be read")
	case len(bytes.TrimSpace(body)) == 0:
		return nil, http.StatusBadRequest, refuse(apierr.CodeBadUserInput, `the request body is empty; send {"query": "…"}`)
	}
	return body, 0, nil
}

// stringParam reads an optional string parameter (absent or null: "").
func stringParam(raw json.RawMessage, dst *string) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	return json.Unmarshal(raw, dst) == nil
}

// objectParam reads an optional JSON object parameter (absent or null: nil).
func objectParam(raw json.RawMessage, dst *map[string]any) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	if b := bytes.TrimSpace(raw); len(b) == 0 || b[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(dst) == nil && !dec.More()
}

// negotiate picks the response's media type from Accept: the acceptable
// type of highest quality, the first of equals; application/json when
// Accept is absent or says */* or application/*.
func negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		var got string
		switch mt {
		case mediaGraphQLResponse:
			got = mediaGraphQLResponse
		case mediaJSON, "application/*", "*/*":
			got = mediaJSON
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = got, q
		}
	}
	return best, best != ""
}

// requestErrorStatus is the status of a request that did not execute: 200
// with application/json; with application/graphql-response+json 400, or
// 401/403 when the caller may not ask it.
func requestErrorStatus(mt string, errs gqlerror.List) int {
	if mt == mediaJSON {
		return http.StatusOK
	}
	var e *apierr.Error
	if len(errs) > 0 && errors.As(errs[0], &e) {
		switch e.Code {
		case apierr.CodeUnauthenticated:
			return http.StatusUnauthorized
		case apierr.CodeForbidden:
			return http.StatusForbidden
		}
	}
	return http.StatusBadRequest
}

// wireResponse is a GraphQL response on the wire: no "data" entry when the
// request did not execute.
type wireResponse struct {
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

func writeResponse(ctx context.Context, w http.ResponseWriter, status int, resp *graphql.Response) {
	if resp == nil {
		resp = &graphql.Response{}
	}
	noteErrors(ctx, resp)
	b, err := json.Marshal(wireResponse{Errors: resp.Errors, Data: resp.Data, Extensions: resp.Extensions})
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
