package llm

import (
	"fmt"
	"slices"
	"strings"
)

// Provider names accepted in model spec strings.
const (
	ProviderOpenAI       = "openai"        // api.openai.com or any OpenAI-compatible base URL
	ProviderAzure        = "azure"         // Azure OpenAI; the model is the deployment name
	ProviderOpenRouter   = "openrouter"    // OpenRouter's OpenAI-compatible endpoint
	ProviderVLLM         = "vllm"          // a vLLM server (OpenAI-compatible)
	ProviderLlamaCpp     = "llamacpp"      // a llama.cpp server (OpenAI-compatible)
	ProviderOllama       = "ollama"        // Ollama's OpenAI-compatible endpoint (tool calls supported)
	ProviderOllamaNative = "ollama-native" // Ollama's native API, through langchaingo (no tool calls)
	ProviderAnthropic    = "anthropic"     // Anthropic's Messages API, through langchaingo
	ProviderGoogle       = "google"        // Google AI (Gemini), through langchaingo
	ProviderExtractive   = "extractive"    // deepctx's offline, non-neural engine
)

// Providers lists every provider name a spec may use.
var Providers = []string{
	ProviderOpenAI, ProviderAzure, ProviderOpenRouter, ProviderVLLM, ProviderLlamaCpp,
	ProviderOllama, ProviderOllamaNative, ProviderAnthropic, ProviderGoogle, ProviderExtractive,
}

// Spec names one model: a provider and the provider's model name.
type Spec struct {
	// Provider is one of Providers.
	Provider string
	// Model is the provider's model name; empty for "extractive".
	Model string
}

// String returns the canonical "provider:model" form.
func (s Spec) String() string {
	if s.Model == "" {
		return s.Provider
	}
	return s.Provider + ":" + s.Model
}

// ParseSpec parses a model spec string: "provider:model", where the model
// may itself contain colons ("ollama:qwen3:8b"), or the bare word
// "extractive". A bare model name whose family is unambiguous is accepted
// too ("gpt-4.1" -> openai, "claude-…" -> anthropic, "gemini-…" -> google).
func ParseSpec(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Spec{}, fmt.Errorf("llm: empty model spec")
	}
	if s == ProviderExtractive {
		return Spec{Provider: ProviderExtractive}, nil
	}
	provider, model, found := strings.Cut(s, ":")
	if found && slices.Contains(Providers, strings.ToLower(provider)) {
		provider = strings.ToLower(provider)
		if model == "" && provider != ProviderExtractive {
			return Spec{}, fmt.Errorf("llm: model spec %q names no model (want %s:MODEL)", s, provider)
		}
		return Spec{Provider: provider, Model: model}, nil
	}
	if p := inferProvider(s); p != "" {
		return Spec{Provider: p, Model: s}, nil
	}
	if found {
		return Spec{}, fmt.Errorf("llm: unknown provider %q in model spec %q (known: %s)", provider, s, strings.Join(Providers, ", "))
	}
	return Spec{}, fmt.Errorf("llm: model spec %q names no provider (want PROVIDER:MODEL, providers: %s)", s, strings.Join(Providers, ", "))
}

// ParseChain parses a comma-separated fallback chain of specs,
// e.g. "openai:gpt-4.1, anthropic:claude-sonnet-4-5".
func ParseChain(s string) ([]Spec, error) {
	var specs []Spec
	for _, part := range strings.Split(s, ",") {
		spec, err := ParseSpec(part)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

func inferProvider(model string) string {
	m := strings.ToLower(model)
	switch {
	case strings.HasPrefix(m, "gpt-"), strings.HasPrefix(m, "chatgpt-"),
		len(m) > 1 && m[0] == 'o' && m[1] >= '1' && m[1] <= '9':
		return ProviderOpenAI
	case strings.HasPrefix(m, "claude-"):
		return ProviderAnthropic
	case strings.HasPrefix(m, "gemini-"):
		return ProviderGoogle
	}
	return ""
}
