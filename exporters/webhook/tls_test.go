package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters"
)

// issue makes a certificate signed by parent (self-signed when parent is nil).
func issue(t *testing.T, cn string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestMutualTLS: a partner that demands a client certificate accepts the
// exporter's, and refuses a client without one.
func TestMutualTLS(t *testing.T) {
	ca, caKey, caPEM, _ := issue(t, "partner CA", true, nil, nil)
	_, _, srvPEM, srvKeyPEM := issue(t, "127.0.0.1", false, ca, caKey)
	_, _, cliPEM, cliKeyPEM := issue(t, "hazardwire", false, ca, caKey)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile, certFile, keyFile := write("ca.pem", caPEM), write("client.pem", cliPEM), write("client.key", cliKeyPEM)

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srvCert, err := tls.X509KeyPair(srvPEM, srvKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "hazardwire" {
			http.Error(w, "who are you", http.StatusForbidden)
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	defer srv.Close()

	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	a := &alert.Alert{ID: "k#1", Key: "k", Version: 1, Change: alert.ChangeNew, Sent: time.Now()}
	w, err := build("p", Options{URL: srv.URL, Secret: secret, TLS: TLSOptions{CertFile: certFile, KeyFile: keyFile, CAFile: caFile}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := w.Deliver(t.Context(), exporters.Delivery{Alert: a, Body: []byte(`{}`)}); o.Err != nil {
		t.Fatalf("with a client certificate: %v", o.Err)
	}
	w, err = build("p", Options{URL: srv.URL, Secret: secret, TLS: TLSOptions{CAFile: caFile}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := w.Deliver(t.Context(), exporters.Delivery{Alert: a, Body: []byte(`{}`)}); o.Err == nil {
		t.Fatal("a partner demanding a client certificate accepted a client without one")
	}
	if _, err := build("p", Options{URL: srv.URL, Secret: secret, TLS: TLSOptions{CertFile: certFile}}, nil, nil); err == nil {
		t.Error("cert_file without key_file was accepted")
	}
}
