package capdoc

import (
	"strings"
	"unicode"
)

// DefaultLanguage is CAP's language of an info block that names none.
const DefaultLanguage = "en-US"

// CanonicalLanguage returns a language tag in the casing of RFC 5646
// §2.1.1 ("en-us" → "en-US", "zh-hant-tw" → "zh-Hant-TW", "x-ab" → "x-ab"),
// with "_" read as "-", so that a story keeps its key when a sender's
// casing varies; an empty tag is CAP's default, en-US. Only the casing
// changes: no subtag is replaced by a preferred one, so the result does not
// depend on a registry's version. A tag with non-ASCII characters is no
// BCP 47 tag and is kept as sent.
func CanonicalLanguage(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if s == "" {
		return DefaultLanguage
	}
	for _, r := range s {
		if r > unicode.MaxASCII {
			return s
		}
	}
	parts := strings.Split(s, "-")
	// After a singleton (an extension, or x- private use) every subtag is
	// lower case; before it, the first subtag is the language.
	singleton := false
	for i, p := range parts {
		switch {
		case i == 0 || singleton || len(p) == 1:
			parts[i] = strings.ToLower(p)
			singleton = singleton || len(p) == 1
		case len(p) == 2: // region
			parts[i] = strings.ToUpper(p)
		case len(p) == 4: // script ("1996" is a variant, and stays as it is)
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-")
}
