package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"partnergraph/sandbox"
)

// TestRunSandboxCommand runs `partnergraph sandbox` and reads the one JSON
// line it promises: endpoints, every demo partner with credentials, and a
// sample of customers owned directly by the partner named.
func TestRunSandboxCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"partnergraph", "sandbox", "--listen", "127.0.0.1:0", "--seed", "7", "--customers", "200"}, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("sandbox did not stop")
		}
	})
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("no manifest line")
	}
	var m sandbox.Manifest
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest line is not the promised JSON: %v\n%s", err, line)
	}
	if !strings.HasPrefix(m.Endpoint, "http://127.0.0.1:") || m.IAMEndpoint != m.Endpoint {
		t.Errorf("endpoints = %q, %q", m.Endpoint, m.IAMEndpoint)
	}
	kinds := map[string]int{}
	byID := map[string]sandbox.ManifestPartner{}
	for _, p := range m.Partners {
		kinds[p.Kind]++
		byID[p.ID] = p
		if p.AK == "" || p.SK == "" || p.AgencyName == "" || len(p.ID) != 32 {
			t.Errorf("partner %+v lacks credentials, agency or a 32-hex id", p)
		}
	}
	if kinds["tier1"] < 1 || kinds["tier2"] < 2 || kinds["provider"] < 1 {
		t.Errorf("partner kinds = %v, want ≥1 tier1, ≥2 tier2, ≥1 provider", kinds)
	}
	for _, p := range m.Partners {
		if p.Kind == "tier2" && byID[p.ParentID].Kind != "tier1" {
			t.Errorf("tier-2 %s has parent %q, not a tier-1", p.ID, p.ParentID)
		}
	}
	if len(m.Customers) == 0 || len(m.Customers) > 20 {
		t.Errorf("%d sample customers, want 1..20", len(m.Customers))
	}
	first := map[string]sandbox.ManifestCustomer{}
	for _, c := range m.Customers {
		if _, ok := byID[c.PartnerID]; !ok {
			t.Errorf("customer %s names unknown partner %s", c.ID, c.PartnerID)
		}
		if _, seen := first[c.PartnerID]; !seen {
			first[c.PartnerID] = c
		}
	}
	for id, p := range byID {
		c, ok := first[id]
		if !ok {
			t.Errorf("partner %s (%s) has no customer in the sample", id, p.Kind)
		} else if c.AssociationType != "2" {
			t.Errorf("partner %s's first customer is association type %q, want resale 2", id, c.AssociationType)
		}
	}
	select {
	case extra, ok := <-lines:
		if ok {
			t.Errorf("more than one line on stdout: %q", extra)
		}
	case <-time.After(100 * time.Millisecond):
	}

	// The endpoint serves the emulator: an unsigned call is refused the way
	// upstream refuses it.
	resp, err := http.Post(m.Endpoint+"/v2/partners/sub-customers/query", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("unsigned call: %d, request id %q; want 401 with X-Request-Id", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
}
