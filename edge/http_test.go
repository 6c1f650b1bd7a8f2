package edge_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"partnergraph/edge"
	"partnergraph/internal/testredis"
)

func TestNegotiate(t *testing.T) {
	tests := map[string]string{
		"":                                  "application/json",
		"*/*":                               "application/json",
		"application/*":                     "application/json",
		"application/json":                  "application/json",
		"application/graphql-response+json": "application/graphql-response+json",
		"application/graphql-response+json, application/json;q=0.9":       "application/graphql-response+json",
		"application/json;q=0.5, application/graphql-response+json;q=0.8": "application/graphql-response+json",
		"text/html, application/xhtml+xml, */*;q=0.8":                     "application/json",
		"image/png":            "",
		"application/json;q=0": "",
		"application/graphql-response+json;q=0, application/json": "application/json",
	}
	for accept, want := range tests {
		got, ok := edge.Negotiate(accept)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", accept, got, ok, want)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("x", 10000)
	for _, msg := range []string{
		`Cannot query field "` + long + `" on type "Query".`,
		`Unexpected Name ` + long,
		`Variable "$n" got invalid value "` + long + ` with spaces ` + long + `"`,
		strings.Repeat("word ", 1000),
		`cannot use "` + strings.Repeat("日本", 3000) + `" as Int`,
	} {
		got := edge.Clip(msg)
		if len(got) > 300 || regexp.MustCompile(`x{65,}|(日本){33,}`).MatchString(got) || !strings.Contains(got, "…") {
			t.Errorf("clip(%.40q…) = %q (%d bytes)", msg, got, len(got))
		}
	}
	if got := edge.Clip(`Cannot query field "nope" on type "Query".`); got != `Cannot query field "nope" on type "Query".` {
		t.Errorf("a short message changed: %q", got)
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]edge.Rate{
		"10/s": {Events: 10, Per: time.Second}, "600/m": {Events: 600, Per: time.Minute}, "1/h": {Events: 1, Per: time.Hour}, "off": {},
	} {
		if got, err := edge.ParseRate(in); err != nil || got != want {
			t.Errorf("%s: got %+v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "10", "0/s", "-1/s", "10/d", "x/s"} {
		if _, err := edge.ParseRate(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestMemoryLimiter(t *testing.T) {
	l := edge.NewMemoryLimiter()
	r := edge.Rate{Events: 1, Per: time.Minute, Burst: 3}
	ctx := context.Background()
	for i := range 3 {
		if wait, _ := l.Take(ctx, "a", r); wait != 0 {
			t.Fatalf("take %d: wait %v", i, wait)
		}
	}
	if wait, _ := l.Take(ctx, "a", r); wait < 50*time.Second || wait > time.Minute {
		t.Fatalf("past the burst: wait %v, want about a minute", wait)
	}
	if wait, _ := l.Take(ctx, "b", r); wait != 0 {
		t.Fatalf("another key: wait %v", wait)
	}
}

func TestClientAddress(t *testing.T) {
	proxies, err := edge.ParsePrefixes("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		remote, xff string
		want        string
	}{
		"Direct":             {"203.0.113.7:5000", "198.51.100.1", "203.0.113.7"},
		"ThroughProxy":       {"10.1.2.3:5000", "198.51.100.1, 203.0.113.9", "203.0.113.9"},
		"ThroughTwoProxies":  {"10.1.2.3:5000", "203.0.113.9, 192.0.2.1", "203.0.113.9"},
		"SpoofedLeftmost":    {"10.1.2.3:5000", "1.2.3.4, 203.0.113.9", "203.0.113.9"},
		"IPv6Per64":          {"[2001:db8:1:2:3:4:5:6]:5000", "", "2001:db8:1:2::/64"},
		"ProxyWithoutHeader": {"10.1.2.3:5000", "", "10.1.2.3"},
	}
	for name, tt := range tests {
		r := httptest.NewRequest("POST", "/graphql", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := edge.ClientAddress(r, proxies); got != tt.want {
			t.Errorf("%s: got %s, want %s", name, got, tt.want)
		}
	}
	if _, err := edge.ParsePrefixes("10.0.0.0/8,nope"); err == nil {
		t.Error("a bad prefix was accepted")
	}
}

func TestParseOrigins(t *testing.T) {
	got, err := edge.ParseOrigins("https://dash.example.com, https://*.example.com ,http://localhost:3000/,*")
	if err != nil || strings.Join(got, " ") != "https://dash.example.com https://*.example.com http://localhost:3000 *" {
		t.Fatalf("got %q %v", got, err)
	}
	for _, bad := range []string{"dash.example.com", "ftp://x", "https://x/path", "https://*.*.example.com", "https://x?q"} {
		if _, err := edge.ParseOrigins(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseManifest(t *testing.T) {
	const q = "query Viewer { viewer { role } }"
	h := sha256.Sum256([]byte(q))
	textHash := hex.EncodeToString(h[:])
	formats := map[string]string{
		"Apollo":  `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"abc","name":"Viewer","type":"query","body":"` + q + `"}]}`,
		"Relay":   `{"abc":"` + q + `"}`,
		"Codegen": `{"sha256:abc":"` + q + `"}`,
	}
	for name, f := range formats {
		m, err := edge.ParseManifest([]byte(f))
		if err != nil || m.Len() != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		for _, id := range []string{"abc", "sha256:abc", textHash, "sha256:" + textHash} {
			if doc, ok := m.Lookup(id); !ok || doc != q {
				t.Errorf("%s: lookup %s: %q %v", name, id, doc, ok)
			}
		}
		if _, ok := m.Lookup(strings.Repeat("0", 64)); ok {
			t.Errorf("%s: found an unknown hash", name)
		}
	}
	for _, bad := range []string{`[]`, `{}`, `{"a":"{ nope"}`, `{"format":"apollo-persisted-query-manifest","version":2,"operations":[]}`, `{"a":""}`} {
		if _, err := edge.ParseManifest([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Both APQ caches keep only well-formed hashes and documents within the
// document limit; the Redis one shares them between instances under
// hash-tagged keys.
func TestAPQCaches(t *testing.T) {
	rc := testredis.Start(t)
	ctx := context.Background()
	for name, c := range map[string]graphql.Cache[string]{
		"Memory": edge.NewMemoryAPQCache(10, 20),
		"Redis":  edge.NewRedisAPQCache(rc, 20),
	} {
		good, other := strings.Repeat("a", 64), strings.Repeat("b", 64)
		c.Add(ctx, good, "{ a }")
		c.Add(ctx, "short", "{ a }")
		c.Add(ctx, other, strings.Repeat("x", 21))
		if doc, ok := c.Get(ctx, good); !ok || doc != "{ a }" {
			t.Errorf("%s: got %q %v", name, doc, ok)
		}
		for _, k := range []string{"short", other} {
			if _, ok := c.Get(ctx, k); ok {
				t.Errorf("%s: %s stored", name, k)
			}
		}
	}
	if keys, _ := rc.Keys(ctx, "partnergraph:apq:{*}").Result(); len(keys) != 1 {
		t.Errorf("Redis keys %v", keys)
	}
	if doc, ok := edge.NewRedisAPQCache(rc, 20).Get(ctx, strings.Repeat("a", 64)); !ok || doc != "{ a }" {
		t.Errorf("another instance: got %q %v", doc, ok)
	}
}
