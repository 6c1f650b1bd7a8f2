package main

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxRequestsPerRow bounds the work (and the latency samples kept) of one
// row, whatever its duration; a worker stops after maxErrorsPerWorker
// failed requests, so a broken server ends the row early.
const (
	maxRequestsPerRow  = 2_000_000
	maxErrorsPerWorker = 100
)

// worker is the client state of one closed loop: the row's HTTP client
// (whose transport has a connection for each worker) and the last
// answer's body and header.
type worker struct {
	client *http.Client
	buf    bytes.Buffer
	header http.Header
}

// op performs request number i (rotating workloads pick their page from
// it). An error counts the request as failed.
type op func(ctx context.Context, w *worker, i int) error

// outcome is what one closed-loop run did.
type outcome struct {
	latencies []time.Duration // of successful requests, sorted
	errors    int
	sample    error // the first error
	elapsed   time.Duration
}

func (o outcome) requests() int { return len(o.latencies) + o.errors }

// percentile is the nearest-rank percentile p (0-100) in milliseconds.
func (o outcome) percentile(p float64) float64 {
	if len(o.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(o.latencies)))) - 1
	i = min(max(i, 0), len(o.latencies)-1)
	return float64(o.latencies[i]) / float64(time.Millisecond)
}

// newTransport is a row's HTTP transport: loopback only, no proxy, no
// compression, at most conns connections.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
}

// drive runs do on conns workers in a closed loop (each sends its next
// request when the previous answer is in) until d has passed, limit
// requests have started (0: maxRequestsPerRow) or ctx ends, then waits
// for the requests in flight.
func drive(ctx context.Context, tr *http.Transport, conns int, d time.Duration, limit int, do op) outcome {
	if limit <= 0 || limit > maxRequestsPerRow {
		limit = maxRequestsPerRow
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		next   atomic.Int64
		mu     sync.Mutex
		out    outcome
		wg     sync.WaitGroup
		start  = time.Now()
		end    = start.Add(d)
		merged [][]time.Duration
	)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{client: client}
			var lat []time.Duration
			var errs int
			var sample error
			for ctx.Err() == nil && time.Now().Before(end) && errs < maxErrorsPerWorker {
				i := int(next.Add(1) - 1)
				if i >= limit {
					break
				}
				t0 := time.Now()
				if err := do(ctx, w, i); err != nil {
					errs++
					if sample == nil {
						sample = err
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			merged = append(merged, lat)
			out.errors += errs
			if out.sample == nil {
				out.sample = sample
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	out.latencies = slices.Concat(merged...)
	slices.Sort(out.latencies)
	return out
}
