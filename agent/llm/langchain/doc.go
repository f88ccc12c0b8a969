// Package langchain adapts any langchaingo llms.Model (Anthropic, Gemini,
// Bedrock, Mistral, Ollama's native API…) to deepctx's llm.Model.
//
// New wraps a model you built with langchaingo; OpenAnthropic, OpenGoogle
// and OpenOllama build one from a model name, reading keys and addresses
// from ProviderConfig or the usual environment variables.
//
//	m, err := langchain.OpenAnthropic("claude-sonnet-4-5", langchain.ProviderConfig{})
//	if err != nil {
//		return err // names ANTHROPIC_API_KEY when the key is missing
//	}
//	resp, err := m.Generate(ctx, llm.Request{
//		Messages:    []llm.Message{llm.User("Name three moons of Jupiter.")},
//		Temperature: llm.Temp(0),
//	})
//
// The adapter converts at the boundary: messages, tool calls and results,
// tool definitions (JSON Schema decoded to map[string]any), tool choice,
// temperature (an explicit 0 included), output cap, stop sequences and JSON
// mode go in; text, tool calls, a normalized finish reason and the token
// usage found in GenerationInfo come out. langchaingo's providers lay out
// conversations differently; Dialect picks the layout each one reads.
// Stream yields text as the provider streams it (llms.WithStreamingFunc).
//
// Errors are classified into llm's sentinels (ErrRateLimited, ErrAuth,
// ErrContextOverflow, ErrBadRequest, ErrTransient) from langchaingo's typed
// *llms.Error, HTTP statuses and its error mappers; errors nobody could
// classify are returned without a class, so they are not retried. The end
// of the caller's context surfaces as context.Canceled or
// context.DeadlineExceeded.
//
// Limits of langchaingo v0.1.14 that show through: its ollama client has no
// tool calling; its anthropic and googleai clients ignore tool choice; no
// provider takes a response schema, so Request.Schema becomes JSON mode
// plus an instruction in the system prompt; Retry-After headers are lost.
package langchain
