// Package secret reads a secret option given either inline (usually as
// ${ENV}) or as a file under the same key plus "_file", as the config
// contract allows for every secret, and the files a kind's options name.
package secret

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Resolve returns the secret of option key: value, as given inline, or the
// content of file (the key_file option), read by read (nil: os.ReadFile),
// trimmed of surrounding white space. At most one of the two may be set;
// with neither it returns "", and the caller says whether the key is
// required. Errors name the key and never hold the secret.
func Resolve(key, value, file string, read func(string) ([]byte, error)) (string, error) {
	if file == "" {
		return value, nil
	}
	if strings.TrimSpace(value) != "" {
		return "", fmt.Errorf("set one of %s and %s_file, not both", key, key)
	}
	if read == nil {
		read = os.ReadFile
	}
	b, err := read(file)
	if err != nil {
		return "", fmt.Errorf("%s_file: %w", key, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s_file: %s is empty", key, file)
	}
	return s, nil
}

// Files is where a kind reads the files its options name: beside the config
// file, each file read told to Read.
type Files struct {
	// Dir is the config file's directory, against which relative paths are
	// read (empty: the working directory).
	Dir string
	// Read, when set, is told every file read (ReadFile) with what was
	// read, so that a reload can tell a changed file.
	Read func(path string, content []byte)
}

// Path returns p read against the config file's directory, when relative.
func (f Files) Path(p string) string {
	if p != "" && f.Dir != "" && !filepath.IsAbs(p) {
		p = filepath.Join(f.Dir, p)
	}
	return p
}

// ReadFile reads the file p names (against the config file's directory,
// when relative). A kind reads every file its options name through it.
func (f Files) ReadFile(p string) ([]byte, error) {
	p = f.Path(p)
	b, err := os.ReadFile(p)
	if err == nil && f.Read != nil {
		f.Read(p, b)
	}
	return b, err
}
