package daemon

import (
	"net/http/httptest"
	"testing"

	"github.com/hazardwire/hazardwire/internal/config"
)

func TestAllowed(t *testing.T) {
	tokens := []config.Token{{Name: "a", Token: "tok-a"}, {Name: "b", Token: "tok-b"}}
	for _, tt := range []struct {
		name   string
		tokens []config.Token
		remote string
		host   string // the Host header; 127.0.0.1:9750 when empty
		auth   string
		want   bool
	}{
		{"no tokens: loopback v4", nil, "127.0.0.1:5000", "", "", true},
		{"no tokens: loopback v6", nil, "[::1]:5000", "[::1]:9750", "", true},
		{"no tokens: loopback as localhost", nil, "127.0.0.1:5000", "LocalHost:9750", "", true},
		{"no tokens: loopback to the listener's address", nil, "127.0.0.1:5000", "0.0.0.0:9750", "", true},
		// A page whose DNS name was rebound to 127.0.0.1 is a loopback
		// client sending its own name: it must not get the loopback trust.
		{"no tokens: loopback under a DNS name (rebinding)", nil, "127.0.0.1:5000", "evil.example:9750", "", false},
		{"no tokens: loopback with no host", nil, "127.0.0.1:5000", "-", "", false},
		{"no tokens: another host", nil, "192.0.2.7:5000", "", "", false},
		{"no tokens: another host with a token", nil, "192.0.2.7:5000", "", "Bearer tok-a", false},
		{"tokens: right token from anywhere", tokens, "192.0.2.7:5000", "hw.example", "Bearer tok-b", true},
		{"tokens: wrong token", tokens, "192.0.2.7:5000", "", "Bearer tok-c", false},
		{"tokens: loopback needs one too", tokens, "127.0.0.1:5000", "", "", false},
		{"tokens: not bearer", tokens, "127.0.0.1:5000", "", "Basic tok-a", false},
		{"tokens: the scheme in any case (RFC 7235)", tokens, "192.0.2.7:5000", "", "bearer tok-a", true},
		{"tokens: the scheme in upper case", tokens, "192.0.2.7:5000", "", "BEARER tok-b", true},
		{"tokens: the token's case matters", tokens, "192.0.2.7:5000", "", "Bearer TOK-A", false},
		{"tokens: no token", tokens, "192.0.2.7:5000", "", "Bearer ", false},
	} {
		r := httptest.NewRequest("GET", "/api/v1/alerts", nil)
		r.RemoteAddr = tt.remote
		switch tt.host {
		case "":
			r.Host = "127.0.0.1:9750"
		case "-":
			r.Host = ""
		default:
			r.Host = tt.host
		}
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		if got := allowed(tt.tokens, r); got != tt.want {
			t.Errorf("%s: allowed = %v", tt.name, got)
		}
	}
}
