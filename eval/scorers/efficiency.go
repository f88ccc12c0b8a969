package scorers

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/eval"
)

// CachedInputShare is the share of the input price that cached prompt
// tokens bill at in billed_tokens: the cache-aware billing of the context
// benchmark (benchmarks/contextbench.CachedInputPrice).
const CachedInputShare = 0.10

// Billed returns u's tokens as billed with prompt caching:
// uncached input + output + cached input × CachedInputShare.
func Billed(u llm.Usage) float64 {
	cached := min(max(u.CachedInput, 0), max(u.Input, 0))
	return float64(max(u.Input, 0)-cached) + float64(max(u.Output, 0)) + float64(cached)*CachedInputShare
}

// Efficiency returns the efficiency scorers, read from the run itself
// (lower is better for all of them): tokens_in (Usage.Input, cached
// included), tokens_out (Usage.Output, reasoning included),
// tokens_cached (Usage.CachedInput), billed_tokens (Billed),
// cost_usd (Output.Model's price from extra or Prices applied to Usage;
// skipped for a model without a price), peak_context_tokens
// (Output.PeakContext), tool_calls (Output.ToolCalls) and wall_s
// (Result.Wall in seconds; skipped when no wall time was recorded).
func Efficiency(extra map[string]Price) []eval.Named {
	count := func(name, what string, f func(r eval.Result) int) eval.Named {
		return eval.Named{Name: name, Scorer: eval.ScorerFunc(func(_ context.Context, _ eval.Sample, r eval.Result) (eval.Score, error) {
			v := f(r)
			return eval.Score{Value: float64(v), Explanation: fmt.Sprintf("%d %s", v, what)}, nil
		})}
	}
	return []eval.Named{
		count(TokensIn, "input tokens", func(r eval.Result) int { return r.Output.Usage.Input }),
		count(TokensOut, "output tokens", func(r eval.Result) int { return r.Output.Usage.Output }),
		count(TokensCached, "cached input tokens", func(r eval.Result) int { return r.Output.Usage.CachedInput }),
		{Name: BilledTokens, Scorer: eval.ScorerFunc(func(_ context.Context, _ eval.Sample, r eval.Result) (eval.Score, error) {
			u := r.Output.Usage
			return eval.Score{
				Value: Billed(u),
				Explanation: fmt.Sprintf("%d uncached input + %d output + %d cached input × %.2f",
					u.Input-u.CachedInput, u.Output, u.CachedInput, CachedInputShare),
			}, nil
		})},
		{Name: CostUSD, Scorer: eval.ScorerFunc(func(_ context.Context, _ eval.Sample, r eval.Result) (eval.Score, error) {
			p, ok, why := PriceOf(r.Output.Model, extra)
			if !ok {
				return eval.Score{}, eval.Skip(why)
			}
			if p == (Price{}) {
				return eval.Score{Value: 0, Explanation: r.Output.Model + " costs nothing"}, nil
			}
			return eval.Score{
				Value:       p.Cost(r.Output.Usage),
				Explanation: fmt.Sprintf("%s at $%g / $%g cached / $%g output per 1M tokens", r.Output.Model, p.Input, p.CachedInput, p.Output),
			}, nil
		})},
		count(PeakContextTokens, "tokens in the largest model call", func(r eval.Result) int { return r.Output.PeakContext }),
		count(ToolCalls, "tool calls", func(r eval.Result) int { return r.Output.ToolCalls }),
		{Name: WallSeconds, Scorer: eval.ScorerFunc(func(_ context.Context, _ eval.Sample, r eval.Result) (eval.Score, error) {
			if r.Wall <= 0 {
				return eval.Score{}, eval.Skip("no wall time recorded")
			}
			return eval.Score{Value: r.Wall.Seconds(), Explanation: r.Wall.String() + " wall time"}, nil
		})},
	}
}
