package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// dashboardQuery is bench/run.sh's W1 "full" page: 100 customers with
// balance and new-customer tag (three upstream calls).
const dashboardQuery = `query Dashboard($n:Int){customers(first:$n){edges{node{id name balance{available{amount currency} debt{amount}} newCustomerTag{value}}}}}`

// processCPU is the process's user+system CPU time so far.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDashboard runs the dashboard query against a gateway started by
// run() with args and env, and reports the process CPU per query (the
// embedded sandbox included, the same for every gateway change).
func benchDashboard(b *testing.B, args []string, env map[string]string) {
	base := MustRun(b, append([]string{"--listen", "127.0.0.1:0", "--sandbox-customers", "600", "--rate-limit", "off"}, args...), env)
	var tokens map[string]string
	if getJSON(b, base+"/dev/tokens", &tokens) != 200 {
		b.Fatal("no tokens")
	}
	body, _ := json.Marshal(map[string]any{"query": dashboardQuery, "operationName": "Dashboard", "variables": map[string]any{"n": 100}})
	do := func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokens["tier1"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(out, []byte(`"errors"`)) {
			b.Fatalf("%d %s", resp.StatusCode, out)
		}
	}
	for range 20 {
		do()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		do()
	}
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkDashboard is the telemetry overhead check: the W1 page with the
// defaults (metrics on their loopback listener, the access log, tracing
// off), and with every request traced and exported over OTLP/HTTP.
func BenchmarkDashboard(b *testing.B) {
	b.Run("Default", func(b *testing.B) { benchDashboard(b, nil, nil) })
	b.Run("Traced", func(b *testing.B) {
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
		b.Cleanup(rcv.Close) // after the gateway's last export
		benchDashboard(b, nil, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL})
	})
}
