package mois

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// ErrPartial is wrapped by the error of a run that could not read every
// message of a day: a day held more than max_pages pages. Items are returned
// beside it, and the lifecycle ends nothing on such a run.
var ErrPartial = errors.New("partial run")

// Collect reads today's messages (KST), and those of the lookback days that
// may still be in force, page by page. The Result is a delta: messages end
// by their expiry, never by leaving the feed.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("mois: no fetcher configured")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := newBuilder(&c.mapper)
	asked := map[string]bool{}
	defer c.forget(asked)
	var errs []error
	pages, notModified := 0, 0
	for _, day := range c.days(c.now()) {
		st, err := c.collectDay(ctx, day, b, asked)
		pages, notModified = pages+st.pages, notModified+st.notModified
		if err != nil {
			errs = append(errs, err)
			if !errors.Is(err, ErrPartial) {
				break // the next day would fail the same way; spare the API
			}
		}
	}
	res, _ := b.result()
	res.NotModified = pages > 0 && notModified == pages
	return res, c.redact(errors.Join(errs...))
}

// days returns the crtDt dates to read, today (KST) first. A past day is
// skipped once every message it can hold has expired.
func (c *collector) days(now time.Time) []string {
	local := now.In(alert.KST)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, alert.KST)
	out := []string{today.Format("20060102")}
	for i := 1; i <= c.lookback; i++ {
		day := today.AddDate(0, 0, -i)
		if !day.AddDate(0, 0, 1).Add(c.mapper.expireAfter).After(now) {
			break
		}
		out = append(out, day.Format("20060102"))
	}
	return out
}

// forget drops the fetcher's cached bodies of the URLs asked for in the last
// run but not in this one: crtDt moves every day, and the cache must not
// keep every day's pages for ever.
func (c *collector) forget(asked map[string]bool) {
	for u := range c.lastAsked {
		if !asked[u] {
			c.fetcher.Forget(u)
		}
	}
	c.lastAsked = asked
}

// dayStats counts the pages of one day, and those answered 304.
type dayStats struct{ pages, notModified int }

// collectDay reads every page of one day into b.
func (c *collector) collectDay(ctx context.Context, day string, b *builder, asked map[string]bool) (dayStats, error) {
	var st dayStats
	read := 0
	for pageNo := 1; ; pageNo++ {
		if pageNo > c.maxPages {
			return st, fmt.Errorf("%w: crtDt %s has more than max_pages %d × page_size %d messages", ErrPartial, day, c.maxPages, c.pageSize)
		}
		u := c.pageURL(day, pageNo)
		asked[u] = true
		resp, err := c.fetcher.Get(ctx, u)
		if err != nil {
			return st, c.scrubFetch(err)
		}
		st.pages++
		if resp.NotModified {
			st.notModified++
		}
		p, err := decodePage(resp.Body, resp.Header.Get("Content-Type"))
		if err != nil {
			return st, fmt.Errorf("parse %s: %w", c.fetcher.Redact(u), err)
		}
		b.addPage(p.rows)
		read += len(p.rows)
		// The last page: an empty one, or all rows read, or (when the
		// answer gives no total) a short one. A total that grows while we
		// page only costs one more request.
		if len(p.rows) == 0 || (p.total >= 0 && read >= p.total) || (p.total < 0 && len(p.rows) < c.pageSize) {
			return st, nil
		}
	}
}

// pageURL is the URL of one page of one day, key included: never print it
// without redacting it.
func (c *collector) pageURL(day string, pageNo int) string {
	u := *c.url
	q := u.Query()
	q.Set("serviceKey", c.key)
	q.Set("returnType", "json")
	q.Set("pageNo", strconv.Itoa(pageNo))
	q.Set("numOfRows", strconv.Itoa(c.pageSize))
	q.Set("crtDt", day)
	if c.region != "" {
		q.Set("rgnNm", c.region)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// decodePage checks the charset and reads one answer.
func decodePage(body []byte, contentType string) (page, error) {
	text, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return page{}, err
	}
	return parsePage(text)
}

// redact removes the service key, in every form, from err's message. The
// chain is kept for errors.Is and errors.As (ErrPartial, *FetchError,
// *APIError); the fetcher's own errors in it are redacted already.
func (c *collector) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := collectors.RedactString(err.Error(), c.secrets)
	if c.fetcher != nil {
		msg = c.fetcher.Redact(msg)
	}
	return &redactedError{msg: msg, err: err}
}

// scrubFetch returns a copy of a fetch error with the key removed from its
// fields too: the fetcher redacts serviceKey parameters, but an error body
// (Detail) may quote the bare key, and callers can reach the fields with
// errors.As.
func (c *collector) scrubFetch(err error) error {
	var fe *collectors.FetchError
	if !errors.As(err, &fe) {
		return err
	}
	cp := *fe
	cp.URL = collectors.RedactString(cp.URL, c.secrets)
	cp.Detail = collectors.RedactString(cp.Detail, c.secrets)
	if cp.Err != nil {
		cp.Err = &redactedError{msg: collectors.RedactString(cp.Err.Error(), c.secrets), err: cp.Err}
	}
	return &cp
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// builder gathers the rows of a run, once per serial number: a message seen
// twice (pages shift while new messages arrive) counts once, and the copy
// modified last (MDFCN_YMD) wins.
type builder struct {
	m        *mapper
	entries  []entry
	bySN     map[string]int
	invalid  int
	problems []error
}

type entry struct {
	r        row
	sn       string
	modified time.Time
}

func newBuilder(m *mapper) *builder {
	return &builder{m: m, bySN: map[string]int{}}
}

// addPage takes the rows of one page.
func (b *builder) addPage(rows []json.RawMessage) {
	for i, raw := range rows {
		r, sn, err := readRow(raw)
		if err != nil {
			b.invalid++
			b.problems = append(b.problems, fmt.Errorf("row %d: %w", i, err))
			continue
		}
		mod, _ := parseKST(string(r.MdfcnYmd), recordLayouts)
		e := entry{r: r, sn: sn, modified: mod}
		if j, ok := b.bySN[sn]; ok {
			if mod.After(b.entries[j].modified) {
				b.entries[j] = e
			}
			continue
		}
		b.bySN[sn] = len(b.entries)
		b.entries = append(b.entries, e)
	}
}

// result maps the rows gathered. Fetched counts distinct messages plus rows
// without a readable serial number, so that Fetched = items + dropped.
func (b *builder) result() (collectors.Result, []error) {
	var res collectors.Result
	problems := slices.Clone(b.problems)
	for range b.invalid {
		res.Fetched++
		res.Drop(collectors.DropInvalid)
	}
	for _, e := range b.entries {
		res.Fetched++
		it, drop, problem := b.m.item(e.r, e.sn)
		if problem != nil {
			problems = append(problems, problem)
		}
		if drop != "" {
			res.Drop(drop)
			continue
		}
		res.Items = append(res.Items, it)
	}
	return res, problems
}
