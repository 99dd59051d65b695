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

	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

// nsAtom is the Atom namespace, matched by URI.
const nsAtom = "http://www.w3.org/2005/Atom"

// rootKind is what a fetched body is, told by its root element.
type rootKind int

const (
	rootCAP rootKind = iota + 1
	rootAtom
	rootRSS
)

// parseCAP reads one CAP 1.1 or 1.2 alert message: only the elements in the
// namespace of its root (or in none, for a root in none) are read.
func parseCAP(body []byte) (*capdoc.Alert, error) {
	var a capdoc.Alert
	if err := decodeRoot(body, rootCAP, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// sniff returns the kind of document body is, from its root element's local
// name and namespace URI.
func sniff(body []byte) (rootKind, xml.Name, error) {
	kind, root, err := sniffRoot(newRawDecoder(body, new(bool)))
	return kind, root.Name, err
}

// sniffRoot reads d up to the root element and tells its kind.
func sniffRoot(d *xml.Decoder) (rootKind, xml.StartElement, error) {
	se, err := capdoc.Root(d)
	if err != nil {
		return 0, se, err
	}
	switch {
	case se.Name.Local == "alert" && (se.Name.Space == capdoc.Namespace12 || se.Name.Space == capdoc.Namespace11 || se.Name.Space == ""):
		return rootCAP, se, nil
	case se.Name.Local == "feed" && (se.Name.Space == nsAtom || se.Name.Space == ""):
		return rootAtom, se, nil
	case se.Name.Local == "rss" && se.Name.Space == "":
		return rootRSS, se, nil
	}
	return 0, se, fmt.Errorf("root element <%s> in namespace %q is not a CAP alert, an Atom feed or an RSS 2.0 document", se.Name.Local, se.Name.Space)
}

// decodeRoot decodes body into v after checking that its root is of kind
// want, keeping only the elements in the root's namespace. It also rejects
// invalid UTF-8 anywhere in a document that was not declared ISO-8859-1.
func decodeRoot(body []byte, want rootKind, v any) error {
	converted := false
	d := newRawDecoder(body, &converted)
	kind, root, err := sniffRoot(d)
	if err != nil {
		return err
	}
	if kind != want {
		return fmt.Errorf("root element <%s> is not the expected one", root.Name.Local)
	}
	if err := capdoc.Decode(d, root, root.Name.Space, v); err != nil {
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
