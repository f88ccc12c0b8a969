package tokens

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/deepctx/deepctx/agent/llm"
)

// ModelInfo is what deepctx knows about a model: its limits and how to count
// its tokens.
type ModelInfo struct {
	// Name is the canonical model name ("gpt-4.1", "claude-sonnet-4-5").
	// For an unknown model it is the normalized name that was looked up.
	Name string
	// Provider is the vendor that publishes the model ("openai",
	// "anthropic", "google", "meta", "alibaba", "mistral", "deepseek"), not
	// the server that runs it. Empty for unknown models.
	Provider string
	// ContextWindow is the most tokens one request may hold, input and
	// output together, as the vendor documents it. Where a vendor gives
	// several figures (beta headers, YaRN scaling, serving defaults) it is
	// the smaller, generally available one; Notes names the others.
	ContextWindow int
	// MaxOutput is the most tokens one reply may contain (reasoning
	// included) as the vendor documents it. Open-weight models have no
	// fixed cap; for them it is a conventional generation limit.
	MaxOutput int
	// Encoding is the tokenizer deepctx counts with: the model's own for
	// exact models, the base of the approximation otherwise.
	Encoding Encoding
	// Exact reports whether Encoding is the model's own tokenizer, so counts
	// match the provider's up to message-formatting approximations.
	Exact bool
	// Factor multiplies Encoding's count to approximate a model whose
	// tokenizer is not public. It is 1 for exact models and deliberately a
	// little high for the others: overestimating costs a little context,
	// underestimating overflows the window.
	Factor float64
	// SplitDigits marks tokenizers that encode every digit as its own token
	// (SentencePiece models, Qwen). Encoding groups up to three digits per
	// token, so the difference is added back digit run by digit run.
	SplitDigits bool
	// ToolPromptTokens is what the provider adds to the prompt whenever a
	// request carries tools (Anthropic documents a tool-use system prompt);
	// 0 when the tool-schema approximation already covers it.
	ToolPromptTokens int
	// Notes says where the figures come from and what they leave out.
	Notes string
}

// Defaults for models the registry does not know.
const (
	// DefaultContextWindow is the window assumed for an unknown model: small
	// enough for almost any chat model still in use.
	DefaultContextWindow = 8192
	// DefaultMaxOutput is the output limit assumed for an unknown model.
	DefaultMaxOutput = 4096
)

// Per-family approximations for models whose tokenizer is not public or not
// shipped here. Each is the count of a shipped encoding times a factor (plus,
// for tokenizers that split numbers into single digits, one token per digit
// beyond what the encoding's 3-digit groups count). Provider-reported usage
// corrects the remaining error at run time (see Calibrator).
var (
	// Claude 3 and 4: Anthropic publishes no tokenizer (exact counts come
	// from its count_tokens endpoint). Independent comparisons of Claude
	// 3.5 Sonnet with GPT-4o on identical inputs measured 16% more tokens
	// for English prose, 21% for math and 30% for Python code; Anthropic's
	// own rule of thumb is about 3.5 characters per token. The factor takes
	// the top of that range.
	approxClaude = approx{enc: O200kBase, factor: 1.30,
		note: "approximate: o200k_base x 1.30 (Claude's tokenizer is not public; measured +16% prose, +21% math, +30% code vs GPT-4o); exact counts via Anthropic's count_tokens endpoint"}
	// Gemini: Google documents about 4 characters per token and a
	// SentencePiece vocabulary of 256k, which Gemma shares ("a subset of
	// the SentencePiece tokenizer of Gemini", Gemma report) and which splits
	// digits. Close to o200k_base on prose; 10% margin for code.
	approxGemini = approx{enc: O200kBase, factor: 1.10, splitDigits: true,
		note: "approximate: o200k_base x 1.10 + split digits (Gemini's 256k SentencePiece vocabulary is not public; ~4 chars/token per Google); exact counts via the countTokens API"}
	// Llama 3.x: Meta's tokenizer is tiktoken's cl100k_base ranks plus 28k
	// extra tokens, with the same pre-tokenizer pattern (llama3
	// tokenizer.py), so cl100k_base counts are an upper bound.
	approxLlama3 = approx{enc: CL100kBase, factor: 1.0,
		note: "approximate: cl100k_base (Llama 3 = cl100k_base ranks + 28k tokens, same pre-tokenizer; an upper bound)"}
	// Llama 4: a new 202k-token BPE vocabulary, not shipped here; o200k_base
	// with a 10% margin.
	approxLlama4 = approx{enc: O200kBase, factor: 1.10,
		note: "approximate: o200k_base x 1.10 (Llama 4's 202k BPE vocabulary is not shipped)"}
	// Qwen 2.5 and 3: byte-level BPE derived from cl100k_base (151,643
	// tokens) whose pre-tokenizer splits numbers into single digits (Qwen
	// tokenization note); 5% margin for the vocabulary differences.
	approxQwen = approx{enc: CL100kBase, factor: 1.05, splitDigits: true,
		note: "approximate: cl100k_base x 1.05 + split digits (Qwen's BPE derives from cl100k_base and splits numbers into digits)"}
	// Mistral 7B and Mixtral: a 32k SentencePiece vocabulary with split
	// digits, the Llama 2 design; Meta reports Llama 3's tokenizer yields up
	// to 15% fewer tokens than Llama 2's, so cl100k_base plus 20%.
	approxMistralSP = approx{enc: CL100kBase, factor: 1.20, splitDigits: true,
		note: "approximate: cl100k_base x 1.20 + split digits (32k SentencePiece vocabulary; Llama 3's tokenizer needs up to 15% fewer tokens than this Llama 2-style one)"}
	// Mistral Large 2: the tiktoken-based "Tekken" vocabulary (131k), not
	// shipped here; o200k_base with a 10% margin.
	approxMistralTekken = approx{enc: O200kBase, factor: 1.10,
		note: "approximate: o200k_base x 1.10 (Mistral's 131k Tekken vocabulary is not shipped)"}
	// DeepSeek V3 and R1: a 128k byte-level BPE; DeepSeek's API docs
	// estimate 0.3 tokens per English character, against about 0.23-0.25
	// for o200k_base on English prose, hence 25% more.
	approxDeepSeek = approx{enc: O200kBase, factor: 1.25,
		note: "approximate: o200k_base x 1.25 (DeepSeek's 128k BPE is not shipped; DeepSeek documents ~0.3 tokens per English character)"}
	// Unknown models: the most pessimistic family.
	approxUnknown = approx{enc: O200kBase, factor: 1.30, splitDigits: true,
		note: "unknown model: conservative defaults (8192-token window, 4096-token output, o200k_base x 1.30 + split digits)"}
)

type approx struct {
	enc         Encoding
	factor      float64
	splitDigits bool
	note        string
}

// entry is one registry row: a model and the other names it goes by.
type entry struct {
	info    ModelInfo
	aliases []string
}

func openai(name string, window, output int, enc Encoding, note string, aliases ...string) entry {
	n := "exact: " + string(enc) + "; OpenAI model docs"
	if note != "" {
		n += "; " + note
	}
	return entry{info: ModelInfo{Name: name, Provider: "openai", ContextWindow: window, MaxOutput: output,
		Encoding: enc, Exact: true, Factor: 1, Notes: n}, aliases: aliases}
}

func approxModel(provider, name string, window, output int, a approx, toolPrompt int, note string, aliases ...string) entry {
	n := a.note
	if note != "" {
		n += "; " + note
	}
	return entry{info: ModelInfo{Name: name, Provider: provider, ContextWindow: window, MaxOutput: output,
		Encoding: a.enc, Exact: false, Factor: a.factor, SplitDigits: a.splitDigits,
		ToolPromptTokens: toolPrompt, Notes: n}, aliases: aliases}
}

// Anthropic documents the tool-use system prompt it adds when tools are
// present: 346 tokens for Claude 4.x and 3.7 Sonnet (tool_choice auto or
// none; 313 for any/tool), 340 for Claude 3.5 Haiku (any/tool; 264 for auto).
// The larger figure is used.
const (
	claudeToolPrompt   = 346
	claude35ToolPrompt = 340
)

const m1 = 1_048_576

var registry = []entry{
	// OpenAI: exact.
	openai("gpt-5", 400_000, 128_000, O200kBase, "includes gpt-5-codex"),
	openai("gpt-5-mini", 400_000, 128_000, O200kBase, ""),
	openai("gpt-5-nano", 400_000, 128_000, O200kBase, ""),
	openai("gpt-5-chat", 128_000, 16_384, O200kBase, "the ChatGPT snapshot (gpt-5-chat-latest)"),
	openai("gpt-4.1", 1_047_576, 32_768, O200kBase, ""),
	openai("gpt-4.1-mini", 1_047_576, 32_768, O200kBase, ""),
	openai("gpt-4.1-nano", 1_047_576, 32_768, O200kBase, ""),
	openai("gpt-4o", 128_000, 16_384, O200kBase, "snapshot gpt-4o-2024-05-13 caps output at 4,096", "chatgpt-4o"),
	openai("gpt-4o-mini", 128_000, 16_384, O200kBase, ""),
	openai("o3", 200_000, 100_000, O200kBase, "includes o3-pro and o3-deep-research"),
	openai("o3-mini", 200_000, 100_000, O200kBase, ""),
	openai("o4-mini", 200_000, 100_000, O200kBase, ""),
	openai("o1", 200_000, 100_000, O200kBase, ""),
	openai("o1-mini", 128_000, 65_536, O200kBase, ""),
	openai("o1-preview", 128_000, 32_768, O200kBase, ""),
	openai("gpt-4-turbo", 128_000, 4_096, CL100kBase, "",
		"gpt-4-turbo-preview", "gpt-4-1106-preview", "gpt-4-0125-preview", "gpt-4-vision-preview"),
	openai("gpt-4", 8_192, 8_192, CL100kBase, "output shares the 8,192-token window"),
	openai("gpt-4-32k", 32_768, 32_768, CL100kBase, "output shares the window"),
	openai("gpt-3.5-turbo", 16_385, 4_096, CL100kBase, ""),
	openai("gpt-3.5-turbo-instruct", 4_096, 4_096, CL100kBase, "completions API; output shares the window"),
	openai("text-embedding-3-small", 8_191, 0, CL100kBase, "embedding model: input only"),
	openai("text-embedding-3-large", 8_191, 0, CL100kBase, "embedding model: input only"),
	openai("text-embedding-ada-002", 8_191, 0, CL100kBase, "embedding model: input only"),

	// Anthropic.
	approxModel("anthropic", "claude-opus-4-1", 200_000, 32_000, approxClaude, claudeToolPrompt, "", "claude-opus-4.1"),
	approxModel("anthropic", "claude-opus-4", 200_000, 32_000, approxClaude, claudeToolPrompt, ""),
	approxModel("anthropic", "claude-sonnet-4-5", 200_000, 64_000, approxClaude, claudeToolPrompt,
		"1M-token window in beta (context-1m header)", "claude-sonnet-4.5"),
	approxModel("anthropic", "claude-sonnet-4", 200_000, 64_000, approxClaude, claudeToolPrompt,
		"1M-token window in beta (context-1m header)"),
	approxModel("anthropic", "claude-haiku-4-5", 200_000, 64_000, approxClaude, claudeToolPrompt, "", "claude-haiku-4.5"),
	approxModel("anthropic", "claude-3-7-sonnet", 200_000, 64_000, approxClaude, claudeToolPrompt,
		"128k output with the output-128k beta header", "claude-3.7-sonnet"),
	approxModel("anthropic", "claude-3-5-sonnet", 200_000, 8_192, approxClaude, claudeToolPrompt, "", "claude-3.5-sonnet"),
	approxModel("anthropic", "claude-3-5-haiku", 200_000, 8_192, approxClaude, claude35ToolPrompt, "", "claude-3.5-haiku"),

	// Google.
	approxModel("google", "gemini-2.5-pro", m1, 65_536, approxGemini, 0, ""),
	approxModel("google", "gemini-2.5-flash", m1, 65_536, approxGemini, 0, ""),
	approxModel("google", "gemini-2.5-flash-lite", m1, 65_536, approxGemini, 0, ""),
	approxModel("google", "gemini-2.0-flash", m1, 8_192, approxGemini, 0, ""),
	approxModel("google", "gemini-2.0-flash-lite", m1, 8_192, approxGemini, 0, ""),

	// Meta.
	approxModel("meta", "llama3", 8_192, 4_096, approxLlama3, 0, "Llama 3 (not 3.1): 8k window",
		"llama-3", "meta-llama-3"),
	approxModel("meta", "llama3.1", 131_072, 8_192, approxLlama3, 0, "servers often configure less (Ollama's num_ctx)",
		"llama-3.1", "meta-llama-3.1"),
	approxModel("meta", "llama3.2", 131_072, 8_192, approxLlama3, 0, "servers often configure less (Ollama's num_ctx)",
		"llama-3.2", "meta-llama-3.2"),
	approxModel("meta", "llama3.3", 131_072, 8_192, approxLlama3, 0, "servers often configure less (Ollama's num_ctx)",
		"llama-3.3", "meta-llama-3.3"),
	approxModel("meta", "llama4", m1, 8_192, approxLlama4, 0,
		"Maverick's 1M window; Scout supports 10M; servers often configure far less", "llama-4"),

	// Alibaba.
	approxModel("alibaba", "qwen3", 32_768, 8_192, approxQwen, 0,
		"native window of the Qwen3 dense and MoE models; 131,072 with YaRN (8B and larger), 262,144 for the 2507 releases",
		"qwen-3"),
	approxModel("alibaba", "qwen2.5", 32_768, 8_192, approxQwen, 0,
		"native window; 131,072 with YaRN (7B and larger)", "qwen-2.5"),

	// Mistral.
	approxModel("mistral", "mistral", 32_768, 8_192, approxMistralSP, 0, "Mistral 7B v0.2/v0.3", "mistral-7b"),
	approxModel("mistral", "mistral-large", 131_072, 8_192, approxMistralTekken, 0, "Mistral Large 2"),
	approxModel("mistral", "mixtral", 32_768, 8_192, approxMistralSP, 0, "Mixtral 8x7B; 8x22B has 65,536"),

	// DeepSeek.
	approxModel("deepseek", "deepseek-v3", 128_000, 8_192, approxDeepSeek, 0, "", "deepseek-v3.1", "deepseek-v3.2"),
	approxModel("deepseek", "deepseek-r1", 128_000, 32_768, approxDeepSeek, 0,
		"Ollama's deepseek-r1 tags are distills on Qwen/Llama; their tokenizers differ"),
	approxModel("deepseek", "deepseek-chat", 128_000, 8_192, approxDeepSeek, 0, "DeepSeek API name for the current V3 model"),
	approxModel("deepseek", "deepseek-reasoner", 128_000, 65_536, approxDeepSeek, 0, "DeepSeek API name for the current thinking model"),
}

// index maps every normalized name and alias to its registry row.
var index = func() map[string]int {
	idx := make(map[string]int, 2*len(registry))
	for i, e := range registry {
		idx[e.info.Name] = i
		for _, a := range e.aliases {
			idx[a] = i
		}
	}
	return idx
}()

// servingPrefixes are spec prefixes naming where a model runs rather than
// what it is; Lookup drops them.
var servingPrefixes = append(slices.Clone(llm.Providers), "bedrock", "vertex", "vertexai", "groq", "together", "fireworks")

// Lookup returns what the registry knows about model, and whether it knows
// the model at all. It accepts spec strings and provider variants:
// "openai:gpt-4.1", "gpt-4.1-2025-04-14", "ollama:qwen3:8b",
// "anthropic:claude-sonnet-4-5-20250929", "meta-llama/Llama-3.1-8B-Instruct",
// "us.anthropic.claude-3-7-sonnet-20250219-v1:0". Names are matched
// case-insensitively on the longest registered prefix that ends at a
// non-alphanumeric character (so "gpt-4o" never matches "gpt-4").
//
// For an unknown model it returns false and conservative defaults: an
// 8192-token window, 4096-token output and an o200k_base-based
// approximation that overestimates. See Resolve for a logging variant.
func Lookup(model string) (ModelInfo, bool) {
	name := normalize(model)
	if i, ok := match(name); ok {
		return registry[i].info, true
	}
	return unknownModel(name), false
}

// Resolve is Lookup for callers that must go on with some answer: unknown
// models get Lookup's conservative defaults, and a warning is logged to
// logger (slog.Default() when nil) the first time each unknown name is seen
// in the process.
func Resolve(model string, logger *slog.Logger) ModelInfo {
	info, known := Lookup(model)
	if !known {
		if _, seen := warnedUnknown.LoadOrStore(info.Name, true); !seen {
			if logger == nil {
				logger = slog.Default()
			}
			logger.Warn("tokens: unknown model, using conservative defaults",
				"model", model, "context_window", info.ContextWindow, "max_output", info.MaxOutput,
				"encoding", info.Encoding, "factor", info.Factor)
		}
	}
	return info
}

var warnedUnknown sync.Map

// Models returns every registered model, sorted by provider and then name,
// for a table.
func Models() []ModelInfo {
	out := make([]ModelInfo, len(registry))
	for i, e := range registry {
		out[i] = e.info
	}
	slices.SortFunc(out, func(a, b ModelInfo) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func unknownModel(name string) ModelInfo {
	a := approxUnknown
	return ModelInfo{Name: name, ContextWindow: DefaultContextWindow, MaxOutput: DefaultMaxOutput,
		Encoding: a.enc, Factor: a.factor, SplitDigits: a.splitDigits, Notes: a.note}
}

// normalize lowercases a model name or spec and drops a serving-provider
// prefix ("ollama:") and any path ("meta-llama/").
func normalize(model string) string {
	s := strings.ToLower(strings.TrimSpace(model))
	if p, rest, ok := strings.Cut(s, ":"); ok && slices.Contains(servingPrefixes, p) {
		s = rest
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// match finds the registry row for a normalized name: the longest key that
// is a prefix of name ending at a non-alphanumeric character. Failing that it
// drops leading dot-separated words ("us.anthropic.claude-…", Bedrock's
// naming) and tries again.
func match(name string) (int, bool) {
	for {
		for end := len(name); end > 0; end-- {
			if end < len(name) && isAlnum(name[end]) {
				continue
			}
			if i, ok := index[name[:end]]; ok {
				return i, true
			}
		}
		word, rest, ok := strings.Cut(name, ".")
		if !ok || word == "" || strings.ContainsFunc(word, func(r rune) bool { return r != '-' && (r < 'a' || r > 'z') }) {
			return 0, false
		}
		name = rest
	}
}

func isAlnum(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' }
