package offload

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// genTurns returns random agent turns numbered from first: an assistant
// message with one to three tool calls, then their results (random sizes,
// sometimes an error, sometimes pinned), with user messages sprinkled in.
func genTurns(r *rand.Rand, first, turns int) []llm.Message {
	var msgs []llm.Message
	n := first
	id := func() string { n++; return fmt.Sprintf("m%04d", n) }
	tools := []string{"fetch", "search", "shell", "notes"}
	for range turns {
		if r.IntN(5) == 0 {
			msgs = append(msgs, msg(id(), llm.RoleUser, llm.TextPart(fmt.Sprintf("Also check item %d.", r.IntN(100)))))
		}
		var calls []llm.ToolCall
		for range 1 + r.IntN(3) {
			cid := fmt.Sprintf("call_%d", n*10+len(calls))
			calls = append(calls, llm.ToolCall{ID: cid, Name: tools[r.IntN(len(tools))], Args: json.RawMessage(`{"q":"x"}`)})
		}
		msgs = append(msgs, callMsg(id(), calls...))
		for _, c := range calls {
			size := 20 + r.IntN(2000)
			if r.IntN(5) < 2 {
				size = 4000 + r.IntN(16000) // over the threshold
			}
			res := llm.ToolResult{CallID: c.ID, Name: c.Name, Content: filler(r.Uint64(), size), IsError: r.IntN(10) == 0}
			m := msg(id(), llm.RoleTool, llm.ToolResultPart(res))
			m.Meta.Pinned = r.IntN(12) == 0
			msgs = append(msgs, m)
		}
	}
	return msgs
}

func TestPropertyRandomTranscripts(t *testing.T) {
	cfg := Config{MaxInlineTokens: 1000, PreviewTokens: 100, ExcludeTools: []string{"notes"}}
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			build := func() ([]llm.Message, *window.Transcript) {
				r := rand.New(rand.NewPCG(seed, 42))
				msgs := append([]llm.Message{
					msg("m0000", llm.RoleSystem, llm.TextPart("You are a careful researcher.")),
					msg("m0001", llm.RoleUser, llm.TextPart("Research the topic.")),
				}, genTurns(r, 1, 4+r.IntN(8))...)
				tr, err := window.NewTranscript(msgs...)
				require.NoError(t, err)
				return msgs, tr
			}
			newManager := func() *window.Manager {
				return &window.Manager{Tokenizer: tok, Policies: []window.Policy{New(openStore(t, t.TempDir()), cfg)}}
			}

			// Learn how small the policy gets the view, then make that
			// the budget.
			msgs, probe := build()
			_, rep, err := newManager().Prepare(bg, probe, nil, bigBudget)
			require.NoError(t, err)
			budget := window.Budget{Window: rep.TokensSent}

			_, tr := build()
			view, rep, err := newManager().Prepare(bg, tr, nil, budget)
			require.NoError(t, err)
			assert.LessOrEqual(t, rep.TokensSent, budget.Limit())
			assert.Equal(t, tok.CountMessages(view, nil), rep.TokensSent)
			if rep.TokensBefore > budget.Limit() {
				_, fresh := build()
				_, _, err := (&window.Manager{Tokenizer: tok}).Prepare(bg, fresh, nil, budget)
				assert.ErrorIs(t, err, window.ErrOverBudget, "the budget needs the policy")
			}

			// No orphans; every protected message is there, unchanged.
			require.NoError(t, window.CheckPairs(view))
			inView := map[string]llm.Message{}
			for _, v := range view {
				inView[v.ID] = v
			}
			offloaded := 0
			for _, m := range msgs {
				if window.Protected(m) {
					assert.Equal(t, m, inView[m.ID], "protected %s", m.ID)
					continue
				}
				v, kept := inView[m.ID]
				over := m.Role == llm.RoleTool && tok.CountMessage(m) > cfg.MaxInlineTokens && m.ToolResults()[0].Name != "notes"
				assert.Equal(t, over, !kept, "message %s is offloaded exactly when it is an eligible tool result over the threshold", m.ID)
				if kept {
					assert.Equal(t, m, v)
				} else {
					offloaded++
				}
			}
			for _, e := range rep.Edits {
				assert.Equal(t, Name, e.Policy)
				for i, target := range e.Targets {
					orig, _ := tr.Message(target)
					repl := e.Replacement[i]
					assert.Equal(t, orig.ToolResults()[0].CallID, repl.ToolResults()[0].CallID)
					assert.LessOrEqual(t, tok.CountMessage(repl), cfg.MaxInlineTokens)
					h, err := ParseHandle(repl.Meta.Artifact)
					require.NoError(t, err)
					assert.Equal(t, HandleOf(orig.ToolResults()[0].Content), h)
				}
			}
			if offloaded > 0 {
				assert.Len(t, rep.Edits, 1, "one Record per Apply")
			}

			// Deterministic: the same transcript and config, rebuilt,
			// give a byte-identical view.
			_, tr2 := build()
			view2, _, err := newManager().Prepare(bg, tr2, nil, budget)
			require.NoError(t, err)
			b1, err := json.Marshal(view)
			require.NoError(t, err)
			b2, err := json.Marshal(view2)
			require.NoError(t, err)
			assert.Equal(t, string(b1), string(b2))

			// Prefix stable: after more turns, the earlier view renders
			// the same at the head of the next one.
			r := rand.New(rand.NewPCG(seed, 43))
			require.NoError(t, tr.Append(genTurns(r, 5000, 3)...))
			m := newManager()
			later, _, err := m.Prepare(bg, tr, nil, bigBudget)
			require.NoError(t, err)
			require.NoError(t, window.CheckPairs(later))
			require.GreaterOrEqual(t, len(later), len(view))
			b3, err := json.Marshal(later[:len(view)])
			require.NoError(t, err)
			assert.Equal(t, string(b1), string(b3))
		})
	}
}
