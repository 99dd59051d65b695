package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Peer is a relay the peer scenario measures: a shell command that polls the
// bench's feed and POSTs what it finds to the bench's partner, as hazardwire
// does. It finds them in its environment:
//
//	HW_BENCH_FEED         the synthetic NWS /alerts/active URL
//	HW_BENCH_PARTNER      the partner endpoint to POST to (the first, with several)
//	HW_BENCH_PARTNERS     every partner endpoint, separated by spaces (-peer-partners)
//	HW_BENCH_DIR          a fresh directory for its config and store (its working directory)
//	HW_BENCH_SECRET       a Standard Webhooks secret, for relays that sign
//	HW_BENCH_CONCURRENCY  requests in flight, the ceiling's (-concurrency)
//	HW_BENCH_PORT         a free loopback port, for a relay of two processes
//
// hazardwire itself runs as one with configs/bench/hazardwire.yaml, a general
// stream processor with configs/bench/benthos.yaml, and Alertmanager's webhook
// path with configs/bench/alertmanager-path.sh.
type Peer struct {
	Name    string `json:"name"`
	Command string `json:"command"`
}

// ParsePeer reads "name=command". The name goes into benchmark names, so it
// is letters, digits, '.', '_' and '-'.
func ParsePeer(s string) (Peer, error) {
	name, command, ok := strings.Cut(s, "=")
	name, command = strings.TrimSpace(name), strings.TrimSpace(command)
	if !ok || name == "" || command == "" {
		return Peer{}, fmt.Errorf("peer %q: want name=command", s)
	}
	if !peerName.MatchString(name) {
		return Peer{}, fmt.Errorf("peer %q: the name %q may hold only letters, digits, '.', '_' and '-'", s, name)
	}
	return Peer{Name: name, Command: command}, nil
}

var peerName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// PeerResult is one relay's run beside its ceiling: the same partner
// receiving, by plain POSTs at the same concurrency, the bodies the relay
// sent it. In Relay and Ceiling a delivery is an alert's first arrival;
// Retries, Attempt and Collect are not measured for a relay and stay zero.
type PeerResult struct {
	Peer
	Alerts      int    `json:"alerts"`
	Partners    int    `json:"partners"`
	Concurrency int    `json:"concurrency"`
	Relay       FanOut `json:"relay"`
	Ceiling     FanOut `json:"ceiling"`
	// Ratio is the relay's rate over the ceiling's.
	Ratio float64 `json:"ratio"`
	// Repeats counts alerts the partner got again after the first time (a
	// relay that does not remember what it sent POSTs every alert at every poll).
	Repeats int64 `json:"repeats"`
	// RelayCPU is the relay's own share of Relay.CPU (the rest is the
	// bench's feed and partner). CPUMeasured is false where it could not be
	// read (no /proc): Relay.CPU is then the bench's side alone.
	RelayCPU    time.Duration `json:"relay_cpu_ns"`
	CPUMeasured bool          `json:"cpu_measured"`
	// Stop says what went wrong stopping the relay after its run (it did not
	// exit within 15 s of SIGTERM), if anything.
	Stop string `json:"stop,omitempty"`
}

// onceEach returns the bodies that brought alerts (by alert), each body once:
// one that brought several is kept under one of them.
func onceEach(byAlert map[string][]byte) map[string][]byte {
	seen := map[*byte]bool{}
	out := map[string][]byte{}
	for ev, b := range byAlert {
		if len(b) == 0 || seen[&b[0]] {
			continue
		}
		seen[&b[0]] = true
		out[ev] = b
	}
	return out
}

// prefixed writes a relay's output to w, each line led by its name; nil
// when w discards it.
func prefixed(w io.Writer, name string) io.Writer {
	if w == io.Discard || w == nil {
		return nil
	}
	return &linePrefixer{w: w, prefix: []byte(name + ": ")}
}

type linePrefixer struct {
	w      io.Writer
	prefix []byte
	mid    bool // inside a line
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	n := len(b)
	var out []byte
	for len(b) > 0 {
		if !p.mid {
			out = append(out, p.prefix...)
		}
		line, rest, nl := bytes.Cut(b, []byte{'\n'})
		out = append(out, line...)
		if nl {
			out = append(out, '\n')
		}
		p.mid, b = !nl, rest
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

var errNoPeers = errors.New("the peer scenario needs at least one -peer name=command")
