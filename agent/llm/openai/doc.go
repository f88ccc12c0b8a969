// Package openai implements llm.Model on the chat-completions API, for
// OpenAI, Azure OpenAI and every OpenAI-compatible server (Ollama, vLLM,
// llama.cpp, OpenRouter…), using github.com/sashabaranov/go-openai.
//
// It converts deepctx's messages, tools, tool choice and structured-output
// schemas to the wire format, streams replies as llm events (text deltas and
// tool-call deltas, parallel calls included), reports usage with cached and
// reasoning tokens, and classifies failures into llm's typed errors: rate
// limits carry the server's Retry-After, an over-long prompt is
// llm.ErrContextOverflow.
//
//	model, err := openai.New(openai.Config{Model: "gpt-4.1"}.WithEnv())
//	if err != nil {
//		return err
//	}
//	resp, err := model.Generate(ctx, llm.Request{
//		Messages:    []llm.Message{llm.User("Name three uses of Go.")},
//		Temperature: llm.Temp(0),
//	})
//
// A local server needs only its base URL:
//
//	model, err := openai.New(openai.Config{Model: "qwen3:8b", BaseURL: "http://localhost:11434/v1"})
//
// Two details differ from go-openai's own behaviour: an explicit temperature
// of 0 is sent (go-openai omits it), and tool arguments that are not valid
// JSON are kept as a JSON string so that messages stay serializable (see
// llm.ToolCall.DecodeArgs, which reports them as *llm.MalformedOutputError).
package openai
