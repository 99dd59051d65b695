// Package demo runs hazardwire end to end in one process: recorded feeds in a
// scripted scenario, the real daemon, and a partner endpoint that verifies
// every signature and prints each delivery.
package demo

import (
	"bytes"
	"embed"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"text/template"
	"time"
)

//go:embed feeds/*.tmpl
var feedFS embed.FS

var tmpl = template.Must(template.ParseFS(feedFS, "feeds/*.tmpl"))

// DefaultStep is the scenario's pace: the flood bulletin is upgraded one
// step after the start and cancelled after two; the heat advisory ends after
// two and a half.
const DefaultStep = 8 * time.Second

func (f *Feeds) upgradeAt() time.Duration { return f.step }
func (f *Feeds) cancelAt() time.Duration  { return 2 * f.step }
func (f *Feeds) heatEndsAt() time.Duration {
	return 2*f.step + f.step/2
}

// flood is one message of the flood story.
type flood struct {
	ID, Sent, MsgType, References, Response, Urgency, Severity, Expires    string
	EventKo, EventEn, HeadlineKo, HeadlineEn, DescriptionKo, DescriptionEn string
}

// Feeds serves the scenario's feeds: a CAP Atom index of Han River flood
// bulletins (Korean and English) and an NWS-style active-alerts document
// with a heat advisory.
type Feeds struct {
	start time.Time
	step  time.Duration
	base  atomic.Value // string: the server's URL, set once listening
	now   func() time.Time
}

// NewFeeds returns the feeds of a scenario starting at start, at the pace of
// step.
func NewFeeds(start time.Time, step time.Duration, now func() time.Time) *Feeds {
	return &Feeds{start: start.Truncate(time.Second), step: step, now: now}
}

// SetBase records the URL the feeds are served at, for links in the index.
func (f *Feeds) SetBase(u string) { f.base.Store(u) }

func (f *Feeds) at(d time.Duration) string {
	return f.start.Add(d).In(kst).Format(time.RFC3339)
}

var kst = time.FixedZone("KST", 9*3600)

// messages returns the flood story's messages issued by now.
func (f *Feeds) messages() []flood {
	el := f.now().Sub(f.start)
	expires := f.at(6 * time.Hour)
	first := flood{ID: "HRFCO-DEMO-1", Sent: f.at(0), MsgType: "Alert", Response: "Prepare", Urgency: "Expected",
		Severity: "Moderate", Expires: expires,
		EventKo: "홍수주의보", EventEn: "Flood Advisory",
		HeadlineKo: "한강 한강대교 지점 홍수주의보 발령", HeadlineEn: "Flood advisory for the Han River at Hangang Bridge",
		DescriptionKo: "한강대교 지점 수위가 주의보 기준수위(8.5m)에 도달할 것으로 예상됩니다. 하천변 접근을 자제하십시오.",
		DescriptionEn: "The water level at Hangang Bridge is expected to reach the advisory stage (8.5 m). Keep away from the riverside."}
	msgs := []flood{first}
	if el >= f.upgradeAt() {
		up := first
		up.ID, up.Sent, up.MsgType = "HRFCO-DEMO-2", f.at(f.upgradeAt()), "Update"
		up.References = "flood@hrfco.demo.hazardwire,HRFCO-DEMO-1," + first.Sent
		up.Severity, up.Urgency, up.Response = "Severe", "Immediate", "Evacuate"
		up.EventKo, up.EventEn = "홍수경보", "Flood Warning"
		up.HeadlineKo, up.HeadlineEn = "한강 한강대교 지점 홍수경보로 격상", "Upgraded to a flood warning for the Han River at Hangang Bridge"
		up.DescriptionKo = "한강대교 지점 수위가 경보 기준수위(10.5m)를 넘을 것으로 예상됩니다. 저지대 주민은 대피하십시오."
		up.DescriptionEn = "The water level at Hangang Bridge is expected to exceed the warning stage (10.5 m). Low-lying areas: evacuate."
		msgs = []flood{up}
		if el >= f.cancelAt() {
			c := up
			c.ID, c.Sent, c.MsgType = "HRFCO-DEMO-3", f.at(f.cancelAt()), "Cancel"
			c.References = up.References + " flood@hrfco.demo.hazardwire,HRFCO-DEMO-2," + up.Sent
			c.Severity, c.Urgency, c.Response = "Minor", "Past", "AllClear"
			c.EventKo, c.EventEn = "홍수경보 해제", "Flood Warning cancelled"
			c.HeadlineKo, c.HeadlineEn = "한강 한강대교 지점 홍수경보 해제", "Flood warning for the Han River at Hangang Bridge cancelled"
			c.DescriptionKo = "수위가 경보 기준 아래로 내려갔습니다."
			c.DescriptionEn = "The water level has fallen below the warning stage."
			msgs = []flood{c}
		}
	}
	return msgs
}

// ServeHTTP serves /cap/index.atom, /cap/<id>.xml and /nws/alerts/active.
func (f *Feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	var err error
	switch p := r.URL.Path; {
	case p == "/cap/index.atom":
		w.Header().Set("Content-Type", "application/atom+xml")
		err = f.index(&buf)
	case strings.HasPrefix(p, "/cap/") && strings.HasSuffix(p, ".xml"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/cap/"), ".xml")
		for _, m := range f.messages() {
			if m.ID == id {
				w.Header().Set("Content-Type", "application/cap+xml")
				err = tmpl.ExecuteTemplate(&buf, "flood.cap.xml.tmpl", m)
			}
		}
		if buf.Len() == 0 && err == nil {
			http.NotFound(w, r)
			return
		}
	case p == "/nws/alerts/active":
		w.Header().Set("Content-Type", "application/geo+json")
		end := f.start.Add(f.heatEndsAt()).UTC()
		err = tmpl.ExecuteTemplate(&buf, "heat.geojson.tmpl", map[string]string{
			"Sent":      f.start.In(time.FixedZone("EDT", -4*3600)).Format(time.RFC3339),
			"Expires":   end.In(time.FixedZone("EDT", -4*3600)).Format(time.RFC3339),
			"VTECStart": f.start.UTC().Format("060102T1504Z"),
			"VTECEnd":   end.Format("060102T1504Z"),
		})
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(buf.Bytes())
}

func (f *Feeds) index(buf *bytes.Buffer) error {
	type entry struct{ ID, Title, Updated, Href string }
	base, _ := f.base.Load().(string)
	var entries []entry
	for _, m := range f.messages() {
		entries = append(entries, entry{ID: "urn:hazardwire:demo:" + m.ID, Title: m.HeadlineEn, Updated: m.Sent,
			Href: fmt.Sprintf("%s/cap/%s.xml", base, m.ID)})
	}
	return tmpl.ExecuteTemplate(buf, "index.atom.tmpl", map[string]any{"Base": base, "Updated": f.now().UTC().Format(time.RFC3339), "Entries": entries})
}
