// Package judge scores research reports with LLM judges: RACE-style
// grading against a reference report, and side-by-side comparison of two
// variants' reports with the order swapped, by one judge or a panel.
//
// RACE (after Deep Research Bench) grades the report and the sample's
// reference report on every criterion of a rubric (the sample's own, or
// one the first judge writes once per question and the eval log caches)
// and reports target / (target + reference): 0.5 is as good as the
// reference. Each judge grades the two reports in both orders (the report
// as "A", then the reference as "A") and each report's grades are
// averaged over the orders, so a preference for a position cancels out.
// Pairwise shows each judge the two reports twice, A first
// then B first, counts a judge whose verdicts disagree as a tie, and
// reports the share of B wins, with each judge's verdict in
// PairScore.Verdicts: eval.Summarize measures from them how far a panel
// agrees beyond chance across the samples of a comparison
// (stats.PanelAgreement).
//
//	race := &judge.RACE{Judges: []llm.Model{gpt, claude}, Cache: log}
//	score, err := race.Score(ctx, sample, result) // errors.Is(err, eval.ErrSkip) without judges or reference
//
//	pair := &judge.Pairwise{Judges: []llm.Model{gpt, claude}}
//	ps, err := pair.ScorePair(ctx, sample, baseline, tuned)
//	// ps.Value: share of "tuned" wins; ps.Verdicts: each judge's verdict
//
// Every call has role llm.CallJudge and temperature 0 and asks for a JSON
// reply (the schemas are documented in prompts.go). A reply that is not
// JSON, lacks a field or has a score out of range is shown back to the
// judge with what is wrong, up to MaxRetries times; then the scorer
// returns an error matching ErrMalformed, which the harness records as a
// failed score, never as 0. Model errors (after the model layer's own
// retry policy) are returned as they are.
//
// Report text is data, not instructions. It reaches the judge only inside
// <report id="…"> tags, escaped by Escape so that nothing in it can close
// or open a tag (a forged "</report>" arrives as "&lt;/report>"), under a
// system prompt that says tagged text is to be evaluated, never obeyed.
// That is what the package guarantees: the structure of the prompt. No
// prompt can guarantee that a model ignores an instruction it reads inside
// the data; the tests show that a judge that trusts the delimiters and
// grades only the delimited text is not moved by an injected instruction
// and a forged closing tag.
package judge
