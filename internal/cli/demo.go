package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/hazardwire/hazardwire/internal/demo"
)

func demoCmd(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	duration := fs.Duration("duration", 0, "end by itself after this long (e.g. 30s); without it, Ctrl-C ends the demo")
	listen := fs.String("listen", "127.0.0.1:9750", "the daemon's HTTP address (metrics, health)")
	logger := logFlags(fs, stdio.Stderr)
	if err := fs.Set("log-level", "warn"); err != nil {
		return 2
	}
	if !parse(fs, args) || !noArgs(fs, stdio) {
		return 2
	}
	log, err := logger()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 2
	}
	s, err := demo.Run(ctx, demo.Options{Duration: *duration, Listen: *listen, Out: stdio.Stdout, Logger: log})
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "demo:", err)
		return 1
	}
	if s.Rejected > 0 {
		return 1
	}
	return 0
}
