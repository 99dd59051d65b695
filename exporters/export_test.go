package exporters

// Unfinished is how many changes a checkpointed runner holds: received and
// not yet delivered, dead-lettered, superseded or filtered out.
func (r *Runner) Unfinished() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.local == nil {
		return 0
	}
	return r.local.unfinished()
}

// DropDeliveries makes the runner's reading drop the next n deliveries, as
// if lost between the server and the runner.
func (r *Runner) DropDeliveries(n int32) { r.dropNext.Add(n) }

func (r *Runner) DropAcks(n int32) { r.dropAcks.Add(n) }

// Held is how many changes of key the runner holds in line, its head
// included.
func (r *Runner) Held(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if q := r.queues[key]; q != nil {
		return len(q.items)
	}
	return 0
}

// ReadingStopped reports whether Stop has begun: no change is read, and no
// delivery starts, from then on (stopReading ends r.reading before it sets
// readStopped).
func (r *Runner) ReadingStopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readStopped
}
