package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"partnergraph/internal/testredis"
)

var (
	nodeOnce sync.Once
	nodeDir  string
	nodeErr  error
)

// nodeProject returns a directory holding node/'s scripts and its pinned
// packages, installed with `npm ci` once per package-lock.json into the
// user's cache directory. Without node or npm the test is skipped, unless
// PARTNERGRAPH_E2E_REQUIRED is set (scripts/test.sh, CI): then it fails.
func nodeProject(tb testing.TB) string {
	tb.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("PARTNERGRAPH_E2E_REQUIRED") != "" {
				tb.Fatalf("%s not found (apt-get install nodejs npm)", tool)
			}
			tb.Skipf("%s not found; scripts/test.sh installs it", tool)
		}
	}
	nodeOnce.Do(func() { nodeDir, nodeErr = installNode() })
	if nodeErr != nil {
		tb.Fatal(nodeErr)
	}
	return nodeDir
}

func installNode() (string, error) {
	lock, err := os.ReadFile("node/package-lock.json")
	if err != nil {
		return "", err
	}
	manifest, err := os.ReadFile("node/package.json")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(manifest, lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "partnergraph-e2e-node", hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, f := range []string{"package.json", "package-lock.json", ".npmrc", "audit.mjs", "apollo.mjs"} {
		b, err := os.ReadFile(filepath.Join("node", f))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return "", err
		}
	}
	ready := filepath.Join(dir, "node_modules", ".partnergraph-installed")
	if _, err := os.Stat(ready); err == nil {
		return dir, nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	return dir, os.WriteFile(ready, nil, 0o644)
}

// node runs a script of the node project and returns its standard output.
func node(tb testing.TB, dir string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan struct{})
	time.AfterFunc(60*time.Second, func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
		}
	})
	out, err := cmd.Output()
	close(done)
	if err != nil {
		tb.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestGraphQLOverHTTPAudit runs graphql-http's server audit (the npm
// package, pinned) against /graphql with a partner token: every one of its
// 61 audits, MUSTs, SHOULDs and MAYs, passes. Introspection is on for
// authenticated callers only, as in live mode.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	dir := nodeProject(t)
	base := MustStart(t, "--introspection", "authenticated")
	tok := devTokens(t, base)["tier1"]

	out := node(t, dir, "audit.mjs", base+"/graphql", tok)
	var results, failed int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct{ ID, Name, Status, Reason string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit output %q: %v", sc.Text(), err)
		}
		results++
		if r.Status != "ok" {
			failed++
			t.Errorf("%s %s: %s: %s", r.ID, r.Name, r.Status, r.Reason)
		}
	}
	if results != 61 {
		t.Errorf("got %d audit results, want 61", results)
	}
	t.Logf("graphql-http server audit: %d/%d ok", results-failed, results)
}

// TestApolloClient runs Apollo Client (npm @apollo/client, pinned) with its
// persisted-queries link against two gateway instances that share one
// Redis: the first query goes as a hash, is not found, and is sent again
// with its document; a new client then finds the hash on the other
// instance (the automatic persisted queries are in Redis), over POST and
// over GET; and a refused query reaches the client as one error with its
// code.
func TestApolloClient(t *testing.T) {
	dir := nodeProject(t)
	rc := testredis.Start(t)
	redisURL := fmt.Sprintf("redis://%s/%d", rc.Options().Addr, rc.Options().DB)
	secret := strings.Repeat("apollo-e2e-", 4)
	a := MustStart(t, "--redis-url", redisURL, "--jwt-hs256-secret", secret)
	b := MustStart(t, "--redis-url", redisURL, "--jwt-hs256-secret", secret)
	tok := devTokens(t, a)["tier1"]

	type sent struct {
		Method   string
		HasQuery bool
		Hash     string
	}
	type run struct {
		Sent      []sent
		Customers int
		Error     string
	}
	var got struct {
		First, Second, Get run
		Refused            struct {
			Codes []string
			Sent  []sent
		}
	}
	out := node(t, dir, "apollo.mjs", a+"/graphql", tok, b+"/graphql")
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("apollo.mjs: %v\n%s", err, out)
	}
	for name, r := range map[string]run{"first": got.First, "second": got.Second, "get": got.Get} {
		if r.Error != "" || r.Customers != 3 || len(r.Sent) == 0 || r.Sent[0].Hash == "" || r.Sent[0].HasQuery {
			t.Errorf("%s run: %+v, want 3 customers, the first request a hash alone", name, r)
		}
	}
	if s := got.First.Sent; len(s) != 2 || !s[1].HasQuery || s[1].Method != "POST" {
		t.Errorf("first run sent %+v, want the hash, then the hash with the document", s)
	}
	if s := got.Second.Sent; len(s) != 1 || s[0].Method != "POST" {
		t.Errorf("second run (other instance) sent %+v, want the hash alone, found in Redis", s)
	}
	if s := got.Get.Sent; len(s) != 1 || s[0].Method != "GET" {
		t.Errorf("GET run sent %+v, want the hash alone over GET", s)
	}
	if c := got.Refused.Codes; len(c) != 1 || c[0] != "QUERY_TOO_DEEP" {
		t.Errorf("refused query: got codes %v, want [QUERY_TOO_DEEP]", c)
	}
}
