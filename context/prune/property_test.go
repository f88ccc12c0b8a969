package prune_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/prune"
	"github.com/deepctx/deepctx/context/window"
)

// gen appends random turns to a conversation: assistant messages with one
// or several (parallel) tool calls, their results of random sizes (some
// identical to earlier ones, some pinned, some with an artifact handle,
// parallel results sometimes in one message), and user messages between
// turns.
type gen struct {
	r     *rand.Rand
	c     *conv
	calls int
	pool  []string
}

func (g *gen) turns(n int) {
	tools := []string{"search", "fetch", "write_notes"}
	for range n {
		if g.r.IntN(5) == 0 {
			g.c.add(llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart(text("user", 5+g.r.IntN(60)))}})
		}
		k := 1
		if g.r.IntN(4) == 0 {
			k = 2 + g.r.IntN(3)
		}
		var calls []llm.ToolCall
		for range k {
			g.calls++
			id := fmt.Sprintf("call%03d", g.calls)
			calls = append(calls, llm.ToolCall{ID: id, Name: tools[g.r.IntN(len(tools))],
				Args: json.RawMessage(fmt.Sprintf(`{"q":%q}`, text(id, 2+g.r.IntN(40))))})
		}
		thought := ""
		if g.r.IntN(2) == 0 {
			thought = text("thinking", 5+g.r.IntN(30))
		}
		g.c.call(thought, calls...)
		var parts []llm.Part
		var meta llm.Meta
		for _, call := range calls {
			var content string
			if len(g.pool) > 0 && g.r.IntN(6) == 0 {
				content = g.pool[g.r.IntN(len(g.pool))]
			} else {
				content = text(call.ID, 20+g.r.IntN(400))
				g.pool = append(g.pool, content)
			}
			if g.r.IntN(5) == 0 {
				content += "\n" // a near-duplicate
			}
			meta = llm.Meta{}
			if g.r.IntN(12) == 0 {
				meta.Pinned = true
			}
			if g.r.IntN(6) == 0 {
				meta.Artifact = "art_" + call.ID
				meta.Provenance = "https://example.com/" + call.ID
			}
			part := llm.ToolResultPart(llm.ToolResult{CallID: call.ID, Name: call.Name, Content: content})
			if k > 1 && g.r.IntN(4) == 0 {
				parts = append(parts, part)
				continue
			}
			g.c.add(llm.Message{Role: llm.RoleTool, Meta: meta, Parts: []llm.Part{part}})
		}
		if len(parts) > 0 {
			g.c.add(llm.Message{Role: llm.RoleTool, Meta: meta, Parts: parts})
		}
	}
}

func randomConfig(r *rand.Rand, full int) prune.Config {
	cfg := prune.Config{Keep: r.IntN(7) - 1, ClearToolInputs: r.IntN(2) == 0}
	switch r.IntN(4) {
	case 0:
	case 1:
		cfg.Trigger.Tokens = 1 + r.IntN(full)
	case 2:
		cfg.Trigger.Fraction = 0.4 + 0.5*r.Float64()
	case 3:
		cfg.Trigger.ToolUses = 1 + r.IntN(15)
	}
	if r.IntN(3) == 0 {
		cfg.ExcludeTools = []string{"write_notes"}
	}
	if r.IntN(3) == 0 {
		cfg.ClearAtLeast = r.IntN(8000)
	}
	return cfg
}

func pipeline(cfg prune.Config) []window.Policy {
	return []window.Policy{prune.NewDedupe(prune.DedupeConfig{}), prune.New(cfg)}
}

// origins maps the IDs of replacements recorded in tr to their targets.
func origins(tr *window.Transcript) map[string]string {
	out := map[string]string{}
	for _, e := range tr.Edits() {
		if e.Kind == window.EditReplace {
			for i, r := range e.Replacement {
				out[r.ID] = e.Targets[i]
			}
		}
	}
	return out
}

func originOf(orig map[string]string, id string) string {
	if o, ok := orig[id]; ok {
		return o
	}
	return id
}

func TestProperties(t *testing.T) {
	seeds := uint64(200)
	if raceEnabled || testing.Short() {
		seeds = 30
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			checkProperties(t, seed)
		})
	}
}

func checkProperties(t *testing.T, seed uint64) {
	build := func(turns int) (*conv, *gen) {
		c := newConv(fmt.Sprintf("s%d.", seed))
		g := &gen{r: rand.New(rand.NewPCG(seed, 1)), c: c}
		g.turns(turns)
		return g.c, g
	}
	r := rand.New(rand.NewPCG(seed, 2))
	turns := 5 + r.IntN(40)
	c, _ := build(turns)
	full := tok.CountMessages(c.msgs, nil)
	cfg := randomConfig(r, full)

	// The smallest view these settings allow: everything clearable cleared.
	best := cfg
	best.Trigger, best.ClearAtLeast = prune.Trigger{Tokens: 1}, 0
	bestView, bestRep := mustRun(t, c.transcript(t), 1<<30, pipeline(best)...)
	bestTokens := tok.CountMessages(bestView, nil)
	clearable := 0
	for _, e := range bestRep.Edits {
		if e.Policy == prune.Name {
			clearable = e.TokensFreed
		}
	}
	reachable := cfg.ClearAtLeast <= clearable

	limit := bestTokens + r.IntN(full-bestTokens+500)
	if r.IntN(8) == 0 {
		limit = max(bestTokens-1-r.IntN(500), 1)
		reachable = false
	}

	tr := c.transcript(t)
	view1, rep1, err := run(t, tr, limit, pipeline(cfg)...)
	if err != nil {
		require.ErrorIs(t, err, window.ErrOverBudget)
		require.False(t, reachable && limit >= bestTokens, "the view fits once everything clearable is cleared, so pruning must fit it (limit %d, best %d)", limit, bestTokens)
		return
	}
	require.LessOrEqual(t, rep1.TokensSent, limit)
	checkView(t, c.msgs, view1, rep1)

	// Determinism: the same log and config give the same view, byte for byte.
	c2, _ := build(turns)
	view1b, _, err := run(t, c2.transcript(t), limit, pipeline(cfg)...)
	require.NoError(t, err)
	require.Equal(t, mustJSON(t, view1), mustJSON(t, view1b))

	// More turns, a second pass: earlier edits render as they did, and the
	// view is unchanged up to the first message this pass edited.
	before := len(c.msgs)
	cMore, _ := build(turns + 1 + r.IntN(10))
	require.NoError(t, tr.Append(cMore.msgs[before:]...))
	limit2 := limit + tok.CountMessages(cMore.msgs[before:], nil)
	view2, rep2, err := run(t, tr, limit2, pipeline(cfg)...)
	if err != nil {
		require.ErrorIs(t, err, window.ErrOverBudget)
		return
	}
	checkView(t, cMore.msgs, view2, rep2)
	orig := origins(tr)
	edited2 := map[string]bool{}
	for _, e := range rep2.Edits {
		for _, id := range e.Targets {
			edited2[id] = true
		}
	}
	firstEdit := len(view1)
	for i, m := range view1 {
		if edited2[originOf(orig, m.ID)] {
			firstEdit = i
			break
		}
	}
	require.Equal(t, mustJSON(t, view1[:firstEdit]), mustJSON(t, view2[:firstEdit]), "prefix before the first new edit")
	byOrigin := map[string]llm.Message{}
	for _, m := range view2 {
		byOrigin[originOf(orig, m.ID)] = m
	}
	args2 := argsOf(view2)
	for _, m := range view1 {
		if _, replaced := orig[m.ID]; !replaced {
			continue
		}
		if m.Role == llm.RoleTool {
			require.Equal(t, m, byOrigin[originOf(orig, m.ID)], "a cleared result renders the same")
		}
		for _, call := range m.ToolCalls() {
			if string(call.Args) == "{}" {
				require.Equal(t, "{}", args2[call.ID], "cleared inputs stay cleared")
			}
		}
	}
}

// checkView asserts the engine's guarantees on a prepared view of log.
func checkView(t *testing.T, log, view []llm.Message, rep window.Report) {
	t.Helper()
	require.NoError(t, window.CheckPairs(view))
	inView := map[string]llm.Message{}
	for _, m := range view {
		inView[m.ID] = m
	}
	for _, m := range log {
		if window.Protected(m) {
			require.Equal(t, m, inView[m.ID], "protected message %s", m.ID)
		}
	}
	require.LessOrEqual(t, len(rep.Edits), 2)
	seen := map[string]bool{}
	for _, e := range rep.Edits {
		require.False(t, seen[e.Policy], "one edit per policy per pass")
		seen[e.Policy] = true
		for _, r := range e.Replacement {
			require.False(t, r.Meta.Pinned)
			if r.Role == llm.RoleTool {
				for _, res := range r.ToolResults() {
					if strings.HasPrefix(res.Content, "[tool result cleared") && r.Meta.Artifact != "" {
						require.Contains(t, res.Content, r.Meta.Artifact, "the placeholder names the handle")
					}
				}
			}
		}
	}
	require.Equal(t, rep.TokensBefore-rep.TokensSent, rep.TokensFreed, "tokens freed is the drop of the view")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
