package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"
)

// ErrInvalidUTF8 is returned for a body that claims (or is assumed) to be
// UTF-8 and is not: garbage never reaches an alert.
var ErrInvalidUTF8 = errors.New("body is not valid UTF-8")

// DecodeText returns body as UTF-8. The charset comes from the Content-Type
// header, else fallback ("" means UTF-8). EUC-KR (also named ks_c_5601-1987,
// cp949, x-windows-949), used by Korean agencies, is decoded; UTF-8 is
// checked; a UTF-8 byte-order mark is removed. Any other charset is an error.
func DecodeText(body []byte, contentType, fallback string) ([]byte, error) {
	charset := fallback
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		charset = params["charset"]
	}
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(body) {
			return nil, ErrInvalidUTF8
		}
		return body, nil
	case "euc-kr", "euckr", "ks_c_5601-1987", "ksc5601", "cp949", "x-windows-949", "windows-949":
		out, err := korean.EUCKR.NewDecoder().Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("decode EUC-KR: %w", err)
		}
		if bytes.ContainsRune(out, utf8.RuneError) {
			return nil, errors.New("body is not valid EUC-KR")
		}
		return out, nil
	}
	return nil, fmt.Errorf("charset %q is not supported (want UTF-8 or EUC-KR)", charset)
}
