package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
)

// loadAndBuild loads a config and constructs every part, as the daemon would.
func loadAndBuild(file string) (*config.Built, error) {
	_, built, err := config.Load(file, collectors.NewClient(collectors.ClientOptions{UserAgent: "hazardwire/" + daemon.Version}))
	return built, err
}

func collectCmd(ctx context.Context, args []string, stdio IO) int {
	fs := flag.NewFlagSet("collect", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	file := fs.String("config", "", "config file (YAML)")
	logger := logFlags(fs, stdio.Stderr)
	if !parse(fs, args) {
		return 2
	}
	// NAME may come before the flags, too.
	name := fs.Arg(0)
	if fs.NArg() > 0 && !parse(fs, fs.Args()[1:]) {
		return 2
	}
	log, err := logger()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 2
	}
	if name != "" && fs.NArg() > 0 {
		fmt.Fprintf(stdio.Stderr, "collect: unexpected argument %q (it takes one collector NAME)\n", fs.Arg(0))
		return 2
	}
	if *file == "" || name == "" {
		fmt.Fprintln(stdio.Stderr, "usage: hazardwire collect --config FILE NAME")
		return 2
	}
	built, err := loadAndBuild(*file)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	i := slices.IndexFunc(built.Collectors, func(c config.BuiltCollector) bool { return c.Info.Name == name })
	if i < 0 {
		var names []string
		for _, c := range built.Collectors {
			names = append(names, c.Info.Name)
		}
		fmt.Fprintf(stdio.Stderr, "collect: no collector %q in %s (have: %s)\n", name, *file, strings.Join(names, ", "))
		return 1
	}
	c := built.Collectors[i]
	runCtx, cancel := context.WithTimeout(ctx, c.Info.Timeout)
	defer cancel()
	start := time.Now()
	res, err := c.Collector.Collect(runCtx)
	log.Info("collected", "collector", name, "fetched", res.Fetched, "items", len(res.Items), "dropped", res.Dropped,
		"duration", time.Since(start).Round(time.Millisecond))
	// Print what the lifecycle would publish on an empty state.
	items := slices.Clone(res.Items)
	slices.SortStableFunc(items, func(a, b collectors.Item) int { return a.Alert.Sent.Compare(b.Alert.Sent) })
	enc := json.NewEncoder(stdio.Stdout)
	enc.SetEscapeHTML(false)
	now := time.Now()
	for _, it := range items {
		if verr := it.Alert.Validate(); verr != nil {
			log.Warn("invalid item dropped", "key", it.Alert.Key, "err", verr)
			continue
		}
		if d := lifecycle.Decide(nil, it, now); d.Publish != nil {
			if err := enc.Encode(d.Publish); err != nil {
				fmt.Fprintln(stdio.Stderr, err)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "collect %q: %v\n", name, err)
		return 1
	}
	return 0
}

func configCmd(args []string, stdio IO) int {
	if len(args) == 1 && args[0] == "schema" {
		b, err := json.MarshalIndent(config.Schema(), "", "  ")
		if err != nil {
			fmt.Fprintln(stdio.Stderr, err)
			return 1
		}
		fmt.Fprintln(stdio.Stdout, string(b))
		return 0
	}
	if len(args) == 0 || args[0] != "sample" || len(args) > 2 {
		switch {
		case len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		case args[0] != "sample" && args[0] != "schema":
			fmt.Fprintf(stdio.Stderr, "config: unknown subcommand %q\n", args[0])
		default:
			fmt.Fprintf(stdio.Stderr, "config %s: unexpected argument %q\n", args[0], args[len(args)-1])
		}
		fmt.Fprintln(stdio.Stderr, "usage: hazardwire config sample [KIND] | hazardwire config schema")
		return 2
	}
	var want string
	if len(args) == 2 {
		want = args[1]
	}
	printed := false
	for _, k := range collectors.Kinds() {
		if want == "" || want == k {
			kind, _ := collectors.Lookup(k)
			fmt.Fprintf(stdio.Stdout, "# collector kind %q\n%s\n", k, kind.Sample)
			printed = true
		}
	}
	for _, k := range exporters.Kinds() {
		if want == "" || want == k {
			kind, _ := exporters.Lookup(k)
			fmt.Fprintf(stdio.Stdout, "# exporter kind %q\n%s\n", k, kind.Sample)
			printed = true
		}
	}
	if !printed {
		fmt.Fprintf(stdio.Stderr, "config sample: no kind %q (collectors: %s; exporters: %s)\n", want,
			strings.Join(collectors.Kinds(), ", "), strings.Join(exporters.Kinds(), ", "))
		return 1
	}
	return 0
}
