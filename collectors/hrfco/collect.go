package hrfco

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/hazardwire/hazardwire/collectors"
)

// The endpoints read, below "{base}/{ServiceKey}/".
const (
	pathForecasts = "fldfct/list.json"
	pathInfo      = "waterlevel/info.json"
	pathLevels    = "waterlevel/list/10M.json"
)

// redacted stands for the service key in every URL the collector shows.
const redacted = "REDACTED"

// Collect reads what the mode asks for once. The Result is the whole current
// set (forecasts in force, stations at a stage). A part that fails makes the
// run fail, with the other part's items still returned (a partial run, which
// ends nothing).
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("no fetcher configured")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	res := collectors.Result{Snapshot: true, NotModified: true}
	var errs []error
	for _, part := range []struct {
		name string
		run  func(context.Context) (collectors.Result, error)
	}{{ModeForecasts, c.collectForecasts}, {ModeLevels, c.collectLevels}} {
		if !c.wants(part.name) {
			continue
		}
		r, err := part.run(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		res.Items = append(res.Items, r.Items...)
		res.Unreadable = append(res.Unreadable, r.Unreadable...)
		res.Fetched += r.Fetched
		for reason, n := range r.Dropped {
			if res.Dropped == nil {
				res.Dropped = map[string]int{}
			}
			res.Dropped[reason] += n
		}
		res.NotModified = res.NotModified && r.NotModified
	}
	return res, c.safe(errors.Join(errs...))
}

// collectForecasts reads fldfct/list: the forecasts in force. The station
// list is read only when there is a forecast to place on the map.
func (c *collector) collectForecasts(ctx context.Context) (collectors.Result, error) {
	raws, nm, err := c.read(ctx, pathForecasts)
	if err != nil {
		return collectors.Result{}, err
	}
	var stations map[string]station
	var infoErr error
	if len(raws) > 0 {
		stations, infoErr = c.stations(ctx)
	}
	res, _ := c.mapper.forecasts(raws, stations)
	res.NotModified = nm
	return res, infoErr
}

// collectLevels reads the latest 10-minute levels and derives alerts from
// the stations' thresholds. The stages are kept for the next run only when
// the levels were read.
func (c *collector) collectLevels(ctx context.Context) (collectors.Result, error) {
	stations, infoErr := c.stations(ctx)
	if stations == nil {
		return collectors.Result{}, infoErr
	}
	raws, nm, err := c.read(ctx, pathLevels)
	if err == nil && len(raws) == 0 {
		err = fmt.Errorf("parse %s: %w", c.shown(pathLevels), errNoReadings)
	}
	if err != nil {
		return collectors.Result{}, errors.Join(infoErr, err)
	}
	res, next, _ := c.mapper.levels(raws, stations, c.state, c.now())
	c.state = next
	res.NotModified = nm
	return res, infoErr
}

// stations returns the station list, read again once it is older than
// info_refresh. When that fails, the list read before is still returned,
// with the error; nil means there is none.
func (c *collector) stations(ctx context.Context) (map[string]station, error) {
	now := c.now()
	if c.info != nil && now.Sub(c.infoT) < c.refresh {
		return c.info, nil
	}
	raws, _, err := c.read(ctx, pathInfo)
	var st map[string]station
	if err == nil {
		st, err = parseStations(raws)
		if err != nil {
			err = fmt.Errorf("parse %s: %w", c.shown(pathInfo), err)
		}
	}
	if err != nil {
		return c.info, fmt.Errorf("station list: %w", err)
	}
	c.info, c.infoT = st, now
	return st, nil
}

// read fetches one endpoint and returns its rows.
func (c *collector) read(ctx context.Context, path string) ([]json.RawMessage, bool, error) {
	resp, err := c.fetcher.Get(ctx, c.endpoint(path))
	if err != nil {
		return nil, false, c.scrubFetch(err)
	}
	raws, err := rows(resp.Body, resp.Header.Get("Content-Type"), c.key)
	if err != nil {
		return nil, false, fmt.Errorf("parse %s: %w", c.shown(path), err)
	}
	return raws, resp.NotModified, nil
}

// endpoint is the URL of path, with the key in it.
func (c *collector) endpoint(path string) string {
	return c.base + "/" + url.PathEscape(c.key) + "/" + path
}

// shown is the URL of path as errors show it: the key replaced.
func (c *collector) shown(path string) string {
	return c.base + "/" + redacted + "/" + path
}

// scrub removes the key from s, in every form it can take in a URL.
func scrub(s, key string) string {
	if key == "" {
		return s
	}
	return collectors.RedactString(s, []string{key})
}

// scrubCut removes the start of the key from the end of a text that was cut
// ("…"): the fetcher cuts an error body's detail before it redacts, so a key
// echoed across the cut is only partly there.
func scrubCut(s, key string) string {
	body, cut := strings.CutSuffix(s, "…")
	if !cut {
		return s
	}
	for n := len(key) - 1; n >= 4; n-- {
		if strings.HasSuffix(body, key[:n]) {
			return body[:len(body)-n] + redacted + "…"
		}
	}
	return s
}

// scrubFetch returns a fetch error without the key. The fetcher redacts
// only the secrets it was given, and the key sits in the URL path where no
// query-parameter rule finds it; so the error is rebuilt, keeping its type
// and reason for metrics.
func (c *collector) scrubFetch(err error) error {
	var fe *collectors.FetchError
	if !errors.As(err, &fe) {
		return c.safe(err)
	}
	cp := *fe
	cp.URL = scrub(cp.URL, c.key)
	cp.Detail = scrubCut(scrub(cp.Detail, c.key), c.key)
	if cp.Err != nil && scrub(cp.Err.Error(), c.key) != cp.Err.Error() {
		cp.Err = errors.New(scrub(cp.Err.Error(), c.key))
	}
	return &cp
}

// safe is the last guard: an error whose text still holds the key is
// replaced by its scrubbed text. The errors built here never do.
func (c *collector) safe(err error) error {
	if err == nil {
		return nil
	}
	if s := err.Error(); scrub(s, c.key) != s {
		return errors.New(scrub(s, c.key))
	}
	return err
}
