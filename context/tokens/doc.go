// Package tokens counts tokens the way models see them, offline, and knows
// each model's context window and output limit.
//
// Counting is exact for OpenAI models: o200k_base (gpt-4o, gpt-4.1, gpt-5,
// the o-series) and cl100k_base (gpt-4, gpt-3.5-turbo, embeddings), through
// tiktoken-go with the BPE ranks embedded by tiktoken-go-loader. Nothing is
// ever downloaded: importing this package installs the offline loader as
// tiktoken-go's process-wide loader, and each encoder is built once per
// process, on first use. Models without a public tokenizer (Claude, Gemini,
// Llama, Qwen, Mistral, DeepSeek) get a documented approximation that errs
// high, and a Calibrator corrects it with the input tokens providers report.
//
// Message counts follow OpenAI's documented chat formula (3 tokens per
// message plus role, content and name; 3 to prime the reply) and are
// memoized by message ID, so re-counting a growing transcript costs one new
// message per turn. Tool definitions follow OpenAI's documented
// function-counting formula.
//
// The registry (Lookup, Resolve, Models) maps model names in any common
// spelling ("openai:gpt-4.1", "gpt-4.1-2025-04-14", "ollama:qwen3:8b") to
// their window, output limit and tokenizer; unknown models get conservative
// defaults instead of an error.
//
//	tok := tokens.ForModel("openai:gpt-4.1")
//	window := tok.Info().ContextWindow - tok.Info().MaxOutput
//	if n := tok.CountMessages(msgs, tools); n > window {
//		// prune, offload or summarize
//	}
//
//	// With a provider's usage at hand, correct later estimates:
//	cal := tokens.NewCalibrator(tokens.CalibratorConfig{})
//	tok = tokens.New(tokens.Resolve("anthropic:claude-sonnet-4-5", nil), tokens.Options{Calibrator: cal})
//	tok.Observe(msgs, tools, resp.Usage.Input)
//	budgeted := tok.Estimate(msgs, tools)
package tokens
