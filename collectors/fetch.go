package collectors

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client is the HTTP client every collector shares: one transport, one
// per-host concurrency limit. Build it once per daemon.
type Client struct {
	http      *http.Client
	userAgent string
	perHost   int
	metrics   *Metrics

	mu    sync.Mutex
	hosts map[string]chan struct{}
	now   func() time.Time
}

// ClientOptions configures a Client.
type ClientOptions struct {
	// Transport overrides the default transport (tests, proxies).
	Transport http.RoundTripper
	// UserAgent is sent when a collector sets none of its own.
	UserAgent string
	// PerHost limits concurrent requests to one host (default 4).
	PerHost int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Metrics, when set, counts every answer by collector and status class.
	Metrics *Metrics
}

// NewClient builds the shared client.
func NewClient(o ClientOptions) *Client {
	t := o.Transport
	if t == nil {
		dt := http.DefaultTransport.(*http.Transport).Clone()
		dt.MaxIdleConnsPerHost = 4
		dt.ResponseHeaderTimeout = 30 * time.Second
		t = dt
	}
	if o.PerHost <= 0 {
		o.PerHost = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "hazardwire"
	}
	return &Client{
		http: &http.Client{
			Transport: t,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("stopped after 5 redirects")
				}
				return nil
			},
		},
		userAgent: o.UserAgent,
		perHost:   o.PerHost,
		metrics:   o.Metrics,
		hosts:     map[string]chan struct{}{},
		now:       o.Now,
	}
}

// countResponse counts one answer (status 0: no answer) when metrics are on.
func (c *Client) countResponse(collector string, status int) {
	if c.metrics != nil && collector != "" {
		c.metrics.Responses.WithLabelValues(collector, StatusClass(status)).Inc()
	}
}

// StatusClass is the bounded code label of an HTTP answer: 304 and 429 on
// their own (conditional GET and politeness are watched), else 2xx, 3xx,
// 4xx, 5xx, or "error" when there was no answer.
func StatusClass(status int) string {
	switch {
	case status == 0:
		return "error"
	case status == http.StatusNotModified || status == http.StatusTooManyRequests:
		return strconv.Itoa(status)
	}
	return strconv.Itoa(status/100) + "xx"
}

// statusClasses are every value StatusClass returns.
var statusClasses = []string{"2xx", "304", "3xx", "4xx", "429", "5xx", "error"}

func (c *Client) acquire(ctx context.Context, host string) (release func(), err error) {
	c.mu.Lock()
	sem, ok := c.hosts[host]
	if !ok {
		sem = make(chan struct{}, c.perHost)
		c.hosts[host] = sem
	}
	c.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// FetchOptions configures one collector's Fetcher.
type FetchOptions struct {
	// Name is the collector's name, for metrics.
	Name string
	// UserAgent overrides the client's (NWS asks for a contact in it).
	UserAgent string
	// Accept is sent as the Accept header when set.
	Accept string
	// Headers are sent with every request.
	Headers map[string]string
	// MaxBody is the largest body read, after decompression (default 16 MiB).
	MaxBody int64
	// Secrets are strings that must never appear in errors or logs (API keys,
	// including keys carried in the URL path).
	Secrets []string
	// MinBackoff and MaxBackoff bound the wait after consecutive failures
	// (defaults 5s and 10m).
	MinBackoff, MaxBackoff time.Duration
}

// Fetcher fetches URLs for one collector: conditional GET with a cached body
// per URL, a body size limit, and backoff with jitter after errors.
type Fetcher struct {
	c    *Client
	opts FetchOptions

	mu       sync.Mutex
	cache    map[string]*cached
	failures map[string]int       // consecutive failures per host
	notUntil map[string]time.Time // per host: no request before this time
}

type cached struct {
	etag, lastModified string
	status             int
	body               []byte
	header             http.Header
}

// Options returns the options f was made with, defaults filled in.
func (f *Fetcher) Options() FetchOptions { return f.opts }

// NewFetcher returns a Fetcher that uses the shared client c.
func (c *Client) NewFetcher(o FetchOptions) *Fetcher {
	if o.MaxBody <= 0 {
		o.MaxBody = 16 << 20
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	return &Fetcher{c: c, opts: o, cache: map[string]*cached{}, failures: map[string]int{}, notUntil: map[string]time.Time{}}
}

// Response is a fetched body.
type Response struct {
	// Status is the answer's 2xx status code; with NotModified, that of the
	// cached answer (a 204 No Content tells an empty answer from a broken one).
	Status int
	Body   []byte
	Header http.Header
	// NotModified is true when the server answered 304 and Body is the body
	// cached from the last 200.
	NotModified bool
}

// FetchError is a failed fetch, with a bounded Reason for metrics and a URL
// from which secrets have been removed.
type FetchError struct {
	Reason     string // http_status, timeout, network, too_large, backoff, canceled
	URL        string
	Status     int
	RetryAfter time.Duration
	// Detail is the start of an error answer's body (an RFC 7807 problem, an
	// agency's error envelope), with secrets removed.
	Detail string
	Err    error
}

func (e *FetchError) Error() string {
	switch {
	case e.Reason == "backoff":
		return fmt.Sprintf("fetch %s: backing off after errors for %s", e.URL, roundWait(e.RetryAfter))
	case e.Status != 0 && e.Detail != "":
		return fmt.Sprintf("fetch %s: HTTP %d: %s", e.URL, e.Status, e.Detail)
	case e.Status != 0:
		return fmt.Sprintf("fetch %s: HTTP %d", e.URL, e.Status)
	}
	return fmt.Sprintf("fetch %s: %v", e.URL, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// roundWait rounds a wait for a message: to the second from a second up,
// to the millisecond below, so that a short wait does not read "0s".
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return max(d.Round(time.Millisecond), time.Millisecond)
}

// Reason returns the bounded reason of err for metrics: the FetchError reason,
// or "parse" for any other error.
func Reason(err error) string {
	var fe *FetchError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "parse"
}

// Get fetches rawURL. A 304 answer returns the body cached from the last 200.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &FetchError{Reason: "network", URL: f.Redact(rawURL), Err: errors.New("bad URL")}
	}
	host := u.Host
	now := f.c.now()
	f.mu.Lock()
	wait := f.notUntil[host].Sub(now)
	f.mu.Unlock()
	if wait > 0 {
		return nil, &FetchError{Reason: "backoff", URL: f.Redact(rawURL), RetryAfter: wait}
	}
	resp, err := f.get(ctx, rawURL, host)
	f.record(host, err)
	return resp, err
}

func (f *Fetcher) get(ctx context.Context, rawURL, host string) (*Response, error) {
	release, err := f.c.acquire(ctx, host)
	if err != nil {
		// The run's context ended while it waited for a turn at the host: a
		// deadline that passed there is a timeout all the same.
		reason := "canceled"
		if errors.Is(err, context.DeadlineExceeded) {
			reason = "timeout"
		}
		return nil, &FetchError{Reason: reason, URL: f.Redact(rawURL), Err: err}
	}
	defer release()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &FetchError{Reason: "network", URL: f.Redact(rawURL), Err: errors.New("bad request")}
	}
	ua := f.opts.UserAgent
	if ua == "" {
		ua = f.c.userAgent
	}
	req.Header.Set("User-Agent", ua)
	if f.opts.Accept != "" {
		req.Header.Set("Accept", f.opts.Accept)
	}
	for k, v := range f.opts.Headers {
		req.Header.Set(k, v)
	}
	f.mu.Lock()
	prev := f.cache[rawURL]
	f.mu.Unlock()
	if prev != nil {
		if prev.etag != "" {
			req.Header.Set("If-None-Match", prev.etag)
		}
		if prev.lastModified != "" {
			req.Header.Set("If-Modified-Since", prev.lastModified)
		}
	}
	res, err := f.c.http.Do(req)
	if err != nil {
		f.c.countResponse(f.opts.Name, 0)
		return nil, f.transportError(rawURL, err)
	}
	defer res.Body.Close()
	f.c.countResponse(f.opts.Name, res.StatusCode)
	switch {
	case res.StatusCode == http.StatusNotModified && prev != nil:
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return &Response{Status: prev.status, Body: prev.body, Header: prev.header, NotModified: true}, nil
	case res.StatusCode == http.StatusNotModified:
		// A 304 to a request that was not conditional: nothing to return.
		return nil, &FetchError{Reason: "http_status", URL: f.Redact(rawURL), Status: res.StatusCode, Err: ErrNotModified}
	case res.StatusCode < 200 || res.StatusCode > 299:
		head, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return nil, &FetchError{Reason: "http_status", URL: f.Redact(rawURL), Status: res.StatusCode,
			RetryAfter: ParseRetryAfter(res.Header.Get("Retry-After"), f.c.now()), Detail: f.detail(head)}
	}
	r, size := io.Reader(res.Body), res.ContentLength
	if !res.Uncompressed && strings.EqualFold(res.Header.Get("Content-Encoding"), "gzip") {
		// The transport decodes gzip only when it asked for it itself; when a
		// header of ours asked (FetchOptions.Headers) or compression is off in
		// the transport, decode here, so MaxBody still counts decoded bytes.
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			return nil, &FetchError{Reason: "network", URL: f.Redact(rawURL), Err: fmt.Errorf("gzip body: %w", err)}
		}
		defer zr.Close()
		r, size = zr, -1
	}
	body, err := readBody(r, size, f.opts.MaxBody)
	if err != nil {
		return nil, f.transportError(rawURL, err)
	}
	if int64(len(body)) > f.opts.MaxBody {
		return nil, &FetchError{Reason: "too_large", URL: f.Redact(rawURL), Err: fmt.Errorf("body over %d bytes", f.opts.MaxBody)}
	}
	c := &cached{etag: res.Header.Get("ETag"), lastModified: res.Header.Get("Last-Modified"), status: res.StatusCode, body: body, header: res.Header}
	f.mu.Lock()
	if c.etag != "" || c.lastModified != "" {
		f.cache[rawURL] = c
	} else {
		delete(f.cache, rawURL)
	}
	f.mu.Unlock()
	return &Response{Status: res.StatusCode, Body: body, Header: res.Header}, nil
}

// readBody reads at most limit+1 bytes of r, so that a body over limit shows.
// A declared size (Content-Length) within the limit sizes the buffer once:
// io.ReadAll's doubling made and zeroed about twice a large body's bytes, on
// the path every alert of a poll waits behind. A size that lies only costs a
// buffer regrown or one bounded by the limit.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	if size < 0 || size > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	b := make([]byte, 0, size+1) // +1: EOF is seen without regrowing
	lr := io.LimitReader(r, limit+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

func (f *Fetcher) transportError(rawURL string, err error) error {
	reason := "network"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		reason = "timeout"
	} else if errors.Is(err, context.Canceled) {
		reason = "canceled"
	}
	return &FetchError{Reason: reason, URL: f.Redact(rawURL), Err: errors.New(f.Redact(err.Error()))}
}

// detail turns the start of an error body into one printable line.
func (f *Fetcher) detail(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = f.Redact(strings.Join(strings.Fields(s), " ")) // redact before cutting: a cut key is still a key
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// Forget drops the cached body of rawURL, for a collector whose index no
// longer links it: the cache holds only what may be asked for again.
func (f *Fetcher) Forget(rawURL string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.cache, rawURL)
}

// hostTrouble reports whether err says the host is in trouble, so that it is
// spared for a while: network errors, timeouts, 408, 429 and 5xx. Another
// 4xx is an answer about one URL (a document gone from an index) and must not
// hold back the host's other URLs.
func hostTrouble(err error) bool {
	var fe *FetchError
	if !errors.As(err, &fe) {
		return true
	}
	switch fe.Reason {
	case "canceled", "backoff", "too_large":
		return false
	case "http_status":
		return fe.Status == http.StatusRequestTimeout || fe.Status == http.StatusTooManyRequests || fe.Status >= 500
	}
	return true
}

// record updates the per-host backoff after a request.
func (f *Fetcher) record(host string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var fe *FetchError
	if err == nil || !hostTrouble(err) {
		if err == nil {
			delete(f.failures, host)
			delete(f.notUntil, host)
		}
		return
	}
	n := f.failures[host] + 1
	f.failures[host] = n
	wait := Backoff(n, f.opts.MinBackoff, f.opts.MaxBackoff)
	if errors.As(err, &fe) && fe.RetryAfter > wait {
		wait = min(fe.RetryAfter, f.opts.MaxBackoff)
	}
	f.notUntil[host] = f.c.now().Add(wait)
}

// Backoff returns the wait after n consecutive failures: min·2^(n-1), capped at
// max, with up to 20% random jitter taken off so that many callers spread out.
func Backoff(n int, minWait, maxWait time.Duration) time.Duration {
	if n < 1 {
		return 0
	}
	d := minWait
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	if d <= 0 {
		return 0
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// maxRetryAfter bounds a Retry-After so that absurd values cannot overflow a
// time.Duration; the fetcher caps the wait at MaxBackoff anyway.
const maxRetryAfter = 7 * 24 * time.Hour

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date,
// at most a week. It returns 0 for an absent, malformed or past value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
