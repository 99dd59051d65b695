package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/config"
)

// reloadRequest asks Run's loop to apply a config; err is a load error to
// record as a failed reload.
type reloadRequest struct {
	cfg   *config.Config
	err   error
	reply chan error
}

// errStandbyReload refuses a reload while the daemon waits for the lease:
// it runs nothing a reload could change.
var errStandbyReload = errors.New("this daemon is a standby, waiting for the lease on the streams: it starts with the config it was started with; restart it to read the file again")

// ErrNoConfigFile is returned by ReloadFile when the daemon was not started
// from a file.
var ErrNoConfigFile = errors.New("the daemon was not started from a config file: nothing to reload")

// ReloadFile reads the config file again and applies it. A config with any
// error is rejected whole and the running one stays; the error lists every
// problem.
func (d *Daemon) ReloadFile(ctx context.Context) error {
	if d.opts.ConfigFile == "" {
		return ErrNoConfigFile
	}
	cfg, _, err := config.Load(d.opts.ConfigFile, d.client)
	return d.send(ctx, reloadRequest{cfg: cfg, err: err})
}

// Reload applies cfg: every part is built first, and nothing live is touched
// unless all of them build. Unchanged collectors and exporters keep running
// untouched; removed ones stop after their work in flight; changed ones
// restart.
func (d *Daemon) Reload(ctx context.Context, cfg *config.Config) error {
	return d.send(ctx, reloadRequest{cfg: cfg})
}

func (d *Daemon) send(ctx context.Context, req reloadRequest) error {
	req.reply = make(chan error, 1)
	if waiting, _ := d.standby(); waiting {
		return errStandbyReload
	}
	select {
	case <-d.up:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case d.reloads <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveReload is POST /-/reload: 200 when applied, 400 with every error when
// the new config was rejected.
func (d *Daemon) serveReload(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	if err := d.ReloadFile(ctx); err != nil {
		http.Error(w, "reload rejected; the running config is unchanged:\n"+err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = io.WriteString(w, "reloaded\n")
}

// apply runs in Run's loop.
func (d *Daemon) apply(ctx context.Context, cfg *config.Config, loadErr error) error {
	err := loadErr
	var built *config.Built
	if err == nil {
		err = d.restartOnly(cfg)
	}
	if err == nil {
		built, err = cfg.Build(d.client, d.opts.LookupEnv)
	}
	if err != nil {
		d.reloadOK.Set(0)
		d.mu.Lock()
		d.reload.Successful, d.reload.LastError = false, err.Error()
		d.mu.Unlock()
		d.log.Error("config reload rejected; the running config is unchanged", "err", err)
		return err
	}
	d.swap(ctx, cfg, built)
	now := d.opts.Now()
	d.reloadOK.Set(1)
	d.reloadTS.Set(float64(now.UnixNano()) / 1e9)
	d.mu.Lock()
	d.reload = ReloadStatus{Successful: true, LastSuccess: now}
	d.mu.Unlock()
	return nil
}

// restartOnly rejects changes that a reload cannot apply.
func (d *Daemon) restartOnly(cfg *config.Config) error {
	var errs []error
	if cfg.Bus != d.cfg.Bus {
		errs = append(errs, errors.New("bus settings changed: they take effect only on a restart"))
	}
	if cfg.HTTP.Listen != d.cfg.HTTP.Listen {
		errs = append(errs, errors.New("http.listen changed: it takes effect only on a restart"))
	}
	return errors.Join(errs...)
}

// swap applies a built config to the running parts, by name.
func (d *Daemon) swap(ctx context.Context, cfg *config.Config, built *config.Built) {
	var added, changed, removed []string
	next := map[string]bool{}
	for _, c := range built.Collectors {
		name := c.Info.Name
		next[name] = true
		old, ok := d.collectors[name]
		switch {
		case ok && old.Fingerprint == c.Fingerprint:
			continue // untouched: no missed poll, no extra poll
		case ok:
			d.sched.Remove(name) // its run in flight finishes; the name's guard keeps the new one from overlapping it
			changed = append(changed, "collector "+name)
		default:
			d.lcMetrics.Init(name)
			added = append(added, "collector "+name)
		}
		if err := d.sched.Add(c.Info, c.Collector); err != nil {
			d.log.Error("collector not scheduled", "collector", name, "err", err)
			continue
		}
		d.mu.Lock()
		d.collectors[name] = c
		d.mu.Unlock()
		d.sched.RunNow(name)
	}
	for name := range d.collectors {
		if !next[name] {
			d.sched.Remove(name)
			d.colMetrics.Delete(name)
			d.mu.Lock()
			delete(d.collectors, name)
			d.mu.Unlock()
			removed = append(removed, "collector "+name)
		}
	}

	// The exporters changed or removed stop together, each letting its
	// deliveries in flight end within one shutdown timeout; then the
	// changed and the added ones start. What a stopped one left
	// unacknowledged stays on its durable consumer for its successor.
	nextExp := map[string]bool{}
	var stopping []*exporters.Runner
	var starting []*runningExporter
	for _, e := range built.Exporters {
		name := e.Config.Name
		nextExp[name] = true
		old, ok := d.exporters[name]
		// A runner disabled by a 410 Gone starts again even unchanged: a
		// reload is how an operator says the partner is back.
		if ok && old.built.Fingerprint == e.Fingerprint && (old.runner == nil || !old.runner.Disabled()) {
			continue
		}
		if ok {
			stopping = append(stopping, old.runner)
			changed = append(changed, "exporter "+name)
		} else {
			added = append(added, "exporter "+name)
		}
		starting = append(starting, &runningExporter{built: e})
	}
	var gone []string
	for name, e := range d.exporters {
		if !nextExp[name] {
			stopping = append(stopping, e.runner)
			gone = append(gone, name)
		}
	}
	stopCtx, cancel := context.WithTimeout(ctx, d.opts.ShutdownTimeout)
	defer cancel()
	stopRunners(stopCtx, stopping)
	for _, name := range gone {
		d.expMetrics.Delete(name)
		d.mu.Lock()
		delete(d.exporters, name)
		d.mu.Unlock()
		removed = append(removed, "exporter "+name)
	}
	for _, re := range starting {
		name := re.built.Config.Name
		if err := d.startExporter(ctx, re); err != nil {
			d.log.Error("exporter not started", "exporter", name, "err", err)
			continue
		}
		d.mu.Lock()
		d.exporters[name] = re
		d.mu.Unlock()
	}
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
	d.log.Info("config reloaded", "added", fmt.Sprint(added), "changed", fmt.Sprint(changed), "removed", fmt.Sprint(removed))
}
