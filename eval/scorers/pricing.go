package scorers

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// Price is a model's list price in US dollars per million tokens.
type Price struct {
	// Input is the price of prompt tokens not served from the cache.
	Input float64 `json:"input"`
	// CachedInput is the price of prompt tokens served from the
	// provider's prompt cache (OpenAI cached input, Anthropic cache
	// reads, Gemini context caching).
	CachedInput float64 `json:"cached_input"`
	// Output is the price of generated tokens, reasoning included.
	Output float64 `json:"output"`
}

// Cost returns the dollars u costs at p: uncached input at Input, cached
// input at CachedInput, output at Output.
func (p Price) Cost(u llm.Usage) float64 {
	cached := min(max(u.CachedInput, 0), max(u.Input, 0))
	uncached := max(u.Input, 0) - cached
	return (float64(uncached)*p.Input + float64(cached)*p.CachedInput + float64(max(u.Output, 0))*p.Output) / 1e6
}

// Prices are the built-in list prices (USD per 1M tokens: input, cached
// input, output) of common hosted models, as the providers published them
// in 2025 for standard (not batch, not priority) processing. Gemini
// prices are those of prompts up to 200k tokens; Anthropic's cache writes
// are not modelled (they bill as input). Prices change: pass
// Options.Prices to override or extend them.
//
//	model                 input   cached   output
//	gpt-4.1                2.00    0.50     8.00
//	gpt-4.1-mini           0.40    0.10     1.60
//	gpt-4.1-nano           0.10    0.025    0.40
//	gpt-4o                 2.50    1.25    10.00
//	gpt-4o-mini            0.15    0.075    0.60
//	gpt-5                  1.25    0.125   10.00
//	gpt-5-mini             0.25    0.025    2.00
//	gpt-5-nano             0.05    0.005    0.40
//	o1                    15.00    7.50    60.00
//	o3                     2.00    0.50     8.00
//	o3-mini                1.10    0.55     4.40
//	o4-mini                1.10    0.275    4.40
//	claude-opus-4(-1)     15.00    1.50    75.00
//	claude-opus-4-5        5.00    0.50    25.00
//	claude-sonnet-4(-5)    3.00    0.30    15.00
//	claude-3-7-sonnet      3.00    0.30    15.00
//	claude-3-5-sonnet      3.00    0.30    15.00
//	claude-haiku-4-5       1.00    0.10     5.00
//	claude-3-5-haiku       0.80    0.08     4.00
//	gemini-2.5-pro         1.25    0.31    10.00
//	gemini-2.5-flash       0.30    0.075    2.50
//	gemini-2.5-flash-lite  0.10    0.025    0.40
//	gemini-2.0-flash       0.10    0.025    0.40
//
// The extractive engine costs nothing. Self-hosted models (ollama, vllm,
// llamacpp) have no price: their cost is skipped, as is any model not
// listed.
var Prices = map[string]Price{
	"gpt-4.1":               {2.00, 0.50, 8.00},
	"gpt-4.1-mini":          {0.40, 0.10, 1.60},
	"gpt-4.1-nano":          {0.10, 0.025, 0.40},
	"gpt-4o":                {2.50, 1.25, 10.00},
	"gpt-4o-mini":           {0.15, 0.075, 0.60},
	"gpt-5":                 {1.25, 0.125, 10.00},
	"gpt-5-mini":            {0.25, 0.025, 2.00},
	"gpt-5-nano":            {0.05, 0.005, 0.40},
	"o1":                    {15.00, 7.50, 60.00},
	"o3":                    {2.00, 0.50, 8.00},
	"o3-mini":               {1.10, 0.55, 4.40},
	"o4-mini":               {1.10, 0.275, 4.40},
	"claude-opus-4":         {15.00, 1.50, 75.00},
	"claude-opus-4-0":       {15.00, 1.50, 75.00},
	"claude-opus-4-1":       {15.00, 1.50, 75.00},
	"claude-opus-4-5":       {5.00, 0.50, 25.00},
	"claude-sonnet-4":       {3.00, 0.30, 15.00},
	"claude-sonnet-4-0":     {3.00, 0.30, 15.00},
	"claude-sonnet-4-5":     {3.00, 0.30, 15.00},
	"claude-3-7-sonnet":     {3.00, 0.30, 15.00},
	"claude-3-5-sonnet":     {3.00, 0.30, 15.00},
	"claude-haiku-4-5":      {1.00, 0.10, 5.00},
	"claude-3-5-haiku":      {0.80, 0.08, 4.00},
	"gemini-2.5-pro":        {1.25, 0.31, 10.00},
	"gemini-2.5-flash":      {0.30, 0.075, 2.50},
	"gemini-2.5-flash-lite": {0.10, 0.025, 0.40},
	"gemini-2.0-flash":      {0.10, 0.025, 0.40},
}

// snapshot matches what may follow a listed model name in a dated or
// aliased model name: "gpt-4.1-2025-04-14", "claude-sonnet-4-20250514",
// "claude-3-5-haiku-latest", "gemini-2.0-flash-001".
var snapshot = regexp.MustCompile(`^-(\d{4}-\d{2}-\d{2}|\d{8}|latest|\d{3})$`)

// PriceOf returns the price of model, a model spec ("openai:gpt-4.1",
// "anthropic:claude-sonnet-4-5", "openrouter:openai/gpt-4o") or a bare
// model name ("gpt-4.1-mini-2025-04-14"), looked up in extra and then in
// Prices: by exact name (case-insensitive), or by a listed name followed
// by a snapshot suffix (a date, "-latest" or a three-digit version).
// The extractive engine has a zero price. ok is false for an unknown or
// self-hosted model, with the reason in why.
func PriceOf(model string, extra map[string]Price) (p Price, ok bool, why string) {
	model = strings.TrimSpace(model)
	if model == "" {
		return Price{}, false, "the run recorded no model"
	}
	name := model
	if spec, err := llm.ParseSpec(model); err == nil {
		switch spec.Provider {
		case llm.ProviderExtractive:
			return Price{}, true, ""
		case llm.ProviderOllama, llm.ProviderOllamaNative, llm.ProviderVLLM, llm.ProviderLlamaCpp:
			return Price{}, false, fmt.Sprintf("model %q is self-hosted: no price", model)
		}
		name = spec.Model
	}
	if i := strings.LastIndex(name, "/"); i >= 0 { // openrouter:openai/gpt-4o
		name = name[i+1:]
	}
	for _, table := range []map[string]Price{extra, Prices} {
		if p, ok := lookup(table, name); ok {
			return p, true, ""
		}
	}
	return Price{}, false, fmt.Sprintf("no price for model %q (see scorers.Prices)", model)
}

func lookup(table map[string]Price, name string) (Price, bool) {
	if p, ok := table[name]; ok {
		return p, true
	}
	lower := strings.ToLower(name)
	best, found := "", false
	var bp Price
	for k, p := range table {
		lk := strings.ToLower(k)
		if lower == lk {
			return p, true
		}
		if strings.HasPrefix(lower, lk) && snapshot.MatchString(lower[len(lk):]) && len(lk) > len(best) {
			best, bp, found = lk, p, true
		}
	}
	return bp, found
}
