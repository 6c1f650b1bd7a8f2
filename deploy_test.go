package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// settingByName is the settings table by flag name.
func settingByName() map[string]setting {
	out := map[string]setting{}
	for _, s := range settings {
		out[s.name] = s
	}
	return out
}

// checkSetting fails when name is no setting or v is no valid value of it.
func checkSetting(t *testing.T, where, name, v string) {
	t.Helper()
	if name == configSetting {
		return
	}
	s, ok := settingByName()[name]
	if !ok {
		t.Errorf("%s sets --%s, which the binary does not have", where, name)
		return
	}
	if s.set != nil && !strings.Contains(v, "<") {
		if err := s.set(&config{}, v); err != nil {
			t.Errorf("%s: --%s %q: %v", where, name, v, err)
		}
	}
}

// checkEnv fails when a PARTNERGRAPH_* variable names no setting.
func checkEnv(t *testing.T, where, name, v string) {
	t.Helper()
	switch {
	case name == envName(configSetting), strings.HasPrefix(name, "OTEL_"):
		return
	case !strings.HasPrefix(name, "PARTNERGRAPH_"):
		t.Errorf("%s sets %s, which the binary does not read", where, name)
		return
	}
	for _, s := range settings {
		if envName(s.name) == name {
			checkSetting(t, where, s.name, v)
			return
		}
	}
	t.Errorf("%s sets %s, which names no setting", where, name)
}

func defaultOf(name string) string { return settingByName()[name].def }

// manifests reads every YAML document under deploy/.
func manifests(t *testing.T) map[string]map[string]any {
	files, _ := filepath.Glob("deploy/*.yaml")
	out := map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc == nil {
				continue
			}
			kind, _ := doc["kind"].(string)
			name, _ := dig(doc, "metadata", "name").(string)
			out[kind+"/"+name] = doc
		}
	}
	return out
}

// dig walks maps by key and lists by index.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func asString(v any) string { s, _ := v.(string); return s }

func port(t *testing.T, addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%q: %v", addr, err)
	}
	return p
}

// TestDeployManifests checks the Kubernetes manifests against the binary:
// every flag, variable and config-file key they set exists and is valid,
// the ports are the listen addresses', the probes hit /healthz and
// /readyz, the pods run as non-root with limits, the Service and the
// PodDisruptionBudget select the Deployment's pods.
func TestDeployManifests(t *testing.T) {
	docs := manifests(t)
	for _, want := range []string{"Deployment/partnergraph", "Service/partnergraph", "PodDisruptionBudget/partnergraph", "ConfigMap/partnergraph", "StatefulSet/partnergraph-redis", "Service/partnergraph-redis"} {
		if docs[want] == nil {
			t.Fatalf("deploy/ has no %s", want)
		}
	}
	// the config file: every key a setting, every value valid
	cm := docs["ConfigMap/partnergraph"]
	file := writeFile(t, "partnergraph.yaml", asString(dig(cm, "data", "partnergraph.yaml")))
	values, err := readConfigFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		checkSetting(t, "the ConfigMap", k, v)
	}
	listen, metricsListen := values["listen"], values["metrics-listen"]

	d := docs["Deployment/partnergraph"]
	c := dig(d, "spec", "template", "spec", "containers", 0)
	args, _ := dig(c, "args").([]any)
	for i := 0; i < len(args); i++ {
		a := asString(args[i])
		if !strings.HasPrefix(a, "--") {
			t.Errorf("argument %q is not a flag", a)
			continue
		}
		name, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok && i+1 < len(args) {
			i++
			v = asString(args[i])
		}
		if name == configSetting && v != "/etc/partnergraph/partnergraph.yaml" {
			t.Errorf("--config %s is not where the ConfigMap is mounted", v)
		}
		checkSetting(t, "the Deployment's args", name, v)
	}
	envs, _ := dig(c, "env").([]any)
	for _, e := range envs {
		checkEnv(t, "the Deployment", asString(dig(e, "name")), asString(dig(e, "value")))
	}
	ports := map[string]string{}
	for _, p := range dig(c, "ports").([]any) {
		ports[asString(dig(p, "name"))] = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(yamlText(dig(p, "containerPort")), "\""), "\""))
	}
	if ports["http"] != port(t, listen) || ports["metrics"] != port(t, metricsListen) {
		t.Errorf("container ports %v, listen %s and metrics-listen %s", ports, listen, metricsListen)
	}
	if port(t, defaultOf("listen")) != ports["http"] || port(t, defaultOf("metrics-listen")) != ports["metrics"] {
		t.Errorf("container ports %v differ from the default ports", ports)
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if asString(dig(c, probe, "httpGet", "path")) != path || asString(dig(c, probe, "httpGet", "port")) != "http" {
			t.Errorf("%s: %v, want GET %s on the http port", probe, dig(c, probe), path)
		}
	}
	for _, r := range []string{"cpu", "memory"} {
		if dig(c, "resources", "limits", r) == nil || dig(c, "resources", "requests", r) == nil {
			t.Errorf("no %s request and limit", r)
		}
	}
	pod := dig(d, "spec", "template", "spec")
	if dig(pod, "securityContext", "runAsNonRoot") != true || yamlText(dig(pod, "securityContext", "runAsUser")) == "0" {
		t.Errorf("the pod may run as root: %v", dig(pod, "securityContext"))
	}
	if dig(c, "securityContext", "readOnlyRootFilesystem") != true || dig(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("container security context %v", dig(c, "securityContext"))
	}
	// the grace period covers the shutdown's delay and timeout
	grace := yamlText(dig(pod, "terminationGracePeriodSeconds"))
	var cfg config
	for _, n := range []string{"shutdown-delay", "shutdown-timeout"} {
		checkSetting(t, "the ConfigMap", n, values[n])
		_ = settingByName()[n].set(&cfg, values[n])
	}
	if g, err := strconv.Atoi(grace); err != nil || time.Duration(g)*time.Second <= cfg.shutdownDelay+cfg.shutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds %s, want more than shutdown-delay + shutdown-timeout", grace)
	}
	labels := dig(d, "spec", "template", "metadata", "labels").(map[string]any)
	matches := func(sel any) bool {
		m, _ := sel.(map[string]any)
		for k, v := range m {
			if labels[k] != v {
				return false
			}
		}
		return len(m) > 0
	}
	if !matches(dig(d, "spec", "selector", "matchLabels")) || !matches(dig(docs["Service/partnergraph"], "spec", "selector")) ||
		!matches(dig(docs["PodDisruptionBudget/partnergraph"], "spec", "selector", "matchLabels")) {
		t.Error("the Deployment, the Service and the PodDisruptionBudget do not select the same pods")
	}
	for _, p := range dig(docs["Service/partnergraph"], "spec", "ports").([]any) {
		if _, ok := ports[asString(dig(p, "targetPort"))]; !ok {
			t.Errorf("the Service targets port %v, which the container does not name", dig(p, "targetPort"))
		}
	}
	if redis := asString(dig(docs["Service/partnergraph-redis"], "metadata", "name")); redis == "" {
		t.Error("no Redis service")
	}
}

func yamlText(v any) string {
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

// TestDockerfile checks the Dockerfile: multi-stage, a static build, a
// non-root user, a health check the binary answers, the default ports,
// and variables that exist.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(b), " ")
	var from, user, health, expose []string
	envs := map[string]string{}
	build := ""
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			from = append(from, line)
		case "USER":
			user = f[1:]
		case "HEALTHCHECK":
			health = f
		case "EXPOSE":
			expose = f[1:]
		case "RUN":
			if strings.Contains(line, "go build") {
				build = line
			}
		case "ENV":
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				envs[k] = v
			}
		}
	}
	if len(from) < 2 || !strings.Contains(from[0], " AS build") {
		t.Errorf("not a multi-stage build: %v", from)
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "-trimpath") {
		t.Errorf("the build is not static: %q", build)
	}
	if len(user) != 1 || user[0] == "root" || strings.HasPrefix(user[0], "0") {
		t.Errorf("USER %v: must be non-root", user)
	}
	if !strings.Contains(strings.Join(health, " "), `"healthcheck"]`) {
		t.Errorf("HEALTHCHECK %v: want the binary's healthcheck command", health)
	}
	for k, v := range envs {
		checkEnv(t, "the Dockerfile", k, v)
	}
	for _, p := range []string{port(t, envs["PARTNERGRAPH_LISTEN"]), port(t, envs["PARTNERGRAPH_METRICS_LISTEN"])} {
		if !slices.Contains(expose, p) {
			t.Errorf("EXPOSE %v lacks %s", expose, p)
		}
	}
	if port(t, envs["PARTNERGRAPH_LISTEN"]) != port(t, defaultOf("listen")) {
		t.Error("the image listens on another port than the default")
	}
}

// TestHealthcheckCommand runs `partnergraph healthcheck` against a gateway.
func TestHealthcheckCommand(t *testing.T) {
	base := MustRun(t, []string{"--listen", "127.0.0.1:0"}, nil)
	addr := strings.TrimPrefix(base, "http://")
	var out syncBuffer
	if err := run(t.Context(), []string{"partnergraph", "healthcheck"}, func(k string) string {
		return map[string]string{"PARTNERGRAPH_LISTEN": "0.0.0.0:" + port(t, addr)}[k]
	}, &out, &out); err != nil || strings.TrimSpace(out.String()) != "ok" {
		t.Fatalf("healthcheck: %v %q", err, out.String())
	}
	if err := run(t.Context(), []string{"partnergraph", "healthcheck", "--url", base + "/nope"}, func(string) string { return "" }, &out, &out); err == nil {
		t.Fatal("healthcheck of a 404 passed")
	}
}
