package summarize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func manager(policies ...window.Policy) *window.Manager {
	return &window.Manager{Tokenizer: newTok(), Policies: policies}
}

func prepare(t *testing.T, m *window.Manager, tr *window.Transcript, limit int) ([]llm.Message, window.Report) {
	t.Helper()
	view, rep, err := m.Prepare(context.Background(), tr, nil, window.Budget{Window: limit})
	require.NoError(t, err)
	return view, rep
}

func TestNoEditBelowTrigger(t *testing.T) {
	msgs := research(1, 10, 30)
	total := newTok().CountMessages(msgs, nil)
	// The smallest limit whose 80% still holds the view.
	limit := int(math.Ceil(float64(total) / 0.8))
	for float64(total) > 0.8*float64(limit) {
		limit++
	}

	s := &counting{s: Extractive(ExtractiveConfig{})}
	tr := transcript(t, msgs...)
	view, rep := prepare(t, manager(New(s, Config{})), tr, limit)
	assert.Zero(t, s.calls.Load(), "no summarizer call at or below the trigger")
	assert.Empty(t, tr.Edits())
	assert.Empty(t, rep.Edits)
	assert.Equal(t, viewIDs(msgs), viewIDs(view))

	// One token less and the view is over the trigger.
	tr = transcript(t, msgs...)
	_, rep = prepare(t, manager(New(s, Config{})), tr, limit-1)
	assert.EqualValues(t, 1, s.calls.Load())
	require.Len(t, rep.Edits, 1)
}

func TestCompaction(t *testing.T) {
	msgs := research(2, 10, 30)
	tr := transcript(t, msgs...)
	total := newTok().CountMessages(msgs, nil)
	view, rep := prepare(t, manager(New(Extractive(ExtractiveConfig{}), Config{SummaryTokens: 500})), tr, total+100)

	require.Len(t, rep.Edits, 1)
	e := rep.Edits[0]
	assert.Equal(t, window.EditSummarize, e.Kind)
	assert.Equal(t, "summarize", e.Policy)
	var want []string
	for i := range 6 { // 10 turns, the last 4 kept
		want = append(want, fmt.Sprintf("a%d", i), fmt.Sprintf("t%d_0", i))
	}
	assert.Equal(t, want, e.Targets)

	// sys, task, the summary, then the last four turns verbatim.
	require.Len(t, view, 2+1+8)
	assert.Equal(t, msgs[:2], view[:2])
	assert.Equal(t, msgs[len(msgs)-8:], view[3:])
	sum := view[2]
	assert.Equal(t, window.DerivedID("a0", 1), sum.ID)
	assert.Equal(t, llm.RoleUser, sum.Role)
	assert.Equal(t, ProvenanceSummary, sum.Meta.Provenance)
	assert.False(t, sum.Meta.Pinned)
	assert.True(t, strings.HasPrefix(sum.Text(), summaryHeaderPrefix+" 12 earlier messages"), sum.Text())
	for i := range 6 { // every summarized tool result stays recoverable
		assert.Contains(t, sum.Text(), fmt.Sprintf("artifact=art_%d_0", i))
		assert.Contains(t, sum.Text(), fmt.Sprintf(`https://example.org/%d/0`, i))
	}
	header := newTok().Count(strings.SplitN(sum.Text(), "\n", 2)[0])
	assert.LessOrEqual(t, newTok().Count(sum.Text()), 500+header+1)

	// TokensFreed is what the view lost.
	assert.Equal(t, rep.TokensBefore-rep.TokensSent, e.TokensFreed)
	assert.Equal(t, e.TokensFreed, rep.TokensFreed)
	assert.Positive(t, e.TokensFreed)
	require.NoError(t, window.CheckPairs(view))
}

// TestKeepRecentTurns checks what a turn is: a user message, or an
// assistant message with the results of all its calls.
func TestKeepRecentTurns(t *testing.T) {
	rng := newRand(3)
	msgs := []llm.Message{
		msg("sys", llm.RoleSystem, llm.TextPart("You research.")),
		msg("task", llm.RoleUser, llm.TextPart("Study the engine.")),
	}
	msgs = append(msgs, turn(0, prose(rng, 20))...)
	msgs = append(msgs, turn(1, prose(rng, 20), prose(rng, 20))...) // parallel calls
	msgs = append(msgs, msg("u2", llm.RoleUser, llm.TextPart("Also check the cache.")))
	msgs = append(msgs, turn(2, prose(rng, 20))...)
	msgs = append(msgs, msg("say", llm.RoleAssistant, llm.TextPart(prose(rng, 10))))
	msgs = append(msgs, turn(3, prose(rng, 20))...)

	tests := []struct {
		keep    int
		targets []string
	}{
		{keep: 1, targets: []string{"a0", "t0_0", "a1", "t1_0", "t1_1", "a2", "t2_0", "say"}},
		{keep: 2, targets: []string{"a0", "t0_0", "a1", "t1_0", "t1_1", "a2", "t2_0"}},
		{keep: 3, targets: []string{"a0", "t0_0", "a1", "t1_0", "t1_1"}}, // turns: a3, say, a2
		{keep: 4, targets: []string{"a0", "t0_0", "a1", "t1_0", "t1_1"}}, // the 4th is u2, protected anyway
		{keep: 5, targets: []string{"a0", "t0_0"}},
		{keep: -1, targets: []string{"a0", "t0_0", "a1", "t1_0", "t1_1", "a2", "t2_0", "say", "a3", "t3_0"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.keep), func(t *testing.T) {
			tr := transcript(t, msgs...)
			pol := New(Extractive(ExtractiveConfig{}), Config{TriggerFraction: 0.01, KeepRecent: tc.keep, SummaryTokens: 200})
			view, rep := prepare(t, manager(pol), tr, 100_000)
			require.Len(t, rep.Edits, 1)
			assert.Equal(t, tc.targets, rep.Edits[0].Targets)
			// Everything not targeted renders verbatim, in order.
			targeted := map[string]bool{}
			for _, id := range tc.targets {
				targeted[id] = true
			}
			var rest []llm.Message
			for _, m := range msgs {
				if !targeted[m.ID] {
					rest = append(rest, m)
				}
			}
			var shown []llm.Message
			for _, m := range view {
				if m.Meta.Provenance != ProvenanceSummary {
					shown = append(shown, m)
				}
			}
			assert.Equal(t, rest, shown)
			require.NoError(t, window.CheckPairs(view))
		})
	}
}

func TestSummarizerFailureChangesNothing(t *testing.T) {
	boom := errors.New("provider down")
	msgs := research(4, 8, 20)
	total := newTok().CountMessages(msgs, nil)

	cases := map[string]Summarizer{
		"model error": Model(scripted.New(scripted.Err(boom)), ModelConfig{}),
		"func error": SummarizerFunc(func(context.Context, Request) (string, error) {
			return "", boom
		}),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			tr := transcript(t, msgs...)
			view, rep := prepare(t, manager(New(s, Config{TriggerFraction: 0.5})), tr, total+10)
			assert.Empty(t, tr.Edits(), "nothing recorded")
			assert.Empty(t, rep.Edits)
			assert.Equal(t, msgs, view, "the view is the log")
			require.Len(t, rep.PolicyErrors, 1)
			assert.ErrorIs(t, rep.PolicyErrors[0], boom)
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// A summarizer that ignores the cancellation and answers anyway.
		s := SummarizerFunc(func(context.Context, Request) (string, error) {
			cancel()
			return "late summary", nil
		})
		tr := transcript(t, msgs...)
		m := manager(New(s, Config{TriggerFraction: 0.5}))
		view, rep, err := m.Prepare(ctx, tr, nil, window.Budget{Window: total + 10})
		require.NoError(t, err)
		assert.Empty(t, tr.Edits())
		assert.Equal(t, msgs, view)
		require.Len(t, rep.PolicyErrors, 1)
		assert.ErrorIs(t, rep.PolicyErrors[0], context.Canceled)
	})

	t.Run("over budget", func(t *testing.T) {
		tr := transcript(t, msgs...)
		m := manager(New(fixed(""), Config{}))
		_, _, err := m.Prepare(context.Background(), tr, nil, window.Budget{Window: total / 2})
		var over *window.OverBudgetError
		require.ErrorAs(t, err, &over)
		assert.ErrorIs(t, err, ErrEmptySummary)
		assert.Empty(t, tr.Edits())
	})
}

func TestNoGainRecordsNothing(t *testing.T) {
	msgs := research(5, 8, 20)
	total := newTok().CountMessages(msgs, nil)
	tr := transcript(t, msgs...)
	huge := strings.Repeat("A long summary sentence that says nothing. ", 2000)
	_, rep := prepare(t, manager(New(fixed(huge), Config{TriggerFraction: 0.5})), tr, total+10)
	assert.Empty(t, tr.Edits())
	require.Len(t, rep.PolicyErrors, 1)
	assert.ErrorIs(t, rep.PolicyErrors[0], ErrNoGain)
}

// TestRecompaction checks that a second compaction folds the first summary
// in: the view shows one up-to-date summary and no stale one.
func TestRecompaction(t *testing.T) {
	for _, name := range []string{"extractive", "fixed"} {
		t.Run(name, func(t *testing.T) {
			msgs := research(6, 16, 20)
			first, later := msgs[:2+2*10], msgs[2+2*10:]
			var s Summarizer = Extractive(ExtractiveConfig{})
			if name == "fixed" {
				n := 0
				s = SummarizerFunc(func(_ context.Context, req Request) (string, error) {
					n++
					return fmt.Sprintf("summary #%d of %d messages", n, len(req.Messages)), nil
				})
			}
			pol := New(s, Config{SummaryTokens: 400})
			m := manager(pol)
			tr := transcript(t, first...)
			limit := newTok().CountMessages(first, nil) + 50
			view1, rep1 := prepare(t, m, tr, limit)
			require.Len(t, rep1.Edits, 1)
			sum1 := summaries(view1)
			require.Len(t, sum1, 1)

			require.NoError(t, tr.Append(later...))
			view2, rep2 := prepare(t, m, tr, limit)
			require.Len(t, rep2.Edits, 1)
			sum2 := summaries(view2)
			require.Len(t, sum2, 1, "one summary in the view")
			assert.NotEqual(t, sum1[0].ID, sum2[0].ID)
			assert.NotContains(t, viewIDs(view2), sum1[0].ID, "the stale summary is gone")
			assert.Equal(t, rep2.Edits[0].Replacement[0], sum2[0])
			assert.Equal(t, 2, indexOf(view2, sum2[0].ID), "the summary stays where the first one stood")

			// The second edit covers the first one's log messages and more;
			// all are log IDs.
			e1, e2 := rep1.Edits[0], rep2.Edits[0]
			assert.Subset(t, e2.Targets, e1.Targets)
			assert.Greater(t, len(e2.Targets), len(e1.Targets))
			for _, id := range e2.Targets {
				_, ok := tr.Message(id)
				assert.True(t, ok, "target %s is a log message", id)
			}
			assert.Equal(t, rep2.TokensBefore-rep2.TokensSent, e2.TokensFreed)
			require.NoError(t, window.CheckPairs(view2))
			// The last four turns stay verbatim.
			assert.Equal(t, msgs[len(msgs)-8:], view2[len(view2)-8:])

			switch name {
			case "fixed":
				assert.Contains(t, sum2[0].Text(), "summary #2")
				// The earlier summary was part of the input.
				assert.Contains(t, sum2[0].Text(), fmt.Sprintf("of %d messages", 1+2*6))
			case "extractive":
				// Handles from both rounds: the first round's carried through
				// the earlier summary's tags.
				assert.Contains(t, sum2[0].Text(), "artifact=art_0_0")
				assert.Contains(t, sum2[0].Text(), "artifact=art_11_0")
				assert.Equal(t, 1, strings.Count(sum2[0].Text(), summaryHeaderPrefix))
			}

			// Rendering from scratch gives the same view.
			assert.Equal(t, view2, window.Render(tr.Messages(), tr.Edits()))
		})
	}
}

func indexOf(view []llm.Message, id string) int {
	for i, m := range view {
		if m.ID == id {
			return i
		}
	}
	return -1
}

func TestNothingNewNoSecondSummary(t *testing.T) {
	rng := newRand(7)
	msgs := research(7, 6, 20)
	// Big recent turns keep the view over the trigger after compaction.
	for i := 6; i < 10; i++ {
		msgs = append(msgs, turn(i, prose(rng, 120))...)
	}
	s := &counting{s: Extractive(ExtractiveConfig{})}
	m := manager(New(s, Config{SummaryTokens: 300}))
	tr := transcript(t, msgs...)
	limit := newTok().CountMessages(msgs, nil) * 9 / 10
	view1, rep1 := prepare(t, m, tr, limit)
	require.Len(t, rep1.Edits, 1)
	view2, rep2 := prepare(t, m, tr, limit)
	assert.Greater(t, rep2.TokensBefore, int(0.8*float64(limit)), "still over the trigger")
	assert.Empty(t, rep2.Edits, "nothing new to summarize")
	assert.EqualValues(t, 1, s.calls.Load())
	assert.Equal(t, view1, view2)
	assert.Equal(t, rep2.TokensSent-tokens.ReplyPrimingTokens, rep2.PrefixShared, "the whole view is a cache hit")
}

func TestProtectedMessagesKept(t *testing.T) {
	rng := newRand(8)
	msgs := research(8, 3, 20)
	msgs = append(msgs, msg("u1", llm.RoleUser, llm.TextPart("Focus on eviction.")))
	pinned := turn(3, prose(rng, 20))
	pinned[1].Meta.Pinned = true // a pinned result pins its call too
	msgs = append(msgs, pinned...)
	for i := 4; i < 10; i++ {
		msgs = append(msgs, turn(i, prose(rng, 20))...)
	}
	tr := transcript(t, msgs...)
	s := &counting{s: Extractive(ExtractiveConfig{})}
	view, rep := prepare(t, manager(New(s, Config{TriggerFraction: 0.1, KeepRecent: 2})), tr, 10_000)
	require.Len(t, rep.Edits, 1)
	targets := rep.Edits[0].Targets
	for _, id := range []string{"sys", "task", "u1", "a3", "t3_0"} {
		assert.NotContains(t, targets, id)
		assert.Contains(t, viewIDs(view), id)
	}
	assert.Equal(t, []string{"a0", "t0_0", "a1", "t1_0", "a2", "t2_0", "a4", "t4_0", "a5", "t5_0", "a6", "t6_0", "a7", "t7_0"}, targets)
	// Focus: the user messages, not the summary.
	req := s.last.Load()
	require.NotNil(t, req)
	assert.Equal(t, "Find out how the context engine manages its token budget.\n\nFocus on eviction.", req.Focus)
	require.NoError(t, window.CheckPairs(view))
}

// TestBudgetBeatsKeepRecent checks that fewer recent turns are kept when
// keeping them all would leave the view over the limit.
func TestBudgetBeatsKeepRecent(t *testing.T) {
	rng := newRand(9)
	msgs := research(9, 4, 10)
	for i := 4; i < 8; i++ {
		msgs = append(msgs, turn(i, prose(rng, 150))...)
	}
	tr := transcript(t, msgs...)
	total := newTok().CountMessages(msgs, nil)
	m := manager(New(Extractive(ExtractiveConfig{}), Config{SummaryTokens: 300}))
	view, rep, err := m.Prepare(context.Background(), tr, nil, window.Budget{Window: total * 6 / 10})
	require.NoError(t, err)
	require.Len(t, rep.Edits, 1)
	assert.Contains(t, rep.Edits[0].Targets, "t4_0", "an old big turn went into the summary")
	assert.Equal(t, msgs[len(msgs)-2:], view[len(view)-2:], "the latest turn stays")
	assert.LessOrEqual(t, rep.TokensSent, total*6/10)
}

// TestEditsOfOtherPolicies checks that a message another policy replaced
// is summarized as it renders, and targeted by its log ID.
func TestEditsOfOtherPolicies(t *testing.T) {
	msgs := research(10, 8, 20)
	tr := transcript(t, msgs...)
	cleared := msg(window.DerivedID("t0_0", 1), llm.RoleTool, llm.ToolResultPart(llm.ToolResult{CallID: "c0_0", Name: "web_fetch", Content: "[cleared: see art_0_0]"}))
	_, err := tr.Record(window.Edit{Kind: window.EditReplace, Policy: "prune", Targets: []string{"t0_0"}, Replacement: []llm.Message{cleared}})
	require.NoError(t, err)

	s := &counting{s: Extractive(ExtractiveConfig{})}
	view, rep := prepare(t, manager(New(s, Config{TriggerFraction: 0.1})), tr, 10_000)
	require.Len(t, rep.Edits, 1)
	assert.Contains(t, rep.Edits[0].Targets, "t0_0")
	assert.NotContains(t, rep.Edits[0].Targets, cleared.ID)
	req := s.last.Load()
	require.NotNil(t, req)
	assert.Equal(t, cleared, req.Messages[1], "the summarizer saw the message as it rendered")
	assert.Equal(t, window.DerivedID("a0", 2), summaries(view)[0].ID)
	require.NoError(t, window.CheckPairs(view))
}

func TestModelSummarizerInPolicy(t *testing.T) {
	model := scripted.Func(func(req llm.Request) (llm.Response, error) {
		return llm.Response{Message: llm.Assistant("- Found the budget rule (art_0_0).")}, nil
	})
	msgs := research(11, 8, 20)
	tr := transcript(t, msgs...)
	pol := New(Model(model, ModelConfig{}), Config{TriggerFraction: 0.1, Instructions: "Keep only numbers."})
	view, rep := prepare(t, manager(pol), tr, 10_000)
	require.Len(t, rep.Edits, 1)
	sum := summaries(view)
	require.Len(t, sum, 1)
	assert.True(t, strings.HasSuffix(sum[0].Text(), "\n- Found the budget rule (art_0_0)."))

	reqs := model.Requests()
	require.Len(t, reqs, 1)
	req := reqs[0]
	assert.Equal(t, llm.CallSummarizer, req.Role)
	require.Len(t, req.Messages, 2)
	assert.Equal(t, llm.RoleSystem, req.Messages[0].Role)
	assert.Equal(t, "Keep only numbers.", req.Messages[0].Text(), "Config.Instructions replace the default")
	in := req.Messages[1].Text()
	assert.Contains(t, in, "<task>\nFind out how the context engine manages its token budget.\n</task>")
	assert.Contains(t, in, "[tool web_fetch c0_0 artifact=art_0_0]")
	assert.Contains(t, in, `[call web_fetch c0_0]`+"\n"+`{"url":"https://example.org/0/0"}`)
	assert.NotContains(t, in, "[user]", "user messages stay in the view; they are not summarized")
	removed := 0
	for _, id := range rep.Edits[0].Targets {
		m, _ := tr.Message(id)
		removed += newTok().CountMessage(m)
	}
	assert.Equal(t, min(2000, removed/2), req.MaxTokens, "at most half of what is summarized")
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	assert.Equal(t, Config{TriggerFraction: 0.8, KeepRecent: 4, SummaryTokens: 2000}, c)
	assert.Equal(t, 0, Config{KeepRecent: -1}.withDefaults().KeepRecent)
	assert.Equal(t, "summarize", New(fixed("x"), Config{}).Name())
}
