package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
)

// fetchResult is one collector's dry run.
type fetchResult struct {
	name    string
	took    time.Duration
	fetched int
	counts  map[string]int // "<hazard>/<severity>" → alerts
	changes map[alert.Change]int
	dropped map[string]int
	err     error
}

// fetchAll runs every collector once, at most four at a time, and prints what
// each would publish on an empty state; it reports whether all succeeded.
func fetchAll(built *config.Built, stdio IO) bool {
	results := make([]fetchResult, len(built.Collectors))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, c := range built.Collectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = dryRun(c)
		}()
	}
	wg.Wait()
	tw := tabwriter.NewWriter(stdio.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLLECTOR\tTOOK\tFETCHED\tWOULD PUBLISH\tDROPPED\tERROR")
	ok := true
	for _, r := range results {
		errText := ""
		if r.err != nil {
			ok = false
			errText = r.err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", r.name, r.took.Round(time.Millisecond), r.fetched,
			summary(r.counts, r.changes), mapText(r.dropped), errText)
	}
	_ = tw.Flush()
	return ok
}

func dryRun(c config.BuiltCollector) fetchResult {
	r := fetchResult{name: c.Info.Name, counts: map[string]int{}, changes: map[alert.Change]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), c.Info.Timeout)
	defer cancel()
	start := time.Now()
	res, err := c.Collector.Collect(ctx)
	r.took, r.fetched, r.dropped, r.err = time.Since(start), res.Fetched, res.Dropped, err
	now := time.Now()
	for _, it := range res.Items {
		if it.Alert.Validate() != nil {
			continue
		}
		if d := lifecycle.Decide(nil, it, now); d.Publish != nil {
			r.counts[string(d.Publish.Hazard)+"/"+string(d.Publish.Severity)]++
			r.changes[d.Publish.Change]++
		}
	}
	return r
}

func summary(counts map[string]int, changes map[alert.Change]int) string {
	if len(counts) == 0 {
		return "nothing"
	}
	var parts []string
	for _, c := range alert.Changes {
		if n := changes[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	return strings.Join(parts, ", ") + " (" + mapText(counts) + ")"
}

func mapText[V int](m map[string]V) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
