package exporters

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/hazardwire/hazardwire/alert"
)

// Decoded shares decoded alerts among the runners reading one stream: every
// exporter receives each change, and in a burst to many partners decoding
// it once per exporter was the largest cost of delivery. It holds the last
// size changes by message id (the alert id), each with the bytes it was
// decoded from: a message is taken from the cache only when its bytes are
// the same, so an id can never bring another content. The alerts it returns
// are read-only.
type Decoded struct {
	mu   sync.Mutex
	byID map[string]decodedEntry
	ring []string // ids in insertion order, oldest at next
	next int
}

type decodedEntry struct {
	data  []byte
	alert *alert.Alert
}

// NewDecoded returns a cache of size changes.
func NewDecoded(size int) *Decoded {
	return &Decoded{byID: make(map[string]decodedEntry, size), ring: make([]string, 0, size)}
}

// Get returns the alert of message id with body data, decoding data unless
// the same bytes were decoded (or put) before. Without an id it decodes.
func (c *Decoded) Get(id string, data []byte) (*alert.Alert, error) {
	if c == nil || id == "" {
		return decode(data)
	}
	c.mu.Lock()
	e, ok := c.byID[id]
	c.mu.Unlock()
	if ok && bytes.Equal(e.data, data) {
		return e.alert, nil
	}
	a, err := decode(data)
	if err != nil {
		return nil, err
	}
	c.Put(id, data, a)
	return a, nil
}

// Put gives the cache the alert a encoded as data under message id: the
// lifecycle has it in hand before it publishes, so no runner decodes it. a
// and data must not change afterwards.
func (c *Decoded) Put(id string, data []byte, a *alert.Alert) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; ok {
		c.byID[id] = decodedEntry{data, a} // newer bytes for the id: keep those
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, id)
	} else {
		delete(c.byID, c.ring[c.next])
		c.ring[c.next] = id
		c.next = (c.next + 1) % len(c.ring)
	}
	c.byID[id] = decodedEntry{data, a}
}

func decode(data []byte) (*alert.Alert, error) {
	a := new(alert.Alert)
	if err := json.Unmarshal(data, a); err != nil {
		return nil, err
	}
	return a, nil
}
