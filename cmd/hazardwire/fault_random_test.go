package main_test

// The fault tests whose moments are drawn at random: from -fault.seed when
// it is given, else from the clock; each logs its seed, so that a failure
// can be run again with the same moments.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// fkRand returns the test's source of random moments and logs its seed.
func fkRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := *fkSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("random moments from -fault.seed=%d", seed)
	return rand.New(rand.NewPCG(seed, 0))
}

// fkLogUniform draws a duration between lo and hi whose logarithm is
// uniform: short windows (a poll's few milliseconds of publishing) are hit
// about as often as long ones (seconds of deliveries).
func fkLogUniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return time.Duration(math.Exp(math.Log(float64(lo)) + rng.Float64()*math.Log(float64(hi)/float64(lo))))
}

// TestFaultKillAnywhere SIGKILLs the daemon at random moments, not only
// while deliveries are in flight: while it starts and recovers its store,
// while a poll is read and parsed, while the lifecycle publishes changes and
// records them, while the exporter settles. In each stage it is killed
// -fault.kills times, then started once more and left to land the stage.
// One kill in four comes while the daemon starts (0–300 ms after exec);
// the others come after the feed has answered the run at start, at a
// delay drawn log-uniformly from 1 ms to 2 s, so that the few milliseconds
// of a poll's publishing are hit about as often as the seconds of its
// deliveries. The moments come from -fault.seed, logged so that a failure
// can be run again.
func TestFaultKillAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	rng := fkRand(t)

	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	p.setDelay(*fkDelay)
	config := fkConfig(t, t.TempDir(), fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url(), concurrency: 4})
	for s := range fkStages {
		b.setStage(s)
		for k := range *fkKills {
			polls := b.answered()
			d := fkStartExit(t, config)
			var at time.Duration
			when := "after exec"
			if rng.IntN(4) == 0 {
				at = time.Duration(rng.Int64N(int64(300 * time.Millisecond)))
			} else {
				b.awaitPoll(t, d, polls)
				at = fkLogUniform(rng, time.Millisecond, 2*time.Second)
				when = "after the feed answered"
			}
			time.Sleep(at)
			if d.exited() {
				t.Fatalf("stage %d, kill %d: the daemon exited by itself (%v) before it was killed", s, k, d.cmd.ProcessState)
			}
			d.kill()
			t.Logf("stage %d, kill %d: %v %s; %d deliveries so far; last log line: %s",
				s, k, at.Round(100*time.Microsecond), when, len(p.got()), fkLastLine(d.logs.String()))
		}
		d := fkStart(t, config)
		fkWait(t, d, 60*time.Second, fmt.Sprintf("stage %d landed", s), func() bool { return d.landed(b, s) })
		if s == fkStages-1 {
			want := b.want(s)
			fkWaitAll(t, d, p, "every change delivered after the last kill", want)
			rep := fkCheck(t, p, want)
			t.Logf("%d changes, %d deliveries (%d repeats), %d kills", len(want), rep.deliveries, rep.duplicates, fkStages**fkKills)
		}
		d.kill()
	}
}

// fkLastLine is the last line of a log, cut to 200 bytes.
func fkLastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return fkTail(s, 200)
}

// TestFaultPartnerFlaps moves the partner between answering, 500s, 429s,
// hanging past the timeout, cutting connections and not listening, each
// for a random 20 ms – 1.5 s, while the feed goes through its stages: every
// change arrives once the partner settles, in order per key, with one body
// per id, and nothing goes to the dead letters.
func TestFaultPartnerFlaps(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	rng := fkRand(t)
	modes := []fkMode{fkOK, fkOK, fkOK, fk500, fk429, fkSlow, fkCut, fkListenOff}
	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	p.setDelay(*fkDelay)
	d := fkStart(t, fkConfig(t, t.TempDir(), fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url(),
		timeout: 300 * time.Millisecond, concurrency: 4}))
	flaps := map[fkMode]int{}
	for s := range fkStages {
		b.setStage(s)
		// At least ten flaps a stage, and on until the stage has landed.
		for n := 0; n < 10 || !d.landed(b, s); n++ {
			if n > 200 {
				t.Fatalf("stage %d not landed after %d flaps", s, n)
			}
			m := modes[rng.IntN(len(modes))]
			p.setMode(m)
			flaps[m]++
			time.Sleep(fkLogUniform(rng, 20*time.Millisecond, 1500*time.Millisecond))
		}
	}
	p.setMode(fkOK)
	want := b.want(fkStages - 1)
	fkWaitAll(t, d, p, "every change delivered after the partner settled", want)
	rep := fkCheck(t, p, want)
	if dl := d.metric(fkDeliveries("dead_letter")); dl != 0 {
		t.Errorf("%s = %v, want 0", fkDeliveries("dead_letter"), dl)
	}
	var in []string
	for m, n := range flaps {
		in = append(in, fmt.Sprintf("%s %d", fkModeNames[m], n))
	}
	t.Logf("%d changes, %d deliveries (%d repeats), %v retries; flaps: %s", len(want), rep.deliveries, rep.duplicates,
		d.metric(fkDeliveries("retry")), strings.Join(in, ", "))
}

// TestFaultNATSKillAnywhere runs the daemon on an external nats-server and
// SIGKILLs the server -fault.kills times in each stage, each time at a
// random 1 ms – 2 s after the feed answered a poll (while the lifecycle
// publishes and records, or while changes are delivered), and starts it
// again on the same store and port after a random 10 ms – 3 s: the daemon
// reconnects and every change arrives.
func TestFaultNATSKillAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary and nats-server")
	}
	rng := fkRand(t)
	x, b, p, d := fkOnExternal(t)
	for s := range fkStages {
		b.setStage(s)
		for k := range *fkKills {
			b.awaitPoll(t, d, b.answered())
			at := fkLogUniform(rng, time.Millisecond, 2*time.Second)
			time.Sleep(at)
			x.kill()
			down := fkLogUniform(rng, 10*time.Millisecond, 3*time.Second)
			t.Logf("stage %d, kill %d: nats-server killed %v after a poll, %d deliveries so far; down for %v",
				s, k, at.Round(100*time.Microsecond), len(p.got()), down.Round(time.Millisecond))
			time.Sleep(down)
			x.start(t)
		}
		fkWait(t, d, 60*time.Second, fmt.Sprintf("stage %d landed", s), func() bool { return d.landed(b, s) })
	}
	want := b.want(fkStages - 1)
	fkWaitAll(t, d, p, "every change delivered after the last kill", want)
	rep := fkCheck(t, p, want)
	t.Logf("%d changes, %d deliveries (%d repeats)", len(want), rep.deliveries, rep.duplicates)
}
