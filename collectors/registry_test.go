package collectors_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
)

// registryRound makes kind names unique per run of TestRegistry (-count=N):
// the registry is process-wide.
var registryRound atomic.Int64

func TestRegistry(t *testing.T) {
	n := registryRound.Add(1)
	zeta, alpha := fmt.Sprintf("test-%d-zeta", n), fmt.Sprintf("test-%d-alpha", n)
	factory := func(collectors.Env, collectors.Decode) (collectors.Collector, error) {
		return collectFunc(func(context.Context) (collectors.Result, error) { return collectors.Result{}, nil }), nil
	}
	collectors.Register(collectors.Kind{Name: zeta, New: factory, DefaultSchedule: "@every 5m", Snapshot: true})
	collectors.Register(collectors.Kind{Name: alpha, New: factory, Sample: []byte("name: x\n")})

	k, ok := collectors.Lookup(zeta)
	if !ok || k.Name != zeta || k.DefaultSchedule != "@every 5m" || !k.Snapshot || k.New == nil {
		t.Fatalf("Lookup(%q) = %+v, %v", zeta, k, ok)
	}
	if _, ok := collectors.Lookup("test-missing"); ok {
		t.Fatal("Lookup of an unregistered kind")
	}
	names := collectors.Kinds()
	if !slices.IsSorted(names) {
		t.Errorf("Kinds() not sorted: %v", names)
	}
	ia, iz := slices.Index(names, alpha), slices.Index(names, zeta)
	if ia < 0 || iz < 0 || ia > iz {
		t.Errorf("Kinds() = %v", names)
	}

	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, fmt.Sprintf("%q", zeta)) {
			t.Errorf("registering a name twice: recover() = %v, want a panic naming it", r)
		}
	}()
	collectors.Register(collectors.Kind{Name: zeta, New: factory})
}

func TestResultDrop(t *testing.T) {
	var r collectors.Result
	r.Drop(collectors.DropUnmapped)
	r.Drop(collectors.DropUnmapped)
	r.Drop(collectors.DropInvalid)
	if r.Dropped[collectors.DropUnmapped] != 2 || r.Dropped[collectors.DropInvalid] != 1 || len(r.Dropped) != 2 {
		t.Fatalf("Dropped = %v", r.Dropped)
	}
}
