package capdoc

import (
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// The references of the cap kind, whose stories are named by sender: a
// reference without a sender is malformed.
func TestReferencesBySender(t *testing.T) {
	for _, tc := range []struct {
		name, refs string
		want       string // "sender,identifier" of the earliest, or "" for none
		n          int
	}{
		{"none", "", "", 0},
		{"one", "a@x,ID1,2024-01-01T00:00:00+00:00", "a@x,ID1", 1},
		{"earliest by instant, not by text", "a@x,LATE,2024-01-01T03:00:00+01:00 a@x,EARLY,2024-01-01T10:00:00+09:00", "a@x,EARLY", 2},
		{"tie by identifier", "a@x,ID9,2024-01-01T00:00:00Z a@x,ID2,2024-01-01T00:00:00Z", "a@x,ID2", 2},
		{"tie by identifier, then sender", "b@x,ID2,2024-01-01T00:00:00Z a@x,ID2,2024-01-01T00:00:00Z", "a@x,ID2", 2},
		{"newlines and tabs", "\n\ta@x,ID1,2024-01-01T00:00:00Z\n\tb@x,ID0,2024-01-02T00:00:00Z\n", "a@x,ID1", 2},
		{"malformed skipped", "junk a@x,,2020-01-01T00:00:00Z ,ID,2020-01-01T00:00:00Z a@x,ID,notatime a@x,ID,2020-01-01T00:00:00 a@x,ID1,2024-01-01T00:00:00Z a,b,c,d", "a@x,ID1", 1},
		{"fractional and Z", "a@x,ID1,2024-01-01T00:00:00.5Z a@x,ID2,2024-01-01T00:00:00.25Z", "a@x,ID2", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refs := parseReferences(tc.refs, BySender)
			if len(refs) != tc.n {
				t.Errorf("count = %d, want %d", len(refs), tc.n)
			}
			got := ""
			if r, ok := earliest(refs); ok {
				got = r.sender + "," + r.identifier
			}
			if got != tc.want {
				t.Errorf("earliest = %q, want %q", got, tc.want)
			}
		})
	}
}

// The references of the meteoalarm kind, whose stories are named by
// identifier alone: the sender may be missing.
func TestReferencesByIdentifier(t *testing.T) {
	refs := parseReferences("s,B,2024-01-02T00:00:00+01:00 broken s,C,2024-01-01T23:00:00Z s,A,2024-01-01T23:00:00+00:00 s,,2020-01-01T00:00:00Z s,D,yesterday", ByIdentifier)
	if len(refs) != 3 {
		t.Fatalf("parsed %d, want 3: %+v", len(refs), refs)
	}
	first, ok := earliest(refs)
	// B is 23:00Z too; at one instant the smallest identifier wins.
	if !ok || first.identifier != "A" || !first.sent.Equal(time.Date(2024, 1, 1, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("earliest = %+v, %v; want A", first, ok)
	}
	if _, ok := earliest(nil); ok {
		t.Error("earliest of nothing")
	}
	if refs := parseReferences(",ID,2020-01-01T00:00:00Z", ByIdentifier); len(refs) != 1 || refs[0].identifier != "ID" {
		t.Errorf("a reference without a sender = %+v, want it read", refs)
	}
}

func TestReferenceTimesKeepOffset(t *testing.T) {
	refs := parseReferences("a@x,ID1,2024-01-01T10:00:00+09:00", BySender)
	if got := refs[0].sent.Format(time.RFC3339); got != "2024-01-01T10:00:00+09:00" {
		t.Errorf("sent = %s", got)
	}
}

func TestReadHeader(t *testing.T) {
	msg := func(sender, msgType, refs string) *Alert {
		return &Alert{Identifier: " ID2 ", Sender: sender, Sent: "2024-01-01T06:00:00+01:00", Status: "Actual", MsgType: msgType, References: refs}
	}
	const refs = "s@x,ID1,2024-01-01T00:00:00Z ,ID0,2023-12-31T00:00:00Z"
	for _, tc := range []struct {
		name   string
		a      *Alert
		by     StoryBy
		story  string
		cancel bool
		err    string
	}{
		{"alert by sender", msg(" s@x ", "Alert", refs), BySender, "s@x,ID2", false, ""},
		{"update by sender: earliest reference with a sender", msg("s@x", "Update", refs), BySender, "s@x,ID1", false, ""},
		{"cancel by identifier: earliest reference", msg("s@x", "cancel", refs), ByIdentifier, "ID0", true, ""},
		{"update without readable references", msg("s@x", "Update", "junk"), BySender, "s@x,ID2", false, ""},
		{"no sender by sender", msg(" ", "Alert", ""), BySender, "", false, "identifier or sender is missing"},
		{"no sender by identifier", msg("", "Alert", ""), ByIdentifier, "ID2", false, ""},
		{"no identifier", &Alert{Sender: "s"}, ByIdentifier, "", false, "identifier is missing"},
		{"bad sent", &Alert{Identifier: "i", Sender: "s", Sent: "today"}, BySender, "", false, "sent:"},
		{"bad status", &Alert{Identifier: "i", Sender: "s", Sent: "2024-01-01T00:00:00Z", Status: "Real"}, BySender, "", false, `status "Real"`},
		{"bad msgType", msg("s", "Notice", ""), BySender, "", false, `msgType "Notice"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ReadHeader(tc.a, tc.by)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Story != tc.story || h.Cancel != tc.cancel || h.Status != alert.StatusActual || h.Identifier != "ID2" {
				t.Errorf("header = %+v, want story %q, cancel %v", h, tc.story, tc.cancel)
			}
		})
	}
}
