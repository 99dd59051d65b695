// Package capdoc holds what the collector kinds that read OASIS CAP 1.1 and
// 1.2 alert messages share: the message structures, namespace-exact XML
// decoding, the message header with the key of its story, the canonical
// casing of language tags, the alert fields of an info block, and the
// gathering of the items of many messages into one snapshot. What a kind
// makes of a block (its hazard, its severity, extra geocodes) stays in the
// kind.
package capdoc

import (
	"encoding/xml"
	"errors"
	"io"
)

// The CAP namespaces, matched by URI: a prefix means nothing until it is
// bound.
const (
	Namespace11 = "urn:oasis:names:tc:emergency:cap:1.1"
	Namespace12 = "urn:oasis:names:tc:emergency:cap:1.2"
)

// Alert is a CAP 1.1 or 1.2 alert message, as far as hazardwire reads it.
// Its tags name no namespace: Decode strips the one it keeps and renames
// every other element, so that only CAP elements match.
type Alert struct {
	Identifier string `xml:"identifier"`
	Sender     string `xml:"sender"`
	Sent       string `xml:"sent"`
	Status     string `xml:"status"`
	MsgType    string `xml:"msgType"`
	References string `xml:"references"`
	Infos      []Info `xml:"info"`
}

// Info is one info block of an alert message.
type Info struct {
	Language      string   `xml:"language"`
	Event         string   `xml:"event"`
	ResponseTypes []string `xml:"responseType"`
	Urgency       string   `xml:"urgency"`
	Severity      string   `xml:"severity"`
	Certainty     string   `xml:"certainty"`
	EventCodes    []Pair   `xml:"eventCode"`
	Effective     string   `xml:"effective"`
	Onset         string   `xml:"onset"`
	Expires       string   `xml:"expires"`
	SenderName    string   `xml:"senderName"`
	Headline      string   `xml:"headline"`
	Description   string   `xml:"description"`
	Instruction   string   `xml:"instruction"`
	Web           string   `xml:"web"`
	Parameters    []Pair   `xml:"parameter"`
	Areas         []Area   `xml:"area"`
}

// Pair is a CAP valueName/value pair (eventCode, parameter, geocode).
type Pair struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

// Area is one area of an info block.
type Area struct {
	Desc     string   `xml:"areaDesc"`
	Polygons []string `xml:"polygon"`
	Circles  []string `xml:"circle"`
	Geocodes []Pair   `xml:"geocode"`
}

// Root reads d up to the root element and returns its start tag, with its
// namespace resolved.
func Root(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return xml.StartElement{}, errors.New("no root element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se, nil
		}
	}
}

// Decode decodes into v the element that root starts, root having just been
// read from d (by Root). Only the elements in namespace space reach v, and
// without their namespace, so that struct tags name none; every other
// element (a signature, a national extension, an Atom link inside an RSS
// item) is renamed so that no tag matches it.
func Decode(d *xml.Decoder, root xml.StartElement, space string, v any) error {
	f := &nsFilter{d: d, keep: space}
	first := f.start(root)
	f.pending = &first
	return xml.NewTokenDecoder(f).Decode(v)
}

// nsFilter passes on the tokens of d with namespaces resolved: elements in
// namespace keep lose their namespace, and every other element is renamed
// so that no tag matches it. The namespace declarations themselves are
// dropped: they have been applied.
type nsFilter struct {
	d       *xml.Decoder
	keep    string
	pending *xml.StartElement // the root, already read from d
}

// foreign prefixes the local name of an element outside the kept namespace;
// no XML name can contain it, so no struct tag matches.
const foreign = "\x00"

// Token implements xml.TokenReader.
func (f *nsFilter) Token() (xml.Token, error) {
	if f.pending != nil {
		t := *f.pending
		f.pending = nil
		return t, nil
	}
	tok, err := f.d.Token()
	if err != nil {
		return tok, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		return f.start(t), nil
	case xml.EndElement:
		t.Name = f.rename(t.Name)
		return t, nil
	}
	return tok, nil
}

func (f *nsFilter) start(t xml.StartElement) xml.StartElement {
	t.Name = f.rename(t.Name)
	attrs := make([]xml.Attr, 0, len(t.Attr))
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		attrs = append(attrs, a)
	}
	t.Attr = attrs
	return t
}

func (f *nsFilter) rename(n xml.Name) xml.Name {
	if n.Space == f.keep {
		return xml.Name{Local: n.Local}
	}
	return xml.Name{Local: foreign + n.Space + " " + n.Local}
}
