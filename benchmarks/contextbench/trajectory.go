// Package contextbench measures context strategies on seeded synthetic
// research trajectories: what each strategy sends the model at every step,
// what that costs with a prompt cache, whether it stays inside the window,
// and whether facts planted early are still recoverable when a later step
// needs them.
package contextbench

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// Fact is a planted fact: a sentence put into one tool result that a later
// step needs.
type Fact struct {
	// ID names the fact ("F07").
	ID string
	// Text is the sentence, unique in the trajectory.
	Text string
	// PlantedAt and NeededAt are step numbers (0-based), PlantedAt < NeededAt.
	PlantedAt, NeededAt int
}

// Step is one tool call of the trajectory: the assistant's call and the
// tool's result.
type Step struct {
	Call   llm.Message
	Result llm.Message
}

// Trajectory is a seeded synthetic research run.
type Trajectory struct {
	Seed  uint64
	Task  []llm.Message // system prompt and the user's question
	Steps []Step
	Facts []Fact
}

// Sizes of the generated tool results, in bytes (about 4 bytes a token).
const (
	searchMinBytes = 2_000   // ~500 tokens of hits
	searchMaxBytes = 6_000   // ~1.5k tokens
	pageMinBytes   = 8_000   // ~2k tokens
	pageMaxBytes   = 120_000 // ~30k tokens
)

// Generate builds a trajectory of n tool calls from seed. Tool results are
// search hits, fetched pages and errors cut from corpus, a body of real
// text; one fact is planted every 10 steps and needed 5 to 60 steps later.
func Generate(seed uint64, n int, corpus string) Trajectory {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tr := Trajectory{Seed: seed, Task: []llm.Message{
		withID(llm.System("You are a research agent. Use the tools, cite sources, and answer precisely."), "sys"),
		withID(llm.User("Write a report on the design of the Go HTTP stack and its memory model guarantees."), "task"),
	}}
	for i := range n {
		if i%10 == 3 && i+5 < n {
			f := Fact{ID: fmt.Sprintf("F%02d", len(tr.Facts)), PlantedAt: i, NeededAt: min(n-1, i+5+rng.IntN(56))}
			f.Text = fmt.Sprintf("Planted fact %s: the calibration constant of probe %d is %d.", f.ID, rng.IntN(9000)+1000, rng.IntN(900_000)+100_000)
			tr.Facts = append(tr.Facts, f)
		}
		tr.Steps = append(tr.Steps, genStep(rng, i, corpus, tr.factsAt(i)))
	}
	return tr
}

func (tr Trajectory) factsAt(step int) []Fact {
	var out []Fact
	for _, f := range tr.Facts {
		if f.PlantedAt == step {
			out = append(out, f)
		}
	}
	return out
}

func genStep(rng *rand.Rand, i int, corpus string, facts []Fact) Step {
	callID := fmt.Sprintf("call_%03d", i)
	var name, args, content string
	switch r := rng.IntN(20); {
	case r == 0:
		name, args = "fetch", fmt.Sprintf(`{"url":"https://example.org/page/%d"}`, i)
		content = fmt.Sprintf("error: GET https://example.org/page/%d: 503 Service Unavailable", i)
	case r < 9:
		name, args = "search", fmt.Sprintf(`{"query":"go http design part %d"}`, i)
		content = searchHits(rng, corpus)
	default:
		name, args = "fetch", fmt.Sprintf(`{"url":"https://example.org/doc/%d"}`, i)
		content = excerpt(rng, corpus, pageMinBytes+rng.IntN(pageMaxBytes-pageMinBytes))
	}
	for _, f := range facts {
		content = insertSentence(rng, content, f.Text)
	}
	call := withID(llm.Assistant("", llm.ToolCall{ID: callID, Name: name, Args: json.RawMessage(args)}), fmt.Sprintf("a%03d", i))
	result := withID(llm.Tool(llm.ToolResult{CallID: callID, Name: name, Content: content}), fmt.Sprintf("r%03d", i))
	return Step{Call: call, Result: result}
}

func searchHits(rng *rand.Rand, corpus string) string {
	var b strings.Builder
	size := searchMinBytes + rng.IntN(searchMaxBytes-searchMinBytes)
	for k := 1; b.Len() < size; k++ {
		fmt.Fprintf(&b, "[%d] https://example.org/doc/%d\n%s\n\n", k, rng.IntN(100_000), excerpt(rng, corpus, 400))
	}
	return b.String()
}

// excerpt returns about size bytes of corpus from a random line start.
func excerpt(rng *rand.Rand, corpus string, size int) string {
	if len(corpus) <= size {
		return corpus
	}
	start := rng.IntN(len(corpus) - size)
	if nl := strings.IndexByte(corpus[start:], '\n'); nl >= 0 && nl < 200 {
		start += nl + 1
	}
	return corpus[start:min(len(corpus), start+size)]
}

// insertSentence puts s on its own line at a random line boundary of text.
func insertSentence(rng *rand.Rand, text, s string) string {
	lines := strings.Split(text, "\n")
	at := rng.IntN(len(lines) + 1)
	return strings.Join(slices.Insert(lines, at, s), "\n")
}

func withID(m llm.Message, id string) llm.Message {
	m.ID = id
	return m
}

// Corpus returns the benchmark's body of real text: the Go documentation
// and the net/http sources that ship with the Go toolchain, in path order.
// It fails when GOROOT has neither.
func Corpus() (string, error) {
	root := runtime.GOROOT()
	var b strings.Builder
	for _, dir := range []string{filepath.Join(root, "doc"), filepath.Join(root, "src", "net", "http")} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			switch filepath.Ext(path) {
			case ".html", ".md", ".go":
				if data, err := os.ReadFile(path); err == nil {
					b.Write(data)
					b.WriteByte('\n')
				}
			}
			return nil
		})
	}
	if b.Len() < 1<<20 {
		return "", fmt.Errorf("contextbench: found only %d bytes of text under %s/doc and src/net/http; the benchmark needs the Go toolchain's own files", b.Len(), root)
	}
	return b.String(), nil
}
