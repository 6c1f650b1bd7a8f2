// Command loadgen is the load generator of bench/run.sh. It drives a
// partnergraph gateway (live mode, in front of a standalone sandbox) with
// the workloads of bench/README.md and measures each row: throughput,
// latency, upstream calls, CPU and memory per request.
//
//	loadgen run -stack customers=N,manifest=F,gateway=URL,gateway-pid=P,sandbox-pid=P[,metrics=URL] … [flags]
//	loadgen manifest FILE   prints "endpoint id ak sk agency_name": the sandbox and its tier-1 partner
//	loadgen freeport        prints a free TCP port on 127.0.0.1
//	loadgen static -body F -content-type T
//	                        serves the bytes of F to every request (the ceiling row)
//
// run reads the HS256 secret of the gateway's tokens from
// BENCH_JWT_SECRET and the SMS webhook's HMAC key from
// BENCH_WEBHOOK_SECRET. It uses the standard library only.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := dispatch(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: loadgen run|manifest|freeport|static … (see go doc ./bench/loadgen)")
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:])
	case "manifest":
		if len(args) != 2 {
			return errors.New("usage: loadgen manifest FILE")
		}
		m, err := readManifest(args[1])
		if err != nil {
			return err
		}
		p, err := m.tier1()
		if err != nil {
			return err
		}
		fmt.Println(m.Endpoint, p.ID, p.AK, p.SK, p.AgencyName)
		return nil
	case "freeport":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		return nil
	case "static":
		return staticCmd(ctx, args[1:])
	}
	return fmt.Errorf("unknown command %q (run, manifest, freeport, static)", args[0])
}
