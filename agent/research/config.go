package research

import (
	"errors"
	"fmt"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// Defaults of Config.
const (
	DefaultMaxConcurrentResearchers = 3
	DefaultMaxSupervisorIterations  = 4
	DefaultMaxToolCalls             = 12
	DefaultMaxCritiqueRounds        = 2
	DefaultFindingsBudget           = 1500
	DefaultTokenizerModel           = "gpt-4.1"
)

// ErrConfig reports an invalid Config.
var ErrConfig = errors.New("research: invalid config")

// Config configures an Agent. Only Model and Corpus are required.
type Config struct {
	// Model answers every call. Each request carries its role (planner
	// for clarify, brief and supervisor; researcher; compressor;
	// summarizer; writer; critic), so an *llm.Router gives each role its
	// own model, as Open Deep Research does. Required.
	Model llm.Model
	// Corpus is what researchers search and citations resolve against.
	// Required.
	Corpus Corpus
	// Tokenizer counts every view against the budget. Optional. Defaults
	// to tokens.ForModel(DefaultTokenizerModel).
	Tokenizer *tokens.Tokenizer
	// ContextWindow is the token budget of every model call (supervisor
	// and researchers alike); the context engine keeps each view inside
	// it. Optional. Defaults to the Tokenizer's model window.
	ContextWindow int
	// MaxConcurrentResearchers caps the researchers one supervisor turn
	// starts; they run in parallel. Optional. Defaults to
	// DefaultMaxConcurrentResearchers.
	MaxConcurrentResearchers int
	// MaxSupervisorIterations caps the supervisor's model calls.
	// Optional. Defaults to DefaultMaxSupervisorIterations.
	MaxSupervisorIterations int
	// MaxToolCalls caps each researcher's tool calls. Optional. Defaults
	// to DefaultMaxToolCalls.
	MaxToolCalls int
	// FindingsBudget caps each researcher's findings, in tokens; longer
	// findings are compressed. Optional. Defaults to
	// DefaultFindingsBudget.
	FindingsBudget int
	// MaxCritiqueRounds caps the revisions of the report. Every draft is
	// reviewed by the critic, so a run makes up to MaxCritiqueRounds+1
	// critic calls; the loop also stops when a revision does not score
	// higher than the best draft so far. Optional. Defaults to
	// DefaultMaxCritiqueRounds; a negative value turns the critique loop
	// off.
	MaxCritiqueRounds int
	// Clarify lets the agent ask the user a clarifying question before
	// research: the run pauses with a *graph.InterruptError and continues
	// with Agent.Resume and the answer. Optional. Defaults to false.
	Clarify bool
	// Artifacts receives tool results the context engine offloads; the
	// researchers get read_artifact and search_artifacts over it.
	// Optional. Defaults to none: nothing is offloaded and pruned results
	// are gone for good.
	Artifacts *offload.Store
	// NewManager returns the context engine of each transcript the agent
	// keeps (the supervisor's and every researcher's). Optional. Defaults
	// to engine.DefaultPolicy over Artifacts, summarizing with the
	// model's summarizer role. A Manager without policies sends
	// everything and fails a call whose view does not fit.
	NewManager func() *window.Manager
	// Checkpoints stores the run's checkpoints, so a failed, killed or
	// paused run resumes where it stopped. Optional. Defaults to an
	// in-memory store (resume within the process only).
	Checkpoints graph.CheckpointStore
}

func (c Config) withDefaults() (Config, error) {
	if c.Model == nil {
		return c, fmt.Errorf("%w: Model is required", ErrConfig)
	}
	if c.Corpus == nil {
		return c, fmt.Errorf("%w: Corpus is required", ErrConfig)
	}
	if c.Tokenizer == nil {
		c.Tokenizer = tokens.ForModel(DefaultTokenizerModel)
	}
	if c.ContextWindow <= 0 {
		c.ContextWindow = c.Tokenizer.Info().ContextWindow
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxConcurrentResearchers, DefaultMaxConcurrentResearchers)
	def(&c.MaxSupervisorIterations, DefaultMaxSupervisorIterations)
	def(&c.MaxToolCalls, DefaultMaxToolCalls)
	def(&c.FindingsBudget, DefaultFindingsBudget)
	def(&c.MaxCritiqueRounds, DefaultMaxCritiqueRounds)
	for name, v := range map[string]int{
		"MaxConcurrentResearchers": c.MaxConcurrentResearchers,
		"MaxSupervisorIterations":  c.MaxSupervisorIterations,
		"MaxToolCalls":             c.MaxToolCalls,
		"FindingsBudget":           c.FindingsBudget,
		"ContextWindow":            c.ContextWindow,
	} {
		if v < 0 {
			return c, fmt.Errorf("%w: %s is %d; it must be positive", ErrConfig, name, v)
		}
	}
	if c.Checkpoints == nil {
		c.Checkpoints = store.NewMemory()
	}
	return c, nil
}

// maxSteps bounds the graph's super-steps from the config: clarify, ask
// and brief; two per supervisor iteration (its turn, then its
// researchers) plus the final turn; write; a critique and a revision per
// round plus the last critique; finish. The slack covers supervisor turns
// that dispatch nothing.
func (c Config) maxSteps() int {
	rounds := max(c.MaxCritiqueRounds, 0)
	return 3 + 2*c.MaxSupervisorIterations + 1 + 1 + 2*rounds + 1 + 1 + 16
}

// budget is the budget of every view: the window, with room kept for the
// reply as window.BudgetFor keeps it.
func (c Config) budget() window.Budget {
	info := c.Tokenizer.Info()
	info.ContextWindow = c.ContextWindow
	return window.BudgetFor(info, 0)
}
