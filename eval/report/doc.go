// Package report renders an eval's results for people: a Markdown
// summary for terminals, pull requests and CI logs, and one
// self-contained HTML page (inline CSS and SVG, no script, nothing
// fetched) to open offline, mail or archive next to the eval log.
//
// Both render from the log alone — its eval.Summary, and for the HTML
// drill-down its records and suite — so they never re-run the agent.
// Statistics read "mean ± stderr [lo, hi] (n=N)" with the 95% bootstrap
// CI of package eval/stats; values are formatted in their scorer's unit
// (shares 0.000, tokens 12,345, cost $0.0123, see UnitOf).
//
// The HTML page adds a bar chart of the quality scorers per variant
// with CI error bars, a cost-versus-quality scatter with the Pareto
// front marked (see Pareto), charts of the critique rounds, and per
// sample the report with each citation [n] marked supported,
// unsupported or invalid from the citation_accuracy scorer's claim
// verdicts, the facts found and missed, the judges' explanations and
// the run's token, context and time figures. Every piece of text from
// reports, suites and logs is escaped.
//
// A typical use, after an eval:
//
//	log, _ := eval.OpenLog(dir)
//	h, _ := log.Header()
//	records, _ := log.Records()
//	pairs, _ := log.Pairs()
//	sum, _ := eval.Summarize(h, records, pairs, stats.BootstrapOptions{})
//	opts := report.Options{Command: "deepctx eval suite.yaml", Pairs: pairs}
//	report.Markdown(os.Stdout, sum, opts)
//	f, _ := os.Create(filepath.Join(dir, "report.html"))
//	report.HTML(f, sum, records, h.Suite, opts)
package report
