package meteoalarm

import (
	"fmt"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

// parseCAP reads one CAP 1.2 alert message. The root must be <alert> in the
// CAP 1.2 namespace (or in none, read as CAP 1.2): a CAP 1.1 message, an
// HTML error page or an Atom feed served in its place is an error, never an
// empty message. Only the elements in the CAP 1.2 namespace are read, so
// that elements of another (a signature, a national extension) never match.
func parseCAP(body []byte, contentType string) (*capdoc.Alert, error) {
	text, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return nil, err
	}
	d := newDecoder(text, capdoc.Namespace12)
	root, err := capdoc.Root(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "alert" || root.Name.Space != capdoc.Namespace12 {
		return nil, fmt.Errorf("root element <%s> in namespace %q is not a CAP 1.2 alert", root.Name.Local, root.Name.Space)
	}
	var a capdoc.Alert
	if err := capdoc.Decode(d, root, capdoc.Namespace12, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
