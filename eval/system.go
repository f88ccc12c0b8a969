package eval

import (
	"context"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/research/verify"
)

// System is the system under test: it turns one sample into a research
// report with its sources, trajectory and usage. deepctx's research agent
// is one implementation (see Research); a user's own agent is another.
// Research must honour ctx and be safe for concurrent calls.
type System interface {
	Research(ctx context.Context, t Task) (Output, error)
}

// SystemFunc adapts a function to System.
type SystemFunc func(ctx context.Context, t Task) (Output, error)

// Research calls f.
func (f SystemFunc) Research(ctx context.Context, t Task) (Output, error) { return f(ctx, t) }

// Task is one run of the system: a sample under a variant.
type Task struct {
	Sample  Sample
	Variant Variant
	// Epoch numbers the repetitions of the sample, from 1.
	Epoch int
	// Dir is an empty folder for the run's files (report, sources, event
	// log); the log keeps it.
	Dir string
	// User answers clarifying questions as the sample's simulated user
	// would, and records the exchange.
	User *User
}

// Output is what the system produced for one task.
type Output struct {
	// Report is the final Markdown report: numbered citations [n] and a
	// Sources list.
	Report string `json:"report"`
	// Sources are the report's citations: Sources[i] is [i+1].
	Sources []Source `json:"sources"`
	// Drafts are the report's versions before the final one was chosen,
	// one per critique round (the first draft, then each revision), for
	// per-round scoring. Optional.
	Drafts []Draft `json:"drafts,omitempty"`
	// Usage sums the run's model calls.
	Usage llm.Usage `json:"usage"`
	// Model names the model or engine that ran.
	Model string `json:"model,omitempty"`
	// ModelCalls and ToolCalls count the run's calls.
	ModelCalls int `json:"model_calls"`
	ToolCalls  int `json:"tool_calls"`
	// PeakContext is the largest view (input tokens) sent in one call.
	PeakContext int `json:"peak_context_tokens"`
	// ContextEdits counts the context engine's edits.
	ContextEdits int `json:"context_edits,omitempty"`
	// Dialogue is what the agent asked the user and was answered.
	Dialogue []Exchange `json:"dialogue,omitempty"`
	// Warnings are problems the run worked around.
	Warnings []string `json:"warnings,omitempty"`
	// Trajectory names the run's event log (JSONL), relative to the
	// task's Dir. Optional.
	Trajectory string `json:"trajectory,omitempty"`
}

// Source is one cited passage of the corpus.
type Source struct {
	N     int    `json:"n"`
	DocID string `json:"doc_id"`
	Title string `json:"title,omitempty"`
	Path  string `json:"path,omitempty"`
	Chunk int    `json:"chunk"`
}

// Draft is one version of a report, with the agent's own critic score.
type Draft struct {
	Round   int      `json:"round"`
	Report  string   `json:"report"`
	Sources []Source `json:"sources"`
	// CriticScore is the agent's critic's score of the draft, when it
	// reviewed it.
	CriticScore *float64 `json:"critic_score,omitempty"`
}

// Exchange is one clarifying question and its answer.
type Exchange struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// Result is a finished run as scorers see it: the task's sample, variant
// and epoch, the system's output, and the corpus its citations resolve
// against.
type Result struct {
	Variant string        `json:"variant"`
	Epoch   int           `json:"epoch"`
	Output  Output        `json:"output"`
	Wall    time.Duration `json:"wall_ns"`
	// Corpus resolves citations against the corpus itself (not against
	// the run's own sources). Set by the runner; nil when no corpus is
	// open, and scorers that need it then fail.
	Corpus verify.Resolver `json:"-"`
	// Dir is the run's folder.
	Dir string `json:"-"`
}

// Citations returns the output's sources as the verifier's citations.
func (o Output) Citations() []verify.Citation {
	out := make([]verify.Citation, len(o.Sources))
	for i, s := range o.Sources {
		out[i] = verify.Citation{N: s.N, DocID: s.DocID, Chunk: s.Chunk}
	}
	return out
}
