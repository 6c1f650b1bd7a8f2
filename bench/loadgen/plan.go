package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// spec is one row to measure.
type spec struct {
	name     string
	workload string // W1…W5, "ceiling" or "upstream"
	stack    *stack
	conns    int        // workers, each with one request in flight
	parallel int        // connections one request uses at once (0: 1)
	page     int        // customers per page, when the row lists customers
	server   int        // pid of the process answering the requests; 0: the sandbox itself
	metrics  string     // that process's Prometheus endpoint, "" when none
	upstream bool       // the row reaches the sandbox
	cold     bool       // no warm-up (W4: every code sent counts against the limit)
	budget   func() int // at most this many requests; nil: no limit
	do       op
	done     func() // after the row
}

// plan checks each selected workload once against the stack (a wrong
// answer stops the run before any load) and returns its rows. The primary
// stack runs every workload, the others W5 only.
func (b *bench) plan(ctx context.Context, s *stack, primary bool) ([]spec, error) {
	w := &worker{client: &http.Client{Timeout: 30 * time.Second}}
	gw := func(name, workload string, conns, page int, do op) spec {
		return spec{name: name, workload: workload, stack: s, conns: conns, page: page, server: s.gatewayPID,
			metrics: s.metrics, upstream: true, do: do}
	}
	var specs []spec
	if primary && b.workloads["W1"] {
		full, lean := customerPages(100, true), customerPages(100, false)
		if err := checkPage(ctx, w, s, full[0], 100); err != nil {
			return nil, fmt.Errorf("W1 full: %w", err)
		}
		answer, contentType := slices.Clone(w.buf.Bytes()), w.header.Get("Content-Type")
		if err := checkPage(ctx, w, s, lean[pages-1], 100); err != nil {
			return nil, fmt.Errorf("W1 lean: %w", err)
		}
		up := &upstreamPath{endpoint: s.sandbox(), ak: s.tier1.AK, sk: s.tier1.SK, first: 100}
		if err := up.page(ctx, w, 0); err != nil {
			return nil, fmt.Errorf("upstream path: %w", err)
		}
		static, err := startStatic(answer, contentType)
		if err != nil {
			return nil, err
		}
		b.static = static
		specs = append(specs,
			spec{name: "ceiling: static W1 answer", workload: "ceiling", stack: s, conns: b.conns, page: 100, server: static.pid(),
				do: postRotating(static.url+"/graphql", s.token, full), done: b.stopStatic},
			spec{name: "upstream path of W1 full", workload: "upstream", stack: s, conns: 1, parallel: 2, page: 100, upstream: true, do: up.page},
			spec{name: "upstream path of W1 full", workload: "upstream", stack: s, conns: b.conns, parallel: 2, page: 100, upstream: true, do: up.page},
			gw("W1 full", "W1", b.conns, 100, postRotating(s.graphql(), s.token, full)),
			gw("W1 lean", "W1", b.conns, 100, postRotating(s.graphql(), s.token, lean)),
			gw("W1 full", "W1", 1, 100, postRotating(s.graphql(), s.token, full)),
			gw("W1 lean", "W1", 1, 100, postRotating(s.graphql(), s.token, lean)),
		)
	}
	if primary && b.workloads["W2"] {
		customer, err := s.manifest.showcase(s.tier1.ID)
		if err != nil {
			return nil, fmt.Errorf("W2: %w", err)
		}
		gid, err := showcaseGID(ctx, w, s, customer)
		if err != nil {
			return nil, fmt.Errorf("W2: %w", err)
		}
		byPartner := body(ordersQuery, map[string]any{"id": gid})
		var d struct{ Node customerOrders }
		if err := postGraphQL(ctx, w, s.graphql(), s.token, byPartner, &d); err != nil {
			return nil, fmt.Errorf("W2: %w", err)
		}
		if err := d.Node.check(); err != nil {
			return nil, fmt.Errorf("W2: %w", err)
		}
		own := mint(b.jwtSecret, claims{Subject: "bench-customer", Role: "customer", PartnerID: s.tier1.ID, CustomerID: customer})
		byCustomer := body(viewerOrdersQuery, nil)
		var v struct {
			Viewer struct{ Customer customerOrders }
		}
		if err := postGraphQL(ctx, w, s.graphql(), own, byCustomer, &v); err != nil {
			return nil, fmt.Errorf("W2 (customer token): %w", err)
		}
		if err := v.Viewer.Customer.check(); err != nil {
			return nil, fmt.Errorf("W2 (customer token): %w", err)
		}
		n := len(d.Node.Orders.Edges)
		specs = append(specs,
			gw(fmt.Sprintf("W2 orders (%d)", n), "W2", b.conns, 0, postRotating(s.graphql(), s.token, [][]byte{byPartner})),
			gw(fmt.Sprintf("W2 orders (%d), customer", n), "W2", b.conns, 0, postRotating(s.graphql(), own, [][]byte{byCustomer})))
	}
	if primary && b.workloads["W3"] {
		q := body(resellersQuery, nil)
		var d struct {
			Resellers struct{ Edges []json.RawMessage }
		}
		if err := postGraphQL(ctx, w, s.graphql(), s.token, q, &d); err != nil {
			return nil, fmt.Errorf("W3: %w", err)
		}
		if len(d.Resellers.Edges) == 0 {
			return nil, errors.New("W3: the tier-1 partner has no resellers")
		}
		specs = append(specs, gw(fmt.Sprintf("W3 resellers (%d)", len(d.Resellers.Edges)), "W3", b.conns, 0, postRotating(s.graphql(), s.token, [][]byte{q})))
	}
	if primary && b.workloads["W4"] {
		customer, err := s.manifest.showcase(s.tier1.ID)
		if err != nil {
			return nil, fmt.Errorf("W4: %w", err)
		}
		a := &allocator{url: s.graphql(), tier1: s.tier1.ID, customer: customer, secret: b.jwtSecret, codes: b.codes}
		if err := a.roundTrip(ctx, w, 0); err != nil {
			return nil, fmt.Errorf("W4: %w", err)
		}
		sp := gw("W4 allocate round trip", "W4", b.conns, 0, a.roundTrip)
		sp.cold, sp.budget = true, a.budget
		specs = append(specs, sp)
	}
	if b.workloads["W5"] {
		for _, first := range []int{10, 50, 100} {
			lean := customerPages(first, false)
			if err := checkPage(ctx, w, s, lean[pages-1], first); err != nil {
				return nil, fmt.Errorf("W5 first=%d: %w", first, err)
			}
			specs = append(specs, gw(fmt.Sprintf("W5 lean first=%d", first), "W5", b.conns, first, postRotating(s.graphql(), s.token, lean)))
		}
	}
	return specs, nil
}

// checkPage sends one customers page and checks it holds first customers.
func checkPage(ctx context.Context, w *worker, s *stack, b []byte, first int) error {
	var d struct {
		Customers struct{ Edges []json.RawMessage }
	}
	if err := postGraphQL(ctx, w, s.graphql(), s.token, b, &d); err != nil {
		return err
	}
	if n := len(d.Customers.Edges); n != first {
		return fmt.Errorf("%d customers on the page, want %d", n, first)
	}
	return nil
}

// customerOrders is the part of a W2 answer the check reads.
type customerOrders struct {
	Orders struct {
		Edges []struct {
			Node struct{ LineItems []json.RawMessage }
		}
	}
}

func (c customerOrders) check() error {
	if len(c.Orders.Edges) == 0 || len(c.Orders.Edges[0].Node.LineItems) == 0 {
		return errors.New("the showcase customer has no orders with line items")
	}
	return nil
}

// showcaseGID finds the global id of the tier-1's customer want by listing
// its customers (at most pages pages of 100).
func showcaseGID(ctx context.Context, w *worker, s *stack, want string) (string, error) {
	var after any
	for range pages {
		var d struct {
			Customers struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Node struct{ ID, CustomerID string }
				}
			}
		}
		if err := postGraphQL(ctx, w, s.graphql(), s.token, body(customerIDsQuery, map[string]any{"a": after}), &d); err != nil {
			return "", err
		}
		for _, e := range d.Customers.Edges {
			if e.Node.CustomerID == want {
				return e.Node.ID, nil
			}
		}
		if !d.Customers.PageInfo.HasNextPage {
			break
		}
		after = d.Customers.PageInfo.EndCursor
	}
	return "", fmt.Errorf("customer %s is not among the tier-1's customers", want)
}
