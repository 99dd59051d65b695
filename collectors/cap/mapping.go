package cap

import (
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

// mapper turns CAP messages into items for one configured source.
type mapper struct {
	source string
	classifier
}

// document parses body as one CAP message and maps it.
func (m *mapper) document(body []byte) (*capdoc.Yield, error) {
	a, err := parseCAP(body)
	if err != nil {
		return nil, err
	}
	return m.mapAlert(a), nil
}

// mapAlert maps every info block of a that is flood or heat, each to its
// own item. Stories are named "<sender>,<identifier>". A Cancel usually has
// no info: without one the hazard cannot be told, so it is counted as
// unmapped (README: known limits).
func (m *mapper) mapAlert(a *capdoc.Alert) *capdoc.Yield {
	y, blocks := capdoc.Map(a, capdoc.Rules[alert.Hazard]{Story: capdoc.BySender, Classify: m.classify, Item: m.item, Source: m.source})
	for _, b := range blocks {
		y.Items = append(y.Items, b.Item)
	}
	return y
}

// item builds the item of one info block that maps to hz.
func (m *mapper) item(h *capdoc.Header, _ int, in *capdoc.Info, hz alert.Hazard) (collectors.Item, error) {
	a, err := h.Alert(m.source, kindName, hz, in)
	if err != nil {
		return collectors.Item{}, err
	}
	a.Ends = eventEnd(a.Parameters)
	return h.Item(a, in)
}

// eventEnd reads NWS's eventEndingTime parameter, the end of the hazard as
// opposed to the message's expiry. A value that does not parse is left in
// the parameters only.
func eventEnd(params map[string][]string) *time.Time {
	for _, v := range params["eventEndingTime"] {
		if t, err := alert.ParseTime(v); err == nil {
			return &t
		}
	}
	return nil
}
