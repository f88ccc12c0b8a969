// Package llm is deepctx's model layer: one Message type, one Model
// interface, typed errors, and a Router that maps call roles to model tiers
// with fallback chains and retries.
//
// Providers live in sub-packages and convert at their boundary: openai (any
// OpenAI-compatible server), langchain (any langchaingo model), scripted
// (deterministic, for tests) and replay (recorded cassettes). Package
// provider opens a Model from a spec string such as "openai:gpt-4.1" or
// "ollama:qwen3:8b".
//
//	router, err := llm.OpenRouter(llm.RouterConfig{
//		Default: "openai:gpt-4.1, anthropic:claude-sonnet-4-5",
//		Roles:   map[llm.CallRole]string{llm.CallSummarizer: "openai:gpt-4.1-mini"},
//	}, provider.Opener(provider.Options{}))
//	resp, err := router.Generate(ctx, llm.Request{
//		Role:     llm.CallSummarizer,
//		Messages: []llm.Message{llm.User("Summarize: ...")},
//	})
//
// Provider errors are classified, wherever the provider's answer allows, into
// the sentinels ErrContextOverflow, ErrRateLimited, ErrAuth, ErrBadRequest,
// ErrTransient and ErrMalformedOutput; test them with errors.Is and read
// details with errors.As on *ProviderError or *MalformedOutputError. An error
// of no class is not retried.
package llm
