package secret_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/internal/secret"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte("  s3cret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	blank := filepath.Join(dir, "blank")
	if err := os.WriteFile(blank, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, value, file, want, err string
	}{
		{name: "inline", value: "inline-value", want: "inline-value"},
		{name: "neither"},
		{name: "file, trimmed", file: file, want: "s3cret-value"},
		{name: "blank inline and file", value: " ", file: file, want: "s3cret-value"},
		{name: "both", value: "inline-value", file: file, err: "set one of api_key and api_key_file, not both"},
		{name: "missing file", file: file + ".absent", err: "api_key_file: open "},
		{name: "empty file", file: blank, err: "api_key_file: " + blank + " is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secret.Resolve("api_key", tt.value, tt.file, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "inline-value") || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error shows the secret: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
