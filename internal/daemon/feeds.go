package daemon

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// capSender names hazardwire as the sender of the CAP documents it serves:
// it re-publishes, the agency stays in senderName and the source fields.
const capSender = "hazardwire@localhost"

// publicBase is the base of the absolute URLs the daemon serves: the
// configured http.public_url, else http:// and the request's Host (or the
// listener's address, for a request without one).
func (d *Daemon) publicBase(r *http.Request) string {
	d.mu.Lock()
	public := d.cfg.HTTP.PublicURL
	d.mu.Unlock()
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	host := r.Host
	if host == "" {
		host = d.Addr().String()
	}
	return "http://" + host
}

// serveCAPAtom is GET /feeds/cap.atom: an Atom index of the alerts in force,
// each entry linking its CAP 1.2 document, as CAP aggregators expect.
func (d *Daemon) serveCAPAtom(w http.ResponseWriter, r *http.Request) {
	f, err := filterFromRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type link struct {
		Rel  string `xml:"rel,attr"`
		Type string `xml:"type,attr,omitempty"`
		Href string `xml:"href,attr"`
	}
	type entry struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    link   `xml:"link"`
		Summary string `xml:"summary,omitempty"`
	}
	type feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Author  string   `xml:"author>name"` // RFC 4287 4.1.1: required of a feed whose entries have none
		Link    link     `xml:"link"`
		Entries []entry  `xml:"entry"`
	}
	base := d.publicBase(r)
	out := feed{ID: base + "/feeds/cap.atom", Title: "hazardwire: flood and heat alerts in force", Author: "hazardwire",
		Updated: d.opts.Now().UTC().Format(time.RFC3339), Link: link{Rel: "self", Href: base + r.URL.RequestURI()}}
	active, err := d.Active(r.Context())
	if err != nil {
		http.Error(w, "reading the alerts in force: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	for _, a := range active {
		if !f.Match(&a) {
			continue
		}
		title := a.Headline
		if title == "" {
			title = a.Event
		}
		out.Entries = append(out.Entries, entry{ID: alert.CAPIdentifier(a.ID), Title: title, Updated: a.Sent.Format(time.RFC3339),
			Link:    link{Rel: "alternate", Type: "application/cap+xml", Href: base + "/feeds/alerts/" + url.PathEscape(a.ID) + ".xml"},
			Summary: fmt.Sprintf("%s %s %s", a.Severity, a.Hazard, a.Event)})
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, _ = w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	_ = enc.Encode(out)
}

// serveCAPAlert is GET /feeds/alerts/{id}.xml: one change as CAP 1.2.
func (d *Daemon) serveCAPAlert(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("id"), ".xml")
	if !ok {
		http.NotFound(w, r)
		return
	}
	a, err := d.change(r.Context(), id)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	b, err := alert.EncodeCAP(a, alert.CAPOptions{Sender: capSender, SentOf: func(id string) (time.Time, bool) {
		prev, err := d.change(r.Context(), id)
		if err != nil {
			return time.Time{}, false
		}
		return prev.Sent, true
	}})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/cap+xml; charset=utf-8")
	_, _ = w.Write(b)
}

// change finds one change by its id on the stream.
func (d *Daemon) change(ctx context.Context, id string) (*alert.Alert, error) {
	key, version, ok := alert.SplitID(id)
	d.mu.Lock()
	e, b := d.engine, d.bus
	d.mu.Unlock()
	if !ok || e == nil || b == nil {
		return nil, fmt.Errorf("no change %q", id)
	}
	for _, seq := range e.Seqs(key) {
		a, err := b.AlertAt(ctx, seq)
		if err == nil && a.Version == version {
			return a, nil
		}
	}
	return nil, fmt.Errorf("no change %q on the stream", id)
}
