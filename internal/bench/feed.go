package bench

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Feed is a synthetic US NWS /alerts/active endpoint: it serves whatever
// snapshot was last set, and notes when each snapshot was first served
// whole, which is where the latency of every alert it brought is measured
// from.
type Feed struct {
	srv *http.Server
	url string

	mu     sync.Mutex
	body   []byte
	gen    int
	served map[int]time.Time
	signal chan struct{} // closed and replaced whenever a new generation is served
}

// NewFeed starts a feed on a loopback port, serving an empty collection.
func NewFeed() (*Feed, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &Feed{url: "http://" + ln.Addr().String() + "/alerts/active", body: Collection(nil), served: map[int]time.Time{}, signal: make(chan struct{})}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// URL is the feed's address.
func (f *Feed) URL() string { return f.url }

// Close stops the server.
func (f *Feed) Close() { _ = f.srv.Close() }

// Set replaces the snapshot and returns its generation.
func (f *Feed) Set(body []byte) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = body
	f.gen++
	return f.gen
}

// ServedAt waits until generation gen has been served whole and returns
// when that first happened.
func (f *Feed) ServedAt(gen int, timeout time.Duration) (time.Time, error) {
	at, ok := awaitTime(timeout, func() (time.Time, bool, <-chan struct{}) {
		f.mu.Lock()
		defer f.mu.Unlock()
		at, ok := f.served[gen]
		return at, ok, f.signal
	})
	if !ok {
		return time.Time{}, fmt.Errorf("feed generation %d not polled within %s", gen, timeout)
	}
	return at, nil
}

// awaitTime calls look until it reports a time, waiting between calls on
// the channel it returns (closed when something changed), or timeout.
func awaitTime(timeout time.Duration, look func() (time.Time, bool, <-chan struct{})) (time.Time, bool) {
	deadline := time.After(timeout)
	for {
		at, ok, changed := look()
		if ok {
			return at, true
		}
		select {
		case <-changed:
		case <-deadline:
			return time.Time{}, false
		}
	}
}

func (f *Feed) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	body, gen := f.body, f.gen
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	_, _ = w.Write(body)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	now := time.Now()
	f.mu.Lock()
	if _, ok := f.served[gen]; !ok {
		f.served[gen] = now
		close(f.signal)
		f.signal = make(chan struct{})
	}
	f.mu.Unlock()
}

// Collection wraps features in a GeoJSON FeatureCollection.
func Collection(features [][]byte) []byte {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, f := range features {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(f)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// offices are NWS forecast offices; with the event tracking number they make
// each synthetic alert its own VTEC event, hence its own alert key.
var offices = []string{"KLOT", "KOKX", "KPHI", "KLWX", "KMPX", "KDMX", "KTOP", "KFWD", "KHGX", "KLIX",
	"KMFL", "KTBW", "KJAX", "KCHS", "KRAH", "KRNK", "KPBZ", "KCLE", "KDTX", "KGRR"}

// FeatureKey is the alert key hazardwire gives feature i of collector name.
func FeatureKey(name string, i int) string {
	return fmt.Sprintf("%s:%s.FL.W.%04d", name, offices[i/9999%len(offices)], i%9999+1)
}

// Feature returns feature i as the NWS API serves a flood warning: VTEC,
// UGC and SAME geocodes, a polygon, and text of the usual length (about
// 2.3 KB in all, like the recorded payloads in collectors/nws/testdata).
// run makes identifiers unique across runs on one store.
func Feature(run string, i int, sent time.Time) []byte {
	office := offices[i/9999%len(offices)]
	etn := i%9999 + 1
	local := sent.In(time.FixedZone("CDT", -5*3600))
	ends := local.Add(12 * time.Hour)
	lat := 30 + float64(i%1500)/100
	lon := -100 + float64(i%2000)/100
	id := fmt.Sprintf("urn:oid:2.49.0.1.840.0.bench%s.%d", run, i)
	return fmt.Appendf(nil, `{"id":"https://api.weather.gov/alerts/%[1]s","type":"Feature",
"geometry":{"type":"Polygon","coordinates":[[[%.2[2]f,%.2[3]f],[%.2[4]f,%.2[3]f],[%.2[4]f,%.2[5]f],[%.2[6]f,%.2[7]f],[%.2[2]f,%.2[5]f],[%.2[2]f,%.2[3]f]]]},
"properties":{"@id":"https://api.weather.gov/alerts/%[1]s","@type":"wx:Alert","id":"%[1]s",
"areaDesc":"Bench County %[8]d; Upper River Valley; Lower River Valley",
"geocode":{"SAME":["0480%02[9]d","0480%02[10]d"],"UGC":["TXC%03[11]d","TXC%03[12]d"]},
"affectedZones":["https://api.weather.gov/zones/county/TXC%03[11]d","https://api.weather.gov/zones/county/TXC%03[12]d"],
"references":[],"sent":%[13]q,"effective":%[13]q,"onset":%[13]q,"expires":%[14]q,"ends":%[14]q,
"status":"Actual","messageType":"Alert","category":"Met","severity":"Severe","certainty":"Likely","urgency":"Immediate",
"event":"Flood Warning","sender":"w-nws.webmaster@noaa.gov","senderName":"NWS %[15]s",
"headline":"Flood Warning issued %[16]s by NWS %[15]s",
"description":"* WHAT...Flooding caused by excessive rainfall is expected.\n\n* WHERE...Bench County %[8]d, including the upper and lower river valleys.\n\n* WHEN...Until %[16]s.\n\n* IMPACTS...Minor flooding in low-lying and poor drainage areas. Water over roadways. Some rural roads may be closed. River levels will rise quickly and stay high through the night.\n\n* ADDITIONAL DETAILS...\n- At 1000 AM CDT, Doppler radar indicated heavy rain due to thunderstorms. Between 2 and 4 inches of rain have fallen.\n- Additional rainfall amounts of 1 to 2 inches are possible in the warned area.",
"instruction":"Turn around, don't drown when encountering flooded roads. Most flood deaths occur in vehicles. Be especially cautious at night when it is harder to recognize the dangers of flooding.",
"response":"Avoid",
"parameters":{"AWIPSidentifier":["FLWFWD"],"WMOidentifier":["WGUS44 KFWD 011500"],"NWSheadline":["FLOOD WARNING IN EFFECT"],
"BLOCKCHANNEL":["EAS","NWEM","CMAS"],"VTEC":["/O.NEW.%[15]s.FL.W.%04[17]d.%[18]s-%[19]s/"],"eventEndingTime":[%[14]q],"expiredReferences":[]}}}`,
		id, lon, lat, lon+0.4, lat+0.3, lon+0.2, lat+0.45,
		i, i%100, (i+1)%100, i%500, (i+7)%500,
		local.Format(time.RFC3339), ends.Format(time.RFC3339), office, ends.Format("3:04 PM MST Mon Jan 2"),
		etn, sent.UTC().Format("060102T1504Z"), ends.UTC().Format("060102T1504Z"))
}
