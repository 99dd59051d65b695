package meteoalarm

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/docindex"
)

// nsAtom is the Atom namespace, matched by URI: a prefix means nothing
// until it is bound.
const nsAtom = "http://www.w3.org/2005/Atom"

// atomFeed is a MeteoAlarm legacy Atom feed. Its entries carry CAP fields as
// extension elements in the CAP namespace (cap:message_type, with an
// underscore, where CAP has msgType); the children of cap:geocode are in the
// feed's default namespace (Atom), so their tags name no namespace.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Entries []atomEntry `xml:"http://www.w3.org/2005/Atom entry"`
}

type atomEntry struct {
	ID          string     `xml:"http://www.w3.org/2005/Atom id"`
	Updated     string     `xml:"http://www.w3.org/2005/Atom updated"`
	Published   string     `xml:"http://www.w3.org/2005/Atom published"`
	Links       []atomLink `xml:"http://www.w3.org/2005/Atom link"`
	Identifier  string     `xml:"urn:oasis:names:tc:emergency:cap:1.2 identifier"`
	MessageType string     `xml:"urn:oasis:names:tc:emergency:cap:1.2 message_type"`
	AreaDesc    string     `xml:"urn:oasis:names:tc:emergency:cap:1.2 areaDesc"`
	Geocodes    []atomPair `xml:"urn:oasis:names:tc:emergency:cap:1.2 geocode"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr"`
}

type atomPair struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

// feedDoc is one CAP document of the feed and the entries that link it:
// MeteoAlarm has one entry per (message, info, area).
type feedDoc struct {
	link string
	// version changes whenever an entry of the document does (its updated,
	// identifier or message type), so that the document is fetched again.
	version string
	entries []entry
}

// entry is what one Atom entry tells about an area of its document: where
// the area is (from the index_info and index_area of the entry id), its name
// and the geocodes the feed gives it.
type entry struct {
	info, area int // -1 when the entry id does not say
	areaDesc   string
	geocodes   []pair
}

// parseFeed reads a MeteoAlarm Atom feed and groups its entries by the CAP
// document they link. Entries without a usable link are counted in invalid.
func parseFeed(body []byte, contentType, base string) (docs []*feedDoc, invalid int, err error) {
	text, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return nil, 0, err
	}
	baseURL, err := url.Parse(base)
	if err != nil {
		return nil, 0, fmt.Errorf("feed URL: %w", err)
	}
	var f atomFeed
	d := newDecoder(text, nsAtom)
	if err := d.Decode(&f); err != nil {
		return nil, 0, fmt.Errorf("not a MeteoAlarm Atom feed: %w", err)
	}
	byLink := map[string]*feedDoc{}
	versions := map[string][]string{}
	for _, e := range f.Entries {
		link := documentLink(e, baseURL)
		if link == "" {
			invalid++
			continue
		}
		doc := byLink[link]
		if doc == nil {
			doc = &feedDoc{link: link}
			byLink[link] = doc
			docs = append(docs, doc)
		}
		doc.entries = append(doc.entries, entryOf(e))
		updated := strings.TrimSpace(e.Updated)
		if updated == "" {
			updated = strings.TrimSpace(e.Published)
		}
		versions[link] = append(versions[link], updated+" "+strings.TrimSpace(e.Identifier)+" "+strings.TrimSpace(e.MessageType))
	}
	for _, doc := range docs {
		v := versions[doc.link]
		slices.Sort(v)
		doc.version = strings.Join(slices.Compact(v), "\n")
	}
	return docs, invalid, nil
}

// newDecoder returns a decoder of UTF-8 XML (collectors.DecodeText has
// checked it) in which unqualified elements are in namespace space.
func newDecoder(text []byte, space string) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.DefaultSpace = space
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(strings.TrimSpace(label)) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return r, nil
		}
		return nil, fmt.Errorf("declared charset %q is not supported (want UTF-8)", label)
	}
	return d
}

// documentLink returns the CAP document of an entry: its link typed
// application/cap+xml, else its id with the index_* query parameters taken
// off (the id is the document's URL plus the info and area indexes). It
// returns "" when neither is an absolute http(s) URL.
func documentLink(e atomEntry, base *url.URL) string {
	for _, l := range e.Links {
		if mt, _, err := mime.ParseMediaType(l.Type); err == nil && mt == "application/cap+xml" {
			if link := docindex.ResolveLink(base, l.Href); link != "" {
				return link
			}
		}
	}
	u, err := url.Parse(strings.TrimSpace(e.ID))
	if err != nil || !u.IsAbs() {
		return ""
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "index_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return docindex.ResolveLink(base, u.String())
}

// entryOf reads what an entry says about its area. The web page link of an
// entry names the area's EMMA_ID (https://meteoalarm.org?geocode=EMMA_ID:FR035),
// which the CAP document itself may lack.
func entryOf(e atomEntry) entry {
	en := entry{info: -1, area: -1, areaDesc: strings.TrimSpace(e.AreaDesc)}
	if u, err := url.Parse(strings.TrimSpace(e.ID)); err == nil {
		q := u.Query()
		en.info = index(q.Get("index_info"))
		en.area = index(q.Get("index_area"))
	}
	for _, g := range e.Geocodes {
		en.geocodes = append(en.geocodes, pair{name: strings.TrimSpace(g.Name), value: strings.TrimSpace(g.Value)})
	}
	for _, l := range e.Links {
		u, err := url.Parse(strings.TrimSpace(l.Href))
		if err != nil {
			continue
		}
		if name, value, ok := strings.Cut(u.Query().Get("geocode"), ":"); ok {
			en.geocodes = append(en.geocodes, pair{name: strings.TrimSpace(name), value: strings.TrimSpace(value)})
		}
	}
	return en
}

// index reads a non-negative index, or -1.
func index(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}
