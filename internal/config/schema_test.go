package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/config"
)

var update = flag.Bool("update", false, "rewrite configs/hazardwire.schema.json from the Go types")

const schemaFile = "../../configs/hazardwire.schema.json"

// TestSchemaIsCurrent: the committed schema is the one the Go types give.
func TestSchemaIsCurrent(t *testing.T) {
	got, err := json.MarshalIndent(config.Schema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("configs/hazardwire.schema.json is out of date: go test ./internal/config -run TestSchemaIsCurrent -update")
	}
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("hazardwire.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("hazardwire.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlValue reads YAML into the generic values the validator takes.
func yamlValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConfigsMatchTheSchema: every YAML in configs/ and every kind's sample
// validates; a typo does not.
func TestConfigsMatchTheSchema(t *testing.T) {
	s := compile(t)
	files, _ := filepath.Glob("../../configs/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlValue(t, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, k := range collectors.Kinds() {
		kind, _ := collectors.Lookup(k)
		doc := "collectors:\n  - " + strings.ReplaceAll(strings.TrimSpace(string(kind.Sample)), "\n", "\n    ") + "\n"
		if err := s.Validate(yamlValue(t, []byte(doc))); err != nil {
			t.Errorf("sample of collector kind %s: %v", k, err)
		}
	}
	for _, k := range exporters.Kinds() {
		kind, _ := exporters.Lookup(k)
		doc := "exporters:\n  - " + strings.ReplaceAll(strings.TrimSpace(string(kind.Sample)), "\n", "\n    ") + "\n"
		if err := s.Validate(yamlValue(t, []byte(doc))); err != nil {
			t.Errorf("sample of exporter kind %s: %v", k, err)
		}
	}
	for _, bad := range []string{
		"collectors:\n  - {name: n, kind: nws, shedule: x}\n",
		"collectors:\n  - {name: n, kind: nws, service_key: x}\n", // another kind's key
		"collectors:\n  - {name: n, kind: nope}\n",
		"exporters:\n  - {name: p, kind: webhook, url: u, filter: {min_severity: huge}}\n",
		"bus: {max_age: soon}\n",
		"htttp: {}\n",
	} {
		if err := s.Validate(yamlValue(t, []byte(bad))); err == nil {
			t.Errorf("the schema accepts %q", bad)
		}
	}
}
