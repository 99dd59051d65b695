// Package alert defines the unified alert that every collector produces and every
// exporter delivers. Its JSON field names are a contract with partner platforms.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Alert is one version of one flood or heat alert. Collectors fill the content
// fields and Key; the lifecycle engine fills ID, Version, Change, State and
// References when it decides that the content is a change worth publishing.
//
// Once an alert leaves its collector, its maps, slices and times are not
// changed in place: the lifecycle's change copies only the fields it sets and
// shares the rest with the collected item, and the exporters share one
// decoded change between partners. Code that needs to change them works on
// a Clone.
type Alert struct {
	ID          string              `json:"id"`
	Key         string              `json:"key"`
	Version     int                 `json:"version"`
	Change      Change              `json:"change"`
	State       State               `json:"state"`
	Source      string              `json:"source"`
	SourceKind  string              `json:"sourceKind"`
	Hazard      Hazard              `json:"hazard"`
	Event       string              `json:"event"`
	EventCodes  map[string][]string `json:"eventCodes,omitempty"`
	Status      Status              `json:"status"`
	Severity    Severity            `json:"severity"`
	Urgency     Urgency             `json:"urgency"`
	Certainty   Certainty           `json:"certainty"`
	Sent        time.Time           `json:"sent"`
	Effective   *time.Time          `json:"effective,omitempty"`
	Onset       *time.Time          `json:"onset,omitempty"`
	Expires     *time.Time          `json:"expires,omitempty"`
	Ends        *time.Time          `json:"ends,omitempty"`
	Headline    string              `json:"headline,omitempty"`
	Description string              `json:"description,omitempty"`
	Instruction string              `json:"instruction,omitempty"`
	Language    string              `json:"language,omitempty"`
	Sender      string              `json:"sender,omitempty"`
	SenderName  string              `json:"senderName,omitempty"`
	Web         string              `json:"web,omitempty"`
	Areas       []Area              `json:"areas,omitempty"`
	Geometry    *Geometry           `json:"geometry"`
	Parameters  map[string][]string `json:"parameters,omitempty"`
	References  []string            `json:"references,omitempty"`
	Derived     bool                `json:"derived"`
}

// Area is one area an alert applies to.
type Area struct {
	Description string `json:"description"`
	// Geocodes is always in the JSON, {} when the area has none
	// (MarshalJSON): the contract gives it no "?".
	Geocodes map[string][]string `json:"geocodes"`
	// Polygons holds one ring for each polygon of the area: a closed list of
	// [lon, lat] positions, the polygon's outer boundary, as a CAP <polygon>
	// is. Holes are not kept: an area covers its holes, which for a warning
	// errs on the side of telling too many people. Decoding also reads the
	// polygons of rings (GeoJSON polygons) that earlier versions wrote, and
	// keeps the outer ring of each (UnmarshalJSON).
	Polygons [][][2]float64 `json:"polygons,omitempty"`
	Circles  []Circle       `json:"circles,omitempty"`
}

// Circle is a circular area: centre and radius in kilometres.
type Circle struct {
	Lon      float64 `json:"lon"`
	Lat      float64 `json:"lat"`
	RadiusKm float64 `json:"radiusKm"`
}

// MakeID returns the id of version v of key: "<key>#<version>".
func MakeID(key string, version int) string {
	return key + "#" + strconv.Itoa(version)
}

// SplitID splits an id made by MakeID into its key and version. Only ids that
// MakeID could have made are accepted: a non-empty key and a version of at
// least 1 in canonical decimal ("k#01" and "k#+1" are not ids), so that an
// accepted id always equals MakeID(key, version).
func SplitID(id string) (key string, version int, ok bool) {
	i := strings.LastIndexByte(id, '#')
	if i < 1 {
		return "", 0, false
	}
	s := id[i+1:]
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 || strconv.Itoa(v) != s {
		return "", 0, false
	}
	return id[:i], v, true
}

// MakeKey returns the key of a native item of source: "<source>:<native>".
func MakeKey(source, native string) string {
	return source + ":" + native
}

// End returns the time the alert stops being in force: the later of Expires and
// Ends, or the zero time when neither is known.
func (a *Alert) End() time.Time {
	var end time.Time
	if a.Expires != nil {
		end = *a.Expires
	}
	if a.Ends != nil && a.Ends.After(end) {
		end = *a.Ends
	}
	return end
}

// Later returns the later of two optional times, nil when both are nil.
func Later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}

// EffectiveTime returns Effective, defaulting to Sent as CAP does.
func (a *Alert) EffectiveTime() time.Time {
	if a.Effective != nil {
		return *a.Effective
	}
	return a.Sent
}

// material is the part of an alert whose change makes a new version. Sent, the
// lifecycle fields and source message ids are left out on purpose, and so are
// event codes: an NWS P-VTEC string carries the action of each message (NEW,
// CON, EXT, ...), so it changes with every re-issue even when nothing material
// does, and what a VTEC change means (a new end, new areas) shows in the
// fields that are kept.
type material struct {
	Hazard      Hazard     `json:"h"`
	Event       string     `json:"e"`
	Status      Status     `json:"st"`
	Severity    Severity   `json:"sv"`
	Urgency     Urgency    `json:"u"`
	Certainty   Certainty  `json:"c"`
	Effective   *time.Time `json:"ef,omitempty"`
	Onset       *time.Time `json:"on,omitempty"`
	Expires     *time.Time `json:"ex,omitempty"`
	Ends        *time.Time `json:"en,omitempty"`
	Headline    string     `json:"hl,omitempty"`
	Description string     `json:"d,omitempty"`
	Instruction string     `json:"i,omitempty"`
	// Areas are written with each ring as a polygon of one ring, as before
	// areas held rings (appendMaterial).
	Areas []Area `json:"a,omitempty"`
}

// ContentHash returns a digest of the alert's material content (DESIGN.md §3):
// two alerts with the same hash are the same version.
func (a *Alert) ContentHash() string {
	m := material{
		Hazard: a.Hazard, Event: a.Event, Status: a.Status,
		Severity: a.Severity, Urgency: a.Urgency, Certainty: a.Certainty,
		Effective: materialEffective(a), Onset: utc(a.Onset), Expires: utc(a.Expires), Ends: utc(a.Ends),
		Headline: a.Headline, Description: a.Description, Instruction: a.Instruction, Areas: a.Areas,
	}
	buf := materialBufs.Get().(*[]byte)
	b, err := appendMaterial((*buf)[:0], &m)
	if err != nil { // cannot happen: every field marshals
		panic(err)
	}
	sum := sha256.Sum256(b)
	if cap(b) <= maxPooledMaterial {
		*buf = b
		materialBufs.Put(buf)
	}
	return hex.EncodeToString(sum[:16])
}

// materialBufs holds the buffers ContentHash writes material into: the lifecycle
// hashes every alert of every poll, and a fresh 4 KiB a hash was the largest
// allocation in its profile. A buffer grown past maxPooledMaterial by an unusual
// alert is left to the collector rather than kept.
var materialBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledMaterial = 64 << 10

// materialEffective is the effective time when it says more than sent: an
// effective equal to sent (or absent, which defaults to sent) moves with every
// re-sent message, and a re-send alone is not a change (DESIGN.md §3).
func materialEffective(a *Alert) *time.Time {
	if a.Effective == nil || a.Effective.Equal(a.Sent) {
		return nil
	}
	return utc(a.Effective)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Clone returns a deep copy of a, so that a copy can be changed without
// touching maps and slices shared with the original.
func (a Alert) Clone() Alert {
	c := a
	c.EventCodes = cloneCodes(a.EventCodes)
	c.Parameters = cloneCodes(a.Parameters)
	c.Effective, c.Onset, c.Expires, c.Ends = cloneTime(a.Effective), cloneTime(a.Onset), cloneTime(a.Expires), cloneTime(a.Ends)
	if a.Areas != nil {
		c.Areas = make([]Area, len(a.Areas))
		for i, ar := range a.Areas {
			c.Areas[i] = Area{Description: ar.Description, Geocodes: cloneCodes(ar.Geocodes),
				Polygons: cloneRings(ar.Polygons), Circles: slices.Clone(ar.Circles)}
		}
	}
	if a.Geometry != nil {
		c.Geometry = &Geometry{Type: a.Geometry.Type, Polygons: clonePolygons(a.Geometry.Polygons)}
	}
	c.References = slices.Clone(a.References)
	return c
}

func cloneCodes(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	c := make(map[string][]string, len(m))
	for k, v := range m {
		c[k] = slices.Clone(v)
	}
	return c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func clonePolygons(ps [][][][2]float64) [][][][2]float64 {
	if ps == nil {
		return nil
	}
	c := make([][][][2]float64, len(ps))
	for i, p := range ps {
		c[i] = cloneRings(p)
	}
	return c
}

func cloneRings(rings [][][2]float64) [][][2]float64 {
	if rings == nil {
		return nil
	}
	c := make([][][2]float64, len(rings))
	for i, ring := range rings {
		c[i] = slices.Clone(ring)
	}
	return c
}

// EventType is the CloudEvents type of the change: org.hazardwire.alert.<change>.
func (a *Alert) EventType() string {
	switch a.Change { // the usual ones without building a string for every change
	case ChangeNew:
		return "org.hazardwire.alert.new"
	case ChangeUpdate:
		return "org.hazardwire.alert.update"
	case ChangeCancel:
		return "org.hazardwire.alert.cancel"
	case ChangeExpire:
		return "org.hazardwire.alert.expire"
	}
	return "org.hazardwire.alert." + string(a.Change)
}

// EventSource is the CloudEvents source of the changes of a collector.
func EventSource(source string) string { return "/hazardwire/collectors/" + source }

// PreviousSeqHeader is the bus header of an update: the stream sequence of
// its key's version before it. An exporter whose filter the update fails
// reads that version, and sends the update anyway when that version passed:
// the partner holds it, and must hear that the alert left its place or fell
// below its severity rather than keep it until the end.
const PreviousSeqHeader = "Hazardwire-Previous-Seq"
