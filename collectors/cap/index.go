package cap

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/collectors/internal/docindex"
)

type atomFeed struct {
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssDoc struct {
	Items []rssItem `xml:"channel>item"`
}

type rssItem struct {
	Link    string `xml:"link"`
	GUID    string `xml:"guid"`
	PubDate string `xml:"pubDate"`
}

// parseIndex reads an Atom or RSS index of CAP documents: the version of an
// entry is its Atom updated (else published) or its RSS pubDate. Entries
// without a usable link are counted in invalid; an entry id seen twice keeps
// its first entry.
func parseIndex(kind rootKind, body []byte, base string) (entries []docindex.Entry, invalid int, err error) {
	baseURL, err := url.Parse(base)
	if err != nil {
		return nil, 0, fmt.Errorf("index URL: %w", err)
	}
	var raw []docindex.Entry
	switch kind {
	case rootAtom:
		var f atomFeed
		if err := decodeRoot(body, rootAtom, &f); err != nil {
			return nil, 0, err
		}
		for _, e := range f.Entries {
			version := strings.TrimSpace(e.Updated)
			if version == "" {
				version = strings.TrimSpace(e.Published)
			}
			raw = append(raw, docindex.Entry{ID: strings.TrimSpace(e.ID), Version: version, Link: atomLinkOf(e)})
		}
	case rootRSS:
		var r rssDoc
		if err := decodeRoot(body, rootRSS, &r); err != nil {
			return nil, 0, err
		}
		for _, it := range r.Items {
			link := strings.TrimSpace(it.Link)
			if link == "" && isHTTPURL(it.GUID) {
				link = strings.TrimSpace(it.GUID)
			}
			raw = append(raw, docindex.Entry{ID: strings.TrimSpace(it.GUID), Version: strings.TrimSpace(it.PubDate), Link: link})
		}
	default:
		return nil, 0, errors.New("not an index")
	}
	seen := map[string]bool{}
	for _, e := range raw {
		e.Link = docindex.ResolveLink(baseURL, e.Link)
		if e.Link == "" {
			invalid++
			continue
		}
		if e.ID == "" {
			e.ID = e.Link
		}
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		entries = append(entries, e)
	}
	return entries, invalid, nil
}

// atomLinkOf picks the CAP document of an Atom entry: a link typed
// application/cap+xml, else the first alternate link (a link without rel is
// alternate), else the entry id when it is an http(s) URL.
func atomLinkOf(e atomEntry) string {
	for _, l := range e.Links {
		if mt, _, err := mime.ParseMediaType(l.Type); err == nil && mt == "application/cap+xml" && strings.TrimSpace(l.Href) != "" {
			return strings.TrimSpace(l.Href)
		}
	}
	for _, l := range e.Links {
		rel := strings.TrimSpace(l.Rel)
		if (rel == "" || rel == "alternate") && strings.TrimSpace(l.Href) != "" {
			return strings.TrimSpace(l.Href)
		}
	}
	if isHTTPURL(e.ID) {
		return strings.TrimSpace(e.ID)
	}
	return ""
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// collectIndex brings the index of documents up to date with entries,
// fetching at most maxDocs new or changed documents, and adds every document
// read at its current version to s. A changed document that could not be
// read again is left out: the run is partial, so nothing ends.
func (c *collector) collectIndex(ctx context.Context, entries []docindex.Entry, s *capdoc.Snapshot) error {
	docs, err := c.index.Run(ctx, entries, docindex.Budget{Documents: c.maxDocs, Workers: c.workers})
	var read []*capdoc.Yield
	for _, d := range docs {
		switch {
		case !d.Current: // never read, or changed and not read again
		case d.Parsed.Err != nil:
			var older *capdoc.Yield
			if d.Parsed.Older != nil {
				older = d.Parsed.Older.Value
			}
			s.Add(capdoc.InvalidKeeping(d.Parsed.Err, older))
		default:
			s.Add(d.Parsed.Value)
			read = append(read, d.Parsed.Value)
		}
	}
	c.memory.remember(read)
	c.memory.endReferenced(read, s)
	return err
}
