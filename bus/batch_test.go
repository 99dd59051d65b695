package bus_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestPublishAll: a batch is stored in order, one sequence per change; the
// same batch again (a crash before the state was recorded) is dropped by id
// and answers with the first sequences.
func TestPublishAll(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	var as []*alert.Alert
	var cs []bus.Encoded
	for i := range 5 {
		a := sample(1)
		a.Key = fmt.Sprintf("nws:KCHS.HT.Y.%04d", i)
		a.ID = alert.MakeID(a.Key, 1)
		as = append(as, a)
		c, err := bus.Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	stored, errs := b.PublishAll(ctx, cs)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []bus.Stored{{Seq: 1}, {Seq: 2}, {Seq: 3}, {Seq: 4}, {Seq: 5}}
	if !slices.Equal(stored, want) {
		t.Errorf("stored %v, want sequences 1..5 in publish order", stored)
	}
	again, errs := b.PublishAll(ctx, cs)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range want {
		want[i].Duplicate = true
	}
	if !slices.Equal(again, want) {
		t.Errorf("republished batch answered %v, want the first sequences as duplicates %v", again, want)
	}
	for i, s := range stored {
		want := s.Seq
		got, err := b.AlertAt(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != as[i].ID {
			t.Errorf("sequence %d holds %s, want %s", want, got.ID, as[i].ID)
		}
	}
	// The headers as stored, whole: one value each, the CloudEvents set, and
	// the stream the publish required.
	st, err := b.JetStream().Stream(ctx, bus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := st.GetMsg(ctx, stored[4].Seq)
	if err != nil {
		t.Fatal(err)
	}
	a := as[4]
	wantHeader := map[string][]string{
		"Nats-Msg-Id":    {a.ID},
		"ce-specversion": {"1.0"}, "ce-id": {a.ID}, "ce-type": {"org.hazardwire.alert.new"},
		"ce-source": {"/hazardwire/collectors/nws"}, "ce-subject": {a.Key},
		"ce-time": {a.Sent.Format(time.RFC3339)}, "Content-Type": {"application/json"},
	}
	if !maps.EqualFunc(map[string][]string(raw.Header), wantHeader, slices.Equal) {
		t.Errorf("stored header %v\nwant %v", raw.Header, wantHeader)
	}
}

// TestPutAll: records put in a batch are what All reads back; a later put
// of a key replaces it.
func TestPutAll(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	s := b.States()
	entries := []bus.StateEntry{
		{Source: "kma", Key: "kma:a/ko-KR", Value: []byte(`{"key":"a"}`)},
		{Source: "kma", Key: "kma:b.c*>", Value: []byte(`{"key":"b"}`)}, // characters KV keys may not hold
		{Source: "nws", Key: "nws:KCHS.HT.Y.0007", Value: []byte(`{"key":"c"}`)},
	}
	for _, err := range s.PutAll(ctx, entries) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if errs := s.PutAll(ctx, []bus.StateEntry{{Source: "kma", Key: "kma:a/ko-KR", Value: []byte(`{"key":"a2"}`)}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	all, err := s.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range all {
		got = append(got, string(v))
	}
	slices.Sort(got)
	want := []string{`{"key":"a2"}`, `{"key":"b"}`, `{"key":"c"}`}
	if !slices.Equal(got, want) {
		t.Errorf("All = %v, want %v", got, want)
	}
}

// TestBatchNoResponders: with no stream on the subjects, every change and
// every record fails at once with the jetstream package's error, rather
// than after the publish timeout.
func TestBatchNoResponders(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	if err := b.JetStream().DeleteStream(ctx, bus.StreamAlerts); err != nil {
		t.Fatal(err)
	}
	if err := b.JetStream().DeleteKeyValue(ctx, bus.BucketState); err != nil {
		t.Fatal(err)
	}
	a := sample(1)
	c, err := bus.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, errs := b.PublishAll(ctx, []bus.Encoded{c, c})
	for _, err := range errs {
		if !errors.Is(err, jetstream.ErrNoStreamResponse) || !strings.HasPrefix(err.Error(), "publish "+a.ID+": ") {
			t.Errorf("PublishAll error %v, want publish %s: and %v", err, a.ID, jetstream.ErrNoStreamResponse)
		}
	}
	errs = b.States().PutAll(ctx, []bus.StateEntry{{Source: "nws", Key: a.Key, Value: []byte(`{}`)}})
	if !errors.Is(errs[0], jetstream.ErrNoStreamResponse) || !strings.HasPrefix(errs[0].Error(), `store state "`+a.Key+`": `) {
		t.Errorf("PutAll error %v, want store state %q: and %v", errs[0], a.Key, jetstream.ErrNoStreamResponse)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("no responders took %v to fail", took)
	}
}
