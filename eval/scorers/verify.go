package scorers

import (
	"context"

	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/eval"
)

// Supporter decides whether a cited passage supports a claim: the
// verifier's offline verify.Lexical, or a model supporter with a judge.
type Supporter = verify.Supporter

func defaultSupporter() Supporter { return verify.Lexical{} }

// citationsOf converts a report's sources to the verifier's citations.
func citationsOf(sources []eval.Source) []verify.Citation {
	return eval.Output{Sources: sources}.Citations()
}

// check runs the claim-level verifier over report.
func check(ctx context.Context, report string, sources []eval.Source, res verify.Resolver, sup Supporter) (verify.Result, error) {
	return verify.Check(ctx, report, citationsOf(sources), res, sup)
}
