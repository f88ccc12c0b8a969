// Package verify checks a research report's citations claim by claim, the
// way FACT (DeepResearch Bench's Factual Abundance and Citation
// Trustworthiness) does: it splits the report into claims with the
// citations attached to them, resolves each cited passage against the
// corpus, and asks a Supporter whether the passage supports the claim.
//
// The research agent's critique loop and the evaluation harness's citation
// scorers share it, so the figures the critic acts on are the figures the
// harness reports:
//
//   - citation accuracy: supported / (supported + unsupported) claim–citation
//     pairs (Result.CitationAccuracy);
//   - effective citations: distinct supported (claim, passage) pairs
//     (Result.EffectiveCitations);
//   - invalid citations: numbers that name no source, or passages that no
//     longer exist; and uncited claims.
//
// Two supporters come with it: Lexical, offline and deterministic (word
// coverage and verbatim trigrams, thresholds exported), and ModelSupporter,
// a language model as judge, which sees the claim and passage only as
// escaped data inside tags.
//
//	res, err := verify.Check(ctx, report, cites, resolver, verify.Lexical{})
//	if err != nil { … }
//	acc, ok := res.CitationAccuracy()
//
// Check judges up to DefaultParallel distinct (claim, passage) pairs at
// once, so a Supporter must be safe for concurrent use; CheckWith sets the
// bound (CheckOptions.Parallel). The Result is the same whatever the
// bound.
//
// verify does not depend on agent/research: a Resolver is anything that
// returns a passage's text by document ID and chunk.
package verify
