// Package rotation_test checks that a reload sees a secret file rotated
// under a running kind. It registers a kind of its own, so it is a package
// apart: the config's tests check every registered kind against the schema.
package rotation_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/config"
	sec "github.com/hazardwire/hazardwire/internal/secret"
)

// rotatingKind is an exporter kind that reads its secret_file, after which
// rotateTo (when set) is written over the file at once: an operator's
// rotation landing between the kind's read and anything after it.
var rotateTo string

type holder struct{ secret string }

func (*holder) Deliver(context.Context, exporters.Delivery) exporters.Outcome {
	return exporters.Outcome{}
}

func noEnv(string) (string, bool) { return "", false }

func init() {
	exporters.Register(exporters.Kind{Name: "test-rotating", New: func(env exporters.Env, decode exporters.Decode) (exporters.Exporter, error) {
		var o struct {
			SecretFile string `yaml:"secret_file"`
		}
		if err := decode(&o); err != nil {
			return nil, err
		}
		s, err := sec.Resolve("secret", "", o.SecretFile, env.ReadFile)
		if err != nil {
			return nil, err
		}
		if rotateTo != "" {
			if err := os.WriteFile(env.Path(o.SecretFile), []byte(rotateTo), 0o600); err != nil {
				return nil, err
			}
			rotateTo = ""
		}
		return &holder{s}, nil
	}})
}

// TestFingerprintIsOfWhatWasRead: the fingerprint is of the bytes the kind
// read, not of the file as it is afterwards; a file rotated just after the
// read makes the next reload's fingerprint differ, so the exporter holding
// the old secret is restarted.
func TestFingerprintIsOfWhatWasRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	const yaml = "exporters:\n  - name: p\n    kind: test-rotating\n    secret_file: s.txt\n"
	check := func() config.BuiltExporter {
		_, b, err := config.Check(filepath.Join(dir, "c.yaml"), []byte(yaml), noEnv, collectors.NewClient(collectors.ClientOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		return b.Exporters[0]
	}
	rotateTo = "new"
	running := check()
	reload := check()
	if got := running.Exporter.(*holder).secret; got != "old" {
		t.Fatalf("the first build read %q", got)
	}
	if running.Fingerprint == reload.Fingerprint {
		t.Error("the exporter holds the old secret and the reload's the new, with the same fingerprint: the reload would keep the old")
	}
}
