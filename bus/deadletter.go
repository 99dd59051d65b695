package bus

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers added to a dead letter beside the original message's own.
const (
	HeaderDLExporter  = "Hazardwire-Exporter"
	HeaderDLReason    = "Hazardwire-Reason"
	HeaderDLAttempts  = "Hazardwire-Attempts"
	HeaderDLLastError = "Hazardwire-Last-Error"
	HeaderDLStreamSeq = "Hazardwire-Stream-Seq"
	HeaderDLSubject   = "Hazardwire-Subject"
	HeaderDLTime      = "Hazardwire-Time"
)

// DeadLetterSubject returns the dead-letter subject of an exporter.
func DeadLetterSubject(exporter string) string { return SubjectDeadLetter + "." + token(exporter) }

// DeadLetter stores m on the dead-letter stream under the exporter's subject,
// with its original headers and why it failed.
func (b *Bus) DeadLetter(ctx context.Context, exporter string, m jetstream.Msg, reason string, attempts int, lastErr string) error {
	out := nats.NewMsg(DeadLetterSubject(exporter))
	out.Data = m.Data()
	for k, vs := range m.Headers() {
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	var seq uint64
	if meta, err := m.Metadata(); err == nil {
		seq = meta.Sequence.Stream
	}
	// The id names the exporter and the stream message, so one change dead-
	// lettered by two exporters is stored twice, and a retried dead letter once.
	out.Header.Set(jetstream.MsgIDHeader, exporter+"/"+strconv.FormatUint(seq, 10))
	out.Header.Set(HeaderDLExporter, exporter)
	out.Header.Set(HeaderDLReason, reason)
	out.Header.Set(HeaderDLAttempts, strconv.Itoa(attempts))
	out.Header.Set(HeaderDLLastError, truncate(lastErr, 512))
	out.Header.Set(HeaderDLStreamSeq, strconv.FormatUint(seq, 10))
	out.Header.Set(HeaderDLSubject, m.Subject())
	out.Header.Set(HeaderDLTime, time.Now().UTC().Format(time.RFC3339))
	if _, err := b.js.PublishMsg(ctx, out, jetstream.WithExpectStream(StreamDeadLetter)); err != nil {
		return fmt.Errorf("dead letter for %q: %w", exporter, err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
