package tokensbench

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/llms"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// Each encoding with the model name langchaingo maps to it
// (tiktoken-go's MODEL_TO_ENCODING).
var encodings = []struct {
	enc   tokens.Encoding
	model string
}{
	{tokens.O200kBase, "gpt-4o"},
	{tokens.CL100kBase, "gpt-4"},
}

// BenchmarkCountMixed1MiB counts the 1.1 MiB prose+code+JSON corpus with
// deepctx (the process-wide encoder; parallel above 128 KiB) and with
// langchaingo's llms.CountTokens (which builds a tiktoken encoder on every
// call), each with all CPUs and with GOMAXPROCS=1 (one CPU for counting and
// garbage collection alike). The tokens/op metric shows both count the same.
func BenchmarkCountMixed1MiB(b *testing.B) {
	text := mixedCorpus(b)
	for _, e := range encodings {
		enc, err := tokens.EncoderFor(e.enc)
		require.NoError(b, err)
		run := func(name string, procs int, count func() int) {
			b.Run(string(e.enc)+"/"+name, func(b *testing.B) {
				if procs > 0 {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				}
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					n = count()
				}
				b.ReportMetric(float64(n), "tokens/op")
			})
		}
		run("deepctx", 0, func() int { return enc.Count(text) })
		run("deepctx-1thread", 1, func() int { return enc.Count(text) })
		run("langchaingo", 0, func() int { return llms.CountTokens(e.model, text) })
		run("langchaingo-1thread", 1, func() int { return llms.CountTokens(e.model, text) })
	}
}

// BenchmarkCountText4KiB counts a message-sized text (4 KiB of the corpus's
// prose): the common case in an agent, where langchaingo's per-call encoder
// construction dominates.
func BenchmarkCountText4KiB(b *testing.B) {
	text := mixedCorpus(b)[64<<10 : 68<<10]
	tok := tokens.ForModel("gpt-4o")
	for name, count := range map[string]func() int{
		"deepctx":     func() int { return tok.Count(text) },
		"langchaingo": func() int { return llms.CountTokens("gpt-4o", text) },
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = count()
			}
			b.ReportMetric(float64(n), "tokens/op")
		})
	}
}

// BenchmarkCountMessages counts a 50-round research transcript (102 messages,
// about 220 KiB, 4 tools) for gpt-4.1: cold (an empty memo every time),
// memoized (every message cached), and next-turn (cached transcript plus one
// new 4 KiB tool result, the per-turn cost in an agent loop).
func BenchmarkCountMessages(b *testing.B) {
	text := mixedCorpus(b)
	msgs := researchTranscript(text, 50)
	size := 0
	for _, m := range msgs {
		size += len(m.Text())
		for _, r := range m.ToolResults() {
			size += len(r.Content)
		}
	}
	info, _ := tokens.Lookup("gpt-4.1")

	b.Run("cold", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n = tokens.New(info, tokens.Options{Memo: tokens.NewMemo(0)}).CountMessages(msgs, researchTools)
		}
		b.ReportMetric(float64(n), "tokens/op")
	})
	b.Run("memoized", func(b *testing.B) {
		tok := tokens.New(info, tokens.Options{Memo: tokens.NewMemo(0)})
		tok.CountMessages(msgs, researchTools)
		b.SetBytes(int64(size))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n = tok.CountMessages(msgs, researchTools)
		}
		b.ReportMetric(float64(n), "tokens/op")
	})
	b.Run("next-turn", func(b *testing.B) {
		tok := tokens.New(info, tokens.Options{Memo: tokens.NewMemo(0)})
		tok.CountMessages(msgs, researchTools)
		next := append(msgs[:len(msgs):len(msgs)], llm.Message{})
		result := text[200<<10 : 204<<10]
		b.SetBytes(int64(len(result)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			next[len(next)-1] = llm.Message{ID: fmt.Sprintf("new%d", i), Role: llm.RoleTool,
				Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{CallID: "c", Name: "fetch", Content: result})}}
			tok.CountMessages(next, researchTools)
		}
	})
}

// TestCorpus checks what the benchmarks rely on: a corpus of at least 1 MiB,
// and the same counts from deepctx and langchaingo (on a prefix, to stay
// fast; the benchmarks' tokens/op metric covers the whole corpus).
func TestCorpus(t *testing.T) {
	text := mixedCorpus(t)
	assert.GreaterOrEqual(t, len(text), 1<<20)
	again, err := buildCorpus(runtime.GOROOT())
	require.NoError(t, err)
	assert.Equal(t, text, again, "the corpus is deterministic")

	prefix := text[:48<<10] + text[450<<10:466<<10] + text[len(text)-16<<10:] // prose, code, JSON
	for _, e := range encodings {
		enc, err := tokens.EncoderFor(e.enc)
		require.NoError(t, err)
		assert.Equal(t, llms.CountTokens(e.model, prefix), enc.Count(prefix), e.enc)
	}
	msgs := researchTranscript(text, 50)
	assert.Len(t, msgs, 102)
}

const offlineChildEnv = "DEEPCTX_TOKENSBENCH_OFFLINE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(offlineChildEnv) == "1" {
		os.Exit(langchaingoOfflineChild())
	}
	os.Exit(m.Run())
}

// langchaingoOfflineChild calls llms.CountTokens first thing in a fresh
// process with every HTTP request failing. langchaingo builds its encoder
// through tiktoken-go's global BPE loader; importing context/tokens must have
// made that loader the offline one. On a download failure CountTokens would
// fall back to len/4 (4 here), not the exact 6.
func langchaingoOfflineChild() int {
	var requests atomic.Int32
	deny := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		requests.Add(1)
		fmt.Fprintf(os.Stderr, "unexpected network request: %s\n", r.URL)
		return nil, errors.New("network disabled by test")
	})
	http.DefaultTransport = deny
	http.DefaultClient.Transport = deny
	for _, e := range encodings {
		if n := llms.CountTokens(e.model, "tiktoken is great!"); n != 6 {
			fmt.Fprintf(os.Stderr, "llms.CountTokens(%q) = %d, want 6\n", e.model, n)
			return 1
		}
	}
	if n := requests.Load(); n != 0 {
		fmt.Fprintf(os.Stderr, "%d network requests\n", n)
		return 1
	}
	fmt.Println("langchaingo offline: ok")
	return 0
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLangchaingoCountsOfflineOnceContextTokensIsImported(t *testing.T) {
	cache := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), offlineChildEnv+"=1",
		"TIKTOKEN_CACHE_DIR="+cache, "DATA_GYM_CACHE_DIR="+cache,
		"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "NO_PROXY=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child output:\n%s", out)
	assert.Contains(t, string(out), "langchaingo offline: ok")
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	assert.Empty(t, entries)
}
