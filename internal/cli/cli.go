// Package cli implements hazardwire's subcommands (their names and flags are a
// contract): run, check, collect, demo, config sample and schema, dlq, replay
// and version.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	_ "github.com/hazardwire/hazardwire/collectors/all" // every collector kind
	_ "github.com/hazardwire/hazardwire/exporters/all"  // every exporter kind
	"github.com/hazardwire/hazardwire/internal/daemon"
)

// IO is where a command reads signals and writes.
type IO struct {
	Stdout, Stderr io.Writer
	// Reload receives a value for every reload request (SIGHUP).
	Reload <-chan os.Signal
}

const usage = `hazardwire: flood and heat alerts from public agencies, on a NATS JetStream bus, to partner platforms.

Usage:
  hazardwire run     --config FILE          run the daemon (SIGINT/SIGTERM drain and exit 0)
  hazardwire check   --config FILE [--fetch]
                                            validate the config; exit 1 with file:line:col errors;
                                            --fetch also polls every collector once and says what it would publish
  hazardwire collect --config FILE NAME     fetch and normalize one collector once; print alerts as JSON lines
  hazardwire demo    [--duration D] [--listen ADDR]
                                            everything in one process on bundled recorded feeds;
                                            metrics and health at ADDR (default 127.0.0.1:9750)
  hazardwire config  sample [KIND]          print the sample config of a kind (all kinds without KIND)
  hazardwire config  schema                 print the config's JSON Schema (configs/hazardwire.schema.json)
  hazardwire dlq     list --exporter NAME   list an exporter's dead letters (asks the running daemon)
  hazardwire dlq     replay --exporter NAME --id ID | --all [--force]
                                            deliver dead letters again; delivered ones are removed
  hazardwire replay  --exporter NAME --since 2h
                                            resend what the stream holds since then, with the original ids
  hazardwire version                        print the version

run, collect and demo also take --log-format text|json and --log-level debug|info|warn|error
dlq and replay ask the daemon at --addr HOST:PORT, else at the http.listen of --config FILE
(whose first http.tokens entry they send), else at 127.0.0.1:9750
`

// Main runs the subcommand in args and returns the exit code.
func Main(ctx context.Context, args []string, stdio IO) int {
	if len(args) == 0 {
		fmt.Fprint(stdio.Stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdio)
	case "check":
		return checkCmd(rest, stdio)
	case "collect":
		return collectCmd(ctx, rest, stdio)
	case "demo":
		return demoCmd(ctx, rest, stdio)
	case "config":
		return configCmd(rest, stdio)
	case "dlq":
		return dlqCmd(rest, stdio)
	case "replay":
		return replayCmd(rest, stdio)
	case "version", "--version", "-version":
		fmt.Fprintf(stdio.Stdout, "hazardwire %s %s\n", daemon.Version, runtime.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdio.Stdout, usage)
		return 0
	}
	fmt.Fprintf(stdio.Stderr, "hazardwire: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// logFlags adds the logging flags to fs and returns a function that builds
// the logger once the flags are parsed.
func logFlags(fs *flag.FlagSet, w io.Writer) func() (*slog.Logger, error) {
	format := fs.String("log-format", "text", "log format: text or json")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	return func() (*slog.Logger, error) {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(*level)); err != nil {
			return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", *level)
		}
		o := &slog.HandlerOptions{Level: lv}
		switch strings.ToLower(*format) {
		case "text":
			return slog.New(slog.NewTextHandler(w, o)), nil
		case "json":
			return slog.New(slog.NewJSONHandler(w, o)), nil
		}
		return nil, fmt.Errorf("--log-format %q: want text or json", *format)
	}
}

// parse parses fs, printing the error and usage on failure.
func parse(fs *flag.FlagSet, args []string) bool {
	return fs.Parse(args) == nil
}

// noArgs reports whether fs was given no argument beside its flags, and
// names the first one otherwise: a command must not ignore what it was told.
func noArgs(fs *flag.FlagSet, stdio IO) bool {
	if fs.NArg() == 0 {
		return true
	}
	fmt.Fprintf(stdio.Stderr, "%s: unexpected argument %q (it takes flags only)\n", fs.Name(), fs.Arg(0))
	return false
}
