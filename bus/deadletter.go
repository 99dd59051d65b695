package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/alert"
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
	// HeaderDLMsgID keeps the original Nats-Msg-Id (the alert id), which the
	// dead letter's own replaces.
	HeaderDLMsgID = "Hazardwire-Msg-Id"
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
	// lettered by two exporters is stored twice, and a retried dead letter
	// once; the original is kept beside it.
	if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
		out.Header.Set(HeaderDLMsgID, id)
	}
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

// DeadLetter is one stored dead letter.
type DeadLetter struct {
	Seq       uint64      `json:"seq"`
	Alert     alert.Alert `json:"alert"`
	Reason    string      `json:"reason"`
	Attempts  int         `json:"attempts"`
	LastError string      `json:"lastError"`
	Time      time.Time   `json:"time"`
	// Body is the change exactly as published.
	Body []byte `json:"-"`
}

// DeadLetters lists the dead letters of an exporter, oldest first (at most
// limit, the newest ones when there are more).
func (b *Bus) DeadLetters(ctx context.Context, exporter string, limit int) ([]DeadLetter, error) {
	s, err := b.js.Stream(ctx, StreamDeadLetter)
	if err != nil {
		return nil, err
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{DeadLetterSubject(exporter)}})
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", err)
	}
	var out []DeadLetter
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(300 * time.Millisecond))
		if err != nil { // no more messages
			break
		}
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		h := m.Headers()
		dl := DeadLetter{Seq: meta.Sequence.Stream, Reason: h.Get(HeaderDLReason), LastError: h.Get(HeaderDLLastError), Time: meta.Timestamp}
		dl.Attempts, _ = strconv.Atoi(h.Get(HeaderDLAttempts))
		dl.Body = m.Data()
		_ = json.Unmarshal(dl.Body, &dl.Alert)
		out = append(out, dl)
		if meta.NumPending == 0 {
			break
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// DeleteDeadLetter removes a dead letter once it has been delivered.
func (b *Bus) DeleteDeadLetter(ctx context.Context, seq uint64) error {
	s, err := b.js.Stream(ctx, StreamDeadLetter)
	if err != nil {
		return err
	}
	return s.DeleteMsg(ctx, seq)
}
