package capdoc

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// decode reads body's root and decodes it, keeping the root's namespace
// (or space when the root has its own).
func decode(t *testing.T, body string, space func(root string) string) (*Alert, error) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader([]byte(body)))
	root, err := Root(d)
	if err != nil {
		return nil, err
	}
	var a Alert
	if err := Decode(d, root, space(root.Name.Space), &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func same(root string) string { return root }

// Only the elements of the kept namespace are read, whatever prefix binds
// it; an element of another namespace with a CAP name is not.
func TestDecodeKeepsOneNamespace(t *testing.T) {
	a, err := decode(t, `<?xml version="1.0"?>
<!-- a comment before the root -->
<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.1" xmlns:x="urn:example:ext" xmlns="urn:example:default">
  <cap:identifier>ID</cap:identifier>
  <x:identifier>wrong</x:identifier>
  <identifier>wrong too</identifier>
  <cap:info>
    <cap:event>Flood Warning</cap:event>
    <x:event>wrong</x:event>
    <cap:parameter><cap:valueName>VTEC</cap:valueName><cap:value>v</cap:value></cap:parameter>
    <cap:area><cap:areaDesc>River</cap:areaDesc><cap:polygon>1,1 1,2 2,2 1,1</cap:polygon></cap:area>
  </cap:info>
  <x:info><cap:event>inside a foreign element</cap:event></x:info>
</cap:alert>`, same)
	if err != nil {
		t.Fatal(err)
	}
	if a.Identifier != "ID" || len(a.Infos) != 1 || a.Infos[0].Event != "Flood Warning" {
		t.Fatalf("alert = %+v", a)
	}
	in := a.Infos[0]
	if len(in.Parameters) != 1 || in.Parameters[0] != (Pair{Name: "VTEC", Value: "v"}) || in.Areas[0].Desc != "River" || len(in.Areas[0].Polygons) != 1 {
		t.Errorf("info = %+v", in)
	}
}

// A root in no namespace keeps the elements in none; a decoder's
// DefaultSpace puts them all in one.
func TestDecodeNoNamespace(t *testing.T) {
	const body = `<alert><identifier>ID</identifier><info><event>E</event></info></alert>`
	a, err := decode(t, body, same)
	if err != nil || a.Identifier != "ID" || a.Infos[0].Event != "E" {
		t.Fatalf("alert = %+v, %v", a, err)
	}
	d := xml.NewDecoder(strings.NewReader(body))
	d.DefaultSpace = Namespace12
	root, err := Root(d)
	if err != nil || root.Name.Space != Namespace12 {
		t.Fatalf("root = %v, %v", root.Name, err)
	}
	var b Alert
	if err := Decode(d, root, Namespace12, &b); err != nil || b.Identifier != "ID" {
		t.Fatalf("alert = %+v, %v", b, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for body, want := range map[string]string{
		"":                                   "no root element",
		"<!-- only a comment -->":            "no root element",
		"<alert><identifier>ID</alert>":      "XML syntax error",
		"<alert><identifier>ID</identifier>": "XML syntax error",
	} {
		if _, err := decode(t, body, same); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one containing %q", body, err, want)
		}
	}
}
