package capdoc

import (
	"strings"
	"testing"
)

func TestCanonicalLanguage(t *testing.T) {
	for in, want := range map[string]string{
		// The cap kind's cases.
		"":            "en-US",
		"  ":          "en-US",
		"en-us":       "en-US",
		"EN-GB":       "en-GB",
		"fr_FR":       "fr-FR",
		"ko":          "ko",
		"zh-hant-tw":  "zh-Hant-TW",
		"es-419":      "es-419",
		"de-DE-u-co":  "de-DE-u-co",
		"x-klingon":   "x-klingon",
		"한국어":         "한국어",
		" ko-KR ":     "ko-KR",
		"sr-latn-rs":  "sr-Latn-RS",
		"en-US-x-twa": "en-US-x-twa",
		// The meteoalarm kind's cases.
		"fr-FR": "fr-FR", "en-gb": "en-GB", "EN_GB": "en-GB", " de ": "de", "no": "no", "x y": "x y",
		// After a leading singleton every subtag is lower case.
		"x-ab": "x-ab", "X-AB": "x-ab", "i-default": "i-default",
		"de-CH-1996": "de-CH-1996", "EN-US-U-CA-GREGORY": "en-US-u-ca-gregory",
		// Casing only: no subtag is replaced, known to a registry or not.
		"iw": "iw", "eng": "eng", "en-uk": "en-UK", "EN-XYZW": "en-Xyzw", "EN-ABCDE": "en-abcde", "English": "english",
	} {
		if got := CanonicalLanguage(in); got != want {
			t.Errorf("CanonicalLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

// A story keeps its key whatever the casing a sender uses: any two ASCII
// tags that differ only in case give one language.
func TestCanonicalLanguageIgnoresCase(t *testing.T) {
	for _, in := range []string{"en-us", "zh-hant-tw", "x-ab", "sgn-be-fr", "en-abcde", "qaa-qm", "english", "en-a-bbb-x-a-ccc", "-en", "en--us"} {
		lower, upper := CanonicalLanguage(strings.ToLower(in)), CanonicalLanguage(strings.ToUpper(in))
		if lower != upper {
			t.Errorf("%q: lower case gives %q, upper case %q", in, lower, upper)
		}
	}
}
