// Package secret reads a secret option given either inline (usually as
// ${ENV}) or as a file under the same key plus "_file", as the config
// contract allows for every secret.
package secret

import (
	"fmt"
	"os"
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
