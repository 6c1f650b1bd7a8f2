package edge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"partnergraph/apierr"
)

// TrustedMode says which documents the gateway runs.
type TrustedMode string

// The trusted-document modes.
const (
	// TrustedOff: any document; a manifest is not read.
	TrustedOff TrustedMode = "off"
	// TrustedAllow: any document; the manifest's are also found by id, so a
	// first-party app may send only the id.
	TrustedAllow TrustedMode = "allow"
	// TrustedRequire: only the manifest's documents, refused before parsing
	// otherwise. Automatic persisted queries cannot register new ones.
	TrustedRequire TrustedMode = "require"
)

// Manifest is a set of trusted (persisted) documents: the operations a
// first-party app was built with, found by the id its build gave them or by
// the SHA-256 of their text.
type Manifest struct {
	byID  map[string]string
	bySHA map[string]string
}

// Len is the number of documents.
func (m *Manifest) Len() int {
	if m == nil {
		return 0
	}
	return len(m.bySHA)
}

// ParseManifest reads a manifest in any of the formats the client
// toolchains write:
//
//   - Apollo's persisted-query list (@apollo/generate-persisted-query-manifest):
//     {"format": "apollo-persisted-query-manifest", "version": 1,
//     "operations": [{"id", "name", "type", "body"}]}
//   - Relay's persisted output (relay-compiler persistConfig.file) and
//     graphql-codegen's client preset (persisted-documents.json): a JSON
//     object of id → document text.
//
// Every document must parse.
func ParseManifest(b []byte) (*Manifest, error) {
	var probe struct {
		Format     string `json:"format"`
		Version    int    `json:"version"`
		Operations []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	docs := map[string]string{}
	if err := json.Unmarshal(b, &probe); err == nil && probe.Format != "" {
		if probe.Format != "apollo-persisted-query-manifest" || probe.Version != 1 {
			return nil, fmt.Errorf("unknown manifest format %q version %d", probe.Format, probe.Version)
		}
		for _, op := range probe.Operations {
			docs[op.ID] = op.Body
		}
	} else if err := json.Unmarshal(b, &docs); err != nil {
		return nil, errors.New("neither an Apollo persisted-query list nor a JSON object of id → document")
	}
	m := &Manifest{byID: map[string]string{}, bySHA: map[string]string{}}
	for id, body := range docs {
		if id == "" || strings.TrimSpace(body) == "" {
			return nil, fmt.Errorf("document %q: empty id or body", excerpt(id, 64))
		}
		if _, err := parser.ParseQuery(&ast.Source{Input: body}); err != nil {
			return nil, fmt.Errorf("document %q does not parse: %v", excerpt(id, 64), err)
		}
		m.byID[stripAlgorithm(id)] = body
		m.bySHA[sha256Hex(body)] = body
	}
	if len(m.bySHA) == 0 {
		return nil, errors.New("the manifest holds no document")
	}
	return m, nil
}

// lookup finds a document by its manifest id or by the SHA-256 of its text;
// ids may carry the "sha256:" prefix of the persisted-documents proposal.
func (m *Manifest) lookup(id string) (string, bool) {
	if m == nil {
		return "", false
	}
	id = stripAlgorithm(id)
	if d, ok := m.byID[id]; ok {
		return d, true
	}
	d, ok := m.bySHA[strings.ToLower(id)]
	return d, ok
}

// holds reports whether the manifest has this document text.
func (m *Manifest) holds(doc string) bool {
	if m == nil {
		return false
	}
	_, ok := m.bySHA[sha256Hex(doc)]
	return ok
}

func stripAlgorithm(id string) string {
	if rest, ok := strings.CutPrefix(id, "sha256:"); ok {
		return rest
	}
	return id
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// documentIDKey carries the documentId (or doc_id) request parameter.
type documentIDKey struct{}

// trustedDocuments resolves and enforces trusted documents before anything
// parses the request's document. It runs before automatic persisted
// queries, which see no persistedQuery extension for a document it took
// from the manifest.
type trustedDocuments struct {
	mode     TrustedMode
	manifest *Manifest
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = trustedDocuments{}

// ExtensionName implements graphql.HandlerExtension.
func (trustedDocuments) ExtensionName() string { return "TrustedDocuments" }

// Validate implements graphql.HandlerExtension.
func (t trustedDocuments) Validate(graphql.ExecutableSchema) error {
	if t.mode != TrustedOff && t.manifest == nil {
		return errors.New("trusted documents: mode " + string(t.mode) + " needs a manifest")
	}
	return nil
}

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (t trustedDocuments) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	id, _ := ctx.Value(documentIDKey{}).(string)
	hash := persistedHash(p.Extensions)
	if t.mode == TrustedOff {
		if id != "" && p.Query == "" {
			return refuse(apierr.CodePersistedNotFound, "persisted documents are not enabled; send the query")
		}
		return nil
	}
	switch {
	case id != "" || (hash != "" && (p.Query == "" || t.mode == TrustedRequire)):
		key := id
		if key == "" {
			key = hash
		}
		doc, ok := t.manifest.lookup(key)
		if !ok {
			if id == "" && t.mode == TrustedAllow {
				return nil // an automatic persisted query
			}
			return refuse(apierr.CodePersistedNotFound, "PersistedQueryNotFound")
		}
		p.Query = doc
		p.Extensions = withoutPersistedQuery(p.Extensions)
	case t.mode == TrustedRequire:
		if !t.manifest.holds(p.Query) {
			return refuse(apierr.CodePersistedRequired, "only the trusted documents of the first-party apps are accepted; send a document id")
		}
	}
	return nil
}

// persistedHash is extensions.persistedQuery.sha256Hash, if any.
func persistedHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h
}

func withoutPersistedQuery(ext map[string]any) map[string]any {
	if _, ok := ext["persistedQuery"]; !ok {
		return ext
	}
	out := maps.Clone(ext)
	delete(out, "persistedQuery")
	return out
}
