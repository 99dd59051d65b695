// Package monitoring holds no code, only tests: they check configs/monitoring
// (the Prometheus alerting rules and the Grafana dashboard) against the
// metrics a real daemon registers, so a rule or panel that names a metric,
// label or label value the daemon does not export fails the build; and they
// check that every rule's runbook_url points at a section of docs/runbook.md.
// When promtool is installed (on PATH, or at $PROMTOOL) they also run
// `promtool check rules` and `promtool test rules`.
package monitoring
