package summarize

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomRun returns a random transcript: assistant messages making one to
// three (parallel) tool calls with results of random sizes, text-only
// assistant messages, user messages sprinkled in, now and then a pinned
// result. IDs are derived from the seed and the step, so the same seed
// gives the same messages; from numbers the steps.
func randomRun(seed uint64, from, steps int) []llm.Message {
	rng := rand.New(rand.NewPCG(seed, uint64(from)))
	var msgs []llm.Message
	if from == 0 {
		msgs = append(msgs,
			msg("sys", llm.RoleSystem, llm.TextPart("You are a research agent.")),
			msg("task", llm.RoleUser, llm.TextPart("Find out how the context engine manages its token budget.")))
	}
	for i := from; i < from+steps; i++ {
		switch r := rng.IntN(100); {
		case r < 10:
			msgs = append(msgs, msg(fmt.Sprintf("u%d", i), llm.RoleUser, llm.TextPart(prose(rng, 1+rng.IntN(2)))))
		case r < 20:
			msgs = append(msgs, msg(fmt.Sprintf("say%d", i), llm.RoleAssistant, llm.TextPart(prose(rng, 1+rng.IntN(5)))))
		default:
			results := make([]string, 1+rng.IntN(3))
			for k := range results {
				results[k] = prose(rng, 1+rng.IntN(40))
			}
			tm := turn(i, results...)
			if rng.IntN(20) == 0 {
				tm[1].Meta.Pinned = true
			}
			msgs = append(msgs, tm...)
		}
	}
	return msgs
}

// floor is the smallest view the policy can reach: protected messages,
// the groups they pin, and a summary.
func floor(tok *tokens.Tokenizer, msgs []llm.Message, summaryTokens int) int {
	keep := map[string]bool{}
	callOwner := map[string]string{}
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			callOwner[c.ID] = m.ID
		}
	}
	pinnedCalls := map[string]bool{}
	for _, m := range msgs {
		if window.Protected(m) {
			keep[m.ID] = true
			for _, r := range m.ToolResults() {
				keep[callOwner[r.CallID]] = true
				pinnedCalls[callOwner[r.CallID]] = true
			}
		}
	}
	n := 0
	for _, m := range msgs {
		pinnedGroup := false
		for _, r := range m.ToolResults() {
			pinnedGroup = pinnedGroup || pinnedCalls[callOwner[r.CallID]]
		}
		if keep[m.ID] || pinnedGroup {
			n += tok.CountMessage(m)
		}
	}
	return n + summaryTokens + 60
}

func TestPropertyRandomTranscripts(t *testing.T) {
	const summaryTokens = 300
	var compacted, recompacted int
	for seed := range uint64(24) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			tok := newTok() // one memo per seed: IDs repeat across seeds
			rng := rand.New(rand.NewPCG(seed, 1))
			steps := 5 + rng.IntN(25)
			msgs := randomRun(seed, 0, steps)
			more := randomRun(seed, steps, 3+rng.IntN(10))
			total := tok.CountMessages(append(msgs, more...), nil)
			limit := floor(tok, append(msgs, more...), summaryTokens) + rng.IntN(max(total, 1))
			cfg := Config{SummaryTokens: summaryTokens, KeepRecent: rng.IntN(6) - 1, TriggerFraction: 0.5 + rng.Float64()/2}

			run := func() (views [2][]llm.Message, edits []window.Edit) {
				tr := transcript(t, msgs...)
				m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{New(Extractive(ExtractiveConfig{}), cfg)}}
				for round := range 2 {
					if round == 1 {
						require.NoError(t, tr.Append(more...))
					}
					view, rep, err := m.Prepare(context.Background(), tr, nil, window.Budget{Window: limit})
					require.NoError(t, err, "the floor is %d, the limit %d", floor(tok, tr.Messages(), summaryTokens), limit)
					require.Empty(t, rep.PolicyErrors)
					checkView(t, tok, tr, view, limit)
					views[round] = view
				}
				return views, tr.Edits()
			}
			views, edits := run()
			views2, edits2 := run()
			if len(edits) > 0 {
				compacted++
			}
			if len(edits) > 1 {
				recompacted++
			}

			// Deterministic: the same transcript and config, the same bytes.
			assert.True(t, mustJSON(t, views) == mustJSON(t, views2), "views differ")
			require.Len(t, edits2, len(edits))
			for i := range edits {
				edits[i].Time, edits2[i].Time = time.Time{}, time.Time{}
			}
			assert.True(t, mustJSON(t, edits) == mustJSON(t, edits2), "edits differ")

			// Prefix stable: what precedes the summaries never changes;
			// without a new edit the first view is a prefix of the second.
			first, second := views[0], views[1]
			cut := min(summaryAt(first), summaryAt(second))
			assert.Equal(t, viewIDs(first[:cut]), viewIDs(second[:cut]))
			if len(edits) == countSummaryEdits(first, edits) {
				require.GreaterOrEqual(t, len(second), len(first))
				assert.Equal(t, first, second[:len(first)])
			}

			// Every edit keeps tool pairs together.
			for _, e := range edits {
				checkWholePairs(t, msgs, more, e)
			}
		})
	}
	t.Logf("%d runs compacted, %d twice", compacted, recompacted)
	assert.Greater(t, compacted, 8, "the property is not vacuous")
	assert.Greater(t, recompacted, 3)
}

// checkView asserts the engine's guarantees on a prepared view.
func checkView(t *testing.T, tok *tokens.Tokenizer, tr *window.Transcript, view []llm.Message, limit int) {
	t.Helper()
	require.NoError(t, window.CheckPairs(view))
	ids := map[string]bool{}
	for _, m := range view {
		ids[m.ID] = true
	}
	for _, m := range tr.Messages() {
		if window.Protected(m) {
			assert.True(t, ids[m.ID], "protected %s kept", m.ID)
		}
	}
	assert.LessOrEqual(t, tok.CountMessages(view, nil), limit)
	assert.LessOrEqual(t, len(summaries(view)), 1, "at most one summary")
	assert.Equal(t, view, window.Render(tr.Messages(), tr.Edits()))
}

// checkWholePairs asserts that an edit targets a call exactly when it
// targets its results.
func checkWholePairs(t *testing.T, a, b []llm.Message, e window.Edit) {
	t.Helper()
	targeted := map[string]bool{}
	for _, id := range e.Targets {
		targeted[id] = true
	}
	owner := map[string]string{}
	for _, m := range append(a, b...) {
		for _, c := range m.ToolCalls() {
			owner[c.ID] = m.ID
		}
	}
	for _, m := range append(a, b...) {
		for _, r := range m.ToolResults() {
			assert.Equal(t, targeted[m.ID], targeted[owner[r.CallID]], "call %s and its result %s", owner[r.CallID], m.ID)
		}
		if targeted[m.ID] {
			assert.False(t, window.Protected(m), "protected %s targeted", m.ID)
		}
	}
}

// summaryAt returns the position of the view's summary, or its length.
func summaryAt(view []llm.Message) int {
	if i := firstSummary(view); i >= 0 {
		return i
	}
	return len(view)
}

func firstSummary(view []llm.Message) int {
	for i, m := range view {
		if m.Meta.Provenance == ProvenanceSummary {
			return i
		}
	}
	return -1
}

// countSummaryEdits returns how many edits the first view reflects: its
// summary's edit and those before it.
func countSummaryEdits(view []llm.Message, edits []window.Edit) int {
	i := firstSummary(view)
	if i < 0 {
		return 0
	}
	for k, e := range edits {
		if e.Replacement[0].ID == view[i].ID {
			return k + 1
		}
	}
	return -1
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
