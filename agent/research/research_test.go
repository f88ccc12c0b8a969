package research_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/context/offload"
)

var threeTopics = []string{"channels synchronization", "mutexes lock ordering", "atomics sequential consistency"}

// events collects a run's events.
type events struct {
	mu  sync.Mutex
	all []graph.Event
}

func (e *events) Handle(ev graph.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
	return nil
}

func (e *events) custom(name string) []json.RawMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []json.RawMessage
	for _, ev := range e.all {
		if ev.Kind == graph.EventCustom && ev.Name == name {
			out = append(out, ev.Data)
		}
	}
	return out
}

func TestResearchFansOutIsolatesAndCites(t *testing.T) {
	idx := newIndex(t)
	arts, err := offload.Open(filepath.Join(t.TempDir(), "artifacts"))
	require.NoError(t, err)
	defer arts.Close()
	m := &researchModel{topics: threeTopics, bogusKey: true, reads: 3}
	a, err := research.New(research.Config{
		Model:         scripted.Func(m.Respond),
		Corpus:        research.IndexCorpus(idx),
		ContextWindow: 1600, // small: the researchers' views must be managed
		Artifacts:     arts,
	})
	require.NoError(t, err)
	var evs events
	res, err := a.Run(context.Background(), "How does Go synchronize goroutines?", graph.WithSinks(&evs))
	require.NoError(t, err)

	// Three researchers ran, one per topic, and each searched.
	require.Len(t, res.State.Findings, 3)
	for i, f := range res.State.Findings {
		assert.Equal(t, threeTopics[i], f.Topic)
		assert.Empty(t, f.Err)
		assert.NotEmpty(t, f.Seen, "researcher %d saw passages", i+1)
		assert.GreaterOrEqual(t, f.ToolCalls, 2)
	}

	// Isolation: a researcher's requests hold its own topic only, and the
	// supervisor never sees a researcher's raw tool results.
	for _, req := range m.sent(llm.CallResearcher) {
		own := firstUser(req)
		for _, msg := range req.Messages {
			for _, other := range threeTopics {
				if other != own {
					assert.NotContains(t, msg.Text(), other, "researcher %q saw another researcher's topic", own)
				}
			}
			assert.NotContains(t, msg.Text(), "Explain how Go synchronizes", "researcher saw the supervisor's brief")
		}
	}
	for _, req := range m.sent(llm.CallPlanner) {
		for _, r := range toolResults(req) {
			assert.NotContains(t, r.Content, "Found ", "supervisor saw raw search results")
			assert.NotContains(t, r.Content, "Document ", "supervisor saw a raw read_document result")
		}
	}

	// Budgets: every view of every agent fit its limit, and the small
	// window made the context engine edit at least one.
	ctxEvents := evs.custom("context")
	require.NotEmpty(t, ctxEvents)
	edited := 0
	for _, raw := range ctxEvents {
		var ci research.ContextInfo
		require.NoError(t, json.Unmarshal(raw, &ci))
		assert.LessOrEqual(t, ci.ViewTokens, ci.Limit, "%s over budget", ci.Agent)
		if ci.Edits > 0 && strings.HasPrefix(ci.Agent, "researcher") {
			edited++
			assert.Less(t, ci.ViewTokens, ci.TokensBefore, "an edit shrank the view")
		}
	}
	assert.Positive(t, edited, "the small window made the context engine edit researcher views")
	assert.NotEmpty(t, m.sent(llm.CallSummarizer), "compaction asked the summarizer role")
	for _, req := range m.sent(llm.CallResearcher) {
		n := a.Config().Tokenizer.CountMessages(req.Messages, req.Tools)
		assert.LessOrEqual(t, n, 1600, "a researcher request exceeds the window")
	}

	// Citations: the bogus key was removed and reported, every [n]
	// resolves, and the report verifies against the corpus.
	require.NotEmpty(t, res.Sources)
	assert.Contains(t, strings.Join(res.State.Drafts[0].Problems, "\n"), "unresolved citation [ffffffffffff#99]")
	assert.Contains(t, strings.Join(res.State.Drafts[0].Problems, "\n"), "uncited: An uncited paragraph")
	assert.NotContains(t, res.Report, "ffffffffffff")
	assert.Contains(t, res.Report, "[1]")
	assert.Contains(t, res.Report, "## Sources")
	require.NoError(t, research.Verify(context.Background(), research.IndexCorpus(idx), res.Report, res.Sources))
	for i, s := range res.Sources {
		assert.Equal(t, i+1, s.N)
		text, err := idx.Passage(searchKey(s))
		require.NoError(t, err)
		assert.Equal(t, text, s.Text)
	}

	// Critique loop: draft 0 scored 0.5 for its citation problems; the
	// revision scored 0.9 with nothing left to fix, so the loop stopped
	// there and kept it.
	require.Len(t, res.State.Critiques, 2)
	assert.Equal(t, []float64{0.5, 0.9}, []float64{res.State.Critiques[0].Score, res.State.Critiques[1].Score})
	assert.Equal(t, 2, res.State.Final)
	assert.InDelta(t, 0.9, res.Score, 1e-9)
	assert.Positive(t, res.State.Usage.Input)
}

func TestResumeAfterKillSkipsFinishedResearchers(t *testing.T) {
	idx := newIndex(t)
	dir := t.TempDir()
	cps, err := store.NewFS(dir)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	killed := &researchModel{topics: threeTopics, reads: 1, onResearcher: func(topic string) error {
		if topic == threeTopics[2] {
			cancel() // the process dies while the third researcher works
			return context.Canceled
		}
		return nil
	}}
	cfg := research.Config{
		Model: scripted.Func(killed.Respond), Corpus: research.IndexCorpus(idx), Checkpoints: cps, MaxCritiqueRounds: -1,
	}
	a, err := research.New(cfg)
	require.NoError(t, err)
	_, err = a.Run(ctx, "How does Go synchronize goroutines?", graph.WithRunID("run-1"), graph.WithConcurrency(1))
	require.ErrorIs(t, err, context.Canceled)

	// A new process: a fresh agent over the same checkpoint folder.
	cps2, err := store.NewFS(dir)
	require.NoError(t, err)
	fresh := &researchModel{topics: threeTopics, reads: 1}
	cfg.Model, cfg.Checkpoints = scripted.Func(fresh.Respond), cps2
	b, err := research.New(cfg)
	require.NoError(t, err)
	res, err := b.Resume(context.Background(), "run-1", "")
	require.NoError(t, err)

	researched := map[string]bool{}
	for _, req := range fresh.sent(llm.CallResearcher) {
		researched[firstUser(req)] = true
	}
	assert.Equal(t, map[string]bool{threeTopics[2]: true}, researched, "only the killed researcher runs again")
	for _, req := range fresh.sent(llm.CallPlanner) {
		assert.Nil(t, req.Schema, "the brief is not written again")
	}
	require.Len(t, res.State.Findings, 3)
	assert.NotEmpty(t, res.Sources)
	require.NoError(t, research.Verify(context.Background(), research.IndexCorpus(idx), res.Report, res.Sources))
}

func TestClarifyPausesAndResumes(t *testing.T) {
	idx := newIndex(t)
	m := &researchModel{topics: threeTopics[:1]}
	a, err := research.New(research.Config{Model: scripted.Func(m.Respond), Corpus: research.IndexCorpus(idx), Clarify: true, MaxCritiqueRounds: -1})
	require.NoError(t, err)
	_, err = a.Run(context.Background(), "Go?", graph.WithRunID("ask"))
	var ie *graph.InterruptError
	require.ErrorAs(t, err, &ie)
	var q research.ClarifyingQuestion
	require.NoError(t, json.Unmarshal(ie.Interrupt.Payload, &q))
	assert.Equal(t, "Which aspect matters most?", q.Question)

	res, err := a.Resume(context.Background(), "ask", "channels only")
	require.NoError(t, err)
	assert.Equal(t, "channels only", res.State.Clarification)
	brief := m.sent(llm.CallPlanner)
	var sawAnswer bool
	clarifyCalls := 0
	for _, req := range brief {
		if req.Schema != nil && req.Schema.Name == "clarify_decision" {
			clarifyCalls++
		}
		if req.Schema != nil && req.Schema.Name == "research_brief" {
			sawAnswer = strings.Contains(lastUser(req), "# Clarifications\nchannels only")
		}
	}
	assert.True(t, sawAnswer, "the brief is written with the user's answer")
	assert.Equal(t, 1, clarifyCalls, "resuming does not ask the model again whether to clarify")
	assert.NotEmpty(t, res.Report)
}

func TestGarbageFromModelIsWorkedAround(t *testing.T) {
	idx := newIndex(t)
	m := &researchModel{topics: threeTopics[:1]}
	model := scripted.Func(func(req llm.Request) (llm.Response, error) {
		switch {
		case req.Role == llm.CallPlanner && req.Schema != nil:
			return reply("I think the brief is about Go. {not json"), nil
		case req.Role == llm.CallPlanner && len(toolResults(req)) == 0:
			// Malformed arguments, an unknown tool, and one valid call.
			return reply("", llm.ToolCall{ID: "bad", Name: "conduct_research", Args: llm.ArgsFromText(`{"topic": `)},
				llm.ToolCall{ID: "unk", Name: "browse", Args: json.RawMessage(`{}`)},
				call("ok", "conduct_research", map[string]string{"topic": threeTopics[0]})), nil
		case req.Role == llm.CallCritic:
			return reply("looks fine to me"), nil
		}
		return m.Respond(req)
	})
	a, err := research.New(research.Config{Model: model, Corpus: research.IndexCorpus(idx)})
	require.NoError(t, err)
	var seen []llm.ToolResult
	res, err := a.Run(context.Background(), "How do channels synchronize?")
	require.NoError(t, err)
	for _, msg := range res.State.Supervisor {
		seen = append(seen, msg.ToolResults()...)
	}
	byID := map[string]llm.ToolResult{}
	for _, r := range seen {
		byID[r.CallID] = r
	}
	assert.True(t, byID["bad"].IsError)
	assert.Contains(t, byID["bad"].Content, "conduct_research")
	assert.True(t, byID["unk"].IsError)
	assert.False(t, byID["ok"].IsError)
	assert.Equal(t, []string{"How do channels synchronize?"}, res.State.SubQuestions, "an unreadable brief falls back to the question")
	require.Len(t, res.State.Critiques, 1)
	assert.True(t, res.State.Critiques[0].Unreadable)
	assert.Len(t, res.State.Warnings, 2)
	assert.NotEmpty(t, res.Report)
}

func TestConfigErrors(t *testing.T) {
	_, err := research.New(research.Config{})
	assert.ErrorIs(t, err, research.ErrConfig)
	_, err = research.New(research.Config{Model: scripted.New()})
	assert.ErrorIs(t, err, research.ErrConfig)
	_, err = research.New(research.Config{Model: scripted.New(), Corpus: research.IndexCorpus(newIndex(t)), MaxToolCalls: -2})
	assert.ErrorIs(t, err, research.ErrConfig)
	a, err := research.New(research.Config{Model: scripted.New(), Corpus: research.IndexCorpus(newIndex(t))})
	require.NoError(t, err)
	_, err = a.Run(context.Background(), "")
	assert.Error(t, err)
	assert.False(t, errors.Is(err, research.ErrConfig))
}
