package heatindex

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Collect fetches the observations once (once per station when the url has a
// station placeholder) and evaluates every station. The Result is the whole
// current set of stations in heat.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("no fetcher configured")
	}
	now := c.now()
	all := newParsed()
	var errs []error
	ok, notModified := 0, true
	for _, u := range c.targets(now) {
		resp, err := c.fetcher.Get(ctx, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := c.parse(resp.Body, resp.Header.Get("Content-Type"))
		if err != nil {
			errs = append(errs, fmt.Errorf("parse %s: %w", c.fetcher.Redact(u), err))
			continue
		}
		ok++
		notModified = notModified && resp.NotModified
		all.merge(p)
	}
	if ok == 0 {
		return collectors.Result{}, c.redact(errors.Join(errs...))
	}
	c.mu.Lock()
	res := c.evaluate(all, now)
	c.mu.Unlock()
	res.NotModified = notModified
	// A failed station makes the run partial: its items are taken, and the
	// lifecycle ends nothing.
	return res, c.redact(errors.Join(errs...))
}

// targets returns the URLs of one run: the url with its placeholders filled
// (per station when it has station placeholders) and the key added.
func (c *collector) targets(now time.Time) []string {
	date, hm := baseTime(c.url, now)
	fill := func(id string) string {
		nx, ny, _ := gridOf(id)
		u := placeholderRE.ReplaceAllStringFunc(c.url, func(m string) string {
			switch m {
			case "{nx}":
				return nx
			case "{ny}":
				return ny
			case "{station}":
				return url.QueryEscape(id)
			case "{base_date}":
				return date
			}
			return hm
		})
		if c.cfg.serviceKey != "" {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + "serviceKey=" + c.cfg.serviceKey
		}
		return u
	}
	if !strings.Contains(c.url, "{nx}") && !strings.Contains(c.url, "{ny}") && !strings.Contains(c.url, "{station}") {
		return []string{fill("")}
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(c.cfg.stations)) {
		out = append(out, fill(id))
	}
	return out
}

// baseTime returns the latest KMA issue (base_date YYYYMMDD, base_time HHMM,
// KST) available at now for the service the url names: getVilageFcst is
// issued at 02, 05, …, 23 h and ready about 10 minutes later;
// getUltraSrtFcst at half past each hour, ready about 15 minutes later;
// getUltraSrtNcst (and anything else) on the hour, ready about 40 minutes
// later.
func baseTime(rawURL string, now time.Time) (date, hm string) {
	k := now.In(alert.KST)
	var b time.Time
	switch {
	case strings.Contains(rawURL, "getVilageFcst"):
		k = k.Add(-10 * time.Minute)
		h := k.Hour() - (k.Hour()+1)%3 // 2, 5, 8, … 23
		b = time.Date(k.Year(), k.Month(), k.Day(), h, 0, 0, 0, alert.KST)
		if h < 0 {
			b = time.Date(k.Year(), k.Month(), k.Day()-1, 23, 0, 0, 0, alert.KST)
		}
	case strings.Contains(rawURL, "getUltraSrtFcst"):
		k = k.Add(-45 * time.Minute)
		b = time.Date(k.Year(), k.Month(), k.Day(), k.Hour(), 30, 0, 0, alert.KST)
	default:
		b = k.Add(-40 * time.Minute).Truncate(time.Hour)
	}
	return b.Format("20060102"), b.Format("1504")
}

// redactError hides the service key in an error's message while keeping the
// error inspectable (collectors.Reason still finds a *FetchError).
type redactError struct {
	msg string
	err error
}

func (e *redactError) Error() string { return e.msg }
func (e *redactError) Unwrap() error { return e.err }

// redact removes the service key, in every form, from err's message: the
// fetcher redacts serviceKey= parameters, and this also catches the key
// quoted anywhere else (an agency's error body echoing it).
func (c *collector) redact(err error) error {
	if err == nil {
		return nil
	}
	secrets := c.redactor
	if c.fetcher != nil {
		return &redactError{msg: collectors.RedactString(c.fetcher.Redact(err.Error()), secrets), err: err}
	}
	return &redactError{msg: collectors.RedactString(err.Error(), secrets), err: err}
}
