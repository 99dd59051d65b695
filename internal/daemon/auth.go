package daemon

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/hazardwire/hazardwire/internal/config"
)

// crossOrigin refuses the state-changing requests (POST) that a browser sends
// on behalf of a page from another site: the loopback trust below would let
// any page the operator opens reload, poll or replay to partners.
var crossOrigin = http.NewCrossOriginProtection()

// guard lets a request through to h when it carries one of the configured
// bearer tokens, or, when none is configured, when it comes from loopback
// and names the daemon by address or as localhost;
// in both cases only when it is not a browser's cross-site POST.
func (d *Daemon) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := crossOrigin.Check(r); err != nil {
			http.Error(w, "refused: a cross-origin request from a browser", http.StatusForbidden)
			return
		}
		d.mu.Lock()
		tokens := d.cfg.HTTP.Tokens
		d.mu.Unlock()
		if allowed(tokens, r) {
			h.ServeHTTP(w, r)
			return
		}
		if len(tokens) == 0 {
			http.Error(w, "until http.tokens are configured, the API answers only to this host, addressed by IP address or as localhost", http.StatusForbidden)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="hazardwire"`)
		http.Error(w, "a valid bearer token is required", http.StatusUnauthorized)
	})
}

func allowed(tokens []config.Token, r *http.Request) bool {
	if len(tokens) == 0 {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		return err == nil && ip != nil && ip.IsLoopback() && localHost(r.Host)
	}
	// The scheme is case-insensitive (RFC 7235 2.1); the token is not.
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || got == "" {
		return false
	}
	for _, t := range tokens {
		if subtle.ConstantTimeCompare([]byte(got), []byte(t.Token)) == 1 {
			return true
		}
	}
	return false
}

// localHost reports whether a loopback client addressed the daemon by an IP
// address or as localhost. A web page whose DNS name was rebound to
// 127.0.0.1 reaches the daemon from loopback too, but sends its own name as
// Host: it must not get the trust given to the daemon's host.
func localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return net.ParseIP(host) != nil || strings.EqualFold(host, "localhost")
}
