package main_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStandardWebhooksVerifierAcceptsDeliveries runs the built daemon against
// a partner written in JavaScript that verifies each delivery with the
// public standardwebhooks npm package. .ci/run installs the package and sets
// HAZARDWIRE_NODE_PATH; elsewhere the test is skipped unless CI=true.
func TestStandardWebhooksVerifierAcceptsDeliveries(t *testing.T) {
	nodePath := os.Getenv("HAZARDWIRE_NODE_PATH")
	node, err := exec.LookPath("node")
	if nodePath == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI must provide node and the standardwebhooks package (HAZARDWIRE_NODE_PATH)")
		}
		t.Skip("node or HAZARDWIRE_NODE_PATH (a node_modules holding standardwebhooks) not available")
	}
	key := []byte("js-verifier-key-0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	partner := exec.Command(node, "testdata/partner.js")
	partner.Env = append(os.Environ(), "NODE_PATH="+nodePath, "HAZARDWIRE_SECRET="+secret)
	out, err := partner.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	partner.Stderr = os.Stderr
	if err := partner.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = partner.Process.Kill(); _ = partner.Wait() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var port string
	select {
	case l := <-lines:
		port = strings.TrimPrefix(l, "listening ")
	case <-time.After(20 * time.Second):
		t.Fatal("the node partner did not start")
	}

	now := time.Now()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprint(w, floodDoc("JS-1", "Alert", "", "홍수주의보", "Prepare", "Moderate", now))
	}))
	defer feed.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "c.yaml")
	yaml := fmt.Sprintf(`bus: {store_dir: ./store}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: floods, kind: cap, schedule: "@every 1h", url: %q}
exporters:
  - {name: js, kind: webhook, url: "http://127.0.0.1:%s/hooks", secret: %q}
  - {name: js-ce, kind: webhook, format: cloudevents, url: "http://127.0.0.1:%s/hooks", secret: %q}
`, feed.URL, port, secret, port, secret)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, config)
	got := map[string]bool{}
	deadline := time.After(60 * time.Second)
	for len(got) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the node partner exited")
			}
			if strings.HasPrefix(l, "rejected") {
				t.Fatalf("standardwebhooks rejected a delivery: %s", l)
			}
			got[l] = true
		case <-deadline:
			t.Fatalf("deliveries verified: %v", got)
		}
	}
	id := "floods:flood@hrfco.example,JS-1/ko-KR#1"
	if !got["verified "+id+" new v1"] {
		t.Errorf("json delivery not verified: %v", got)
	}
}
