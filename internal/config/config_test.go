package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	_ "github.com/hazardwire/hazardwire/collectors/all"
	_ "github.com/hazardwire/hazardwire/exporters/all"
	"github.com/hazardwire/hazardwire/internal/config"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// shippedEnv holds the secrets the shipped configs name.
var shippedEnv = map[string]string{"PARTNER_A_SECRET": secret, "MOIS_SERVICE_KEY": "mois-test-key",
	"KMA_SERVICE_KEY": "kma-test-key-123", "KMA_APIHUB_KEY": "kmahub-test-key", "HRFCO_SERVICE_KEY": "hrfco-test-key-1"}

// TestShippedConfigsBuild checks every YAML in configs/ as `hazardwire check`
// does, with the secrets it names set.
func TestShippedConfigsBuild(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	if len(files) == 0 {
		t.Fatal("no configs found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse(f, data, env(shippedEnv))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cfg.Build(collectors.NewClient(collectors.ClientOptions{}), env(shippedEnv)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	cfg, err := config.Parse("/etc/hw/c.yaml", []byte("collectors:\n  - name: n\n    kind: nws\n    user_agent: x\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != "127.0.0.1:9750" || cfg.Bus.StoreDir != "/etc/hw/data" {
		t.Errorf("defaults: listen %q, store %q", cfg.HTTP.Listen, cfg.Bus.StoreDir)
	}
	if c := cfg.Collectors[0]; c.Grace != 2 || c.Timeout <= 0 {
		t.Errorf("collector defaults: %+v", c)
	}
	if cfg, err := config.Parse("e.yaml", nil, env(nil)); err != nil || len(cfg.Collectors) != 0 {
		t.Errorf("an empty file: %v", err)
	}
}

// TestEveryErrorAtOnce: one bad file, every problem reported with its place.
func TestEveryErrorAtOnce(t *testing.T) {
	const bad = `bus:
  store_dir: ./data
  maxage: 2h
collectors:
  - name: nws
    kind: nws
    shedule: "@every 1m"
    user_agent: x
  - name: nws
    kind: nws
    schedule: "* * * *"
    user_agent: x
  - name: Bad.Name
    kind: kma2
exporters:
  - name: p
    kind: webhook
    url: https://p.example/hook
    secret: ${NOT_SET}
    filter:
      min_severity: huge
`
	_, _, err := config.Check("bad.yaml", []byte(bad), env(nil), collectors.NewClient(collectors.ClientOptions{}))
	if err == nil {
		t.Fatal("a bad config was accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`bad.yaml:7:5: unknown key "shedule"`,
		`did you mean "schedule"`,
		`bad.yaml:19:13: environment variable "NOT_SET" is not set`,
		`bad.yaml:3:3: unknown key "maxage"`,
		`bad.yaml:11:15: collector "nws": schedule "* * * *"`,
		`bad.yaml:9:11: collector name "nws" is used twice`,
		`bad.yaml:13:11: collector name "Bad.Name"`,
		`bad.yaml:14:11: collector "Bad.Name": kind "kma2" is not one of`,
		`bad.yaml:21:21: exporter "p": filter.min_severity: "huge"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q; got:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 8 {
		t.Errorf("%d errors reported, want 8:\n%s", n, msg)
	}
}

// TestMaxBackoff: a collector's max_backoff reaches its fetcher (whose
// backoff collectors/fetch_test.go checks), the default is 10 minutes, and
// a bad value is reported at its place.
func TestMaxBackoff(t *testing.T) {
	const yaml = `collectors:
  - name: fast
    kind: nws
    user_agent: x
    max_backoff: 45s
  - name: usual
    kind: nws
    user_agent: x
`
	_, b, err := config.Check("c.yaml", []byte(yaml), env(nil), collectors.NewClient(collectors.ClientOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Collectors[0].Fetcher.Options().MaxBackoff; got != 45*time.Second {
		t.Errorf("max_backoff 45s: the fetcher's is %s", got)
	}
	if got := b.Collectors[1].Fetcher.Options().MaxBackoff; got != 10*time.Minute {
		t.Errorf("no max_backoff: the fetcher's is %s, want the default 10m", got)
	}
	_, _, err = config.Check("c.yaml", []byte(strings.Replace(yaml, "45s", "soon", 1)), env(nil), collectors.NewClient(collectors.ClientOptions{}))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:5:18:") {
		t.Errorf("max_backoff: soon: err = %v", err)
	}
}

// TestBusChecks: a duplicate window under an hour is refused (a change
// published again after a crash would reach partners twice), and both bus
// errors point at their key.
func TestBusChecks(t *testing.T) {
	check := func(bus string) error {
		_, _, err := config.Check("b.yaml", []byte("bus:\n"+bus), env(nil), collectors.NewClient(collectors.ClientOptions{}))
		return err
	}
	if err := check("  duplicates: 30s\n"); err == nil || !strings.Contains(err.Error(), "b.yaml:2:15: bus.duplicates 30s is shorter than 1h0m0s") {
		t.Errorf("duplicates: 30s: err = %v", err)
	}
	for _, ok := range []string{"  duplicates: 1h\n", "  duplicates: 48h\n", "  store_dir: ./d\n", "  sync_interval: 1s\n", "  sync_always: true\n"} {
		if err := check(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	err := check("  url: nats://127.0.0.1:4222\n  listen: 127.0.0.1:4223\n")
	if err == nil || !strings.Contains(err.Error(), "b.yaml:3:11: bus: set url") {
		t.Errorf("url and listen: err = %v", err)
	}
	if err := check("  url: nats://127.0.0.1:4222\n  lease_ttl: 1m\n"); err != nil {
		t.Errorf("lease_ttl: 1m with url: %v", err)
	}
	for bus, want := range map[string]string{
		"  url: nats://127.0.0.1:4222\n  lease_ttl: 1s\n":  "b.yaml:3:14: bus.lease_ttl 1s is outside [3s, 10m0s]",
		"  url: nats://127.0.0.1:4222\n  lease_ttl: 11m\n": "b.yaml:3:14: bus.lease_ttl 11m0s is outside [3s, 10m0s]",
		"  lease_ttl: 1m\n": "b.yaml:2:14: bus.lease_ttl is for an external cluster",
		"  url: nats://127.0.0.1:4222\n  sync_always: true\n": "b.yaml:3:16: bus.sync_always is for the embedded server",
		"  url: nats://127.0.0.1:4222\n  sync_interval: 1s\n": "b.yaml:3:18: bus.sync_interval is for the embedded server",
		"  sync_interval: 10ms\n":                             "b.yaml:2:18: bus.sync_interval 10ms: want 100ms or more",
		"  sync_interval: 1s\n  sync_always: true\n":          "b.yaml:2:18: bus: set sync_interval or sync_always, not both",
	} {
		if err := check(bus); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", bus, err, want)
		}
	}
}

// TestPublicURLChecked: http.public_url must be an absolute http(s) URL
// without user, query or fragment.
func TestPublicURLChecked(t *testing.T) {
	check := func(u string) error {
		_, _, err := config.Check("h.yaml", []byte("http:\n  public_url: "+u+"\n"), env(nil), collectors.NewClient(collectors.ClientOptions{}))
		return err
	}
	for _, ok := range []string{"https://alerts.example.org", "http://10.0.0.1:9750/hw/"} {
		if err := check(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"alerts.example.org", "ftp://a.example", "https://a.example/?x=1", "https://u:p@a.example"} {
		if err := check(bad); err == nil || !strings.Contains(err.Error(), "h.yaml:2:15: http.public_url") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}

// TestPathsBesideTheConfig: relative file paths are read beside the config
// file, not in the working directory (a service manager starts the daemon
// in /).
func TestPathsBesideTheConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("whsec_dGhpc2lzYXNlY3JldGtleTEyMzQ1Njc4OTA=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hrfco.key"), []byte("ABCDEF01-2345-6789-ABCD-EF0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const yaml = `bus:
  store_dir: data
  credentials: nats.creds
collectors:
  - name: han
    kind: hrfco
    service_key_file: hrfco.key
exporters:
  - name: p
    kind: webhook
    url: http://127.0.0.1:1/hook
    secret_file: secret.txt
`
	file := filepath.Join(dir, "c.yaml")
	cfg, _, err := config.Check(file, []byte(yaml), env(nil), collectors.NewClient(collectors.ClientOptions{}))
	if err != nil {
		t.Fatalf("files beside the config, working dir elsewhere: %v", err)
	}
	if want := filepath.Join(dir, "data"); cfg.Bus.StoreDir != want {
		t.Errorf("store_dir %q, want %q", cfg.Bus.StoreDir, want)
	}
	if want := filepath.Join(dir, "nats.creds"); cfg.Bus.Credentials != want {
		t.Errorf("credentials %q, want %q", cfg.Bus.Credentials, want)
	}
	// Without the files beside it, the error names where it looked.
	_, _, err = config.Check(filepath.Join(t.TempDir(), "c.yaml"), []byte(yaml), env(nil), collectors.NewClient(collectors.ClientOptions{}))
	if err == nil || !strings.Contains(err.Error(), "secret.txt") || !strings.Contains(err.Error(), "hrfco.key") {
		t.Errorf("files missing: err = %v", err)
	}
}

// TestTokenFile: http.tokens[].token_file is read beside the config, trimmed,
// and its content must pass the rules of token; set with token, or missing,
// it is an error at token_file that shows no token.
func TestTokenFile(t *testing.T) {
	const token = "portal-token-0123456789"
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"portal": token, "short": "tooshort"} {
		if err := os.WriteFile(filepath.Join(dir, "secrets", name), []byte("  "+v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "c.yaml")
	parse := func(tokens string) (*config.Config, error) {
		return config.Parse(file, []byte("http:\n  tokens:\n"+tokens), env(nil))
	}
	cfg, err := parse("    - {name: portal, token_file: secrets/portal}\n")
	if err != nil {
		t.Fatalf("token_file beside the config: %v", err)
	}
	if got := cfg.HTTP.Tokens[0].Token; got != token {
		t.Errorf("token %q, want the file's content, trimmed", got)
	}
	for _, tt := range []struct{ name, tokens, want string }{
		{"both", "    - {name: portal, token: " + token + ", token_file: secrets/portal}\n",
			`c.yaml:3:66: http.tokens: "portal": set one of token and token_file, not both`},
		{"missing", "    - {name: portal, token_file: secrets/absent}\n",
			`c.yaml:3:34: http.tokens: "portal": token_file: open ` + filepath.Join(dir, "secrets", "absent")},
		{"short content", "    - {name: short, token_file: secrets/short}\n", `the token of "short" is shorter than 16 characters`},
		{"name twice", "    - {name: portal, token_file: secrets/portal}\n    - {name: portal, token: other-token-0123456789}\n",
			`name "portal" is used twice`},
	} {
		_, err := parse(tt.tokens)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		} else if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "tooshort") {
			t.Errorf("%s: the error shows a token: %v", tt.name, err)
		}
	}
}

// TestTypeErrorsHideSecrets: a secret written with the wrong shape (a token
// as a bare string, a webhook secret as a list, a service key as a mapping)
// is an error that names the key and never quotes the value: reload errors
// are shown on the status page and in /api/v1/status.
func TestTypeErrorsHideSecrets(t *testing.T) {
	const secret = "s3cr3t-value-0123456789"
	for _, tt := range []struct{ name, yaml, want string }{
		{"tokens as a string", "http:\n  tokens: " + secret + "\n", `for "http.tokens"`},
		{"a token as a string", "http:\n  tokens: [" + secret + "]\n", `for "http.tokens[0]"`},
		{"a token as a list", "http:\n  tokens: [{name: a, token: [" + secret + "]}]\n", `token"`},
		{"a webhook secret as a list", "exporters:\n  - name: p\n    kind: webhook\n    url: http://127.0.0.1:1/\n    secret: [" + secret + "]\n", `secret`},
		{"a service key as a mapping", "collectors:\n  - name: k\n    kind: kma\n    service_key: {k: " + secret + "}\n", `service_key`},
		{"a duration, not a secret, is quoted", "bus:\n  duplicates: " + secret + "\n", secret},
	} {
		_, _, err := config.Check("c.yaml", []byte(tt.yaml), env(nil), collectors.NewClient(collectors.ClientOptions{}))
		switch {
		case err == nil:
			t.Errorf("%s: no error", tt.name)
		case !strings.Contains(err.Error(), tt.want):
			t.Errorf("%s: err = %v, want it to name %q", tt.name, err, tt.want)
		case tt.want != secret && strings.Contains(err.Error(), secret):
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
}

// TestKindErrorsAtTheirKey: a kind's error that names one of its entry's
// keys points at that key's value, not at the entry.
func TestKindErrorsAtTheirKey(t *testing.T) {
	const yaml = `collectors:
  - name: han
    kind: hrfco
    schedule: "@every 5m"
    service_key: short
exporters:
  - name: p
    kind: webhook
    url: ftp://partner.example/hook
    secret: whsec_dGhpc2lzYXNlY3JldGtleTEyMzQ1Njc4OTA=
`
	_, _, err := config.Check("k.yaml", []byte(yaml), env(nil), collectors.NewClient(collectors.ClientOptions{}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`k.yaml:5:18: collector "han": service_key:`, `k.yaml:9:10: exporter "p": url`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%s", want, err)
		}
	}
}

// TestFingerprintSeesSecretFiles: a reload restarts what changed; a secret
// file rotated under an unchanged entry is a change.
func TestFingerprintSeesSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.txt")
	write := func(s string) {
		if err := os.WriteFile(secret, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const yaml = `exporters:
  - name: p
    kind: webhook
    url: http://127.0.0.1:1/hook
    secret_file: secret.txt
  - name: q
    kind: webhook
    url: http://127.0.0.1:1/other
    secret: whsec_dGhpc2lzYXNlY3JldGtleTEyMzQ1Njc4OTA=
`
	build := func() []string {
		_, b, err := config.Check(filepath.Join(dir, "c.yaml"), []byte(yaml), env(nil), collectors.NewClient(collectors.ClientOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		return []string{b.Exporters[0].Fingerprint, b.Exporters[1].Fingerprint}
	}
	write("whsec_dGhpc2lzYXNlY3JldGtleTEyMzQ1Njc4OTA=\n")
	first, again := build(), build()
	if first[0] != again[0] || first[1] != again[1] {
		t.Fatal("the same config and files gave other fingerprints")
	}
	write("whsec_b3RoZXJzZWNyZXRrZXkxMjM0NTY3ODkwYWI=\n")
	rotated := build()
	if rotated[0] == first[0] {
		t.Error("a rotated secret file left its exporter's fingerprint as it was: a reload would keep the old secret")
	}
	if rotated[1] != first[1] {
		t.Error("an exporter without the file changed fingerprint")
	}
}
