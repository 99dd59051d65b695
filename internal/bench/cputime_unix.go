//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used so far, user and system.
// A scenario's CPU time is the difference across it: on a machine shared
// with other work it moves far less than the wall time does, and it counts
// what the work costs on every core, not only on the critical path.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
