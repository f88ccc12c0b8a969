package contextbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// Window is the context window the benchmark holds every strategy to.
const Window = 128_000

// CachedInputPrice is the share of the normal input price that cached
// prompt tokens bill at (the longest prefix shared with the previous
// request).
const CachedInputPrice = 0.10

// HeavyHistory is the log size from which the CPU time of a strategy's
// View is sampled ("per turn at 200k-token histories").
const HeavyHistory = 200_000

// FactStatus says how a planted fact stands when a step needs it.
type FactStatus string

// Fact statuses, from best to worst.
const (
	FactVerbatim FactStatus = "verbatim" // in the view as it was planted
	FactSummary  FactStatus = "summary"  // in a summary or the notes
	FactHandle   FactStatus = "handle"   // reachable through an artifact handle in the view
	FactLost     FactStatus = "lost"
)

// Result is one strategy's figures on one trajectory.
type Result struct {
	Strategy string `json:"strategy"`
	Steps    int    `json:"steps"`
	// Billed is the cumulative billed input tokens after each step, with
	// the cache simulation (shared prefix at CachedInputPrice).
	Billed []float64 `json:"billed"`
	// Sent is the size of each request.
	Sent []int `json:"sent"`
	// Peak is the largest request.
	Peak int `json:"peak"`
	// OverWindow counts requests larger than Window.
	OverWindow int `json:"over_window"`
	// Facts counts planted facts by status when needed.
	Facts map[FactStatus]int `json:"facts"`
	// PrefixStability is the mean share of the previous request that the
	// next one repeats as its prefix (1 = append-only).
	PrefixStability float64 `json:"prefix_stability"`
	// HeavyTurnCPU is the mean wall time of View once the log holds
	// HeavyHistory tokens or more; 0 if it never does.
	HeavyTurnCPU time.Duration `json:"heavy_turn_cpu"`
	// Err is the first error the strategy returned, if any; the run stops
	// there, and the other figures cover the steps before it.
	Err string `json:"error,omitempty"`
}

// Completed reports whether the strategy got through every step.
func (r Result) Completed() bool { return r.Err == "" && len(r.Sent) == r.Steps }

// TotalBilled returns the final cumulative billed input tokens.
func (r Result) TotalBilled() float64 {
	if len(r.Billed) == 0 {
		return 0
	}
	return r.Billed[len(r.Billed)-1]
}

// Recoverable returns the share of facts not lost.
func (r Result) Recoverable() float64 {
	total := 0
	for _, n := range r.Facts {
		total += n
	}
	if total == 0 {
		return 1
	}
	return float64(total-r.Facts[FactLost]) / float64(total)
}

// Run plays tr through s: after every step it takes the strategy's view
// (one model request), and measures it with tok.
func Run(ctx context.Context, tr Trajectory, s Strategy, tok *tokens.Tokenizer) Result {
	res := Result{Strategy: s.Name(), Steps: len(tr.Steps), Facts: map[FactStatus]int{}}
	if err := s.Add(ctx, tr.Task...); err != nil {
		res.Err = err.Error()
		return res
	}
	var prev []llm.Message
	prevTokens, logTokens := 0, tok.CountMessages(tr.Task, nil)
	var billed, stability float64
	var heavy time.Duration
	heavyTurns := 0
	for i, step := range tr.Steps {
		if err := s.Add(ctx, step.Call, step.Result); err != nil {
			res.Err = fmt.Sprintf("step %d: %v", i, err)
			break
		}
		logTokens += tok.CountMessage(step.Call) + tok.CountMessage(step.Result)
		start := time.Now()
		view, err := s.View(ctx)
		took := time.Since(start)
		if err != nil {
			res.Err = fmt.Sprintf("step %d: %v", i, err)
			break
		}
		if logTokens >= HeavyHistory {
			heavy += took
			heavyTurns++
		}
		sent := tok.CountMessages(view, nil)
		shared := sharedPrefix(prev, view, tok)
		billed += float64(sent) - (1-CachedInputPrice)*float64(shared)
		if prevTokens > 0 {
			stability += float64(shared) / float64(prevTokens)
		}
		res.Billed = append(res.Billed, billed)
		res.Sent = append(res.Sent, sent)
		res.Peak = max(res.Peak, sent)
		if sent > Window {
			res.OverWindow++
		}
		for _, f := range tr.Facts {
			if f.NeededAt == i {
				res.Facts[factStatus(ctx, s, view, f.Text)]++
			}
		}
		prev, prevTokens = view, sent-tokens.ReplyPrimingTokens // the messages alone
	}
	if n := len(res.Sent) - 1; n > 0 {
		res.PrefixStability = stability / float64(n)
	}
	if heavyTurns > 0 {
		res.HeavyTurnCPU = heavy / time.Duration(heavyTurns)
	}
	return res
}

// sharedPrefix returns the tokens of the leading messages b repeats from a
// byte for byte.
func sharedPrefix(a, b []llm.Message, tok *tokens.Tokenizer) int {
	shared := 0
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].ID != b[i].ID || !sameMessage(a[i], b[i]) {
			break
		}
		shared += tok.CountMessage(b[i])
	}
	return shared
}

func sameMessage(a, b llm.Message) bool {
	ja, _ := json.Marshal(a) // llm.Message always marshals
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// factStatus classifies how fact stands in view.
func factStatus(ctx context.Context, s Strategy, view []llm.Message, fact string) FactStatus {
	for _, m := range view {
		if !strings.Contains(messageText(m), fact) {
			continue
		}
		if m.Meta.Provenance == "summary" || strings.HasPrefix(m.Meta.Provenance, "summary") || strings.HasPrefix(m.Meta.Provenance, "notes") {
			return FactSummary
		}
		return FactVerbatim
	}
	if r, ok := s.(HandleRecoverer); ok && r.RecoverableByHandle(ctx, view, fact) {
		return FactHandle
	}
	return FactLost
}

func messageText(m llm.Message) string {
	var b strings.Builder
	for _, p := range m.Parts {
		switch p.Kind {
		case llm.PartText:
			b.WriteString(p.Text)
		case llm.PartToolResult:
			b.WriteString(p.ToolResult.Content)
		}
	}
	return b.String()
}
