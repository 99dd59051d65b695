package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestStreamEndsForAClientThatStopsReading: an event stream whose client
// stops reading ends once a write has waited streamWriteTimeout, instead of
// holding its goroutine and its consumer until the daemon stops: the client,
// reading again, finds the stream closed.
func TestStreamEndsForAClientThatStopsReading(t *testing.T) {
	defer func(old time.Duration) { streamWriteTimeout = old }(streamWriteTimeout)
	streamWriteTimeout = 300 * time.Millisecond
	cfg, err := config.Parse("t.yaml", fmt.Appendf(nil, "bus: {store_dir: %q}\nhttp: {listen: \"127.0.0.1:0\"}\n", t.TempDir()), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, Options{Logger: testbus.Logger(t), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-d.Started():
	case err := <-done:
		done <- err
		t.Fatalf("daemon stopped at start: %v", err)
	}

	conn, err := net.Dial("tcp", d.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for { // up to the stream's first line: it follows the bus from now on
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream's head: %v", err)
		}
		if strings.HasPrefix(line, "retry:") {
			break
		}
	}

	// More than the sockets hold (20 MB of events), while the client reads
	// nothing.
	b, _ := d.Publisher()
	for i := 0; i < 40; i++ {
		cs := make([]bus.Encoded, 1000)
		for j := range cs {
			cs[j] = testChange(t, fmt.Sprintf("nws:KCHS.HT.Y.%05d", i*1000+j), 1)
		}
		if _, errs := b.PublishAll(ctx, cs); errors.Join(errs...) != nil {
			t.Fatal(errors.Join(errs...))
		}
	}
	time.Sleep(2 * time.Second) // the server's write has waited past its timeout

	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the stream was still open 30s after the client read again (%d bytes read): its stalled write never ended it", n)
	}
	t.Logf("the stream ended after %d bytes: %v", n, err)
}
