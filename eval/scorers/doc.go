// Package scorers holds the evaluation harness's offline scorers: the
// ones that need no model and always run. They score a research report
// against its sample's gold data and against the corpus itself:
//
//   - fact_recall: the weighted share of the sample's key facts found in
//     the report's body (its Sources list excluded), per critique round
//     too. supported_fact_recall counts only facts stated in a claim whose
//     citation resolves to a passage that states the fact as well.
//   - citation_accuracy, invalid_citations, effective_citations and
//     uncited_claims: the claim-level citation verifier
//     (agent/research/verify) run once per result and shared by the four
//     (see Citations). Support is decided by the verifier's offline
//     lexical supporter, or by a model supporter given in Options.
//   - source_recall: the share of the sample's expected sources cited
//     (MatchSource).
//   - abstention: on unanswerable samples, whether the report says the
//     corpus does not answer instead of inventing an answer
//     (CheckAbstention).
//   - tokens_in, tokens_out, tokens_cached, billed_tokens, cost_usd,
//     peak_context_tokens, tool_calls and wall_s: what the run cost
//     (Efficiency, Prices). Lower is better for these.
//
// A scorer that does not apply to a sample (no key facts, an answerable
// sample for abstention, a model without a price) is skipped, never 0.
// Offline returns all of them in a fixed order; Select picks the ones a
// --scorer flag names. Judge scorers live in eval/judge.
//
// A custom scorer is an eval.ScorerFunc with a name; it runs beside the
// offline ones:
//
//	words := eval.Named{Name: "words", Scorer: eval.ScorerFunc(
//		func(_ context.Context, _ eval.Sample, r eval.Result) (eval.Score, error) {
//			return eval.Score{Value: float64(len(strings.Fields(scorers.Body(r.Output.Report))))}, nil
//		})}
//	all := append(scorers.Offline(scorers.Options{}), words)
//	selected, err := scorers.Select(all, "fact_recall,words")
package scorers
