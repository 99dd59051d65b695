package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/alert"
)

// ErrGone is returned for a change no longer on the stream (aged out).
var ErrGone = errors.New("no longer on the stream")

// AlertAt reads the change stored at seq on the alert stream.
func (b *Bus) AlertAt(ctx context.Context, seq uint64) (*alert.Alert, error) {
	s, err := b.js.Stream(ctx, StreamAlerts)
	if err != nil {
		return nil, err
	}
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, fmt.Errorf("read change %d: %w", seq, err)
	}
	var a alert.Alert
	if err := json.Unmarshal(m.Data, &a); err != nil {
		return nil, fmt.Errorf("decode change %d: %w", seq, err)
	}
	return &a, nil
}

// Change is one change read from the stream, with its sequence.
type Change struct {
	Seq   uint64
	Time  time.Time
	Alert alert.Alert
	// Body is the change exactly as published.
	Body []byte
	// Previous, on an update, is the sequence of its key's version before
	// it (alert.PreviousSeqHeader); 0 when not known.
	Previous uint64
}

// Follow calls fn for every change on the alert stream from sequence from
// on (0: only changes published from now on), in order, until ctx is done or
// fn returns an error. It reads with an ordered consumer, which the server
// forgets when the reader goes.
func (b *Bus) Follow(ctx context.Context, from uint64, fn func(Change) error) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{SubjectAlerts + ".>"}, DeliverPolicy: jetstream.DeliverNewPolicy}
	if from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
	}
	cons, err := b.js.OrderedConsumer(ctx, StreamAlerts, cfg)
	if err != nil {
		return fmt.Errorf("follow the alert stream: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("follow the alert stream: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		var a alert.Alert
		if err := json.Unmarshal(m.Data(), &a); err != nil {
			continue
		}
		previous, _ := strconv.ParseUint(m.Headers().Get(alert.PreviousSeqHeader), 10, 64)
		if err := fn(Change{Seq: meta.Sequence.Stream, Time: meta.Timestamp, Alert: a, Body: m.Data(), Previous: previous}); err != nil {
			return err
		}
	}
}

// Bounds returns the first sequence on the alert stream published at or
// after t, and the stream's last sequence; first is 0 when nothing was
// published since t.
func (b *Bus) Bounds(ctx context.Context, t time.Time) (first, last uint64, err error) {
	s, err := b.js.Stream(ctx, StreamAlerts)
	if err != nil {
		return 0, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	last = info.State.LastSeq
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &t})
	if err != nil {
		return 0, 0, err
	}
	m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
	if err != nil {
		return 0, last, nil // nothing since t
	}
	meta, err := m.Metadata()
	if err != nil {
		return 0, 0, err
	}
	return meta.Sequence.Stream, last, nil
}
