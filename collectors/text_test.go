package collectors_test

import (
	"errors"
	"testing"

	"golang.org/x/text/encoding/korean"

	"github.com/hazardwire/hazardwire/collectors"
)

func TestDecodeText(t *testing.T) {
	euckr, err := korean.EUCKR.NewEncoder().Bytes([]byte("폭염경보,호우주의보"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, contentType, fallback string
		body                        []byte
		want                        string
		err                         bool
	}{
		{"utf-8 by default", "text/plain", "", []byte("폭염경보"), "폭염경보", false},
		{"bom removed", "application/json", "", []byte("\xef\xbb\xbf{}"), "{}", false},
		{"euc-kr by header", "text/plain; charset=EUC-KR", "", euckr, "폭염경보,호우주의보", false},
		{"euc-kr by fallback", "text/plain", "euc-kr", euckr, "폭염경보,호우주의보", false},
		{"header wins over fallback", "text/plain; charset=utf-8", "euc-kr", []byte("ok"), "ok", false},
		{"euc-kr bytes read as utf-8", "text/plain", "", euckr, "", true},
		{"invalid utf-8", "", "", []byte{0xff, 0xfe, 'a'}, "", true},
		{"unknown charset", "text/plain; charset=koi8-r", "", []byte("a"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collectors.DecodeText(tt.body, tt.contentType, tt.fallback)
			if (err != nil) != tt.err || string(got) != tt.want {
				t.Fatalf("DecodeText = %q, %v; want %q, error %v", got, err, tt.want, tt.err)
			}
			if tt.name == "invalid utf-8" && !errors.Is(err, collectors.ErrInvalidUTF8) {
				t.Errorf("error %v is not ErrInvalidUTF8", err)
			}
		})
	}
}
