package meteoalarm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/hazardwire/hazardwire/collectors"
)

// capAlert is a CAP 1.2 alert message, as far as MeteoAlarm's profile needs
// it. Every tag names the CAP 1.2 namespace, so that elements of another
// namespace (a signature, a national extension) never match; a document
// without any namespace is read as CAP 1.2.
type capAlert struct {
	Identifier string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 identifier"`
	Sender     string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 sender"`
	Sent       string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 sent"`
	Status     string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 status"`
	MsgType    string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 msgType"`
	References string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 references"`
	Infos      []capInfo `xml:"urn:oasis:names:tc:emergency:cap:1.2 info"`
}

type capInfo struct {
	Language      string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 language"`
	Event         string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 event"`
	ResponseTypes []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 responseType"`
	Urgency       string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 urgency"`
	Severity      string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 severity"`
	Certainty     string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 certainty"`
	EventCodes    []capPair `xml:"urn:oasis:names:tc:emergency:cap:1.2 eventCode"`
	Effective     string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 effective"`
	Onset         string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 onset"`
	Expires       string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 expires"`
	SenderName    string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 senderName"`
	Headline      string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 headline"`
	Description   string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 description"`
	Instruction   string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 instruction"`
	Web           string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 web"`
	Parameters    []capPair `xml:"urn:oasis:names:tc:emergency:cap:1.2 parameter"`
	Areas         []capArea `xml:"urn:oasis:names:tc:emergency:cap:1.2 area"`
}

type capPair struct {
	Name  string `xml:"urn:oasis:names:tc:emergency:cap:1.2 valueName"`
	Value string `xml:"urn:oasis:names:tc:emergency:cap:1.2 value"`
}

type capArea struct {
	Desc     string    `xml:"urn:oasis:names:tc:emergency:cap:1.2 areaDesc"`
	Polygons []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 polygon"`
	Circles  []string  `xml:"urn:oasis:names:tc:emergency:cap:1.2 circle"`
	Geocodes []capPair `xml:"urn:oasis:names:tc:emergency:cap:1.2 geocode"`
}

// parseCAP reads one CAP 1.2 alert message. The root must be <alert> in the
// CAP 1.2 namespace (or in none): a CAP 1.1 message, an HTML error page or
// an Atom feed served in its place is an error, never an empty message.
func parseCAP(body []byte, contentType string) (*capAlert, error) {
	text, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return nil, err
	}
	d := newDecoder(text, nsCAP)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no root element")
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local != "alert" || se.Name.Space != nsCAP {
			return nil, fmt.Errorf("root element <%s> in namespace %q is not a CAP 1.2 alert", se.Name.Local, se.Name.Space)
		}
		var a capAlert
		if err := d.DecodeElement(&a, &se); err != nil {
			return nil, err
		}
		return &a, nil
	}
}
