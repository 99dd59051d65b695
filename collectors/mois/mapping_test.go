package mois

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// keyForms are the ways a key can show in text: as is, and escaped.
func keyForms(key string) []string {
	return []string{key, url.QueryEscape(key), url.PathEscape(key)}
}

func TestHazardOf(t *testing.T) {
	plain := mapper{}
	both := mapper{typhoon: true, keywords: true}
	tests := []struct {
		dst, text string
		m         mapper
		want      alert.Hazard // "" for unmapped
	}{
		{"호우", "", plain, alert.HazardFlood},
		{" 호 우 ", "", plain, alert.HazardFlood},
		{"홍수", "", plain, alert.HazardFlood},
		{"범람", "", plain, alert.HazardFlood},
		{"하천범람", "", plain, alert.HazardFlood},
		{"침수", "", plain, alert.HazardFlood},
		{"폭염", "", plain, alert.HazardHeat},
		{"태풍", "호우", plain, ""},
		{"태풍", "", both, alert.HazardFlood},
		{"산사태", "호우로 산사태 위험", both, ""}, // landslide is not a flood
		{"지진해일", "", both, ""},
		{"해일", "", both, ""},
		{"강풍", "", both, ""},
		{"한파", "", both, ""},
		{"호우주의보", "", plain, ""}, // exact types only, no substring guessing
		{"", "호우", both, ""},
		{"기타", "폭염 대비 무더위쉼터 운영", plain, ""},
		{"기타", "폭염 대비 무더위쉼터 운영", both, alert.HazardHeat},
		{"기타", "집중호우로 지하차도 통제", both, alert.HazardFlood},
		{"기타", "하천 범람 우려", both, alert.HazardFlood},
		{"기타", "도로 침수", both, alert.HazardFlood},
		{"기타", "호우 뒤 폭염", both, ""}, // both hazards: not guessed at
		{"기타", "밀물 속도가 빠릅니다", both, ""},
		{"교통", "도로 침수", both, ""},
	}
	for _, tt := range tests {
		h, ok := tt.m.hazardOf(tt.dst, tt.text)
		if h != tt.want || ok != (tt.want != "") {
			t.Errorf("hazardOf(%q, %q) with %+v = %q, %v; want %q", tt.dst, tt.text, tt.m, h, ok, tt.want)
		}
	}
}

func TestSeverityOf(t *testing.T) {
	for step, want := range map[string]alert.Severity{
		"위급재난": alert.SeverityExtreme, "위급": alert.SeverityExtreme, "위급재난문자": alert.SeverityExtreme,
		"긴급재난": alert.SeveritySevere, "긴급": alert.SeveritySevere, " 긴급 재난 ": alert.SeveritySevere,
		"안전안내": alert.SeverityMinor, "안전안내문자": alert.SeverityMinor,
		"실종경보": alert.SeverityUnknown, "": alert.SeverityUnknown, "경보": alert.SeverityUnknown,
	} {
		golden.Eq(t, "severityOf("+step+")", severityOf(step), want)
	}
}

// TestParseKST proves that times without an offset are read as KST and that
// times with one keep it.
func TestParseKST(t *testing.T) {
	tests := []struct {
		in, want string // want: RFC 3339 as the alert JSON writes it; "" for an error
		layouts  []string
	}{
		{"2026/08/18 02:00:10", "2026-08-18T02:00:10+09:00", sentLayouts},
		{"2026/08/18 02:01:05.000000000", "2026-08-18T02:01:05+09:00", sentLayouts},
		{"2026/08/18 02:01:05.123456789", "2026-08-18T02:01:05.123456789+09:00", sentLayouts},
		{"2026-08-18 02:01:05,5", "2026-08-18T02:01:05.5+09:00", sentLayouts},
		{"2026.08.18 02:01:05", "2026-08-18T02:01:05+09:00", sentLayouts},
		{"20260818020105", "2026-08-18T02:01:05+09:00", sentLayouts},
		{"2026-08-18T02:01:05", "2026-08-18T02:01:05+09:00", sentLayouts},
		{"2026-08-18T02:01:05-05:00", "2026-08-18T02:01:05-05:00", sentLayouts},
		{"2026-08-17T17:01:05Z", "2026-08-17T17:01:05Z", sentLayouts},
		{"2026/08/18", "", sentLayouts},
		{"2026/08/18", "2026-08-18T00:00:00+09:00", recordLayouts},
		{"20260818", "2026-08-18T00:00:00+09:00", recordLayouts},
		{"2026-02-30 10:00:00", "", recordLayouts},
		{"", "", recordLayouts},
		{"now", "", recordLayouts},
	}
	for _, tt := range tests {
		got, err := parseKST(tt.in, tt.layouts)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("parseKST(%q) = %s, want an error", tt.in, got.Format(time.RFC3339Nano))
		case tt.want != "" && err != nil:
			t.Errorf("parseKST(%q): %v", tt.in, err)
		case tt.want != "" && got.Format(time.RFC3339Nano) != tt.want:
			t.Errorf("parseKST(%q) = %s, want %s", tt.in, got.Format(time.RFC3339Nano), tt.want)
		}
	}
	// The instant, not only the text: 02:00:10 KST is 17:00:10 UTC the day before.
	got, _ := parseKST("2026/08/18 02:00:10", sentLayouts)
	golden.Eq(t, "UTC instant", got.UTC().Format(time.RFC3339), "2026-08-17T17:00:10Z")
}

func TestSerial(t *testing.T) {
	for in, want := range map[string]string{"266798": "266798", " 266798 ": "266798", "0266798": "266798", "0": "0",
		"": "", "abc": "", "1.5": "", "-5": "", "2.66798e5": "", "99999999999999999999999": ""} {
		got, err := serial(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("serial(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestAreasOf(t *testing.T) {
	for in, want := range map[string]string{
		"충청남도 당진시 석문면":                 "충청남도 당진시 석문면",
		"경상남도 거제시 ":                    "경상남도 거제시",
		"서울특별시 전체,경기도  수원시,,서울특별시 전체 ": "서울특별시 전체|경기도 수원시",
		"":    "",
		" , ": "",
	} {
		var names []string
		for _, a := range areasOf(in) {
			names = append(names, a.Description)
			if a.Geocodes != nil || a.Polygons != nil || a.Circles != nil {
				t.Errorf("areasOf(%q): area %+v has more than a description", in, a)
			}
		}
		golden.Eq(t, "areasOf("+in+")", strings.Join(names, "|"), want)
	}
}

func TestAPIErrorMessage(t *testing.T) {
	e := &APIError{Code: "99", Message: "UNKNOWN ERROR"}
	golden.Eq(t, "unknown code, no hint", e.Error(), `safetydata.go.kr answered resultCode "99" ("UNKNOWN ERROR")`)
	// Agency messages are cut to one bounded line.
	_, err := parsePage([]byte(`{"header":{"resultCode":"31","resultMsg":"DEADLINE\nHAS   EXPIRED","errorMsg":"` + strings.Repeat("가", 300) + `"}}`))
	if got := err.Error(); !strings.Contains(got, `("DEADLINE HAS EXPIRED", "가가`) || !strings.Contains(got, "…\"): the key's period of use has ended") ||
		len([]rune(got)) > 350 {
		t.Errorf("APIError = %q", got)
	}
	golden.Eq(t, "normCode(0)", normCode("0"), "00")
	golden.Eq(t, "normCode(30)", normCode(" 30 "), "30")
	golden.Eq(t, "normCode(E1)", normCode("E1"), "E1")
}
