package scorers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/eval"
)

// Names of the offline scorers. They are part of the interface: logs,
// reports, --scorer and --json output use them.
const (
	FactRecall          = "fact_recall"
	SupportedFactRecall = "supported_fact_recall"
	CitationAccuracy    = "citation_accuracy"
	InvalidCitations    = "invalid_citations"
	EffectiveCitations  = "effective_citations"
	UncitedClaims       = "uncited_claims"
	SourceRecall        = "source_recall"
	Abstention          = "abstention"
	TokensIn            = "tokens_in"
	TokensOut           = "tokens_out"
	TokensCached        = "tokens_cached"
	BilledTokens        = "billed_tokens"
	CostUSD             = "cost_usd"
	PeakContextTokens   = "peak_context_tokens"
	ToolCalls           = "tool_calls"
	WallSeconds         = "wall_s"
)

// ErrUnknownScorer is returned by ByName and Select for a name no scorer
// has; the message lists the valid names.
var ErrUnknownScorer = errors.New("scorers: unknown scorer")

// Options configure the offline scorers. The zero value is ready to use.
type Options struct {
	// Supporter decides whether a cited passage supports a claim, for the
	// citation scorers. Optional. Defaults to verify.Lexical (offline);
	// give a verify.ModelSupporter to judge support with a model when a
	// judge is configured.
	Supporter Supporter
	// Prices are model prices consulted before the built-in table
	// (Prices), keyed like it by model name. Optional.
	Prices map[string]Price
	// MemoSize is how many claim verifications are kept so that the four
	// citation scorers verify each report once. Optional. Defaults to
	// 256.
	MemoSize int
}

// Offline returns every offline scorer, in this order: fact_recall,
// supported_fact_recall, citation_accuracy, invalid_citations,
// effective_citations, uncited_claims, source_recall, abstention, then
// the efficiency scorers tokens_in, tokens_out, tokens_cached,
// billed_tokens, cost_usd, peak_context_tokens, tool_calls and wall_s.
// The citation scorers share one verification per result.
func Offline(opts Options) []eval.Named {
	cit := NewCitations(opts.Supporter, opts.MemoSize)
	out := []eval.Named{
		{Name: FactRecall, Scorer: eval.ScorerFunc(scoreFactRecall), Higher: true},
		{Name: SupportedFactRecall, Scorer: eval.ScorerFunc(scoreSupportedFactRecall), Higher: true},
	}
	out = append(out, cit.Named()...)
	out = append(out,
		eval.Named{Name: SourceRecall, Scorer: eval.ScorerFunc(scoreSourceRecall), Higher: true},
		eval.Named{Name: Abstention, Scorer: eval.ScorerFunc(scoreAbstention), Higher: true},
	)
	return append(out, Efficiency(opts.Prices)...)
}

// Names returns the names of scorers, in order.
func Names(scorers []eval.Named) []string {
	out := make([]string, len(scorers))
	for i, n := range scorers {
		out[i] = n.Name
	}
	return out
}

// ByName returns the scorer of scorers named name. An unknown name is an
// error wrapping ErrUnknownScorer that lists the valid names.
func ByName(scorers []eval.Named, name string) (eval.Named, error) {
	name = strings.TrimSpace(name)
	for _, n := range scorers {
		if n.Name == name {
			return n, nil
		}
	}
	return eval.Named{}, unknown(scorers, name)
}

// Select returns the scorers named in names, in the order of scorers,
// each once: what --scorer NAME (repeatable, or comma-separated) selects.
// No names selects every scorer. An unknown name is an error wrapping
// ErrUnknownScorer that lists the valid names.
func Select(scorers []eval.Named, names ...string) ([]eval.Named, error) {
	var want []string
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			if part = strings.TrimSpace(part); part != "" {
				want = append(want, part)
			}
		}
	}
	if len(want) == 0 {
		return slices.Clone(scorers), nil
	}
	for _, w := range want {
		if _, err := ByName(scorers, w); err != nil {
			return nil, err
		}
	}
	var out []eval.Named
	for _, n := range scorers {
		if slices.Contains(want, n.Name) {
			out = append(out, n)
		}
	}
	return out, nil
}

func unknown(scorers []eval.Named, name string) error {
	return fmt.Errorf("%w %q (valid: %s)", ErrUnknownScorer, name, strings.Join(Names(scorers), ", "))
}
