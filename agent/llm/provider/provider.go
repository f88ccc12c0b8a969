// Package provider opens an llm.Model from a model spec string such as
// "openai:gpt-4.1", "ollama:qwen3:8b" or "anthropic:claude-sonnet-4-5".
//
// It is the one place that knows every provider package: OpenAI and the
// OpenAI-compatible servers go through agent/llm/openai (go-openai);
// Anthropic, Google and Ollama's native API go through agent/llm/langchain.
// Keys and addresses come from Options, else from the usual environment
// variables; opening never touches the network.
//
//	router, err := llm.OpenRouter(llm.RouterConfig{Default: "openai:gpt-4.1"},
//		provider.Opener(provider.Options{}))
package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
	"github.com/deepctx/deepctx/agent/llm/langchain"
	"github.com/deepctx/deepctx/agent/llm/openai"
)

// ErrUnavailable reports a provider that this build cannot open.
var ErrUnavailable = errors.New("provider: not available")

// Endpoint is where and how to reach one provider.
type Endpoint struct {
	// APIKey authenticates requests. Optional. Defaults to the provider's
	// environment variable (see Open).
	APIKey string
	// BaseURL is the API root. Optional. Defaults per provider (see Open).
	BaseURL string
}

// Options configures Open.
type Options struct {
	// Endpoints overrides key and address per provider name ("openai",
	// "ollama"…). Optional. Defaults to the environment and the provider's
	// standard address.
	Endpoints map[string]Endpoint
	// HTTPClient sends every request. Optional. Defaults to each provider
	// package's own client.
	HTTPClient *http.Client
}

// Default addresses of the OpenAI-compatible servers that have one.
const (
	OpenRouterBaseURL = "https://openrouter.ai/api/v1"
	VLLMBaseURL       = "http://localhost:8000/v1"
	LlamaCppBaseURL   = "http://localhost:8080/v1"
)

// Environment variables read for the OpenAI-compatible servers, beyond the
// openai and langchain packages' own.
const (
	EnvOpenRouterKey = "OPENROUTER_API_KEY"
	EnvVLLMBaseURL   = "VLLM_BASE_URL"
	EnvVLLMKey       = "VLLM_API_KEY"
	EnvLlamaCppURL   = "LLAMACPP_BASE_URL"
)

// Open returns the model that spec names.
//
//   - openai: api.openai.com, or any server at Endpoint.BaseURL / OPENAI_BASE_URL;
//     key from OPENAI_API_KEY.
//   - azure: Azure OpenAI; the model is the deployment; AZURE_OPENAI_API_KEY,
//     AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION.
//   - openrouter: OpenRouterBaseURL with OPENROUTER_API_KEY.
//   - vllm: VLLM_BASE_URL or VLLMBaseURL, optional VLLM_API_KEY.
//   - llamacpp: LLAMACPP_BASE_URL or LlamaCppBaseURL.
//   - ollama: Ollama's OpenAI-compatible endpoint (OLLAMA_HOST + "/v1", default
//     localhost:11434), which supports tool calls and streaming usage.
//   - ollama-native: Ollama's native /api/chat through langchaingo, which
//     cannot send tools (langchaingo v0.1.14 rejects them).
//   - anthropic: ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL optional).
//   - google: GOOGLE_API_KEY or GEMINI_API_KEY.
//   - extractive: the offline engine (agent/llm/extractive) with its default
//     options; it needs no key and no network, and ignores Options.
func Open(ctx context.Context, spec llm.Spec, opts Options) (llm.Model, error) {
	ep := opts.Endpoints[spec.Provider]
	switch spec.Provider {
	case llm.ProviderOpenAI:
		return openAICompatible(spec, opts, openai.Config{APIKey: ep.APIKey, BaseURL: ep.BaseURL}.WithEnv())
	case llm.ProviderAzure:
		return openAICompatible(spec, opts, openai.Config{APIType: openai.APITypeAzure, APIKey: ep.APIKey, BaseURL: ep.BaseURL}.WithEnv())
	case llm.ProviderOpenRouter:
		return openAICompatible(spec, opts, openai.Config{
			APIKey:         cmp.Or(ep.APIKey, os.Getenv(EnvOpenRouterKey)),
			BaseURL:        cmp.Or(ep.BaseURL, OpenRouterBaseURL),
			MaxTokensParam: openai.MaxCompletionTokens,
		})
	case llm.ProviderVLLM:
		return openAICompatible(spec, opts, openai.Config{
			APIKey:  cmp.Or(ep.APIKey, os.Getenv(EnvVLLMKey)),
			BaseURL: cmp.Or(ep.BaseURL, os.Getenv(EnvVLLMBaseURL), VLLMBaseURL),
		})
	case llm.ProviderLlamaCpp:
		return openAICompatible(spec, opts, openai.Config{
			APIKey:  ep.APIKey,
			BaseURL: cmp.Or(ep.BaseURL, os.Getenv(EnvLlamaCppURL), LlamaCppBaseURL),
		})
	case llm.ProviderOllama:
		base, err := langchain.OllamaBaseURL(cmp.Or(ep.BaseURL, os.Getenv(langchain.EnvOllamaHost)))
		if err != nil {
			return nil, fmt.Errorf("provider: ollama: %w", err)
		}
		return openAICompatible(spec, opts, openai.Config{APIKey: ep.APIKey, BaseURL: base + "/v1"})
	case llm.ProviderOllamaNative:
		return nonNil(langchain.OpenOllama(spec.Model, langchainConfig(ep, opts)))
	case llm.ProviderAnthropic:
		return nonNil(langchain.OpenAnthropic(spec.Model, langchainConfig(ep, opts)))
	case llm.ProviderGoogle:
		return nonNil(langchain.OpenGoogle(ctx, spec.Model, langchainConfig(ep, opts)))
	case llm.ProviderExtractive:
		return extractive.New(extractive.Options{}), nil
	}
	return nil, fmt.Errorf("%w: unknown provider %q", ErrUnavailable, spec.Provider)
}

// Opener returns an llm.Opener that opens specs with Open and opts, for
// llm.OpenRouter.
func Opener(opts Options) llm.Opener {
	return func(spec llm.Spec) (llm.Model, error) {
		return Open(context.Background(), spec, opts)
	}
}

func openAICompatible(spec llm.Spec, opts Options, cfg openai.Config) (llm.Model, error) {
	cfg.Model = spec.Model
	cfg.Provider = spec.Provider
	cfg.HTTPClient = opts.HTTPClient
	return openai.New(cfg)
}

// nonNil returns a nil interface, not a nil *langchain.Model, on error.
func nonNil(m *langchain.Model, err error) (llm.Model, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}

func langchainConfig(ep Endpoint, opts Options) langchain.ProviderConfig {
	return langchain.ProviderConfig{APIKey: ep.APIKey, BaseURL: ep.BaseURL, HTTPClient: opts.HTTPClient}
}
