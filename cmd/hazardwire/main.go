// Command hazardwire is the disaster-alert aggregation daemon: collectors pull
// flood and heat feeds, lifecycle changes go on a NATS JetStream bus, and
// exporters push them to partner platforms. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hazardwire/hazardwire/internal/cli"
)

func main() {
	// SIGINT and SIGTERM end the context: the daemon drains and exits 0.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP asks for a reload; it never ends the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	os.Exit(cli.Main(ctx, os.Args[1:], cli.IO{Stdout: os.Stdout, Stderr: os.Stderr, Reload: hup}))
}
