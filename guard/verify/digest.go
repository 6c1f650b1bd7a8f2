package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
)

// digestVersion is mixed into every digest so a future change of the
// canonical form cannot make an old challenge match new arguments.
const digestVersion = 1

// Digest binds a challenge to exactly one set of arguments: it is the hex
// SHA-256 of the canonical JSON of {"args": args, "op": op, "v": 1}. A code
// approved for "allocate 100 to customer A" has another digest than "allocate
// 1000" or "pay customer B", so Verify refuses it there.
//
// Compute it from the same typed input at request time and at mutation time
// (e.g. the gqlgen input struct, or a map built the same way in both places).
// Canonicalisation makes it insensitive to key order and number spelling
// (100, 100.0, 1e2 and decimal "100.00" are one value), but not to omitted vs
// null fields.
//
// Digest returns "" when args cannot be encoded as JSON; Request and Verify
// refuse an empty digest, so that failure is never silently "any arguments".
func Digest(op string, args any) string {
	canon, err := CanonicalJSON(map[string]any{"v": digestVersion, "op": op, "args": args})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// CanonicalJSON encodes v as JSON with object keys sorted, no insignificant
// whitespace, no HTML escaping, and every number written as a canonical
// decimal string (shortest exact form, no exponent, no trailing zeros).
// decimal.Decimal values already marshal as such strings.
func CanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("verify: encode arguments: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("verify: decode arguments: %w", err)
	}
	var b bytes.Buffer
	if err := writeCanonical(&b, tree); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeCanonical(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		d, err := decimal.NewFromString(v.String())
		if err != nil {
			return fmt.Errorf("verify: number %q: %w", v, err)
		}
		writeString(b, d.String())
	case string:
		writeString(b, v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeCanonical(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeCanonical(b, v[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("verify: unexpected JSON value %T", v)
	}
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode appends a newline
}
