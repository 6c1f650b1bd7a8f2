package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

const (
	headerFormat = "%-26s %5s %5s %8s %7s %7s %7s %4s %6s %7s %7s %7s %7s %6s\n"
	rowFormat    = "%-26s %5s %5d %8.1f %7.2f %7.2f %7.2f %4d %6s %7s %7s %7s %7s %6s\n"
)

func printHeader() {
	fmt.Printf(headerFormat, "row", "cust", "conns", "req/s", "p50 ms", "p95 ms", "p99 ms", "err",
		"up/req", "srv ms", "sbx ms", "KB/req", "allocs", "srv MB")
}

func printRow(r row) {
	fmt.Printf(rowFormat, r.Name, sizeLabel(r.Customers), r.Conns, r.RPS, r.P50, r.P95, r.P99, r.Errors,
		num(r.UpstreamCalls, 1, 2), num(r.ServerCPU, 1, 2), num(r.SandboxCPU, 1, 2),
		num(r.AllocBytes, 1.0/1024, 1), num(r.Allocs, 1, 0), num(r.ServerPeakMB, 1, 0))
}

// num formats v·scale with prec decimals, "n/a" when v is nil.
func num(v *float64, scale float64, prec int) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", prec, *v*scale)
}

func sizeLabel(customers int) string {
	if customers%1000 == 0 {
		return fmt.Sprint(customers/1000, "k")
	}
	return fmt.Sprint(customers)
}

func (b *bench) printNotes() {
	fmt.Println("\nupstream calls per request, by operation:")
	for _, r := range b.rows {
		if len(r.UpstreamOps) == 0 {
			continue
		}
		var ops []string
		for _, op := range slices.Sorted(maps.Keys(r.UpstreamOps)) {
			ops = append(ops, fmt.Sprintf("%s %.2f", op, r.UpstreamOps[op]))
		}
		fmt.Printf("  %-26s %4s c%-3d %s\n", r.Name, sizeLabel(r.Customers), r.Conns, strings.Join(ops, ", "))
	}
	fmt.Println(`
srv ms, sbx ms: CPU time (utime+stime from /proc/<pid>/stat) per request of the gateway (of the static
  server on the ceiling row) and of the sandbox. KB/req, allocs: the gateway's go_memstats_alloc_bytes_total
  and go_memstats_mallocs_total per request. srv MB: the server's peak RSS (VmHWM) during the row.`)
	if b.peakSinceStart {
		fmt.Println("  VmHWM could not be reset before a row: srv MB is the peak since the server started.")
	}
	for _, r := range b.rows {
		if r.Workload == "upstream" && r.Conns == 1 {
			fmt.Println("upstream path: the W1 full page's upstream calls sent straight to the sandbox, signed by hand, as the\n" +
				"  gateway schedules them (ListSubCustomers, then the balance and tag batches side by side): W1's floor.")
		}
		if r.Workload == "W4" {
			fmt.Printf("W4: a request is a round trip (requestVerificationCode, the code through the HMAC-signed SMS webhook,\n"+
				"  allocateCustomerFunds of 0.01 with a new idempotency key), each by a new principal; the gateway sends at\n"+
				"  most %d codes per minute in all (plus 10 per principal per hour, 60 s cooldown), so the row stops at\n"+
				"  that budget: %d round trips in %.1f s. Webhook deliveries refused (bad signature, unexpected): %d.\n",
				globalSendLimit, r.Requests, r.Seconds, b.codes.rejected.Load())
		}
		if r.Errors > 0 {
			fmt.Printf("%s (%s, c%d): %d errors, first: %s\n", r.Name, sizeLabel(r.Customers), r.Conns, r.Errors, r.ErrorSample)
		}
	}
}

// summary is the JSON file.
type summary struct {
	Started        time.Time `json:"started"`
	Commit         string    `json:"commit,omitempty"`
	RowSeconds     float64   `json:"row_seconds"`
	WarmupSeconds  float64   `json:"warmup_seconds"`
	Conns          int       `json:"conns"`
	LatencyMs      int       `json:"upstream_latency_ms"`
	Workloads      []string  `json:"workloads"`
	ClkTck         int       `json:"clk_tck"`
	PeakSinceStart bool      `json:"peak_rss_since_start"`
	Rows           []row     `json:"rows"`
}

func (b *bench) writeJSON(path string, started time.Time, commit string) error {
	s := summary{Started: started.UTC(), Commit: commit, RowSeconds: b.dur.Seconds(), WarmupSeconds: b.warmup.Seconds(),
		Conns: b.conns, LatencyMs: b.latencyMs, Workloads: slices.Sorted(maps.Keys(b.workloads)), ClkTck: b.clkTck,
		PeakSinceStart: b.peakSinceStart, Rows: b.rows}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println("\nJSON summary:", path)
	failed := 0
	for _, r := range b.rows {
		failed += r.Errors
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed (see above)", failed)
	}
	return nil
}
