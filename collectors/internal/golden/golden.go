// Package golden is the golden-file test harness shared by the collector
// kinds: one subtest per case in testdata, items compared with
// expected.json (or the error with expected.err), a -update flag to rewrite
// them, and the small helpers the kinds' tests have in common. It is
// imported only by tests.
package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

// Update is the -update flag: rewrite the golden files (expected.json,
// expected.err) instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite the golden files (expected.json, expected.err) in testdata")

// Dir is the folder that holds the golden cases, relative to the package.
const Dir = "testdata"

// Suite is a kind's set of golden cases: one folder per case in Dir, each
// with the facts F the kind asserts about it beside the golden file.
type Suite[F any] struct {
	// Cases maps each case name to its facts. Every case must have a
	// folder (or a capture, see CaptureExt) and every folder an entry.
	Cases map[string]F
	// CaptureExt, when set (".json", ".xml"), also makes a verbatim capture
	// Dir/<case><CaptureExt> a case, whose folder holds only the golden file.
	CaptureExt string
	// First names cases run before the others, in this order.
	First []string
}

// Run runs test as one subtest per case, in name order (First first), and
// reports the cases with no folder.
func (s Suite[F]) Run(t *testing.T, test func(t *testing.T, c Case, f F)) {
	t.Helper()
	entries, err := os.ReadDir(Dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range entries {
		if d.IsDir() && d.Name() == "fuzz" {
			continue // the fuzz targets' corpus (testdata/fuzz/FuzzX), not a case
		}
		if d.IsDir() {
			seen[d.Name()] = true
		} else if name, ok := strings.CutSuffix(d.Name(), s.CaptureExt); ok && s.CaptureExt != "" {
			seen[name] = true
		}
	}
	names := slices.Sorted(maps.Keys(seen))
	rank := func(n string) int {
		if i := slices.Index(s.First, n); i >= 0 {
			return i
		}
		return len(s.First)
	}
	slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f, ok := s.Cases[name]
			if !ok {
				t.Fatalf("%s/%s has no facts in cases", Dir, name)
			}
			test(t, At(name), f)
		})
	}
	for _, name := range slices.Sorted(maps.Keys(s.Cases)) {
		if !seen[name] {
			t.Errorf("cases[%q] has no folder in %s", name, Dir)
		}
	}
}

// Case is one golden case: the folder Dir/<Name>.
type Case struct {
	// Name is the case's name, its folder's.
	Name string
	// Dir is the case's folder.
	Dir string
}

// At is the case name, in Dir/<name>.
func At(name string) Case {
	return Case{Name: name, Dir: filepath.Join(Dir, name)}
}

// Read returns the case's file, failing the test when it cannot be read.
func (c Case) Read(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ReadOptional returns the case's file, or ok false when there is none.
func (c Case) ReadOptional(t testing.TB, file string) (b []byte, ok bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir, file))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

// Options returns the case's options.yaml, "" when it has none.
func (c Case) Options(t testing.TB) string {
	t.Helper()
	b, _ := c.ReadOptional(t, "options.yaml")
	return string(b)
}

// Input returns the case's input file or, when its folder has none and
// captureExt is set, the verbatim capture Dir/<Name><captureExt>.
func (c Case) Input(t testing.TB, file, captureExt string) []byte {
	t.Helper()
	if b, ok := c.ReadOptional(t, file); ok || captureExt == "" {
		if !ok {
			t.Fatalf("%s has no %s", c.Dir, file)
		}
		return b
	}
	return Fixture(t, c.Name+captureExt)
}

// InputOrCapture returns the verbatim capture named capture when it is
// set, else the case's input.json (cases that share one capture name it).
func (c Case) InputOrCapture(t testing.TB, capture string) []byte {
	t.Helper()
	if capture != "" {
		return Fixture(t, capture)
	}
	return c.Read(t, "input.json")
}

// Compare compares res.Items (indented JSON) with the case's expected.json,
// or err with its expected.err; with -update it rewrites the file instead
// and removes the other one.
func (c Case) Compare(t testing.TB, res collectors.Result, err error) {
	t.Helper()
	file, got := "expected.json", []byte(JSON(t, res.Items)+"\n")
	if res.Items == nil {
		got = []byte("[]\n")
	}
	if err != nil {
		file, got = "expected.err", []byte(err.Error()+"\n")
	}
	path := filepath.Join(c.Dir, file)
	if *Update {
		if err := os.MkdirAll(c.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"expected.json": "expected.err", "expected.err": "expected.json"}[file]
		_ = os.Remove(filepath.Join(c.Dir, other))
		return
	}
	want, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatalf("%v (run go test -update to write it)", rerr)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update and review the diff)\ngot:\n%s", path, got)
	}
}

// Fixture reads Dir/<name>, failing the test when it cannot be read.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Decode returns a collectors.Decode that reads src strictly with the
// daemon's own decoder (internal/yamlx), as options.yaml, and counts its
// calls in *calls when calls is not nil.
func Decode(src string, calls *int) collectors.Decode {
	return func(v any) error {
		if calls != nil {
			*calls++
		}
		node, errs := yamlx.Load("options.yaml", []byte(src))
		if errs != nil {
			return errs.Err()
		}
		return yamlx.Decode(node, v, yamlx.Options{File: "options.yaml"}).Err()
	}
}

// Fetcher returns a fetcher of a fresh client, with options o, as the
// daemon builds one for a collector.
func Fetcher(o collectors.FetchOptions) *collectors.Fetcher {
	return collectors.NewClient(collectors.ClientOptions{}).NewFetcher(o)
}

// JSON is v as indented JSON, failing the test when it cannot be marshalled.
func JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// Time parses an RFC 3339 time, failing the test when it does not parse.
func Time(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// RFC3339 formats an optional time as the alert JSON does, offset kept;
// "<nil>" for nil.
func RFC3339(tm *time.Time) string {
	if tm == nil {
		return "<nil>"
	}
	return tm.Format(time.RFC3339)
}

// Eq reports got != want as an error naming what.
func Eq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// ErrorsText is the messages of errs.
func ErrorsText(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// CheckErr checks a parse error against want, a substring of the error the
// case must fail with ("" when it must parse). It fails the test when err
// does not match, and reports whether the case is an error case, whose other
// facts then do not apply.
func CheckErr(t testing.TB, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error = %v, want one containing %q", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return false
}

// Counts are the counts of a Result that every golden case asserts.
type Counts struct {
	// Snapshot is the want of Result.Snapshot.
	Snapshot bool
	// Fetched is the want of Result.Fetched.
	Fetched int
	// Dropped is the want of Result.Dropped (nil for none).
	Dropped map[string]int
	// Items is the number of items.
	Items int
}

// CheckCounts checks res against want. A wrong number of items fails the
// test, since the facts of each item cannot be checked then.
func CheckCounts(t testing.TB, res collectors.Result, want Counts) {
	t.Helper()
	Eq(t, "Snapshot", res.Snapshot, want.Snapshot)
	Eq(t, "Fetched", res.Fetched, want.Fetched)
	Eq(t, "Dropped", JSON(t, res.Dropped), JSON(t, want.Dropped))
	if len(res.Items) != want.Items {
		t.Fatalf("%d items, want %d: %s", len(res.Items), want.Items, JSON(t, res.Items))
	}
}

// CommonKeys are the collector keys the daemon reads itself; a kind's
// decode sees the rest.
var CommonKeys = []string{"name", "kind", "schedule", "url", "timeout", "jitter", "grace", "user_agent", "max_body"}

// Sample reads the collector entry src (a kind's sample.yaml) as the daemon
// does: it decodes and checks the keys the daemon reads itself (kind must be
// kind, url must be url unless url is "", the schedule must parse) and
// returns the Env and the Decode of the kind's own options to pass to the
// kind's New. lookupEnv resolves ${NAME} in those options (nil:
// os.LookupEnv).
func Sample(t testing.TB, src, kind, url string, lookupEnv func(string) (string, bool)) (collectors.Env, collectors.Decode) {
	t.Helper()
	node, errs := yamlx.Load("sample.yaml", []byte(src))
	if errs != nil {
		t.Fatal(errs)
	}
	var common struct {
		Name      string `yaml:"name"`
		Kind      string `yaml:"kind"`
		Schedule  string `yaml:"schedule"`
		URL       string `yaml:"url"`
		UserAgent string `yaml:"user_agent"`
	}
	if errs := yamlx.Decode(node, &common, yamlx.Options{AllowUnknown: true}); errs != nil {
		t.Fatal(errs)
	}
	Eq(t, "kind", common.Kind, kind)
	if url != "" {
		Eq(t, "url", common.URL, url)
	}
	if _, err := collectors.ParseSchedule(common.Schedule); err != nil {
		t.Error(err)
	}
	env := collectors.Env{Info: collectors.Info{Name: common.Name, Kind: common.Kind, UserAgent: common.UserAgent}, URL: common.URL}
	return env, func(v any) error {
		return yamlx.Decode(yamlx.Sub(node, CommonKeys), v, yamlx.Options{File: "sample.yaml", LookupEnv: lookupEnv}).Err()
	}
}

// Registered returns the registered kind name, failing the test when there
// is none, and checks that its Sample is sample (the kind's embedded
// sample.yaml, not empty) and that its DefaultSchedule parses.
func Registered(t testing.TB, name string, sample []byte) collectors.Kind {
	t.Helper()
	k, ok := collectors.Lookup(name)
	if !ok {
		t.Fatalf("kind %q is not registered", name)
	}
	if !bytes.Equal(k.Sample, sample) || len(sample) == 0 {
		t.Error("Sample is not the embedded sample.yaml")
	}
	if _, err := collectors.ParseSchedule(k.DefaultSchedule); err != nil {
		t.Error(err)
	}
	return k
}

// Inputs returns the files in Dir that match patterns (filepath.Glob
// patterns relative to Dir, in order), leaving out the golden files
// expected.json: the seeds of a kind's fuzz test.
func Inputs(t testing.TB, patterns ...string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, pattern := range patterns {
		paths, err := filepath.Glob(filepath.Join(Dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			if filepath.Base(path) == "expected.json" {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// SecretFile checks a kind's <key>_file option, the file form of its secret
// option key: the secret is read from a file beside the config by a relative
// path and trimmed; key and key_file together are an error; a missing file
// is an error naming key_file. No error shows the secret. build builds a
// collector from options (YAML) with Env.Dir set to dir; SecretFile returns
// the one built from the file, for the kind to check what it holds.
func SecretFile(t *testing.T, key, secret string, build func(dir, options string) (collectors.Collector, error)) collectors.Collector {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "key"), []byte("\n  "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := key + "_file: secrets/key\n"
	c, err := build(dir, file)
	if err != nil {
		t.Fatalf("%s_file beside the config: %v", key, err)
	}
	for _, tt := range []struct{ name, options, err string }{
		{"both", key + ": \"" + secret + "\"\n" + file, "set one of " + key + " and " + key + "_file, not both"},
		{"missing file", key + "_file: secrets/absent\n", key + "_file: open " + filepath.Join(dir, "secrets", "absent")},
	} {
		_, err := build(dir, tt.options)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.err)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
	return c
}
