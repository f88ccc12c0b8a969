package eval

import (
	"context"
	"errors"
	"fmt"
)

// Score is one scorer's verdict on one report.
type Score struct {
	// Value is the score. Its scale is the scorer's: a share in [0, 1]
	// for recall and accuracy scorers, a count or an amount for
	// efficiency scorers.
	Value float64 `json:"value"`
	// Explanation says how the value came about, for reports.
	Explanation string `json:"explanation,omitempty"`
	// Metadata holds details for drill-down views (facts found and
	// missed, per-claim verdicts, judge replies).
	Metadata map[string]any `json:"metadata,omitempty"`
	// Skipped marks a scorer that could not run for a reason that is not
	// a failure (no judge configured, no reference report): the value is
	// absent, not zero, and statistics leave it out.
	Skipped bool `json:"skipped,omitempty"`
	// Error is why the scorer failed. A failed score is not a zero:
	// statistics leave it out and reports show it.
	Error string `json:"error,omitempty"`
}

// Valid reports whether the score has a value statistics may use.
func (s Score) Valid() bool { return !s.Skipped && s.Error == "" }

// ErrSkip is returned by a Scorer that does not apply (no judge model,
// no reference): the runner records the score as skipped, not as zero.
var ErrSkip = errors.New("eval: scorer skipped")

// Skip returns an error wrapping ErrSkip with the reason.
func Skip(reason string) error { return skipError(reason) }

type skipError string

func (e skipError) Error() string { return "skipped: " + string(e) }
func (e skipError) Is(target error) bool {
	return target == ErrSkip
}

// Scorer scores one research result against its sample. Score must be
// safe for concurrent use. An error wrapping ErrSkip records the score as
// skipped; any other error records it as failed (never as zero).
type Scorer interface {
	Score(ctx context.Context, s Sample, r Result) (Score, error)
}

// ScorerFunc adapts a function to Scorer.
type ScorerFunc func(ctx context.Context, s Sample, r Result) (Score, error)

// Score calls f.
func (f ScorerFunc) Score(ctx context.Context, s Sample, r Result) (Score, error) {
	return f(ctx, s, r)
}

// Named is a Scorer with the name its scores are recorded under. Names
// are part of the interface: logs, reports and --json output use them.
type Named struct {
	Name   string
	Scorer Scorer
	// Higher says whether a higher value is better; comparisons and gates
	// use it. Scorers of cost (tokens, dollars, seconds) set it false.
	Higher bool
}

// PairScorer scores two variants' results for the same sample against
// each other, e.g. an LLM judge's side-by-side preference.
type PairScorer interface {
	ScorePair(ctx context.Context, s Sample, a, b Result) (PairScore, error)
}

// PairScore is a side-by-side verdict: Value is the share of wins of B
// over A in [0, 1] (ties count half), with each judge's verdicts and
// their agreement in Metadata.
type PairScore struct {
	Value  float64 `json:"value"`
	Winner string  `json:"winner"` // "a", "b" or "tie"
	// Verdicts are each judge's verdict ("a", "b" or "tie"), in panel
	// order: summaries measure the panel's agreement across samples
	// from them.
	Verdicts    []string       `json:"verdicts,omitempty"`
	Explanation string         `json:"explanation,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	Skipped     bool           `json:"skipped,omitempty"`
	Error       string         `json:"error,omitempty"`
}

// scoreOf runs sc and converts its error into a skipped or failed Score.
func scoreOf(ctx context.Context, sc Scorer, s Sample, r Result) Score {
	v, err := safeScore(ctx, sc, s, r)
	switch {
	case err == nil:
		return v
	case errors.Is(err, ErrSkip):
		return Score{Skipped: true, Explanation: err.Error()}
	default:
		return Score{Error: err.Error()}
	}
}

// safeScore turns a panicking scorer into an error.
func safeScore(ctx context.Context, sc Scorer, s Sample, r Result) (v Score, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return sc.Score(ctx, s, r)
}

// Cache keeps what a scorer computes once per suite and must not
// recompute on rescoring (a judge's generated rubric), in the eval log.
// Implementations are safe for concurrent use.
type Cache interface {
	// Load decodes the value stored under key into v and reports whether
	// there was one.
	Load(key string, v any) (bool, error)
	// Save stores v under key, replacing any earlier value.
	Save(key string, v any) error
}

type panicError struct{ v any }

func (e panicError) Error() string { return fmt.Sprintf("eval: scorer panicked: %v", e.v) }
