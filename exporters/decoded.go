package exporters

import (
	"encoding/json"
	"sync"

	"github.com/hazardwire/hazardwire/alert"
)

// Decoded shares decoded alerts among the runners reading one stream: every
// exporter receives each change, and in a burst to many partners decoding
// it once per exporter was the largest cost of delivery. It holds the last
// size changes by stream sequence; the alerts it returns are read-only.
type Decoded struct {
	mu    sync.Mutex
	bySeq map[uint64]*alert.Alert
	ring  []uint64 // sequences in insertion order, oldest at next
	next  int
}

// NewDecoded returns a cache of size changes.
func NewDecoded(size int) *Decoded {
	return &Decoded{bySeq: make(map[uint64]*alert.Alert, size), ring: make([]uint64, 0, size)}
}

// Get returns the alert of the change at stream sequence seq, decoding data
// unless it was decoded before.
func (c *Decoded) Get(seq uint64, data []byte) (*alert.Alert, error) {
	if c == nil {
		return decode(data)
	}
	c.mu.Lock()
	a, ok := c.bySeq[seq]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := decode(data)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.bySeq[seq]; ok {
		return had, nil // another runner decoded it meanwhile
	}
	c.add(seq, a)
	return a, nil
}

// Put gives the cache the alert published at stream sequence seq, so that
// no runner decodes it: the lifecycle has it in hand. a must not change
// afterwards.
func (c *Decoded) Put(seq uint64, a *alert.Alert) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.bySeq[seq]; !ok {
		c.add(seq, a)
	}
}

// add stores a, evicting the oldest entry when full. c.mu is held.
func (c *Decoded) add(seq uint64, a *alert.Alert) {
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, seq)
	} else {
		delete(c.bySeq, c.ring[c.next])
		c.ring[c.next] = seq
		c.next = (c.next + 1) % len(c.ring)
	}
	c.bySeq[seq] = a
}

func decode(data []byte) (*alert.Alert, error) {
	a := new(alert.Alert)
	if err := json.Unmarshal(data, a); err != nil {
		return nil, err
	}
	return a, nil
}
