package tokens

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func TestLookupResolvesSpellingsAndVariants(t *testing.T) {
	tests := []struct{ in, want string }{
		{"openai:gpt-4.1", "gpt-4.1"},
		{"gpt-4.1-2025-04-14", "gpt-4.1"},
		{"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"GPT-4o", "gpt-4o"},
		{"  gpt-4o-2024-08-06 ", "gpt-4o"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"chatgpt-4o-latest", "gpt-4o"},
		{"gpt-5", "gpt-5"},
		{"azure:gpt-5-mini", "gpt-5-mini"},
		{"gpt-5-nano-2025-08-07", "gpt-5-nano"},
		{"gpt-5-chat-latest", "gpt-5-chat"},
		{"openrouter:openai/gpt-5", "gpt-5"},
		{"o3", "o3"},
		{"o3-pro", "o3"},
		{"o3-mini-2025-01-31", "o3-mini"},
		{"o4-mini", "o4-mini"},
		{"o1-2024-12-17", "o1"},
		{"o1-mini", "o1-mini"},
		{"gpt-4-turbo-2024-04-09", "gpt-4-turbo"},
		{"gpt-4-1106-preview", "gpt-4-turbo"},
		{"gpt-4-0613", "gpt-4"},
		{"gpt-4-32k-0613", "gpt-4-32k"},
		{"gpt-3.5-turbo-0125", "gpt-3.5-turbo"},
		{"text-embedding-3-small", "text-embedding-3-small"},
		{"anthropic:claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"claude-sonnet-4-20250514", "claude-sonnet-4"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1"},
		{"claude-opus-4-20250514", "claude-opus-4"},
		{"claude-haiku-4-5", "claude-haiku-4-5"},
		{"claude-3-7-sonnet-latest", "claude-3-7-sonnet"},
		{"claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"openrouter:anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"},
		{"anthropic/claude-3.7-sonnet", "claude-3-7-sonnet"},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"},
		{"bedrock:anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"},
		{"google:gemini-2.5-pro", "gemini-2.5-pro"},
		{"models/gemini-2.5-flash", "gemini-2.5-flash"},
		{"gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite"},
		{"gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"ollama:llama3.1:8b", "llama3.1"},
		{"llama3.2:3b-instruct-q4_K_M", "llama3.2"},
		{"meta-llama/Llama-3.3-70B-Instruct", "llama3.3"},
		{"groq:llama-3.1-8b-instant", "llama3.1"},
		{"llama3:8b", "llama3"},
		{"ollama:llama4:scout", "llama4"},
		{"llama-4-maverick-17b-128e-instruct", "llama4"},
		{"ollama:qwen3:8b", "qwen3"},
		{"qwen3-coder:30b", "qwen3"},
		{"Qwen/Qwen2.5-7B-Instruct", "qwen2.5"},
		{"qwen2.5-coder:32b", "qwen2.5"},
		{"mistral:7b", "mistral"},
		{"mistral-large-latest", "mistral-large"},
		{"mixtral:8x7b", "mixtral"},
		{"ollama:deepseek-r1:14b", "deepseek-r1"},
		{"deepseek-ai/DeepSeek-V3", "deepseek-v3"},
		{"deepseek-chat", "deepseek-chat"},
		{"deepseek-reasoner", "deepseek-reasoner"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			info, known := Lookup(tt.in)
			assert.True(t, known)
			assert.Equal(t, tt.want, info.Name)
		})
	}
}

func TestLookupFigures(t *testing.T) {
	tests := []struct {
		model          string
		window, output int
		enc            Encoding
		exact          bool
		provider       string
	}{
		{"gpt-4.1", 1_047_576, 32_768, O200kBase, true, "openai"},
		{"gpt-5", 400_000, 128_000, O200kBase, true, "openai"},
		{"gpt-4o", 128_000, 16_384, O200kBase, true, "openai"},
		{"o3", 200_000, 100_000, O200kBase, true, "openai"},
		{"gpt-4", 8_192, 8_192, CL100kBase, true, "openai"},
		{"gpt-3.5-turbo", 16_385, 4_096, CL100kBase, true, "openai"},
		{"claude-sonnet-4-5", 200_000, 64_000, O200kBase, false, "anthropic"},
		{"claude-opus-4-1", 200_000, 32_000, O200kBase, false, "anthropic"},
		{"gemini-2.5-pro", 1_048_576, 65_536, O200kBase, false, "google"},
		{"llama3.1", 131_072, 8_192, CL100kBase, false, "meta"},
		{"qwen3", 32_768, 8_192, CL100kBase, false, "alibaba"},
	}
	for _, tt := range tests {
		info, known := Lookup(tt.model)
		require.True(t, known, tt.model)
		assert.Equal(t, tt.window, info.ContextWindow, tt.model)
		assert.Equal(t, tt.output, info.MaxOutput, tt.model)
		assert.Equal(t, tt.enc, info.Encoding, tt.model)
		assert.Equal(t, tt.exact, info.Exact, tt.model)
		assert.Equal(t, tt.provider, info.Provider, tt.model)
	}
}

func TestLookupUnknownModelsGetConservativeDefaults(t *testing.T) {
	for _, in := range []string{"my-finetune", "gpt-4ox", "gpt", "ollama:phi3:mini", "", "vllm:", "claude"} {
		t.Run(in, func(t *testing.T) {
			info, known := Lookup(in)
			assert.False(t, known)
			assert.Equal(t, normalize(in), info.Name)
			assert.Equal(t, DefaultContextWindow, info.ContextWindow)
			assert.Equal(t, DefaultMaxOutput, info.MaxOutput)
			assert.False(t, info.Exact)
			assert.Equal(t, O200kBase, info.Encoding)
			assert.GreaterOrEqual(t, info.Factor, 1.3)
			assert.NotEmpty(t, info.Notes)
		})
	}
}

type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func TestResolveWarnsOncePerUnknownModel(t *testing.T) {
	h := &recordingHandler{}
	logger := slog.New(h)
	unknown := "mystery-" + llm.NewID() // fresh per run: warnings are per process

	for range 3 {
		info := Resolve("ollama:"+unknown, logger)
		assert.Equal(t, DefaultContextWindow, info.ContextWindow)
	}
	info := Resolve("gpt-4.1", logger)
	assert.Equal(t, "gpt-4.1", info.Name)

	require.Len(t, h.records, 1, "one warning for the unknown model, none for the known one")
	r := h.records[0]
	assert.Equal(t, slog.LevelWarn, r.Level)
	assert.Contains(t, r.Message, "unknown model")
	var model string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "model" {
			model = a.Value.String()
		}
		return true
	})
	assert.Equal(t, "ollama:"+unknown, model)
}

var requiredModels = []string{
	"gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini",
	"o3", "o3-mini", "o4-mini", "o1", "gpt-4-turbo", "gpt-4", "gpt-3.5-turbo",
	"claude-opus-4-1", "claude-opus-4", "claude-sonnet-4-5", "claude-sonnet-4", "claude-haiku-4-5",
	"claude-3-7-sonnet", "claude-3-5-haiku",
	"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash",
	"llama3.1", "llama3.2", "llama3.3", "llama4", "qwen3", "qwen2.5", "mistral", "mistral-large", "mixtral",
	"deepseek-v3", "deepseek-r1", "deepseek-chat",
}

func TestModelsTable(t *testing.T) {
	models := Models()
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	for _, want := range requiredModels {
		assert.Contains(t, names, want)
	}
	assert.True(t, slices.IsSortedFunc(models, func(a, b ModelInfo) int {
		if c := strings.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	}), "sorted by provider, then name")

	seen := map[string]bool{}
	for _, m := range models {
		assert.False(t, seen[m.Name], "duplicate %s", m.Name)
		seen[m.Name] = true
		assert.Positive(t, m.ContextWindow, m.Name)
		assert.GreaterOrEqual(t, m.MaxOutput, 0, m.Name)
		assert.LessOrEqual(t, m.MaxOutput, m.ContextWindow, m.Name)
		assert.Contains(t, Encodings, m.Encoding, m.Name)
		assert.GreaterOrEqual(t, m.Factor, 1.0, "approximations must not undercount: %s", m.Name)
		assert.Equal(t, m.Provider == "openai", m.Exact, m.Name)
		if m.Exact {
			assert.Equal(t, 1.0, m.Factor, m.Name)
			assert.False(t, m.SplitDigits, m.Name)
		}
		assert.NotEmpty(t, m.Notes, m.Name)
		back, known := Lookup(m.Name)
		assert.True(t, known, m.Name)
		assert.Equal(t, m, back, "Lookup(Name) round-trips")
	}
	// Callers get copies.
	models[0].ContextWindow = -1
	assert.Positive(t, Models()[0].ContextWindow)
}

func TestRegistryAliasesResolveToTheirModel(t *testing.T) {
	for _, e := range registry {
		for _, a := range e.aliases {
			info, known := Lookup(a)
			assert.True(t, known, a)
			assert.Equal(t, e.info.Name, info.Name, a)
		}
	}
}
