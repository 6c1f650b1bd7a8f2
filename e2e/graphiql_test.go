// Package e2e holds black-box tests of the built partnergraph binary.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds partnergraph once per test binary.
func binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "partnergraph-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "partnergraph")
		build := exec.Command("go", "build", "-o", binPath, "..")
		build.Stderr = os.Stderr
		buildErr = build.Run()
	})
	if buildErr != nil {
		tb.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

// MustStart starts the binary in sandbox mode on random loopback ports,
// with args added; it returns the gateway's base URL.
func MustStart(tb testing.TB, args ...string) string {
	tb.Helper()
	bin := binary(tb)
	args = append([]string{"--listen", "127.0.0.1:0", "--sandbox-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--audit-log", filepath.Join(tb.TempDir(), "audit.jsonl")}, args...)
	cmd := exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-urlc:
		return u
	case <-time.After(60 * time.Second):
		tb.Fatal("partnergraph did not start")
	}
	return ""
}

// devTokens reads the sandbox's demo tokens.
func devTokens(tb testing.TB, base string) map[string]string {
	tb.Helper()
	var tokens map[string]string
	resp, err := http.Get(base + "/dev/tokens")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil {
		tb.Fatal(err)
	}
	return tokens
}

func chromium(tb testing.TB) string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if os.Getenv("PARTNERGRAPH_E2E_REQUIRED") != "" {
		tb.Fatal("chromium not found (apt-get install chromium)")
	}
	tb.Skip("chromium not found; scripts/test.sh installs it")
	return ""
}

// TestGraphiQL loads GraphiQL in headless Chromium under its
// Content-Security-Policy, with introspection for authenticated callers
// only: the sandbox token is pre-filled, the docs explorer shows the
// schema, the default query returns data in the result pane, and the
// browser reports no CSP violation.
func TestGraphiQL(t *testing.T) {
	exe := chromium(t)
	base := MustStart(t, "--introspection", "authenticated")
	tokens := devTokens(t, base)

	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("GraphiQL's Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == "script-src" && strings.Join(f[1:], " ") != "'self'" {
			t.Errorf("GraphiQL's scripts: got %q, want only 'self' (no inline or eval'd script)", d)
		}
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var headers, docs, result string
	var violations []string
	err = chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(`window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`).Do(ctx)
			return err
		}),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`.graphiql-execute-button`, chromedp.ByQuery),
		// the headers editor carries the tier-1 token
		chromedp.Evaluate(`Array.from(document.querySelectorAll('.graphiql-editor-tool .CodeMirror')).map(e => e.CodeMirror.getValue()).join('\n')`, &headers),
		// the docs explorer lists the root fields once the schema is introspected
		chromedp.Click(`button[aria-label="Show Documentation Explorer"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.graphiql-doc-explorer`, chromedp.ByQuery),
		chromedp.Poll(`(document.querySelector('.graphiql-doc-explorer')||{}).innerText.includes('Query')`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		// follow the root type into its fields
		chromedp.Click(`.graphiql-doc-explorer a.graphiql-doc-explorer-type-name`, chromedp.ByQuery),
		chromedp.Poll(`(document.querySelector('.graphiql-doc-explorer')||{}).innerText.includes('resellers')`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Text(`.graphiql-doc-explorer`, &docs, chromedp.ByQuery),
		chromedp.Click(`.graphiql-execute-button`, chromedp.ByQuery),
		chromedp.Poll(`(() => { const r = document.querySelector('.graphiql-response .CodeMirror'); return r && r.CodeMirror.getValue().includes('accountName'); })()`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()`, &result),
		chromedp.Evaluate(`window.__csp`, &violations),
	)
	if err != nil {
		t.Fatalf("chromium: %v (headers %q, docs %q, result %q)", err, headers, docs, result)
	}
	if len(violations) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", violations)
	}
	if !strings.Contains(headers, "Bearer "+tokens["tier1"]) {
		t.Errorf("headers editor: got %q, want the tier-1 token", headers)
	}
	if !strings.Contains(docs, "customers") || !strings.Contains(docs, "resellers") {
		t.Errorf("docs explorer: got %q", docs)
	}
	var out struct {
		Data struct {
			Viewer struct {
				Role    string
				Partner struct{ Kind string }
			}
			Customers struct {
				TotalCount int
				Edges      []struct{ Node map[string]any }
			}
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(result), &out); err != nil {
		t.Fatalf("result pane is not JSON: %v\n%s", err, result)
	}
	if len(out.Errors) > 0 || out.Data.Viewer.Role != "PARTNER" || len(out.Data.Customers.Edges) == 0 {
		t.Fatalf("result pane: %s", result)
	}
}
