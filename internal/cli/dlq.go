package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/config"
)

// daemonFlags are how the operator commands find the running daemon: its
// HTTP address, given or read from the config.
type daemonFlags struct {
	config, addr, exporter *string
}

func addDaemonFlags(fs *flag.FlagSet) daemonFlags {
	return daemonFlags{
		config:   fs.String("config", "", "config file, to find the daemon's http.listen"),
		addr:     fs.String("addr", "", "the daemon's HTTP address (default: http.listen of --config, else 127.0.0.1:9750)"),
		exporter: fs.String("exporter", "", "exporter name"),
	}
}

// base returns the daemon's base URL.
func (f daemonFlags) base() (string, error) {
	addr := *f.addr
	if addr == "" && *f.config != "" {
		cfg, _, err := config.Load(*f.config, collectors.NewClient(collectors.ClientOptions{}))
		if err != nil {
			return "", err
		}
		addr = cfg.HTTP.Listen
	}
	if addr == "" {
		addr = config.DefaultListen
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

var apiClient = &http.Client{Timeout: 10 * time.Minute}

// call sends a request to the daemon and returns the body of a 2xx answer.
func call(method, u string) ([]byte, error) {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := apiClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("is the daemon running? %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func dlqCmd(args []string, stdio IO) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fmt.Fprintln(stdio.Stderr, "usage: hazardwire dlq list|replay --exporter NAME [--config FILE | --addr HOST:PORT] [--id ID | --all] [--force]")
		return 2
	}
	fs := flag.NewFlagSet("dlq "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	df := addDaemonFlags(fs)
	id := fs.String("id", "", "replay: the alert id of one dead letter")
	all := fs.Bool("all", false, "replay: every dead letter of the exporter")
	force := fs.Bool("force", false, "replay: also those whose key has had a newer version published since")
	if !parse(fs, args[1:]) {
		return 2
	}
	if *df.exporter == "" {
		fmt.Fprintln(stdio.Stderr, "dlq: --exporter NAME is required")
		return 2
	}
	base, err := df.base()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	path := base + "/api/v1/dlq/" + url.PathEscape(*df.exporter)
	if args[0] == "list" {
		return dlqList(path, stdio)
	}
	if (*id == "") == !*all {
		fmt.Fprintln(stdio.Stderr, "dlq replay: give --id ID or --all")
		return 2
	}
	q := url.Values{}
	if *all {
		q.Set("all", "true")
	} else {
		q.Set("id", *id)
	}
	if *force {
		q.Set("force", "true")
	}
	body, err := call(http.MethodPost, path+"/replay?"+q.Encode())
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "dlq replay:", err)
		return 1
	}
	var res struct {
		Delivered, Failed, Superseded int
		Errors                        []string
	}
	if err := json.Unmarshal(body, &res); err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	fmt.Fprintf(stdio.Stdout, "%d delivered, %d failed", res.Delivered, res.Failed)
	if res.Superseded > 0 {
		fmt.Fprintf(stdio.Stdout, ", %d kept as superseded (--force sends them)", res.Superseded)
	}
	fmt.Fprintln(stdio.Stdout)
	for _, e := range res.Errors {
		fmt.Fprintln(stdio.Stdout, "  "+e)
	}
	if res.Failed > 0 {
		return 1
	}
	return 0
}

func dlqList(path string, stdio IO) int {
	body, err := call(http.MethodGet, path)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "dlq list:", err)
		return 1
	}
	var res struct {
		DeadLetters []bus.DeadLetter `json:"deadLetters"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	tw := tabwriter.NewWriter(stdio.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKEY\tREASON\tATTEMPTS\tLAST ERROR\tTIME")
	for _, d := range res.DeadLetters {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", d.Alert.ID, d.Alert.Key, d.Reason, d.Attempts,
			truncate(d.LastError, 60), d.Time.UTC().Format(time.RFC3339))
	}
	_ = tw.Flush()
	return 0
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func replayCmd(args []string, stdio IO) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	df := addDaemonFlags(fs)
	since := fs.Duration("since", 0, "resend what the stream holds since this long ago (e.g. 2h)")
	if !parse(fs, args) {
		return 2
	}
	if *df.exporter == "" || *since <= 0 {
		fmt.Fprintln(stdio.Stderr, "usage: hazardwire replay --exporter NAME --since 2h [--config FILE | --addr HOST:PORT]")
		return 2
	}
	base, err := df.base()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	body, err := call(http.MethodPost, base+"/api/v1/exporters/"+url.PathEscape(*df.exporter)+"/replay?since="+url.QueryEscape(since.String()))
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "replay:", err)
		return 1
	}
	_, _ = stdio.Stdout.Write(body)
	if strings.Contains(string(body), "\nfailed ") || strings.HasPrefix(string(body), "failed ") {
		return 1
	}
	return 0
}
