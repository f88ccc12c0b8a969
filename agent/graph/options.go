package graph

// Defaults of the run options.
const (
	// DefaultMaxSteps is the step limit of a run without WithMaxSteps.
	DefaultMaxSteps = 100
	// DefaultConcurrency is the number of tasks of a step that run at once
	// without WithConcurrency.
	DefaultConcurrency = 8
)

// RunOption configures one run. Options given to Compile apply to every
// run first; a run's own options override them (WithSinks and the
// interrupt options add to them).
type RunOption func(*runConfig)

type runConfig struct {
	runID       string
	store       CheckpointStore
	sinks       []EventSink
	before      []string
	after       []string
	resume      any
	hasResume   bool
	maxSteps    int
	concurrency int
}

// config applies the run options, after the graph's defaults, to c.
func (r *Runnable[S]) config(c *runConfig, opts []RunOption) {
	for _, o := range r.defaults {
		o(c)
	}
	for _, o := range opts {
		o(c)
	}
	if c.maxSteps <= 0 {
		c.maxSteps = DefaultMaxSteps
	}
	if c.concurrency <= 0 {
		c.concurrency = DefaultConcurrency
	}
}

// WithRunID names a new run. With a checkpoint store, the ID must not be in
// use. Optional. Defaults to a fresh ID (UTC time and random digits, e.g.
// "20250102T150405-1a2b3c4d"). Resume ignores it.
func WithRunID(id string) RunOption {
	return func(c *runConfig) { c.runID = id }
}

// WithCheckpointer persists the run to store: a checkpoint after every step
// and after every task that finishes in a step with several tasks, so that
// Resume continues a run that was interrupted, failed or killed without
// redoing finished work. The state, updates and Send inputs must then
// round-trip through encoding/json. Optional. Defaults to no persistence:
// nothing is encoded and runs cannot be resumed.
func WithCheckpointer(store CheckpointStore) RunOption {
	return func(c *runConfig) { c.store = store }
}

// WithSinks sends every event of the run to sinks, in order, from one
// goroutine at a time. A sink's error stops the run with that error.
// Optional. Defaults to none.
func WithSinks(sinks ...EventSink) RunOption {
	return func(c *runConfig) { c.sinks = append(c.sinks, sinks...) }
}

// WithInterruptBefore pauses the run before a step that would run any of
// nodes; resuming runs that step. Optional.
func WithInterruptBefore(nodes ...string) RunOption {
	return func(c *runConfig) { c.before = append(c.before, nodes...) }
}

// WithInterruptAfter pauses the run after a step that ran any of nodes,
// once its updates are merged; resuming continues with the next step.
// Optional.
func WithInterruptAfter(nodes ...string) RunOption {
	return func(c *runConfig) { c.after = append(c.after, nodes...) }
}

// WithResumeValue is the human's answer when resuming a run that a node
// paused with Task.Interrupt: the node runs again and its Interrupt call
// returns answer's JSON. Ignored by runs that did not pause that way.
func WithResumeValue(answer any) RunOption {
	return func(c *runConfig) { c.resume, c.hasResume = answer, true }
}

// WithMaxSteps bounds the number of super-steps of the run, counted from
// its start across resumes; reaching it with work left fails the run with a
// *StepLimitError. Optional. Defaults to DefaultMaxSteps.
func WithMaxSteps(n int) RunOption {
	return func(c *runConfig) { c.maxSteps = n }
}

// WithConcurrency bounds how many tasks of one step run at once (a step's
// Sends beyond it wait for a free slot, in send order). Subgraphs apply
// their own bound inside their node. Optional. Defaults to
// DefaultConcurrency.
func WithConcurrency(n int) RunOption {
	return func(c *runConfig) { c.concurrency = n }
}
