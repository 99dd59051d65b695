package gdacs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
)

// XML namespaces of the RSS feed, matched by URI: a prefix means nothing
// until it is bound.
const (
	nsGDACS  = "http://www.gdacs.org"
	nsGeo    = "http://www.w3.org/2003/01/geo/wgs84_pos#"
	nsGeoRSS = "http://www.georss.org/georss"
)

// element is an XML element read generically: its text, attributes and, to
// a bounded depth, its children. RSS's own elements have no namespace, so
// they are told from dc:, gdacs: or atom: ones by an empty Space.
type element struct {
	name     xml.Name
	attrs    []xml.Attr
	text     string
	children []element
}

// child returns the first child named space:local, or nil.
func (e *element) child(space, local string) *element {
	for i := range e.children {
		if c := &e.children[i]; c.name.Space == space && c.name.Local == local {
			return c
		}
	}
	return nil
}

// get returns the trimmed text of the first child named space:local.
func (e *element) get(space, local string) string {
	if c := e.child(space, local); c != nil {
		return strings.TrimSpace(c.text)
	}
	return ""
}

// attr returns the value of the attribute local (no namespace).
func (e *element) attr(local string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// readRSS reads the items of an RSS 2.0 document.
func readRSS(body []byte) ([]event, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = charsetReader
	// An HTML entity in one description must not cost the whole feed.
	dec.Entity = xml.HTMLEntity
	root, err := rootElement(dec)
	if err != nil {
		return nil, err
	}
	if root.Name.Space != "" || root.Name.Local != "rss" {
		return nil, fmt.Errorf("not an RSS document (root element <%s>)", root.Name.Local)
	}
	var events []event
	depth, inChannel, channels := 0, false, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case depth == 0 && t.Name.Space == "" && t.Name.Local == "channel":
				inChannel = true
				channels++
			case depth == 1 && inChannel && t.Name.Space == "" && t.Name.Local == "item":
				// Three levels: the item, its fields, and their parts (geo:lat).
				it, err := readElement(dec, t, 3)
				if err != nil {
					return nil, malformed(err)
				}
				events = append(events, rssEvent(&it))
				continue
			}
			depth++
		case xml.EndElement:
			if depth == 0 { // the end of <rss>
				if channels == 0 {
					return nil, errors.New("RSS document without a channel")
				}
				return events, nil
			}
			depth--
			if depth == 0 {
				inChannel = false
			}
		}
	}
}

// rootElement returns the document's first start element.
func rootElement(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return xml.StartElement{}, malformed(err)
		}
		if t, ok := tok.(xml.StartElement); ok {
			return t, nil
		}
	}
}

func malformed(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("malformed XML: %w", err)
}

// readElement reads the element start has opened, up to its end, keeping
// children down to levels-1 levels below it and skipping deeper ones.
func readElement(dec *xml.Decoder, start xml.StartElement, levels int) (element, error) {
	e := element{name: start.Name, attrs: start.Attr}
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			return e, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			if levels <= 1 {
				if err := dec.Skip(); err != nil {
					return e, err
				}
				continue
			}
			c, err := readElement(dec, t, levels-1)
			if err != nil {
				return e, err
			}
			e.children = append(e.children, c)
		case xml.EndElement:
			e.text = text.String()
			return e, nil
		}
	}
}

// charsetReader accepts the encodings whose bytes DecodeText has already
// checked as UTF-8. GDACS declares utf-8.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (want UTF-8)", label)
}

// rssEvent reads one RSS item (FORMATS.md §10).
func rssEvent(it *element) event {
	g := func(local string) string { return it.get(nsGDACS, local) }
	e := event{
		eventType:   g("eventtype"),
		eventID:     g("eventid"),
		episodeID:   g("episodeid"),
		alertLevel:  g("alertlevel"),
		current:     g("iscurrent"),
		headline:    it.get("", "title"),
		description: it.get("", "description"),
		web:         it.get("", "link"),
		country:     g("country"),
		iso3:        isoCodes(g("iso3")),
		fromDate:    g("fromdate"),
		toDate:      g("todate"),
		sent:        it.get("", "pubDate"),
		glide:       g("glide"),
	}
	for _, name := range []string{"eventid", "episodeid", "alertlevel", "alertscore", "episodealertlevel", "episodealertscore",
		"eventname", "iscurrent", "temporary", "version", "calculationtype", "durationinweek", "year", "glide", "cap"} {
		e.param(name, g(name))
	}
	e.param("guid", it.get("", "guid"))
	// Measured values: the text says it in words, the attributes in numbers.
	for _, name := range []string{"severity", "population", "vulnerability"} {
		c := it.child(nsGDACS, name)
		if c == nil {
			continue
		}
		e.param(name+"text", c.text)
		e.param(name, c.attr("value"))
		e.param(name+"unit", c.attr("unit"))
	}
	e.point, e.readErr = rssPoint(it)
	if b, ok := rssBBox(g("bbox")); ok {
		e.bbox = &b
		e.bboxParam(b)
	}
	return e
}

// rssPoint reads geo:Point (geo:lat, geo:long), else georss:point ("lat
// lon"); nil when the item has neither.
func rssPoint(it *element) (*alert.Circle, error) {
	var lat, lon string
	if p := it.child(nsGeo, "Point"); p != nil {
		lat, lon = p.get(nsGeo, "lat"), p.get(nsGeo, "long")
	} else if s := it.get(nsGeoRSS, "point"); s != "" {
		f := strings.Fields(s)
		if len(f) != 2 {
			return nil, fmt.Errorf("georss:point %q is not \"lat lon\"", s)
		}
		lat, lon = f[0], f[1]
	} else {
		return nil, nil
	}
	y, err1 := strconv.ParseFloat(lat, 64)
	x, err2 := strconv.ParseFloat(lon, 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("point lat %q, lon %q is not a number", lat, lon)
	}
	return newPoint(x, y)
}

// rssBBox reads gdacs:bbox, "lonmin lonmax latmin latmax", into GeoJSON
// order. A box that does not read is left out: it is only a parameter.
func rssBBox(s string) ([4]float64, bool) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return [4]float64{}, false
	}
	var v [4]float64
	for i, x := range f {
		n, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return [4]float64{}, false
		}
		v[i] = n
	}
	b := [4]float64{v[0], v[2], v[1], v[3]}
	return b, checkBBox(b) == nil
}
