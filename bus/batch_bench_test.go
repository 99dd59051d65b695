package bus_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// BenchmarkPublishAll publishes batches of 256 changes of about 2.2 KB, with
// their headers, to the alert stream of an embedded server: a busy poll's
// batch. Every change has a new id, so none is dropped as a duplicate.
func BenchmarkPublishAll(b *testing.B) {
	const batch = 256
	bs := testbus.Open(b)
	ctx := context.Background()
	cs := make([]bus.Encoded, batch)
	for i := range cs {
		a := sample(1)
		a.Key = "nws:KCHS.HT.Y." + strconv.Itoa(i)
		a.Headline = "Heat Advisory issued July 1 at 12:00PM EDT until July 2 at 8:00PM EDT by NWS Charleston SC"
		a.Description = strings.Repeat("Heat index values up to 110 expected. ", 40)
		a.Instruction = "Drink plenty of fluids, stay in an air-conditioned room, stay out of the sun."
		c, err := bus.Encode(a)
		if err != nil {
			b.Fatal(err)
		}
		cs[i] = c
	}
	if n := len(cs[0].Data); n < 2000 || n > 2400 {
		b.Fatalf("a change is %d bytes, want about 2.2 KB", n)
	}
	b.SetBytes(int64(batch * len(cs[0].Data)))
	b.ReportAllocs()
	version := 1
	for b.Loop() {
		version++
		for i := range cs {
			cs[i].Alert.Version = version
			cs[i].Alert.ID = alert.MakeID(cs[i].Alert.Key, version)
		}
		_, errs := bs.PublishAll(ctx, cs)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
