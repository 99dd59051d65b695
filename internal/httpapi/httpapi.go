// Package httpapi serves the daemon's HTTP surface: metrics, health and
// readiness.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// idleTimeout closes a keep-alive connection that sends no next request;
// ReadHeaderTimeout only times a request once its first bytes arrived. A
// variable for tests.
var idleTimeout = 2 * time.Minute

// Server is the daemon's HTTP listener.
type Server struct {
	srv *http.Server
	ln  net.Listener
	log *slog.Logger
}

// Options configures the handlers.
type Options struct {
	Registry *prometheus.Registry
	// Ready reports whether the daemon can do its work, with a reason when not.
	Ready func() (bool, string)
	// Extra handlers mounted beside the built-in ones, by pattern.
	Extra map[string]http.Handler
}

// Listen opens the listener on addr ("127.0.0.1:0" picks a free port).
func Listen(addr string, o Options, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(o.Registry,
		promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry, EnableOpenMetrics: true})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, why := o.Ready(); !ok {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	for p, h := range o.Extra {
		mux.Handle(p, h)
	}
	s := &Server{
		// No ReadTimeout or WriteTimeout: they would cut the event stream.
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idleTimeout, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
		ln:  ln,
		log: log,
	}
	return s, nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until Shutdown; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting and waits for requests in flight until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
