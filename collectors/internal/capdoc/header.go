package capdoc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// StoryBy says what names a story: the messages that update or cancel one
// another, which share one key.
type StoryBy int

const (
	// BySender names a story "<sender>,<identifier>" after its first
	// message, as CAP makes identifiers unique per sender only. Every
	// message must name its sender, and a reference without one is skipped.
	BySender StoryBy = iota
	// ByIdentifier names a story after the identifier of its first message
	// alone, for a source whose identifiers are unique across its senders
	// (MeteoAlarm's WMO OIDs). The sender may be missing.
	ByIdentifier
)

func (by StoryBy) story(sender, identifier string) string {
	if by == BySender {
		return sender + "," + identifier
	}
	return identifier
}

// Header is what an alert message says about all of its info blocks.
type Header struct {
	Identifier, Sender string // trimmed
	Sent               time.Time
	Status             alert.Status
	// Cancel is true for a Cancel message.
	Cancel bool
	// Story names the story of the message: the message itself, or for an
	// Update or Cancel the earliest message it references.
	Story string
	// References are the MessageIDs of the messages an Update or Cancel
	// references (readable triples only); none for an Alert.
	References []string
}

// MessageID names one CAP message by its identity, the triple
// sender,identifier,sent (FORMATS.md §1.3), sent as an instant: a reference
// to the message names it alike, whatever offset it writes sent in.
func MessageID(sender, identifier string, sent time.Time) string {
	return sender + "," + identifier + "," + sent.UTC().Format(time.RFC3339Nano)
}

// ID returns the MessageID of the message.
func (h *Header) ID() string { return MessageID(h.Sender, h.Identifier, h.Sent) }

// ReadHeader reads the message-level fields every item needs, naming the
// story as by says.
func ReadHeader(a *Alert, by StoryBy) (*Header, error) {
	id, sender := strings.TrimSpace(a.Identifier), strings.TrimSpace(a.Sender)
	switch {
	case by == BySender && (id == "" || sender == ""):
		return nil, errors.New("identifier or sender is missing")
	case id == "":
		return nil, errors.New("identifier is missing")
	}
	sent, err := alert.ParseTime(a.Sent)
	if err != nil {
		return nil, fmt.Errorf("sent: %w", err)
	}
	status, ok := alert.ParseStatus(a.Status)
	if !ok {
		return nil, fmt.Errorf("status %q is not a CAP status", a.Status)
	}
	h := &Header{Identifier: id, Sender: sender, Sent: sent, Status: status, Story: by.story(sender, id)}
	switch msgType := strings.ToLower(strings.TrimSpace(a.MsgType)); msgType {
	case "alert":
	case "update", "cancel":
		h.Cancel = msgType == "cancel"
		refs := parseReferences(a.References, by)
		if first, ok := earliest(refs); ok {
			h.Story = by.story(first.sender, first.identifier)
		}
		for _, r := range refs {
			h.References = append(h.References, MessageID(r.sender, r.identifier, r.sent))
		}
	default:
		return nil, fmt.Errorf("msgType %q is not a CAP message type", a.MsgType)
	}
	return h, nil
}

// reference is one "sender,identifier,sent" triple of CAP references.
type reference struct {
	sender, identifier string
	sent               time.Time
}

// parseReferences reads CAP references: whitespace-separated triples.
// Malformed triples are skipped: a missing identifier or a sent that is not
// a CAP time, and by BySender a missing sender.
func parseReferences(s string, by StoryBy) []reference {
	var refs []reference
	for _, f := range strings.Fields(s) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[1] == "" || (by == BySender && parts[0] == "") {
			continue
		}
		sent, err := alert.ParseTime(parts[2])
		if err != nil {
			continue
		}
		refs = append(refs, reference{sender: parts[0], identifier: parts[1], sent: sent})
	}
	return refs
}

// earliest returns the reference sent first. Messages sent at the same
// instant are ordered by identifier, then sender, so that the story's key
// does not depend on the order in which a later message lists them.
func earliest(refs []reference) (reference, bool) {
	if len(refs) == 0 {
		return reference{}, false
	}
	return slices.MinFunc(refs, func(a, b reference) int {
		if c := a.sent.Compare(b.sent); c != 0 {
			return c
		}
		if c := strings.Compare(a.identifier, b.identifier); c != 0 {
			return c
		}
		return strings.Compare(a.sender, b.sender)
	}), true
}
