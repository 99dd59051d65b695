package cap

import (
	"bytes"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

// intents returns key → intent of the items of res.
func intents(res collectors.Result) map[string]collectors.Intent {
	out := map[string]collectors.Intent{}
	for _, it := range res.Items {
		out[it.Alert.Key] = it.Intent
	}
	return out
}

const (
	keyA1 = "test:hydro@example.org,A1/en-US"
	keyA2 = "test:hydro@example.org,A2/en-US"
	// refsA1A2 references two messages sent at one instant, each the first
	// of a story of its own (as NWS sends one CAP message per segment of a
	// product: the IPAWS sample's references hold four such).
	refsA1A2 = "hydro@example.org,A1,2024-01-01T00:00:00+00:00 hydro@example.org,A2,2024-01-01T00:00:00+00:00"
)

// A Cancel ends every message it references (FORMATS.md §1.3), not only
// the story its earliest reference names: with both alerts still in the
// index, both keys are cancels.
func TestCancelEndsEveryReferencedStory(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a1", t0}, [2]string{"a2", t0}, [2]string{"c", t0}))
	srv.Set("/d/a1", capDoc("A1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/a2", capDoc("A2", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/c", capDoc("C", "2024-01-01T06:00:00+00:00", "Cancel", refsA1A2))
	c := newCollector(t, srv.URL+"/index", "", nil)
	got := intents(feedtest.MustCollect(t, c))
	wantEq(t, "intents", got, map[string]collectors.Intent{keyA1: collectors.IntentCancel, keyA2: collectors.IntentCancel})
}

// The same when the referenced alerts were seen under index entries that
// have since left the index: the Cancel still ends both.
func TestCancelEndsStoriesSeenUnderOlderEntries(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a1", t0}, [2]string{"a2", t0}))
	srv.Set("/d/a1", capDoc("A1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/a2", capDoc("A2", "2024-01-01T00:00:00+00:00", "Alert", ""))
	c := newCollector(t, srv.URL+"/index", "", nil)
	got := intents(feedtest.MustCollect(t, c))
	wantEq(t, "first run", got, map[string]collectors.Intent{keyA1: collectors.IntentActive, keyA2: collectors.IntentActive})

	srv.Set("/index", atomIndex([2]string{"c", t0}))
	srv.Set("/d/c", capDoc("C", "2024-01-01T06:00:00+00:00", "Cancel", refsA1A2))
	got = intents(feedtest.MustCollect(t, c))
	wantEq(t, "second run", got, map[string]collectors.Intent{keyA1: collectors.IntentCancel, keyA2: collectors.IntentCancel})
}

// An Update replaces every message it references: a referenced alert of
// another story that the index still lists is no longer in force on its
// own, so it is not served as active beside the Update.
func TestUpdateReplacesEveryReferencedStory(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a1", t0}, [2]string{"a2", t0}, [2]string{"u", t0}))
	srv.Set("/d/a1", capDoc("A1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/a2", capDoc("A2", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/u", capDoc("U", "2024-01-01T06:00:00+00:00", "Update", refsA1A2))
	c := newCollector(t, srv.URL+"/index", "", nil)
	res := feedtest.MustCollect(t, c)
	wantEq(t, "intents", intents(res), map[string]collectors.Intent{keyA1: collectors.IntentActive})
	wantEq(t, "A1 is the Update", rfc3339(&res.Items[0].Alert.Sent), "2024-01-01T06:00:00Z")
}

// A Cancel ends only the messages it references: a story whose latest
// message it does not reference stays in force.
func TestReferenceEndsOnlyTheReferencedMessage(t *testing.T) {
	srv := feedtest.NewServer(t)
	// A2 was updated by A2b after C was sent; C references only the first
	// A2 message, so the A2 story stays in force.
	srv.Set("/index", atomIndex([2]string{"a1", t0}, [2]string{"a2", t0}, [2]string{"a2b", t0}, [2]string{"c", t0}))
	srv.Set("/d/a1", capDoc("A1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/a2", capDoc("A2", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/a2b", capDoc("A2b", "2024-01-01T09:00:00+00:00", "Update", "hydro@example.org,A2,2024-01-01T00:00:00+00:00"))
	srv.Set("/d/c", capDoc("C", "2024-01-01T06:00:00+00:00", "Cancel", refsA1A2))
	c := newCollector(t, srv.URL+"/index", "", nil)
	got := intents(feedtest.MustCollect(t, c))
	wantEq(t, "intents", got, map[string]collectors.Intent{keyA1: collectors.IntentCancel, keyA2: collectors.IntentActive})
}

// A Cancel without an info block (MET Norway's profile sends them) ends the
// stories of the messages it references that were read before: their keys
// are known, so nothing is invented. The URL serves one message at a time.
func TestCancelWithoutInfoEndsReadStories(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/cap.xml", capDoc("A1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	c := newCollector(t, srv.URL+"/cap.xml", "", nil)
	wantEq(t, "alert", intents(feedtest.MustCollect(t, c)), map[string]collectors.Intent{keyA1: collectors.IntentActive})

	srv.Set("/cap.xml", []byte(`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
<identifier>C</identifier><sender>hydro@example.org</sender><sent>2024-01-01T06:00:00+00:00</sent>
<status>Actual</status><msgType>Cancel</msgType><scope>Public</scope>
<references>hydro@example.org,A1,2024-01-01T01:00:00+01:00 hydro@example.org,NEVER-READ,2023-12-31T00:00:00Z</references></alert>`))
	res := feedtest.MustCollect(t, c)
	wantEq(t, "cancel", intents(res), map[string]collectors.Intent{keyA1: collectors.IntentCancel})
	wantEq(t, "unmapped", res.Dropped[collectors.DropUnmapped], 1)
}

// capDocArea builds a flood CAP message whose one area is areaDesc.
func capDocArea(id, sent, msgType, refs, areaDesc string) []byte {
	return bytes.Replace(capDoc(id, sent, msgType, refs), []byte("<areaDesc>River</areaDesc>"), []byte("<areaDesc>"+areaDesc+"</areaDesc>"), 1)
}

// One product sent as one message per segment (as NWS does through IPAWS):
// the segments of an Update reference the same earlier messages and are
// sent at one instant, so they continue one story. Its alert covers every
// segment's areas, whatever the order of the index, rather than one
// segment's (a partner filtering by region would miss the others').
func TestSegmentsOfOneUpdateMerge(t *testing.T) {
	for _, order := range [][2]string{{"u1", "u2"}, {"u2", "u1"}} {
		srv := feedtest.NewServer(t)
		srv.Set("/index", atomIndex([2]string{order[0], t0}, [2]string{order[1], t0}))
		srv.Set("/d/u1", capDocArea("U1", "2024-01-01T06:00:00+00:00", "Update", refsA1A2, "North bank"))
		srv.Set("/d/u2", capDocArea("U2", "2024-01-01T06:00:00+00:00", "Update", refsA1A2, "South bank"))
		c := newCollector(t, srv.URL+"/index", "", nil)
		res := feedtest.MustCollect(t, c)
		wantEq(t, "keys", feedtest.Keys(res), []string{keyA1})
		var areas []string
		for _, a := range res.Items[0].Alert.Areas {
			areas = append(areas, a.Description)
		}
		wantEq(t, "areas, index order "+order[0]+","+order[1], areas, []string{"North bank", "South bank"})
	}
}
