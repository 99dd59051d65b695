package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
		config:   fs.String("config", "", "config file, to find the daemon's http.listen and the token to send (the first of http.tokens)"),
		addr:     fs.String("addr", "", "the daemon's HTTP address (default: http.listen of --config, else 127.0.0.1:9750)"),
		exporter: fs.String("exporter", "", "exporter name"),
	}
}

// daemonAPI is where the running daemon answers, and the bearer token to
// send it (the first of the config's http.tokens; none without --config).
type daemonAPI struct {
	base, token string
}

// target finds the daemon: at --addr, else at the http.listen of --config,
// else at the default address. The token comes from --config, with or
// without --addr: once http.tokens are configured the daemon answers the
// operator endpoints only to one of them, loopback included.
func (f daemonFlags) target() (daemonAPI, error) {
	var api daemonAPI
	addr := *f.addr
	if *f.config != "" {
		cfg, _, err := config.Load(*f.config, collectors.NewClient(collectors.ClientOptions{}))
		if err != nil {
			return api, err
		}
		if addr == "" {
			addr = cfg.HTTP.Listen
		}
		if len(cfg.HTTP.Tokens) > 0 {
			api.token = cfg.HTTP.Tokens[0].Token
		}
	}
	if addr == "" {
		addr = config.DefaultListen
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return api, fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	api.base = "http://" + net.JoinHostPort(host, port)
	return api, nil
}

var apiClient = &http.Client{Timeout: 10 * time.Minute}

// call sends a request to the daemon at path and returns the body of a 2xx
// answer.
func (api daemonAPI) call(method, path string) ([]byte, error) {
	req, err := http.NewRequest(method, api.base+path, nil)
	if err != nil {
		return nil, err
	}
	if api.token != "" {
		req.Header.Set("Authorization", "Bearer "+api.token)
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
		return nil, api.refused(res, body)
	}
	return body, nil
}

// refused is the error for a daemon's answer other than 2xx.
func (api daemonAPI) refused(res *http.Response, body []byte) error {
	msg := fmt.Sprintf("%s: %s", res.Status, strings.TrimSpace(string(body)))
	if res.StatusCode == http.StatusUnauthorized && api.token == "" {
		msg += " (give --config FILE: the first of its http.tokens is sent)"
	}
	return errors.New(msg)
}

// replayIdle is how long replay waits for the next line of the daemon's
// answer: the daemon writes one per change, each after at most three tries
// of the exporter's timeout (at most a minute each).
var replayIdle = 5 * time.Minute

// stream sends a request to the daemon at path and copies a 2xx answer to w
// as it comes, for as long as it takes, failing only when nothing comes for
// idle: a replay of days of changes can run longer than any total limit.
func (api daemonAPI) stream(method, path string, w io.Writer, idle time.Duration) error {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	quiet := time.AfterFunc(idle, func() { cancel(fmt.Errorf("nothing from the daemon for %v", idle)) })
	defer quiet.Stop()
	req, err := http.NewRequestWithContext(ctx, method, api.base+path, nil)
	if err != nil {
		return err
	}
	if api.token != "" {
		req.Header.Set("Authorization", "Bearer "+api.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		if c := context.Cause(ctx); c != nil {
			err = c
		}
		return fmt.Errorf("is the daemon running? %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		return api.refused(res, body)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		if n > 0 {
			quiet.Reset(idle)
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if c := context.Cause(ctx); c != nil {
				return c
			}
			return err
		}
	}
}

func dlqCmd(args []string, stdio IO) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		if len(args) > 0 && args[0] != "-h" && args[0] != "-help" && args[0] != "--help" {
			fmt.Fprintf(stdio.Stderr, "dlq: unknown subcommand %q\n", args[0])
		}
		fmt.Fprintln(stdio.Stderr, "usage: hazardwire dlq list|replay --exporter NAME [--config FILE | --addr HOST:PORT] [--id ID | --all] [--force]")
		return 2
	}
	fs := flag.NewFlagSet("dlq "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	df := addDaemonFlags(fs)
	id := fs.String("id", "", "replay: the alert id of one dead letter")
	all := fs.Bool("all", false, "replay: every dead letter of the exporter")
	force := fs.Bool("force", false, "replay: also those whose key has had a newer version published since")
	if !parse(fs, args[1:]) || !noArgs(fs, stdio) {
		return 2
	}
	if *df.exporter == "" {
		fmt.Fprintln(stdio.Stderr, "dlq: --exporter NAME is required")
		return 2
	}
	api, err := df.target()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	path := "/api/v1/dlq/" + url.PathEscape(*df.exporter)
	if args[0] == "list" {
		return dlqList(api, path, stdio)
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
	body, err := api.call(http.MethodPost, path+"/replay?"+q.Encode())
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

func dlqList(api daemonAPI, path string, stdio IO) int {
	body, err := api.call(http.MethodGet, path)
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
	if !parse(fs, args) || !noArgs(fs, stdio) {
		return 2
	}
	const use = "usage: hazardwire replay --exporter NAME --since 2h [--config FILE | --addr HOST:PORT]"
	if *df.exporter == "" {
		fmt.Fprintln(stdio.Stderr, "replay: --exporter NAME is required\n"+use)
		return 2
	}
	if *since <= 0 {
		fmt.Fprintf(stdio.Stderr, "replay: --since %s: want a duration above 0, such as 2h\n%s\n", *since, use)
		return 2
	}
	api, err := df.target()
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return 1
	}
	// Each line is printed as the daemon sends it.
	var answer bytes.Buffer
	err = api.stream(http.MethodPost, "/api/v1/exporters/"+url.PathEscape(*df.exporter)+"/replay?since="+url.QueryEscape(since.String()),
		io.MultiWriter(stdio.Stdout, &answer), replayIdle)
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "replay:", err)
		return 1
	}
	return replayExit(answer.String())
}

// replayExit is replay's exit code for the daemon's answer: 0 only when
// every change was sent and the replay ran to its end. A replay the daemon
// stopped midway (its lease lost: "stopped before …") still ends with the
// summary line, and is a failure too.
func replayExit(out string) int {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "failed ") || strings.HasPrefix(line, "stopped before ") {
			return 1
		}
	}
	if !strings.Contains(out, "replayed: ") {
		return 1 // cut short without its summary
	}
	return 0
}
