package kma

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// ErrPartial is wrapped by the error of a run that read max_pages full pages
// and left the rest of the window unread. Its items are returned beside it.
var ErrPartial = errors.New("partial run")

// dayLayout is the window's format: fromTmFc and toTmFc are KST dates.
const dayLayout = "20060102"

// Collect reads getPwnCd over the lookback window, and getWthrWrnMsg when
// fetch_text is on and some row maps. The Result is a delta list (Snapshot
// false): a warning ends when KMA lifts it, never by leaving the window.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("kma: no fetcher configured")
	}
	from, to := window(c.now(), c.lookback)
	params := url.Values{"fromTmFc": {from}, "toTmFc": {to}}
	if c.stnID != "" {
		params.Set("stnId", c.stnID)
	}
	if c.area != "" {
		params.Set("areaCode", c.area)
	}
	rows, partial := c.pages(ctx, c.pwnURL, params)
	if partial != nil && !errors.Is(partial, ErrPartial) {
		return collectors.Result{}, c.redact(partial)
	}
	picked, res, _ := c.mapper.pick(rows)
	var texts map[string]bulletin
	if c.fetchText && len(picked) > 0 {
		params := url.Values{"fromTmFc": {from}, "toTmFc": {to}, "stnId": {c.textStn}}
		items, err := c.pages(ctx, c.textURL, params)
		if err != nil {
			// Items without their text now and with it on the next run would
			// be published twice: fail the run rather than go without it.
			return collectors.Result{}, c.redact(fmt.Errorf("%s: %w", textOperation, err))
		}
		texts, _ = readBulletins(items)
	}
	build(picked, texts, &res)
	if partial != nil {
		return res, c.redact(partial)
	}
	return res, nil
}

// window returns fromTmFc and toTmFc: the KST dates of now-lookback and now.
func window(now time.Time, lookback time.Duration) (from, to string) {
	now = now.In(alert.KST)
	return now.Add(-lookback).Format(dayLayout), now.Format(dayLayout)
}

// pages reads every page of one operation: until a page holds fewer rows
// than asked for, or resultCode 03 (no data). A short page, not totalCount,
// ends the list: a client of this API reports totalCount unreliable for
// getPwnCd. After max_pages full pages it returns what it read and an error
// wrapping ErrPartial; any other error returns no rows.
func (c *collector) pages(ctx context.Context, base *url.URL, params url.Values) ([]json.RawMessage, error) {
	var rows []json.RawMessage
	for page := 1; page <= c.maxPages; page++ {
		items, err := c.page(ctx, base, params, page)
		if err != nil {
			return nil, err
		}
		rows = append(rows, items...)
		if len(items) < c.rows {
			return rows, nil
		}
	}
	return rows, fmt.Errorf("%w: %s has more than max_pages %d pages of %d rows: raise num_of_rows or max_pages, or shorten lookback",
		ErrPartial, base.Path, c.maxPages, c.rows)
}

// page reads page number page of one operation.
func (c *collector) page(ctx context.Context, base *url.URL, params url.Values, page int) ([]json.RawMessage, error) {
	u := c.pageURL(base, params, page)
	resp, err := c.fetcher.Get(ctx, u)
	if err != nil {
		return nil, withEnvelope(err)
	}
	where := fmt.Sprintf("parse %s", c.fetcher.Redact(u))
	body, err := collectors.DecodeText(resp.Body, resp.Header.Get("Content-Type"), "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	items, err := decodeEnvelope(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return items, nil
}

// pageURL returns the URL of one page. The configured url's own query is
// kept; the key goes last, encoded exactly once.
func (c *collector) pageURL(base *url.URL, params url.Values, page int) string {
	q := base.Query()
	for k, v := range params {
		q[k] = v
	}
	q.Set("dataType", "JSON")
	q.Set("numOfRows", strconv.Itoa(c.rows))
	q.Set("pageNo", strconv.Itoa(page))
	u := *base
	u.RawQuery = q.Encode() + "&serviceKey=" + url.QueryEscape(c.key)
	return u.String()
}

// redact returns err with every form of the service key removed from its
// message; errors.As still finds what it wraps (the fetcher's errors keep
// no key: it redacts key parameters itself).
func (c *collector) redact(err error) error {
	return &redactedError{msg: collectors.RedactString(err.Error(), c.secrets), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// envelopeCode and envelopeMsg find an error envelope in the start of an
// error answer's body, XML or JSON (the fetcher keeps 200 characters of it).
var (
	envelopeCode = regexp.MustCompile(`(returnReasonCode|resultCode)\W{1,4}(\d{1,3})\b`)
	envelopeMsg  = regexp.MustCompile(`(returnAuthMsg|errMsg|resultMsg)\W{1,4}([^<"]+)`)
)

// httpAPIError is an error envelope that came with an HTTP error status
// (data.go.kr answers a badly encoded key with 403 and code 30).
type httpAPIError struct {
	api   *APIError
	fetch *collectors.FetchError
}

func (e *httpAPIError) Error() string {
	return fmt.Sprintf("fetch %s: HTTP %d: %s", e.fetch.URL, e.fetch.Status, e.api)
}

// Unwrap gives both: the FetchError keeps the metrics reason http_status.
func (e *httpAPIError) Unwrap() []error { return []error{e.fetch, e.api} }

// withEnvelope reads an error envelope out of a failed fetch's body, when
// there is one, so that the error says the code and message.
func withEnvelope(err error) error {
	var fe *collectors.FetchError
	if !errors.As(err, &fe) || fe.Detail == "" {
		return err
	}
	m := envelopeCode.FindStringSubmatch(fe.Detail)
	if m == nil {
		return err
	}
	api := &APIError{Code: m[2], Gateway: strings.Contains(fe.Detail, "OpenAPI_ServiceResponse") || m[1] == "returnReasonCode"}
	if mm := envelopeMsg.FindStringSubmatch(fe.Detail); mm != nil {
		api.Message = strings.TrimSpace(mm[2])
	}
	return &httpAPIError{api: api, fetch: fe}
}
