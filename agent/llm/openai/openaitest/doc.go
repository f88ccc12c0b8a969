// Package openaitest is a fake OpenAI server for tests: an httptest server
// speaking the chat.completions wire protocol, streamed (SSE chunks with
// text and tool-call deltas and a usage chunk) and non-streamed (one JSON
// completion), whose replies come from an llm.Model per served model name.
//
// The request's "model" field picks the backing model. The server converts
// the wire request back into an llm.Request (Wire.Request) and hands it to
// that model; since the call's role is not on the wire, Config.Role infers
// it, so that a role-keyed model such as the offline extractive engine can
// answer (ResearchRole recognises the research agent's calls). Every
// request is logged (Server.Requests), and faults can be injected: a 429
// with Retry-After for chosen requests (Config.RateLimit), and any raw reply
// from Config.Handler.
//
//	srv := openaitest.New(t, openaitest.Config{
//		Models: map[string]llm.Model{"research-model": extractive.New(extractive.Options{})},
//		Role:   openaitest.ResearchRole,
//		APIKey: "sk-test",
//	})
//	model, err := openai.New(srv.OpenAIConfig("research-model"))
//	// … run the code under test with model, then inspect srv.Requests().
package openaitest
