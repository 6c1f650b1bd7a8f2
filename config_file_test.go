package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(tb testing.TB, name, text string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestConfigFile(t *testing.T) {
	file := writeFile(t, "partnergraph.yaml", `
listen: 127.0.0.1:7000
request-timeout: 20s
upstream-retries: 1
max-depth: 12
cors-origins: [https://a.example, https://b.example]
cors-credentials: true
rate-limit: 50/s
`)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	t.Run("Precedence", func(t *testing.T) {
		c, values, err := resolveConfig([]string{"--config", file, "--request-timeout", "5s"},
			env(map[string]string{"PARTNERGRAPH_UPSTREAM_RETRIES": "3", "PARTNERGRAPH_REQUEST_TIMEOUT": "7s"}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.requestTimeout.String() != "5s" || c.retries != 3 || c.listen != "127.0.0.1:7000" || c.limits.Depth != 12 || c.upstreamTimeout.String() != "10s" {
			t.Fatalf("flag > env > file > default broken: %+v", c)
		}
		if len(c.corsOrigins) != 2 || !c.corsCredentials || c.rateLimit.Events != 50 {
			t.Fatalf("lists and booleans: %v %v %v", c.corsOrigins, c.corsCredentials, c.rateLimit)
		}
		from := map[string]source{}
		for _, r := range values {
			from[r.name] = r.from
		}
		if from["request-timeout"] != fromFlag || from["upstream-retries"] != fromEnv || from["listen"] != fromFile || from["upstream-timeout"] != fromDefault {
			t.Fatalf("sources: %v", from)
		}
	})
	t.Run("FromEnv", func(t *testing.T) {
		c, err := parseConfig(nil, env(map[string]string{"PARTNERGRAPH_CONFIG": file}), nil)
		if err != nil || c.listen != "127.0.0.1:7000" {
			t.Fatalf("PARTNERGRAPH_CONFIG: %v %v", c, err)
		}
	})
	for name, tt := range map[string]struct{ text, want string }{
		"UnknownKey": {"listen: 127.0.0.1:1\nlisten-address: x\n", `unknown setting "listen-address"`},
		"BadValue":   {"upstream-retries: many\n", "--upstream-retries (PARTNERGRAPH_UPSTREAM_RETRIES) must be"},
		"NotYAML":    {"listen: [\n", "--config (PARTNERGRAPH_CONFIG) is not a YAML mapping"},
		"Nested":     {"listen: {host: x}\n", "listen must be a string"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseConfig([]string{"--config", writeFile(t, "c.yaml", tt.text)}, env(nil), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line with %q", err, tt.want)
			}
		})
	}
	t.Run("Missing", func(t *testing.T) {
		_, err := parseConfig([]string{"--config", "/nonexistent/partnergraph.yaml"}, env(nil), nil)
		if err == nil || !strings.Contains(err.Error(), "--config (PARTNERGRAPH_CONFIG) cannot be read") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestConfigCheck(t *testing.T) {
	file := writeFile(t, "live.yaml", `
mode: live
ak: AKVISIBLE123
sk: SKSECRET456
partner-id: p-1
jwt-hs256-secret: 0123456789abcdef0123456789abcdef
redis-url: redis://user:hunter2@redis:6379/0
verification-secret: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv
sms-webhook-url: https://sms.example/hook
sms-webhook-secret: wwwwwwwwwwwwwwww
smtp-password: mailpass
`)
	var stdout, stderr syncBuffer
	err := run(t.Context(), []string{"partnergraph", "config", "check", "--config", file, "--listen", "0.0.0.0:8080"},
		func(k string) string { return map[string]string{"PARTNERGRAPH_LOG_FORMAT": "json"}[k] }, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	for _, want := range []string{`mode: "live" # file`, `listen: "0.0.0.0:8080" # flag`, `log-format: "json" # env`, `upstream-timeout: "10s" # default`,
		`ak: "****" # file`, `sk: "****"`, `jwt-hs256-secret: "****"`, `verification-secret: "****"`, `sms-webhook-secret: "****"`,
		`smtp-password: "****"`, `redis-url: "redis://user:****@redis:6379/0"`} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{"AKVISIBLE123", "SKSECRET456", "hunter2", "0123456789abcdef", "vvvvvvvv", "wwwwwwww", "mailpass"} {
		if strings.Contains(out, secret) {
			t.Errorf("config check prints %s", secret)
		}
	}
	t.Run("Invalid", func(t *testing.T) {
		bad := writeFile(t, "bad.yaml", "mode: live\n")
		err := run(t.Context(), []string{"partnergraph", "config", "check", "--config", bad}, func(string) string { return "" }, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "--ak (PARTNERGRAPH_AK) is required in live mode") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("EverySecretMasked", func(t *testing.T) {
		for _, s := range settings {
			n := s.name
			if (strings.Contains(n, "secret") || strings.Contains(n, "password") || n == "ak" || n == "sk") && !secretSettings[n] {
				t.Errorf("--%s looks secret but config check prints it", n)
			}
		}
	})
}
