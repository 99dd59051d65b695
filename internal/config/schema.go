package config

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/exporters"
)

// descriptions of the common keys, by path; kinds' keys are described in
// their READMEs.
var descriptions = map[string]string{
	"bus":                    "The NATS JetStream bus: an embedded server (default) or an external cluster.",
	"bus.store_dir":          "The embedded server's JetStream store; relative to this file. Default ./data.",
	"bus.url":                "An external NATS cluster, e.g. nats://n1:4222,nats://n2:4222, instead of the embedded server.",
	"bus.listen":             "A client listener on the embedded server (host:port), for the nats CLI.",
	"bus.credentials":        "Credentials file for the external cluster.",
	"bus.max_memory":         "Embedded JetStream memory limit, e.g. 256MiB.",
	"bus.max_store":          "Embedded JetStream disk limit, e.g. 10GiB.",
	"bus.max_age":            "How long changes stay on the alert stream (the replay window), e.g. 720h.",
	"bus.max_bytes":          "Alert stream size limit.",
	"bus.duplicates":         "Duplicate window for Nats-Msg-Id (at least 1h).",
	"bus.replicas":           "Replicas of the streams and bucket on an external cluster.",
	"bus.sync_interval":      "Embedded server only: how often the store's files are synced to the disk (nats-server's sync_interval; default 1s, at least 100ms; nats-server's own default is 2m). A power loss can take the changes written since the last sync; the daemon repairs what it can at the next start (docs/operations.md, Power loss).",
	"bus.sync_always":        "Embedded server only: sync the store's files after every write, so that a power loss takes nothing the bus acknowledged, at the cost of a disk sync per change and record.",
	"bus.lease_ttl":          "External cluster only: how long the lease on the streams outlives its holder's last renewal (3s to 10m, default 30s). A second daemon on the same streams waits as a standby and takes over within about this long. It is the lease bucket's TTL, set by the daemon that creates the bucket: a bucket that exists keeps its own (to change it, stop every daemon and remove the bucket hazardwire_leases).",
	"http":                   "The daemon's HTTP listener: metrics, health, status page, API.",
	"http.listen":            "host:port, default 127.0.0.1:9750.",
	"http.public_url":        "The base URL partners reach the daemon at (e.g. https://alerts.example.org behind a TLS proxy): the links and ids of /feeds/cap.atom are made from it. Default: from each request's Host, over http.",
	"http.tokens":            "Bearer tokens that open the pull API and operator endpoints to other hosts; without any they answer loopback only.",
	"http.tokens.name":       "The client's name, unique.",
	"http.tokens.token":      "The token, 16 characters or more; give it with ${ENV}.",
	"http.tokens.token_file": "A file holding the token, instead of token; relative to this file.",
	"collectors":             "Feeds to poll. Each entry: the common keys below plus its kind's own (see collectors/<kind>/README.md).",
	"collectors.name":        "Unique name, [a-z0-9][a-z0-9_-]*: used in alert keys, subjects and metric labels.",
	"collectors.kind":        "The collector kind.",
	"collectors.schedule":    "cron/v3 spec in UTC: 5 fields, 6 with seconds first, or @every 1m. Default: the kind's.",
	"collectors.url":         "The feed's URL.",
	"collectors.timeout":     "Per-run timeout, default 30s.",
	"collectors.jitter":      "Random delay before each run.",
	"collectors.grace":       "Successful snapshot polls an item may be missing before it expires (default 2).",
	"collectors.user_agent":  "User-Agent sent to the feed (api.weather.gov requires an app name and a contact).",
	"collectors.max_body":    "Largest feed body after decompression, e.g. 16MiB.",
	"collectors.max_backoff": "Longest wait before a feed host that failed is asked again, and the cap on its Retry-After; the wait starts at 5s and doubles with each failure. Default 10m.",
	"exporters":              "Partner endpoints. Each entry: the common keys below plus its kind's own.",
	"exporters.name":         "Unique name, [a-z0-9][a-z0-9_-]*: consumer hazardwire-exp-<name>, metric labels.",
	"exporters.kind":         "The exporter kind.",
	"exporters.filter":       "Which changes to deliver; every rule optional, combined with AND (region OR geocodes).",
	"exporters.retry":        "Retry bounds: max_attempts, max_age, min_backoff, max_backoff.",
	"exporters.concurrency":  "Deliveries in flight at once (different alerts), default 8.",
	"exporters.max_rps":      "Attempts per second at most (0: no cap).",
	"exporters.supersede":    "Deliver the newest version of an alert instead of older ones waiting to be retried (default true).",
	"exporters.heartbeat":    "Send a signed org.hazardwire.heartbeat event this often (0: never).",
}

// Schema returns the JSON Schema (draft 2020-12) of the config file: the
// common keys, and for each collector and exporter kind its own keys, so an
// editor can complete and check the YAML. It is built from the Go types, so
// it cannot drift from what the loader accepts.
func Schema() map[string]any {
	root := object(reflect.TypeFor[Config](), "")
	props := root["properties"].(map[string]any)
	props["collectors"] = entries("collectors", reflect.TypeFor[Collector](), collectorKinds())
	props["exporters"] = entries("exporters", reflect.TypeFor[Exporter](), exporterKinds())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://hazardwire.example/schema/hazardwire.schema.json"
	root["title"] = "hazardwire configuration"
	return root
}

func collectorKinds() map[string]any {
	m := map[string]any{}
	for _, k := range collectors.Kinds() {
		kind, _ := collectors.Lookup(k)
		m[k] = kind.Options
	}
	return m
}

func exporterKinds() map[string]any {
	m := map[string]any{}
	for _, k := range exporters.Kinds() {
		kind, _ := exporters.Lookup(k)
		m[k] = kind.Options
	}
	return m
}

// entries is the schema of a list of entries whose allowed keys depend on
// their kind.
func entries(path string, common reflect.Type, kinds map[string]any) map[string]any {
	base := object(common, path)
	commonProps := base["properties"].(map[string]any)
	names := make([]any, 0, len(kinds))
	var branches []any
	for _, name := range sortedKeys(kinds) {
		names = append(names, name)
		props := map[string]any{}
		for k, v := range commonProps {
			props[k] = v
		}
		if opts := kinds[name]; opts != nil {
			for k, v := range object(reflect.TypeOf(opts), "")["properties"].(map[string]any) {
				props[k] = v
			}
		}
		branches = append(branches, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"kind": map[string]any{"const": name}}, "required": []any{"kind"}},
			"then": map[string]any{"properties": props, "additionalProperties": false},
		})
	}
	commonProps["kind"] = map[string]any{"enum": names, "description": descriptions[path+".kind"]}
	item := map[string]any{"type": "object", "required": []any{"name", "kind"}, "properties": commonProps, "allOf": branches}
	return map[string]any{"type": []any{"array", "null"}, "items": item, "description": descriptions[path]}
}

// object is the schema of a struct type, by its yaml tags.
func object(t reflect.Type, path string) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	props := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || tag == "" || name == "-" {
			continue
		}
		if opts == "inline" {
			for k, v := range object(f.Type, path)["properties"].(map[string]any) {
				props[k] = v
			}
			continue
		}
		p := join(path, name)
		s := typeSchema(f.Type, p)
		if d := descriptions[p]; d != "" {
			s["description"] = d
		}
		props[name] = s
	}
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

// enums are the alert enums' allowed values.
var enums = map[reflect.Type][]any{
	reflect.TypeFor[alert.Hazard]():    anys(alert.Hazards),
	reflect.TypeFor[alert.Severity]():  anys(alert.Severities),
	reflect.TypeFor[alert.Status]():    anys(alert.Statuses),
	reflect.TypeFor[alert.Urgency]():   anys(alert.Urgencies),
	reflect.TypeFor[alert.Certainty](): anys(alert.Certainties),
}

func anys[T ~string](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// envRef is a string holding ${ENV}, allowed wherever a scalar is.
var envRef = map[string]any{"type": "string", "pattern": `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`}

func typeSchema(t reflect.Type, path string) map[string]any {
	if values, ok := enums[t]; ok {
		return map[string]any{"enum": values}
	}
	switch t {
	case reflect.TypeFor[time.Duration]():
		return map[string]any{"type": "string", "pattern": `^(\$\{.*\}|0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`,
			"examples": []any{"30s", "5m", "1h30m"}}
	case reflect.TypeFor[ByteSize]():
		return map[string]any{"anyOf": []any{map[string]any{"type": "integer", "minimum": 0},
			map[string]any{"type": "string", "pattern": `^(\$\{.*\}|[0-9]+ ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?)$`}}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeSchema(t.Elem(), path)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"anyOf": []any{map[string]any{"type": "boolean"}, envRef}}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"anyOf": []any{map[string]any{"type": "integer"}, envRef}}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"anyOf": []any{map[string]any{"type": "number"}, envRef}}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": []any{"array", "null"}, "items": typeSchema(t.Elem(), path)}
	case reflect.Map:
		return map[string]any{"type": []any{"object", "null"}, "additionalProperties": typeSchema(t.Elem(), path)}
	case reflect.Struct:
		o := object(t, path)
		o["type"] = []any{"object", "null"}
		return o
	}
	return map[string]any{} // any: free-form (e.g. a GeoJSON region)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
