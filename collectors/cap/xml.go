package cap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// XML namespaces, matched by URI: a prefix means nothing until it is bound.
const (
	nsCAP11 = "urn:oasis:names:tc:emergency:cap:1.1"
	nsCAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
	nsAtom  = "http://www.w3.org/2005/Atom"
)

// rootKind is what a fetched body is, told by its root element.
type rootKind int

const (
	rootCAP rootKind = iota + 1
	rootAtom
	rootRSS
)

// capAlert is a CAP 1.1 or 1.2 alert message, as far as hazardwire reads it.
// Struct tags carry no namespace: nsFilter has already renamed every element
// that is not in the document's CAP namespace, so only CAP elements match.
type capAlert struct {
	Identifier string    `xml:"identifier"`
	Sender     string    `xml:"sender"`
	Sent       string    `xml:"sent"`
	Status     string    `xml:"status"`
	MsgType    string    `xml:"msgType"`
	References string    `xml:"references"`
	Infos      []capInfo `xml:"info"`
}

type capInfo struct {
	Language      string      `xml:"language"`
	Event         string      `xml:"event"`
	ResponseTypes []string    `xml:"responseType"`
	Urgency       string      `xml:"urgency"`
	Severity      string      `xml:"severity"`
	Certainty     string      `xml:"certainty"`
	EventCodes    []valuePair `xml:"eventCode"`
	Effective     string      `xml:"effective"`
	Onset         string      `xml:"onset"`
	Expires       string      `xml:"expires"`
	SenderName    string      `xml:"senderName"`
	Headline      string      `xml:"headline"`
	Description   string      `xml:"description"`
	Instruction   string      `xml:"instruction"`
	Web           string      `xml:"web"`
	Parameters    []valuePair `xml:"parameter"`
	Areas         []capArea   `xml:"area"`
}

type valuePair struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

type capArea struct {
	Desc     string      `xml:"areaDesc"`
	Polygons []string    `xml:"polygon"`
	Circles  []string    `xml:"circle"`
	Geocodes []valuePair `xml:"geocode"`
}

// parseCAP reads one CAP alert message.
func parseCAP(body []byte) (*capAlert, error) {
	var a capAlert
	if err := decodeRoot(body, rootCAP, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// sniff returns the kind of document body is, from its root element's local
// name and namespace URI.
func sniff(body []byte) (rootKind, xml.Name, error) {
	d := newRawDecoder(body, new(bool))
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, xml.Name{}, errors.New("no root element")
			}
			return 0, xml.Name{}, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case se.Name.Local == "alert" && (se.Name.Space == nsCAP12 || se.Name.Space == nsCAP11 || se.Name.Space == ""):
			return rootCAP, se.Name, nil
		case se.Name.Local == "feed" && (se.Name.Space == nsAtom || se.Name.Space == ""):
			return rootAtom, se.Name, nil
		case se.Name.Local == "rss" && se.Name.Space == "":
			return rootRSS, se.Name, nil
		}
		return 0, se.Name, fmt.Errorf("root element <%s> in namespace %q is not a CAP alert, an Atom feed or an RSS 2.0 document", se.Name.Local, se.Name.Space)
	}
}

// decodeRoot decodes body into v after checking that its root is of kind
// want, keeping only the elements in the root's namespace. It also rejects
// invalid UTF-8 anywhere in a document that was not declared ISO-8859-1.
func decodeRoot(body []byte, want rootKind, v any) error {
	kind, root, err := sniff(body)
	if err != nil {
		return err
	}
	if kind != want {
		return fmt.Errorf("root element <%s> is not the expected one", root.Local)
	}
	converted := false
	raw := newRawDecoder(body, &converted)
	dec := xml.NewTokenDecoder(&nsFilter{d: raw, keep: root.Space})
	if err := dec.Decode(v); err != nil {
		return err
	}
	if !converted && !utf8.Valid(body) {
		return errors.New("invalid UTF-8")
	}
	return nil
}

// newRawDecoder returns a strict decoder that accepts UTF-8 (and US-ASCII)
// and ISO-8859-1; it sets *converted when it decodes ISO-8859-1.
func newRawDecoder(body []byte, converted *bool) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))))
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(strings.TrimSpace(label)) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return r, nil
		case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
			*converted = true
			return charmap.ISO8859_1.NewDecoder().Reader(r), nil
		}
		return nil, fmt.Errorf("unsupported charset %q (want UTF-8 or ISO-8859-1)", label)
	}
	return d
}

// nsFilter passes on the tokens of d with namespaces resolved: elements in
// namespace keep lose their namespace, so that struct tags without one match
// them, and every other element is renamed so that no tag matches it. The
// namespace declarations themselves are dropped: they have been applied.
type nsFilter struct {
	d    *xml.Decoder
	keep string
}

// foreign prefixes the local name of an element outside the kept namespace;
// no XML name can contain it, so no struct tag matches.
const foreign = "\x00"

func (f *nsFilter) Token() (xml.Token, error) {
	tok, err := f.d.Token()
	if err != nil {
		return tok, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		t.Name = f.rename(t.Name)
		attrs := make([]xml.Attr, 0, len(t.Attr))
		for _, a := range t.Attr {
			if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
				continue
			}
			attrs = append(attrs, a)
		}
		t.Attr = attrs
		return t, nil
	case xml.EndElement:
		t.Name = f.rename(t.Name)
		return t, nil
	}
	return tok, nil
}

func (f *nsFilter) rename(n xml.Name) xml.Name {
	if n.Space == f.keep {
		return xml.Name{Local: n.Local}
	}
	return xml.Name{Local: foreign + n.Space + " " + n.Local}
}
