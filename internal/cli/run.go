package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
)

func runCmd(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	file := fs.String("config", "", "config file (YAML)")
	logger := logFlags(fs, stdio.Stderr)
	if !parse(fs, args) || !noArgs(fs, stdio) {
		return 2
	}
	log, err := logger()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 2
	}
	if *file == "" {
		fmt.Fprintln(stdio.Stderr, "run: --config FILE is required")
		return 2
	}
	// The config is checked whole first; the daemon builds its own parts.
	cfg, _, err := config.Load(*file, collectors.NewClient(collectors.ClientOptions{}))
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	d, err := daemon.New(cfg, daemon.Options{Logger: log, ConfigFile: *file})
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	hup := make(chan struct{})
	go func() { // owned here: ends with runCtx, waited for below
		defer close(hup)
		for {
			select {
			case <-runCtx.Done():
				return
			case <-stdio.Reload:
				if err := d.ReloadFile(runCtx); err != nil {
					log.Error("reload on SIGHUP rejected", "err", err)
				} else {
					log.Info("reloaded on SIGHUP", "config", *file)
				}
			}
		}
	}()
	defer func() { stop(); <-hup }()
	if err := d.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("hazardwire failed", "err", err)
		return 1
	}
	return 0
}

func checkCmd(args []string, stdio IO) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	file := fs.String("config", "", "config file (YAML)")
	fetch := fs.Bool("fetch", false, "also fetch every collector once and print what it would publish")
	if !parse(fs, args) || !noArgs(fs, stdio) {
		return 2
	}
	if *file == "" {
		fmt.Fprintln(stdio.Stderr, "check: --config FILE is required")
		return 2
	}
	built, err := loadAndBuild(*file)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	fmt.Fprintf(stdio.Stdout, "%s: ok\n", *file)
	if *fetch && !fetchAll(built, stdio) {
		return 1
	}
	return 0
}
