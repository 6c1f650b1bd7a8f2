package resolvers

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"

	"partnergraph/apierr"
	"partnergraph/gateway"
)

// Global IDs are opaque to clients: base64url of "Type:account:indirect:id".
// They carry the scope the object was read under; node(id:) checks the
// caller may use that scope before asking the upstream.

func globalID(typ string, s gateway.Scope, id string) string {
	var buf [192]byte // on the stack for usual ids: one allocation, the result
	b := append(buf[:0], typ...)
	b = append(append(b, ':'), s.Account...)
	b = append(append(b, ':'), s.Indirect...)
	b = append(append(b, ':'), id...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseGlobalID(gid string) (typ string, s gateway.Scope, id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", gateway.Scope{}, "", false
	}
	parts := strings.SplitN(string(b), ":", 4)
	if len(parts) != 4 || parts[0] == "" || parts[3] == "" {
		return "", gateway.Scope{}, "", false
	}
	return parts[0], gateway.Scope{Account: parts[1], Indirect: parts[2]}, parts[3], true
}

// Cursors are opaque too: base64url of "o:<offset>", mapped onto the
// upstream's offset/limit.

const (
	defaultFirst = 20
	maxFirst     = 100
	// maxOffset is the last offset a cursor may carry: the upstream pages
	// with 32-bit offsets.
	maxOffset = math.MaxInt32 - maxFirst
)

func cursor(offset int) string {
	var buf [24]byte
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(append(buf[:0], "o:"...), int64(offset), 10))
}

// window turns first/after into an upstream offset/limit.
func window(first *int, after *string) (gateway.Window, error) {
	p := gateway.Window{Limit: defaultFirst}
	if first != nil {
		if *first < 1 || *first > maxFirst {
			return p, apierr.Errorf(apierr.CodeBadUserInput, "first must be between 1 and %d", maxFirst)
		}
		p.Limit = *first
	}
	if after != nil && *after != "" {
		bad := apierr.Errorf(apierr.CodeBadUserInput, "after is not a cursor from this API")
		if len(*after) > 24 {
			return p, bad
		}
		b, err := base64.RawURLEncoding.DecodeString(*after)
		s, found := strings.CutPrefix(string(b), "o:")
		n, err2 := strconv.Atoi(s)
		if err != nil || !found || err2 != nil || n < 0 || n > maxOffset {
			return p, bad
		}
		p.Offset = n + 1
	}
	return p, nil
}
