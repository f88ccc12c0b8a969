package research

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/provider"
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

// ModelSetup names the models of a research run.
type ModelSetup struct {
	// Default is the spec (or fallback chain) of every role without one
	// of its own. Optional. Defaults to the extractive engine.
	Default string
	// Roles give roles chains of their own. Optional.
	Roles map[llm.CallRole]string
	// BaseURL, when set, is the API address of Default's first provider
	// (any OpenAI-compatible server). Optional.
	BaseURL string
}

// Models are a setup's opened models.
type Models struct {
	// Router answers every call, routing each role to its chain.
	Router *llm.Router
	// Description names the setup for logs: "default (role=spec, …)".
	Description string
	// BudgetModel is the model whose tokenizer and window budget every
	// view (see BudgetModel).
	BudgetModel string
}

// OpenModels opens setup's models with provider options opts (keys and
// addresses; setup.BaseURL overrides Default's first provider's address).
func OpenModels(setup ModelSetup, opts provider.Options) (Models, error) {
	def := setup.Default
	if def == "" {
		def = llm.ProviderExtractive
	}
	chain, err := llm.ParseChain(def)
	if err != nil {
		return Models{}, fmt.Errorf("research: models: %w", err)
	}
	if setup.BaseURL != "" {
		eps := maps.Clone(opts.Endpoints)
		if eps == nil {
			eps = map[string]provider.Endpoint{}
		}
		e := eps[chain[0].Provider]
		e.BaseURL = setup.BaseURL
		eps[chain[0].Provider] = e
		opts.Endpoints = eps
	}
	router, err := llm.OpenRouter(llm.RouterConfig{Default: def, Roles: setup.Roles}, provider.Opener(opts))
	if err != nil {
		return Models{}, fmt.Errorf("research: models: %w", err)
	}
	specs := []string{def}
	var names []string
	for r, spec := range setup.Roles {
		specs = append(specs, spec)
		names = append(names, string(r)+"="+spec)
	}
	desc := def
	if len(names) > 0 {
		slices.Sort(names)
		desc += " (" + strings.Join(names, ", ") + ")"
	}
	return Models{Router: router, Description: desc, BudgetModel: BudgetModel(specs...)}, nil
}
