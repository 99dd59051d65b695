package bus_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// tmpfs mounts a small tmpfs for the store, or skips the test (not root).
func tmpfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file in dir until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for n := 1 << 20; n > 0; n /= 2 {
		for {
			if _, err := f.Write(make([]byte, n)); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return path
}

// TestStoreRecoversAfterFullDisk: the embedded store keeps a write error for
// good once the disk was full; the bus restarts its server when space
// returns, and publishing works again on the same connection.
func TestStoreRecoversAfterFullDisk(t *testing.T) {
	dir := tmpfs(t)
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{StoreDir: filepath.Join(dir, "store"), MaxMemory: 64 << 20, MaxStore: 8 << 20}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if _, err := b.Publish(ctx, sample(1)); err != nil {
		t.Fatal(err)
	}
	filler := fill(t, dir)
	// The first writes may land in the block's room; the store fails soon.
	v := 2
	for ; v < 100; v++ {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err = b.Publish(pctx, sample(v))
		cancel()
		if err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("every publish on a full disk succeeded")
	}
	if !b.StoreBroken() {
		t.Fatal("StoreBroken false after a write error")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for b.StoreBroken() {
		if time.Now().After(deadline) {
			t.Fatal("store still broken 30s after space returned")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := b.Publish(pctx, sample(v))
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish after recovery: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestStoreNotWritableAtStart: a store the server cannot write stops Open
// at once with the server's reason, not after a 30 s wait.
func TestStoreNotWritableAtStart(t *testing.T) {
	dir := tmpfs(t)
	if err := os.Mkdir(filepath.Join(dir, "store"), 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v: %s", err, out)
	}
	start := time.Now()
	_, err := bus.Open(context.Background(), bus.Config{StoreDir: filepath.Join(dir, "store")}, testbus.Logger(t))
	if err == nil || !strings.Contains(err.Error(), "Can't start JetStream") || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Open on a read-only store: %v, want the server's reason", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Open took %v to fail", took)
	}
}
