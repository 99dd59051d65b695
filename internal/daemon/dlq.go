package daemon

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/exporters"
)

// dlqHandlers are the dead-letter and replay routes, used by the CLI.
func (d *Daemon) dlqHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /api/v1/dlq/{exporter}":               http.HandlerFunc(d.serveDeadLetters),
		"POST /api/v1/dlq/{exporter}/replay":       http.HandlerFunc(d.serveDeadLetterReplay),
		"POST /api/v1/exporters/{exporter}/replay": http.HandlerFunc(d.serveReplaySince),
	}
}

// exporterFor returns the running exporter named in the request's path.
func (d *Daemon) exporterFor(w http.ResponseWriter, r *http.Request) (*runningExporter, *bus.Bus, bool) {
	name := r.PathValue("exporter")
	d.mu.Lock()
	e, b := d.exporters[name], d.bus
	d.mu.Unlock()
	if e == nil || b == nil {
		http.Error(w, fmt.Sprintf("no exporter %q is running", name), http.StatusNotFound)
		return nil, nil, false
	}
	return e, b, true
}

func (d *Daemon) serveDeadLetters(w http.ResponseWriter, r *http.Request) {
	e, b, ok := d.exporterFor(w, r)
	if !ok {
		return
	}
	dls, err := b.DeadLetters(r.Context(), e.built.Config.Name, 1000)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if dls == nil {
		dls = []bus.DeadLetter{}
	}
	writeJSON(w, map[string]any{"exporter": e.built.Config.Name, "deadLetters": dls})
}

// serveDeadLetterReplay delivers dead letters again (?id=ALERT_ID or
// ?all=true); each one delivered is removed, the others stay. A dead letter
// of a key that has had a newer version published since is not sent unless
// ?force=true: the partner would get an older version after a newer one.
func (d *Daemon) serveDeadLetterReplay(w http.ResponseWriter, r *http.Request) {
	if d.refuseUnlessActing(w) {
		return
	}
	e, b, ok := d.exporterFor(w, r)
	if !ok {
		return
	}
	id, all := r.URL.Query().Get("id"), r.URL.Query().Get("all") == "true"
	force := r.URL.Query().Get("force") == "true"
	if (id == "") == !all {
		http.Error(w, "give either id=ALERT_ID or all=true", http.StatusBadRequest)
		return
	}
	dls, err := b.DeadLetters(r.Context(), e.built.Config.Name, 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	res := map[string]int{"delivered": 0, "failed": 0, "superseded": 0}
	var errs []string
	d.mu.Lock()
	engine := d.engine
	d.mu.Unlock()
	for _, dl := range dls {
		if !all && dl.Alert.ID != id {
			continue
		}
		if err := d.acting(); err != nil { // the lease lost meanwhile
			res["failed"]++
			errs = append(errs, fmt.Sprintf("%s: %v", dl.Alert.ID, err))
			break
		}
		if engine != nil && !force {
			if v := engine.Version(dl.Alert.Key); v > dl.Alert.Version {
				res["superseded"]++
				errs = append(errs, fmt.Sprintf("%s: version %d of its key was published since; kept, not sent (force sends it)", dl.Alert.ID, v))
				continue
			}
		}
		o := deliverWithRetries(r.Context(), e.built.Exporter, exporters.Delivery{Alert: &dl.Alert, Body: dl.Body, Attempt: dl.Attempts + 1})
		if o.Err != nil {
			res["failed"]++
			errs = append(errs, fmt.Sprintf("%s: %v", dl.Alert.ID, o.Err))
			continue
		}
		res["delivered"]++
		if err := b.DeleteDeadLetter(r.Context(), dl.Seq); err != nil {
			errs = append(errs, fmt.Sprintf("%s delivered, but not removed from the dead letters: %v", dl.Alert.ID, err))
		}
	}
	if !all && res["delivered"]+res["failed"]+res["superseded"] == 0 {
		http.Error(w, fmt.Sprintf("no dead letter with id %q for exporter %q", id, e.built.Config.Name), http.StatusNotFound)
		return
	}
	writeJSON(w, map[string]any{"delivered": res["delivered"], "failed": res["failed"], "superseded": res["superseded"], "errors": errs})
}

// serveReplaySince resends every change published since ?since=DURATION
// that passes the exporter's filter (or leaves it: exporters.Filter.Leaving),
// with the original ids, for a partner restoring its database. Progress is
// written as the replay goes.
func (d *Daemon) serveReplaySince(w http.ResponseWriter, r *http.Request) {
	if d.refuseUnlessActing(w) {
		return
	}
	e, b, ok := d.exporterFor(w, r)
	if !ok {
		return
	}
	since, err := time.ParseDuration(r.URL.Query().Get("since"))
	if err != nil || since <= 0 {
		http.Error(w, "since: want a duration such as 2h", http.StatusBadRequest)
		return
	}
	first, last, err := b.Bounds(r.Context(), d.opts.Now().Add(-since))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	flusher, _ := w.(http.Flusher)
	sent, failed, skipped := 0, 0, 0
	if first > 0 && first <= last {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		f := e.built.Config.Filter
		_ = f.Validate()
		_ = b.Follow(ctx, first, func(c bus.Change) error {
			if c.Seq > last {
				cancel() // caught up with the stream as it was when the replay began
				return context.Canceled
			}
			if err := d.acting(); err != nil { // the lease lost meanwhile
				fmt.Fprintf(w, "stopped before %s: %v\n", c.Alert.ID, err)
				cancel()
				return context.Canceled
			}
			if f.Match(&c.Alert) || leaving(ctx, b, &f, c) {
				if o := deliverWithRetries(ctx, e.built.Exporter, exporters.Delivery{Alert: &c.Alert, Body: c.Body, Attempt: 1}); o.Err != nil {
					failed++
					fmt.Fprintf(w, "failed %s: %v\n", c.Alert.ID, o.Err)
				} else {
					sent++
					fmt.Fprintf(w, "sent %s\n", c.Alert.ID)
				}
			} else {
				skipped++
			}
			if flusher != nil {
				flusher.Flush()
			}
			if c.Seq == last {
				cancel()
				return context.Canceled
			}
			return nil
		})
	}
	fmt.Fprintf(w, "replayed: %d sent, %d failed, %d filtered\n", sent, failed, skipped)
}

// deliverWithRetries tries a delivery up to three times, a second apart, for
// the operator's replays (the live runner has its own policy).
func deliverWithRetries(ctx context.Context, exp exporters.Exporter, dl exporters.Delivery) exporters.Outcome {
	var o exporters.Outcome
	for attempt := range 3 {
		o = exp.Deliver(ctx, dl)
		if o.Err == nil || !o.Retry {
			return o
		}
		select {
		case <-time.After(time.Duration(attempt+1) * time.Second):
		case <-ctx.Done():
			return o
		}
	}
	return o
}
