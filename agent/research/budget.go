package research

import (
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// BudgetModel picks the model whose tokenizer and window should budget
// every view of a run configured with specs (model specs or fallback
// chains, one per role): of the known models, the one with the smallest
// window, so no role's model is sent more than it holds. With none known
// (the extractive engine, unregistered local models) it is
// DefaultTokenizerModel. Specs that do not parse are ignored.
func BudgetModel(specs ...string) string {
	best, window := DefaultTokenizerModel, 0
	for _, spec := range specs {
		chain, err := llm.ParseChain(spec)
		if err != nil {
			continue
		}
		for _, sp := range chain {
			info, known := tokens.Lookup(sp.Model)
			if sp.Provider == llm.ProviderExtractive || !known {
				continue
			}
			if window == 0 || info.ContextWindow < window || info.ContextWindow == window && sp.Model < best {
				best, window = sp.Model, info.ContextWindow
			}
		}
	}
	return best
}
