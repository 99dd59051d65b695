//go:build unix

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain lets this test binary run as a naive relay for the peer scenario
// (HW_BENCH_TEST_RELAY=1): it polls the feed every 50 ms and POSTs every
// feature it finds to every partner, every time, remembering nothing. With
// HW_BENCH_TEST_RELAY=once it exits after the first poll that found any.
func TestMain(m *testing.M) {
	if mode := os.Getenv("HW_BENCH_TEST_RELAY"); mode != "" {
		naiveRelay(os.Getenv("HW_BENCH_FEED"), strings.Fields(os.Getenv("HW_BENCH_PARTNERS")), mode == "once")
		return
	}
	os.Exit(m.Run())
}

func naiveRelay(feed string, partners []string, once bool) {
	for {
		res, err := http.Get(feed)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var fc struct{ Features []json.RawMessage }
		err = json.NewDecoder(res.Body).Decode(&fc)
		res.Body.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, partner := range partners {
			for _, f := range fc.Features {
				if res, err := http.Post(partner, "application/json", bytes.NewReader(f)); err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}
		}
		if once && len(fc.Features) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPeerScenario runs two relays as separate processes against the bench's
// feed and partners: this test binary as a naive relay, and the hazardwire
// binary from the shipped configs/bench files, with one partner
// (hazardwire.yaml) and with three (hazardwire-fanout.sh, which writes one
// exporter a partner). Every partner must get every alert and nothing else,
// from the relay and from its ceiling, and the report must print. It asserts
// no speed.
func TestPeerScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := buildDaemon(t)
	config, err := filepath.Abs("../../configs/bench/hazardwire.yaml")
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../configs/bench/hazardwire-fanout.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		alerts, partners int
		hazardwire       string
		table, benchfmt  []string
	}{
		{40, 1, "exec " + bin + " run --config " + config,
			[]string{"peer naive (40 alerts, 1 partner)", "peer hazardwire (40 alerts", "alerts sent again", "the relay alone"},
			[]string{"BenchmarkPeer/naive/40/Relay 1 ", "relay-cpu-µs/alert", "BenchmarkPeer/hazardwire/40/Ceiling 1 ", "BenchmarkPeer/hazardwire/40/Ratio 1 0 ns/op"}},
		{20, 3, "HAZARDWIRE=" + bin + " exec " + script,
			[]string{"peer hazardwire (20 alerts × 3 partners)"},
			[]string{"BenchmarkPeer/hazardwire/20x3/Relay 1 ", "relay-cpu-µs/delivery"}},
	} {
		t.Run(fmt.Sprintf("%d partners", c.partners), func(t *testing.T) {
			var log bytes.Buffer
			o := Options{
				Dir: t.TempDir(), Timeout: time.Minute, Scenarios: []string{"peer"}, PeerAlerts: c.alerts, PeerPartners: c.partners, Log: &log,
				Peers: []Peer{{Name: "naive", Command: "HW_BENCH_TEST_RELAY=1 exec " + self}, {Name: "hazardwire", Command: c.hazardwire}},
			}
			r, err := Run(context.Background(), o, io.Discard)
			if err != nil {
				t.Fatalf("%v\nrelays' output:\n%s", err, log.String())
			}
			if len(r.Peers) != 2 {
				t.Fatalf("peers: %+v", r.Peers)
			}
			n := c.alerts * c.partners
			for _, p := range r.Peers {
				for side, s := range map[string]FanOut{"relay": p.Relay, "ceiling": p.Ceiling} {
					if s.Deliveries != int64(n) || s.Expected != int64(n) || s.Unexpected != 0 || s.Latency.N != n || s.Rate <= 0 {
						t.Errorf("%s %s: %+v", p.Name, side, s)
					}
				}
				if p.Ratio <= 0 || p.CPUMeasured != (runtime.GOOS == "linux") || p.RelayCPU < 0 {
					t.Errorf("%s: ratio %v, relay CPU %v (measured %v)", p.Name, p.Ratio, p.RelayCPU, p.CPUMeasured)
				}
			}
			// hazardwire remembers what it sent: polled every second, it
			// sends each alert once. The naive relay may have polled again
			// before the end; it can only repeat, never invent.
			if hw := r.Peers[1]; hw.Repeats != 0 || hw.Relay.Requests != int64(n) {
				t.Errorf("hazardwire sent %d requests, %d alerts again", hw.Relay.Requests, hw.Repeats)
			}
			var table, bf bytes.Buffer
			if err := r.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteBenchfmt(&bf); err != nil {
				t.Fatal(err)
			}
			for _, want := range c.table {
				if !strings.Contains(table.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, table.String())
				}
			}
			for _, want := range c.benchfmt {
				if !strings.Contains(bf.String(), want) {
					t.Errorf("benchmark format lacks %q:\n%s", want, bf.String())
				}
			}
		})
	}
}

// TestPeerExitsEarly: a relay that exits before delivering fails the run at
// once with a clear error, not after the timeout, even when a process it
// left behind holds its output open.
func TestPeerExitsEarly(t *testing.T) {
	for _, c := range []struct{ name, command, want string }{
		{"quitter", "exit 3", "quitter exited early (exit status 3"},
		{"leaver", "sleep 30 & exit 4", "leaver exited early (exit status 4"},
	} {
		var log bytes.Buffer
		o := Options{Dir: t.TempDir(), Timeout: time.Minute, Scenarios: []string{"peer"}, PeerAlerts: 5, Log: &log,
			Peers: []Peer{{Name: c.name, Command: c.command}}}
		start := time.Now()
		_, err := Run(context.Background(), o, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s: took %s: waited for the timeout", c.name, d)
		}
	}
	if _, err := Run(context.Background(), Options{Scenarios: []string{"peer"}}, io.Discard); err == nil || !strings.Contains(err.Error(), "-peer name=command") {
		t.Errorf("no peers: err = %v", err)
	}
}

// TestPeerDoneAndGone: a relay that delivers everything and exits at once
// is measured, not failed for exiting.
func TestPeerDoneAndGone(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Dir: t.TempDir(), Timeout: time.Minute, Scenarios: []string{"peer"}, PeerAlerts: 20,
		Peers: []Peer{{Name: "once", Command: "HW_BENCH_TEST_RELAY=once exec " + self}}}
	r, err := Run(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if p := r.Peers[0]; p.Relay.Deliveries != 20 || p.Ceiling.Deliveries != 20 || p.RelayCPU < 0 {
		t.Errorf("relay %+v, ceiling %+v, relay CPU %s", p.Relay, p.Ceiling, p.RelayCPU)
	}
}

// TestPeerInterrupted: cancelling the bench (its SIGINT) ends a peer run
// that waits on a relay, and stops the relay.
func TestPeerInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	o := Options{Dir: t.TempDir(), Timeout: time.Minute, Scenarios: []string{"peer"}, PeerAlerts: 5,
		Peers: []Peer{{Name: "sleeper", Command: "exec sleep 120"}}}
	start := time.Now()
	_, err := Run(ctx, o, io.Discard)
	if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s after the interrupt", d)
	}
}

func TestParsePeer(t *testing.T) {
	p, err := ParsePeer(" hw = exec hazardwire run --config a=b.yaml ")
	if err != nil || p.Name != "hw" || p.Command != "exec hazardwire run --config a=b.yaml" {
		t.Errorf("ParsePeer = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "hw", "=cmd", "hw=", "my relay=cmd", "a/b=cmd"} {
		if _, err := ParsePeer(bad); err == nil {
			t.Errorf("ParsePeer(%q) accepted", bad)
		}
	}
}

// buildDaemon builds the hazardwire binary for a test.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hazardwire")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/hazardwire/hazardwire/cmd/hazardwire").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
