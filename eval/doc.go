// Package eval is deepctx's evaluation harness: it runs a research system
// over a Suite of questions, scores every report, and keeps everything in
// a crash-safe Log that views, comparisons and rescoring read without
// running the system again.
//
// A Suite (YAML, see LoadSuite) holds Samples — a question, key facts with
// alternatives, expected sources, an optional reference report and rubric,
// tags, a dev/test split, a simulated user — and Variants, configuration
// overlays of the system to compare. Run executes samples × variants ×
// epochs with a concurrency limit, per-attempt timeouts, retries of
// failed attempts (never of scores) and cost or token budgets, and writes
// each finished attempt to the log at once. Scorers are one-method
// interfaces (Scorer, ScorerFunc); eval/scorers has the offline ones and
// eval/judge the LLM judges. Summarize and Compare turn a log into means,
// standard errors, clustered bootstrap CIs and paired tests (eval/stats);
// eval/report renders them as Markdown and self-contained HTML.
//
// The system under test is an interface: ResearchSystem runs deepctx's
// research agent; any agent that returns a report with numbered
// citations and its sources can be evaluated the same way.
//
//	suite, err := eval.LoadSuite("suite.yaml")
//	out, err := eval.Run(ctx, suite, eval.Options{
//		System:  &eval.ResearchSystem{Index: idx},
//		Dir:     "evals/run1",
//		Scorers: scorers.Offline(scorers.Options{}),
//		Corpus:  eval.IndexResolver(idx),
//	})
//	sum, err := eval.Summarize(header, out.Records, nil, stats.BootstrapOptions{})
package eval
