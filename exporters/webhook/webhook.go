// Package webhook is the exporter kind that POSTs each change to a partner
// endpoint, signed per Standard Webhooks.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/secret"
)

//go:embed sample.yaml
var sample []byte

func init() {
	exporters.Register(exporters.Kind{Name: "webhook", New: New, Sample: sample, Options: Options{}})
}

// Body formats.
const (
	FormatJSON        = "json"
	FormatCloudEvents = "cloudevents"
	FormatCAP         = "cap"
)

// Options are the webhook kind's configuration keys.
type Options struct {
	URL         string `yaml:"url"`
	Secret      string `yaml:"secret"`
	SecretFile  string `yaml:"secret_file"`
	Format      string `yaml:"format"`
	BearerToken string `yaml:"bearer_token"`
	// BearerTokenFile reads the bearer token from a file instead.
	BearerTokenFile string            `yaml:"bearer_token_file"`
	Headers         map[string]string `yaml:"headers"`
	Timeout         time.Duration     `yaml:"timeout"`
	TLS             TLSOptions        `yaml:"tls"`
	// CAPSender is the sender of CAP documents (format cap), default
	// "hazardwire@localhost": hazardwire re-publishes, so it names itself.
	CAPSender string `yaml:"cap_sender"`
}

// TLSOptions configure the connection to the partner: a client certificate
// for mutual TLS, and the CA that signs the partner's certificate when it is
// not a public one.
type TLSOptions struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	CAFile   string `yaml:"ca_file"`
}

// config builds the TLS client configuration, or nil when none is set,
// reading its files with read.
func (o TLSOptions) config(read func(string) ([]byte, error)) (*tls.Config, error) {
	if o == (TLSOptions{}) {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("tls: set both cert_file and key_file for a client certificate")
	}
	if o.CertFile != "" {
		certPEM, err := read(o.CertFile)
		if err != nil {
			return nil, fmt.Errorf("tls: cert_file: %w", err)
		}
		keyPEM, err := read(o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: key_file: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("tls: client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if o.CAFile != "" {
		pem, err := read(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: ca_file %q holds no PEM certificate", o.CAFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// Webhook delivers changes by HTTP POST.
type Webhook struct {
	capSender string
	name      string
	url       string
	signers   []*signer // one a key
	format    string
	// fixed are the request headers that are the same for every request:
	// the configured ones, then Authorization, by canonical name.
	fixed  []header
	client *http.Client
	now    func() time.Time
}

// New builds a webhook exporter from its options.
func New(env exporters.Env, decode exporters.Decode) (exporters.Exporter, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	return build(env.Name, o, nil, env.ReadFile)
}

// build builds the exporter; it reads the files o names with read (nil:
// os.ReadFile, paths as they are).
func build(name string, o Options, transport http.RoundTripper, read func(string) ([]byte, error)) (*Webhook, error) {
	if read == nil {
		read = os.ReadFile
	}
	u, err := url.Parse(o.URL)
	if o.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want an http(s) URL", redact(o.URL))
	}
	signing, err := secret.Resolve("secret", o.Secret, o.SecretFile, read)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(signing) == "" {
		return nil, errors.New(`secret is required: a "whsec_<base64>" key shared with the partner`)
	}
	bearer, err := secret.Resolve("bearer_token", o.BearerToken, o.BearerTokenFile, read)
	if err != nil {
		return nil, err
	}
	var keys [][]byte
	for _, s := range strings.Fields(signing) { // several during key rotation
		k, err := ParseSecret(s)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	switch o.Format {
	case "":
		o.Format = FormatJSON
	case FormatJSON, FormatCloudEvents:
	case FormatCAP:
		if o.CAPSender == "" {
			o.CAPSender = "hazardwire@localhost"
		}
		if strings.ContainsAny(o.CAPSender, " ,<&") {
			return nil, fmt.Errorf("cap_sender %q: CAP forbids spaces, commas, '<' and '&' in a sender", o.CAPSender)
		}
	default:
		return nil, fmt.Errorf("format %q: want json, cloudevents or cap", o.Format)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	tlsConfig, err := o.TLS.config(read)
	if err != nil {
		return nil, err
	}
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		t.TLSClientConfig = tlsConfig
		transport = t
	}
	signers := make([]*signer, len(keys))
	for i, k := range keys {
		signers[i] = newSigner(k)
	}
	return &Webhook{capSender: o.CAPSender, name: name, url: o.URL, signers: signers, format: o.Format, fixed: fixedHeaders(o.Headers, bearer),
		client: &http.Client{Transport: transport, Timeout: o.Timeout}, now: time.Now}, nil
}

// header is one request header, its name canonical.
type header struct{ name, value string }

// fixedHeaders returns the configured headers and the bearer token's
// Authorization as post sets them after Content-Type and User-Agent (which
// a configured header replaces) and before the Standard Webhooks headers
// (which replace any configured one): one value a canonical name, the
// bearer token's over a configured Authorization.
func fixedHeaders(configured map[string]string, bearer string) []header {
	h := http.Header{}
	for k, v := range configured {
		h.Set(k, v)
	}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	for _, k := range []string{HeaderID, HeaderTimestamp, HeaderSignature} {
		h.Del(k)
	}
	fixed := make([]header, 0, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		fixed = append(fixed, header{k, h.Get(k)})
	}
	return fixed
}

// ContentType returns the Content-Type of a format.
func ContentType(format string) string {
	switch format {
	case FormatCloudEvents:
		return "application/cloudevents+json"
	case FormatCAP:
		return "application/cap+xml"
	}
	return "application/json"
}

// Heartbeat POSTs a signed org.hazardwire.heartbeat CloudEvent, so that a
// partner can tell a quiet day from a dead pipeline.
func (w *Webhook) Heartbeat(ctx context.Context) error {
	now := w.now()
	id := fmt.Sprintf("heartbeat-%s-%d", w.name, now.Unix())
	body, err := json.Marshal(map[string]any{
		"specversion": "1.0", "id": id, "type": "org.hazardwire.heartbeat", "source": "/hazardwire",
		"time": now.UTC().Format(time.RFC3339), "datacontenttype": "application/json",
		"data": map[string]string{"exporter": w.name},
	})
	if err != nil {
		return err
	}
	o := w.post(ctx, id, ContentType(FormatCloudEvents), body)
	return o.Err
}

// Deliver POSTs one change.
func (w *Webhook) Deliver(ctx context.Context, d exporters.Delivery) exporters.Outcome {
	var body []byte
	var err error
	if w.format == FormatCAP {
		body, err = alert.EncodeCAP(d.Alert, alert.CAPOptions{Sender: w.capSender})
	} else {
		body, err = Render(w.format, d.Alert, d.Body)
	}
	if err != nil {
		return exporters.Outcome{Err: err, Reason: "encode"}
	}
	return w.post(ctx, d.Alert.ID, ContentType(w.format), body)
}

// post sends one signed request with webhook-id id.
func (w *Webhook) post(ctx context.Context, id, contentType string, body []byte) exporters.Outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return exporters.Outcome{Err: err, Reason: "encode"}
	}
	// The header is built in place, not with Header.Set: every Set
	// allocated its value's slice and the lower-case Standard Webhooks
	// names their canonical form, on every delivery. The values share one
	// slice, and the timestamp and the signatures one string.
	ts := w.now().Unix()
	var stack [256]byte
	b := strconv.AppendInt(stack[:0], ts, 10)
	n := len(b)
	b = appendSignatures(b, w.signers, id, ts, body)
	stamped := string(b)
	vals := make([]string, 0, len(w.fixed)+5)
	vals = append(vals, contentType, "hazardwire")
	for _, f := range w.fixed {
		vals = append(vals, f.value)
	}
	vals = append(vals, id, stamped[:n], stamped[n:])
	h := make(http.Header, len(vals))
	h["Content-Type"] = vals[0:1:1]
	h["User-Agent"] = vals[1:2:2]
	for i, f := range w.fixed { // a configured Content-Type or User-Agent replaces ours
		h[f.name] = vals[2+i : 3+i : 3+i]
	}
	i := 2 + len(w.fixed)
	h[canonicalID] = vals[i : i+1 : i+1]
	h[canonicalTimestamp] = vals[i+1 : i+2 : i+2]
	h[canonicalSignature] = vals[i+2 : i+3 : i+3]
	req.Header = h
	res, err := w.client.Do(req)
	if err != nil {
		return classifyError(err)
	}
	if res.ContentLength != 0 { // a 204's body is empty and its connection already reusable
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	}
	res.Body.Close()
	return Classify(res.StatusCode, res.Header.Get("Retry-After"), w.now())
}

// The Standard Webhooks headers as Header.Set writes them.
var (
	canonicalID        = http.CanonicalHeaderKey(HeaderID)
	canonicalTimestamp = http.CanonicalHeaderKey(HeaderTimestamp)
	canonicalSignature = http.CanonicalHeaderKey(HeaderSignature)
)

// Classify turns a partner's HTTP answer into an outcome: 2xx delivered;
// 408, 429 and 5xx retried (honouring Retry-After); 410 gone (permanent
// too: dead-lettered, and the exporter disabled); any other status permanent.
func Classify(status int, retryAfter string, now time.Time) exporters.Outcome {
	o := exporters.Outcome{Status: status}
	switch {
	case status >= 200 && status <= 299:
		o.Reason = "ok"
		return o
	case status == http.StatusTooManyRequests:
		o.Retry, o.Reason = true, "http_429"
	case status == http.StatusRequestTimeout:
		o.Retry, o.Reason = true, "timeout"
	case status >= 500:
		o.Retry, o.Reason = true, "http_5xx"
	case status == http.StatusGone:
		o.Reason = "gone"
	default:
		o.Reason = "http_4xx"
	}
	o.Err = fmt.Errorf("partner answered HTTP %d", status)
	if o.Retry {
		o.RetryAfter = parseRetryAfter(retryAfter, now)
	}
	return o
}

func classifyError(err error) exporters.Outcome {
	var ne net.Error
	reason := "network"
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		reason = "timeout"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("POST %s: %w", redact(ue.URL), ue.Err)
	}
	return exporters.Outcome{Err: err, Retry: true, Reason: reason}
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 && fmt.Sprint(secs) == v {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redact hides credentials and the query string of a URL in messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.Redacted()
}

// Render returns the request body of a change in format: the alert JSON as
// published, or a structured CloudEvent around it.
func Render(format string, a *alert.Alert, published []byte) ([]byte, error) {
	if format != FormatCloudEvents {
		return published, nil
	}
	ev := struct {
		SpecVersion     string          `json:"specversion"`
		ID              string          `json:"id"`
		Type            string          `json:"type"`
		Source          string          `json:"source"`
		Subject         string          `json:"subject"`
		Time            string          `json:"time"`
		DataContentType string          `json:"datacontenttype"`
		ExpiryTime      string          `json:"expirytime,omitempty"`
		Sequence        string          `json:"sequence"`
		Data            json.RawMessage `json:"data"`
	}{SpecVersion: "1.0", ID: a.ID, Type: a.EventType(), Source: alert.EventSource(a.Source),
		Subject: a.Key, Time: a.Sent.Format(time.RFC3339), DataContentType: "application/json",
		Sequence: strconv.Itoa(a.Version), Data: published}
	if end := a.End(); !end.IsZero() {
		ev.ExpiryTime = end.Format(time.RFC3339)
	}
	return json.Marshal(ev)
}
