package bus

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// The embedded server's file store keeps a write error for good: after a
// full disk or a read-only remount, every later write to that stream fails,
// even once space returns, until the server loads the stream again. So the
// bus watches for the server's "critical write error" and, once the store
// directory takes writes again, restarts the embedded server on the same
// store; the connections reconnect to it by themselves. Meanwhile the
// lifecycle's publishes fail (hazardwire_lifecycle_errors_total) and are
// decided again at each poll: nothing is lost, and the process stays up.

// storeProbeEvery is how often a broken store is probed for room.
const storeProbeEvery = 2 * time.Second

// storeProbeSize is how much the probe writes: room for a few blocks.
const storeProbeSize = 1 << 20

type storeWatch struct {
	opts   *server.Options // of the embedded server, to start it again
	mu     sync.Mutex      // guards Bus.ns across a restart
	broken atomic.Bool
	fatal  atomic.Pointer[string] // why the embedded server stopped itself
	stop   chan struct{}
	done   chan struct{}
}

// embedded gives the connections the current embedded server.
type embedded struct{ b *Bus }

func (e embedded) InProcessConn() (net.Conn, error) {
	ns := e.b.server()
	if ns == nil {
		return nil, errors.New("embedded nats: stopped")
	}
	return ns.InProcessConn()
}

// server returns the current embedded server (nil with an external URL).
func (b *Bus) server() *server.Server {
	b.store.mu.Lock()
	defer b.store.mu.Unlock()
	return b.ns
}

func (b *Bus) serverLogger() serverLogger {
	return serverLogger{log: b.log.With("component", "nats"), writeErr: b.storeWriteError,
		fatal: func(msg string) { b.store.fatal.Store(&msg) }}
}

// waitReady waits until ns, just started, takes connections, or fails at
// once with the error that stopped it (a store directory it cannot write: without this
// the daemon would wait 30 s, then blame a timeout).
func (b *Bus) waitReady(ns *server.Server) error {
	deadline := time.Now().Add(30 * time.Second)
	for !ns.ReadyForConnections(100 * time.Millisecond) {
		if msg := b.store.fatal.Load(); msg != nil {
			ns.Shutdown()
			return fmt.Errorf("embedded nats (store %s): %s", b.store.opts.StoreDir, *msg)
		}
		if time.Now().After(deadline) {
			return errors.New("embedded nats: not ready after 30s")
		}
	}
	return nil
}

// storeWriteError notes a critical write error of the embedded store.
func (b *Bus) storeWriteError(string) {
	if b.store.broken.CompareAndSwap(false, true) {
		b.log.Error("the bus store cannot write (disk full or read-only?): changes are not published until it can; "+
			"the embedded NATS server restarts on its own once the store directory takes writes again",
			"store_dir", b.store.opts.StoreDir)
	}
}

// StoreBroken reports whether the embedded store has failed to write and
// has not been restarted since.
func (b *Bus) StoreBroken() bool { return b.store.broken.Load() }

// watchStore starts the goroutine that restarts a broken store; Close stops it.
func (b *Bus) watchStore() {
	b.store.stop, b.store.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(b.store.done)
		t := time.NewTicker(storeProbeEvery)
		defer t.Stop()
		for {
			select {
			case <-b.store.stop:
				return
			case <-t.C:
			}
			if !b.store.broken.Load() {
				continue
			}
			if err := probeStore(b.store.opts.StoreDir); err != nil {
				b.log.Debug("bus store still cannot write", "err", err)
				continue
			}
			if err := b.restartEmbedded(); err != nil {
				b.log.Error("restarting the embedded NATS server failed; trying again", "err", err)
				continue
			}
			b.store.broken.Store(false)
			b.log.Info("the bus store takes writes again: embedded NATS restarted on it")
			b.store.mu.Lock()
			fs := b.restarted
			b.store.mu.Unlock()
			for _, f := range fs {
				f()
			}
		}
	}()
}

func (s *storeWatch) stopWatching() {
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
}

// probeStore writes and removes a file in dir.
func probeStore(dir string) error {
	path := filepath.Join(dir, ".hazardwire-probe")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, storeProbeSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(path); err == nil {
		err = rerr
	}
	return err
}

// restartEmbedded shuts the embedded server down and starts a new one on
// the same store and options.
func (b *Bus) restartEmbedded() error {
	old := b.server()
	old.Shutdown()
	old.WaitForShutdown()
	ns, err := server.NewServer(b.store.opts.Clone())
	if err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	ns.SetLoggerV2(b.serverLogger(), false, false, false)
	b.store.mu.Lock()
	b.ns = ns
	b.store.mu.Unlock()
	b.store.fatal.Store(nil) // before Start, which may report at once
	go ns.Start()
	return b.waitReady(ns)
}
