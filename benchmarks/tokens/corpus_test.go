package tokensbench

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/deepctx/deepctx/agent/llm"
)

// Corpus layout: prose, then code, then JSON, each capped, in a fixed order.
const (
	proseBytes  = 400 << 10
	codeBytes   = 400 << 10
	corpusBytes = 1100 << 10 // JSON fills the rest
	minCorpus   = 1 << 20
)

var (
	corpusOnce sync.Once
	corpus     string
	corpusErr  error
)

// mixedCorpus returns the benchmark text, or skips tb when GOROOT lacks the
// files it is built from.
func mixedCorpus(tb testing.TB) string {
	tb.Helper()
	corpusOnce.Do(func() { corpus, corpusErr = buildCorpus(runtime.GOROOT()) })
	if corpusErr != nil {
		tb.Skipf("benchmark corpus unavailable: %v", corpusErr)
	}
	return corpus
}

// buildCorpus concatenates, in lexical path order, GOROOT/doc's .html and .md
// files (up to proseBytes), GOROOT/src/net/http's .go files (up to codeBytes
// more) and GOROOT/src's .json files (up to corpusBytes in all).
func buildCorpus(root string) (string, error) {
	var b strings.Builder
	appendFiles := func(dir string, exts []string, upTo int) error {
		var paths []string
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && slices.Contains(exts, filepath.Ext(path)) {
				paths = append(paths, path)
			}
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(paths)
		for _, p := range paths {
			if b.Len() >= upTo {
				break
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data[:min(len(data), upTo-b.Len())])
		}
		return nil
	}
	if err := appendFiles("doc", []string{".html", ".md"}, proseBytes); err != nil {
		return "", fmt.Errorf("prose from GOROOT/doc: %w", err)
	}
	prose := b.Len()
	if err := appendFiles(filepath.Join("src", "net", "http"), []string{".go"}, prose+codeBytes); err != nil {
		return "", fmt.Errorf("code from GOROOT/src/net/http: %w", err)
	}
	if err := appendFiles("src", []string{".json"}, corpusBytes); err != nil {
		return "", fmt.Errorf("JSON from GOROOT/src: %w", err)
	}
	if b.Len() < minCorpus {
		return "", fmt.Errorf("only %d bytes of text under %s, want at least %d", b.Len(), root, minCorpus)
	}
	return b.String(), nil
}

// researchTools are the tool definitions of a typical research agent.
var researchTools = []llm.ToolDef{
	{Name: "search", Description: "Search the web and the local corpus.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"query":{"type":"string","description":"What to look for."},"limit":{"type":"integer","description":"How many results, 1-20."}},"required":["query"]}`)},
	{Name: "fetch", Description: "Fetch a URL and return its text.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"url":{"type":"string","description":"An http or https URL."},"format":{"type":"string","enum":["text","markdown","html"]}},"required":["url"]}`)},
	{Name: "read_artifact", Description: "Read part of an offloaded artifact.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"handle":{"type":"string"},"range":{"type":"object","properties":{"start":{"type":"integer"},"end":{"type":"integer"}}}},"required":["handle"]}`)},
	{Name: "think", Description: "Write down reasoning without acting.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"thought":{"type":"string"}},"required":["thought"]}`)},
}

// researchTranscript returns a deterministic deep-research transcript: a
// system prompt, a question, then rounds of an assistant tool call and its
// result, the results cut from the corpus (prose, code and JSON, 2-8 KiB).
func researchTranscript(text string, rounds int) []llm.Message {
	msgs := []llm.Message{
		{ID: "sys", Role: llm.RoleSystem, Parts: []llm.Part{llm.TextPart(
			"You are a meticulous research assistant. Search, read, and cite every claim. " +
				"Prefer primary sources; keep notes; stop when the question is answered.")}},
		{ID: "q", Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart(
			"How do Go's memory model guarantees interact with net/http's server shutdown, and what do the tests cover?")}},
	}
	off := 0
	tools := []string{"search", "fetch", "read_artifact"}
	for i := range rounds {
		size := 2<<10 + (i*1543)%(6<<10)
		if off+size > len(text) {
			off = 0
		}
		for off > 0 && !utf8.RuneStart(text[off]) { // cut on character boundaries
			off++
		}
		for off+size < len(text) && !utf8.RuneStart(text[off+size]) {
			size++
		}
		call := llm.ToolCall{ID: fmt.Sprintf("call_%03d", i), Name: tools[i%len(tools)],
			Args: json.RawMessage(fmt.Sprintf(`{"query":"memory model happens-before round %d","limit":5}`, i))}
		msgs = append(msgs,
			llm.Message{ID: fmt.Sprintf("a%03d", i), Role: llm.RoleAssistant, Parts: []llm.Part{
				llm.TextPart(fmt.Sprintf("Round %d: checking the next source.", i)), llm.ToolCallPart(call)}},
			llm.Message{ID: fmt.Sprintf("t%03d", i), Role: llm.RoleTool, Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{
				CallID: call.ID, Name: call.Name, Content: text[off : off+size]})}},
		)
		off += size
	}
	return msgs
}
