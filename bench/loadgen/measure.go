package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// row is one measured line of the table and of the JSON summary. Pointer
// fields are null when the row has no such value (e.g. no metrics).
type row struct {
	Name        string  `json:"name"`
	Workload    string  `json:"workload"`
	Customers   int     `json:"sandbox_customers"`
	Page        int     `json:"page_size,omitempty"`
	Conns       int     `json:"conns"`
	Seconds     float64 `json:"seconds"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	ErrorSample string  `json:"error_sample,omitempty"`
	RPS         float64 `json:"req_per_s"`
	P50         float64 `json:"p50_ms"`
	P95         float64 `json:"p95_ms"`
	P99         float64 `json:"p99_ms"`

	UpstreamCalls *float64           `json:"upstream_calls_per_req"`
	UpstreamOps   map[string]float64 `json:"upstream_calls_per_req_by_op,omitempty"`
	ServerCPU     *float64           `json:"server_cpu_ms_per_req"`
	SandboxCPU    *float64           `json:"sandbox_cpu_ms_per_req"`
	ClientCPU     *float64           `json:"loadgen_cpu_ms_per_req"`
	AllocBytes    *float64           `json:"alloc_bytes_per_req"`
	Allocs        *float64           `json:"allocs_per_req"`
	ServerPeakMB  *float64           `json:"server_peak_rss_mb"`
	SandboxPeakMB *float64           `json:"sandbox_peak_rss_mb"`
}

// sample is the counters read before and after a row.
type sample struct {
	server, sandbox, client int64   // CPU ticks
	alloc, mallocs          float64 // the server's go_memstats_*_total
}

func (b *bench) sample(ctx context.Context, sp spec) (sample, error) {
	var sm sample
	var err error
	if sp.server > 0 {
		if sm.server, err = cpuTicks(sp.server); err != nil {
			return sm, fmt.Errorf("the server process is gone: %w", err)
		}
	}
	if sm.sandbox, err = cpuTicks(sp.stack.sandboxPID); err != nil {
		return sm, fmt.Errorf("the sandbox process is gone: %w", err)
	}
	if sm.client, err = cpuTicks(os.Getpid()); err != nil {
		return sm, err
	}
	if sp.metrics != "" {
		if sm.alloc, sm.mallocs, err = scrape(ctx, sp.metrics); err != nil {
			return sm, err
		}
	}
	return sm, nil
}

// scrape reads go_memstats_alloc_bytes_total and go_memstats_mallocs_total
// from a Prometheus text endpoint.
func scrape(ctx context.Context, url string) (alloc, mallocs float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("metrics %s: %s", url, resp.Status)
	}
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), " ")
		var dst *float64
		switch name {
		case "go_memstats_alloc_bytes_total":
			dst = &alloc
		case "go_memstats_mallocs_total":
			dst = &mallocs
		default:
			continue
		}
		if *dst, err = strconv.ParseFloat(strings.TrimSpace(value), 64); err != nil {
			return 0, 0, fmt.Errorf("metrics %s: %s %q", url, name, value)
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("metrics %s: go_memstats_alloc_bytes_total or go_memstats_mallocs_total missing", url)
	}
	return alloc, mallocs, sc.Err()
}

// measure runs one row: warm-up, counters, the measured run, counters.
func (b *bench) measure(ctx context.Context, sp spec) (row, error) {
	if sp.done != nil {
		defer sp.done()
	}
	tr := newTransport(sp.conns * max(1, sp.parallel))
	defer tr.CloseIdleConnections()
	if !sp.cold {
		drive(ctx, tr, sp.conns, b.warmup, 0, sp.do)
	}
	limit := 0
	if sp.budget != nil {
		if limit = sp.budget(); limit <= 0 {
			return row{}, errors.New("the gateway's code sending limit is used up")
		}
	}
	s := sp.stack
	if err := sandboxCall(ctx, http.MethodPost, s.sandbox()+"/_sandbox/stats/reset", "", nil); err != nil {
		return row{}, err
	}
	if !resetPeakRSS(s.sandboxPID) || (sp.server > 0 && !resetPeakRSS(sp.server)) {
		b.peakSinceStart = true
	}
	before, err := b.sample(ctx, sp)
	if err != nil {
		return row{}, err
	}
	o := drive(ctx, tr, sp.conns, b.dur, limit, sp.do)
	after, err := b.sample(ctx, sp)
	if err != nil {
		return row{}, err
	}
	calls, err := upstreamCalls(ctx, s)
	if err != nil {
		return row{}, err
	}

	n := o.requests()
	r := row{Name: sp.name, Workload: sp.workload, Customers: s.customers, Page: sp.page, Conns: sp.conns,
		Seconds: o.elapsed.Seconds(), Requests: n, Errors: o.errors,
		RPS: float64(n) / o.elapsed.Seconds(), P50: o.percentile(50), P95: o.percentile(95), P99: o.percentile(99)}
	if o.sample != nil {
		r.ErrorSample = o.sample.Error()
	}
	if n == 0 {
		return r, nil
	}
	perReq := func(v float64) *float64 { v /= float64(n); return &v }
	cpuMs := func(ticks int64) *float64 { return perReq(float64(ticks) * 1000 / float64(b.clkTck)) }
	mb := func(pid int) *float64 {
		v, err := peakRSS(pid)
		if err != nil {
			return nil
		}
		m := float64(v) / (1 << 20)
		return &m
	}
	r.ClientCPU = cpuMs(after.client - before.client)
	if sp.server > 0 {
		r.ServerCPU = cpuMs(after.server - before.server)
		r.ServerPeakMB = mb(sp.server)
	}
	if sp.upstream {
		var total int64
		r.UpstreamOps = map[string]float64{}
		for op, c := range calls {
			total += c
			r.UpstreamOps[op] = float64(c) / float64(n)
		}
		r.UpstreamCalls = perReq(float64(total))
		r.SandboxCPU = cpuMs(after.sandbox - before.sandbox)
		r.SandboxPeakMB = mb(s.sandboxPID)
	}
	if sp.metrics != "" {
		r.AllocBytes = perReq(after.alloc - before.alloc)
		r.Allocs = perReq(after.mallocs - before.mallocs)
	}
	return r, nil
}
