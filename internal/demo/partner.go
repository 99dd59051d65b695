package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters/webhook"
)

// Partner is the demo's partner endpoint: it verifies each webhook's
// Standard Webhooks signature and prints one line per delivery.
type Partner struct {
	key []byte
	out io.Writer
	now func() time.Time

	mu       sync.Mutex
	verified int
	rejected int
	seen     map[string]bool // webhook-ids, to mark repeats
}

// NewPartner returns a partner that verifies with key and prints to out.
func NewPartner(key []byte, out io.Writer) *Partner {
	return &Partner{key: key, out: out, now: time.Now, seen: map[string]bool{}}
}

// Counts returns how many deliveries were verified and rejected.
func (p *Partner) Counts() (verified, rejected int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.verified, p.rejected
}

func (p *Partner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := webhook.Verify(p.key, r.Header, body, p.now(), 5*time.Minute); err != nil {
		p.rejected++
		fmt.Fprintf(p.out, "partner  REJECTED  %s: %v\n", r.Header.Get(webhook.HeaderID), err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var a alert.Alert
	if err := json.Unmarshal(body, &a); err != nil {
		p.rejected++
		fmt.Fprintf(p.out, "partner  REJECTED  %s: body is not an alert: %v\n", r.Header.Get(webhook.HeaderID), err)
		http.Error(w, "not an alert", http.StatusBadRequest)
		return
	}
	p.verified++
	repeat := ""
	if p.seen[a.ID] {
		repeat = "  (repeat, same webhook-id)"
	}
	p.seen[a.ID] = true
	fmt.Fprintf(p.out, "partner  signature ok  %-6s %-6s v%d  %-8s %-5s %-5s %s  [%s]%s\n",
		a.Change, a.State, a.Version, a.Severity, a.Hazard, a.Language, a.Headline, a.ID, repeat)
	w.WriteHeader(http.StatusNoContent)
}
