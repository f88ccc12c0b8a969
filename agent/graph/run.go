package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"
)

// Invoke runs the graph from initial until it reaches END, fails, pauses or
// ctx is cancelled, and returns the final state. On failure or pause it
// returns the state after the last completed step with the error: an
// *InterruptError (matching ErrInterrupted) when the run paused, a
// *NodeError when a task failed, a *StepLimitError, or the context's
// error (wrapped) when ctx was cancelled. Invoke returns only after every
// goroutine it started has ended.
func (r *Runnable[S]) Invoke(ctx context.Context, initial S, opts ...RunOption) (S, error) {
	run := r.newRun(ctx, opts, nil)
	defer run.close()
	return run.main(func() error { return run.start(initial) })
}

// Stream runs the graph like Invoke and yields its events as they happen:
// run_start, then per step node_start, custom events, node_end,
// state_update and checkpoint, and run_end. Every event is yielded with a
// nil error except the last, run_end, which carries the error Invoke would
// return (nil when the run reached END). Its Value holds the final state.
// Stopping the iteration cancels the run; the iterator returns once its
// goroutines have ended.
func (r *Runnable[S]) Stream(ctx context.Context, initial S, opts ...RunOption) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		run := r.newRun(ctx, opts, yield)
		defer run.endStream()
		run.main(func() error { return run.start(initial) })
	}
}

// Resume continues the run runID from its latest checkpoint in the store
// given with WithCheckpointer (or to Compile): tasks that finished before
// the checkpoint are not run again, a node that paused with Task.Interrupt
// runs again and receives WithResumeValue's answer. Resuming a finished
// run returns its final state. It fails with an error wrapping ErrNoStore
// without a store, ErrNoCheckpoint for an unknown run, and an error when
// the checkpoint was written by another graph.
func (r *Runnable[S]) Resume(ctx context.Context, runID string, opts ...RunOption) (S, error) {
	run := r.newRun(ctx, append(slices.Clip(opts), WithRunID(runID)), nil)
	defer run.close()
	return run.main(func() error { return run.resume(runID) })
}

// ResumeStream is Resume yielding events, as Stream does.
func (r *Runnable[S]) ResumeStream(ctx context.Context, runID string, opts ...RunOption) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		run := r.newRun(ctx, append(slices.Clip(opts), WithRunID(runID)), yield)
		defer run.endStream()
		run.main(func() error { return run.resume(runID) })
	}
}

// run is one execution of a Runnable.
type run[S any] struct {
	core
	g         *Runnable[S]
	cfg       runConfig
	ctx       context.Context
	state     S
	snap      S               // state before the running step, slices clipped: what its nodes get
	stateJSON json.RawMessage // JSON of state, when persisting
	step      int             // completed steps
	seq       int             // last checkpoint Seq
	status    RunStatus       // status of the last checkpoint
	cur       []*slot[S]      // tasks of step step+1, in merge order
	next      []*slot[S]
	free      []*slot[S]
	nodes     []nodeRun
	acts      []int      // nodes activated by edges for the next step
	pausing   bool       // interrupt before/after options are set
	todo      []*slot[S] // scratch: the unfinished tasks of the running step
	ended     bool       // main returned normally: the run may be pooled
}

// nodeRun is a run's per-node bookkeeping.
type nodeRun struct {
	before, after  bool // interrupt options
	active, routed bool // scratch for routing a step
	sends          int  // scratch: sends to the node in the next step
	runs, lastStep int  // for StepLimitError
}

func (r *Runnable[S]) newRun(ctx context.Context, opts []RunOption, yield func(Event, error) bool) *run[S] {
	run := r.acquire(ctx)
	r.config(&run.cfg, opts)
	cfg := &run.cfg
	run.core.graph = r.name
	run.core.id = cfg.runID
	run.core.sinks = cfg.sinks
	run.core.yield = yield
	run.core.events = yield != nil || len(cfg.sinks) > 0
	run.core.persist = cfg.store != nil
	if run.events || run.persist {
		run.ctx, run.core.cancel = context.WithCancelCause(ctx)
	}
	return run
}

// acquire returns a run of r, reusing the buffers of a finished one.
func (r *Runnable[S]) acquire(ctx context.Context) *run[S] {
	x, _ := r.pool.Get().(*run[S])
	if x == nil {
		x = &run[S]{nodes: make([]nodeRun, len(r.nodes))}
	}
	x.g, x.ctx = r, ctx
	return x
}

// endStream closes a streamed run and raises again a panic of the
// consumer's loop body.
func (r *run[S]) endStream() {
	p := r.panicked
	r.close()
	if p != nil {
		panic(p.value)
	}
}

// maxPooledSlots bounds the task slots a pooled run keeps.
const maxPooledSlots = 1024

// close ends the run and returns its buffers to the graph's pool. Nothing
// of the run may be used afterwards: every goroutine it started has ended
// and Tasks are valid only during Node.Run.
func (r *run[S]) close() {
	if r.core.cancel != nil {
		r.core.cancel(context.Canceled)
	}
	if !r.ended || len(r.free)+len(r.cur) > maxPooledSlots {
		return // a panic unwound the run, or it is too big to keep
	}
	r.recycle(r.cur)
	clear(r.cur)
	clear(r.next)
	g, nodes, free := r.g, r.nodes, r.free
	cur, next, todo, acts := r.cur[:0], r.next[:0], r.todo[:0], r.acts[:0]
	clear(nodes)
	*r = run[S]{nodes: nodes, free: free, cur: cur, next: next, todo: todo, acts: acts}
	g.pool.Put(r)
}

// main runs begin (a start or a resume) between the run's first and last
// events.
func (r *run[S]) main(begin func() error) (S, error) {
	var t0 time.Time
	if r.events {
		t0 = time.Now()
		ev := r.event(EventRunStart, r.step)
		ev.Name = r.g.name
		r.deliver(ev)
	}
	err := begin()
	if f := r.fatalErr(); f != nil {
		err = f
	}
	if r.events {
		if err != nil && !paused(err) {
			ev := r.event(EventError, r.step)
			ev.Err = err.Error()
			r.deliver(ev)
		}
		ev := r.event(EventRunEnd, r.step)
		ev.Duration = time.Since(t0)
		ev.Value = r.state
		if err != nil {
			ev.Err = err.Error()
		}
		r.deliverWith(ev, err)
	}
	r.ended = true
	return r.state, err
}

// paused reports whether err is a pause rather than a failure: the run's
// own InterruptError, or a subgraph's run stopped by an interrupt.
func paused(err error) bool {
	var ie *InterruptError
	return errors.As(err, &ie) || errors.Is(err, errPaused)
}

// prepare checks the run options against the graph.
func (r *run[S]) prepare() error {
	mark := func(names []string, set func(*nodeRun)) error {
		for _, name := range names {
			i, ok := r.g.byName[name]
			if !ok {
				return fmt.Errorf("graph %q: interrupt option names unknown node %q", r.graph, name)
			}
			set(&r.nodes[i])
			r.pausing = true
		}
		return nil
	}
	if err := mark(r.cfg.before, func(n *nodeRun) { n.before = true }); err != nil {
		return err
	}
	return mark(r.cfg.after, func(n *nodeRun) { n.after = true })
}

// start begins a new run from initial.
func (r *run[S]) start(initial S) error {
	if err := r.prepare(); err != nil {
		return err
	}
	r.state = initial
	clipSlices(&r.state, r.g.clips)
	if r.persist {
		if err := r.checkNewRun(); err != nil {
			return err
		}
		if err := r.encodeState(); err != nil {
			return err
		}
	}
	if err := r.routeFrom(START, &r.g.entry, 0); err != nil {
		return err
	}
	r.setCur(r.collect(1, nil))
	if err := r.scheduled(-1); err != nil {
		return err
	}
	return r.loop()
}

// checkNewRun refuses to start a run under an ID the store already holds.
func (r *run[S]) checkNewRun() error {
	if r.cfg.runID == "" {
		return nil
	}
	_, err := r.cfg.store.Latest(r.ctx, r.cfg.runID)
	switch {
	case err == nil:
		return fmt.Errorf("graph %q: run %q already exists (use Resume)", r.graph, r.cfg.runID)
	case errors.Is(err, ErrNoCheckpoint):
		return nil
	}
	return fmt.Errorf("graph %q: checking run %q: %w", r.graph, r.cfg.runID, err)
}

// loop runs steps until no work is left, a step fails or the run pauses.
func (r *run[S]) loop() error {
	for {
		if len(r.cur) == 0 {
			if r.status != StatusDone {
				return r.save(StatusDone, nil, "")
			}
			return nil
		}
		if err := r.ctx.Err(); err != nil {
			return r.failed(r.cancelErr(r.step + 1))
		}
		if r.step >= r.cfg.maxSteps {
			return r.failed(r.stepLimitError())
		}
		k := r.step + 1
		intr, err := r.runStep(k)
		if err != nil {
			return r.failed(err)
		}
		if intr != nil {
			return r.interrupted(intr)
		}
		after, err := r.advance(k)
		if err != nil {
			return r.failed(err)
		}
		r.step = k
		if err := r.scheduled(after); err != nil {
			return err
		}
	}
}

// scheduled records a step boundary: r.state is the state after r.step and
// r.cur the next step's tasks. It publishes the state, pauses if an
// interrupt option asks to (after is the node index that ran with an
// interrupt-after, or -1), and writes the checkpoint.
func (r *run[S]) scheduled(after int) error {
	if r.persist && r.step > 0 {
		if err := r.encodeState(); err != nil {
			return err // the latest checkpoint stays consistent: resumable
		}
	}
	if r.events && r.step > 0 {
		r.publishState()
	}
	var intr *Interrupt
	if after >= 0 {
		intr = &Interrupt{Node: r.g.nodes[after].name, When: WhenAfter}
	} else if r.pausing {
		intr = r.pauseBefore()
	}
	if intr != nil {
		return r.interrupted(intr)
	}
	status := StatusRunning
	if len(r.cur) == 0 {
		status = StatusDone
	}
	return r.save(status, nil, "")
}

// publishState delivers the EventStateUpdate of step r.step. Without a
// store, a state that does not encode as JSON is reported in Event.Err
// rather than failing the run.
func (r *run[S]) publishState() {
	ev := r.event(EventStateUpdate, r.step)
	st := r.state
	clipSlices(&st, r.g.clips) // the run goes on appending to r.state's arrays
	ev.Value = st
	if r.persist {
		ev.Data = r.stateJSON
	} else if b, err := json.Marshal(r.state); err == nil {
		ev.Data = b
	} else {
		ev.Err = "graph: state is not JSON: " + err.Error()
	}
	r.deliver(ev)
}

func (r *run[S]) pauseBefore() *Interrupt {
	for _, s := range r.cur {
		if r.nodes[s.t.nodeIdx].before {
			return &Interrupt{Node: s.t.node, When: WhenBefore}
		}
	}
	return nil
}

func (r *run[S]) encodeState() error {
	b, err := json.Marshal(r.state)
	if err != nil {
		return fmt.Errorf("graph %q: encoding the state: %w", r.graph, err)
	}
	r.stateJSON = b
	return nil
}

// interrupted pauses the run at intr.
func (r *run[S]) interrupted(intr *Interrupt) error {
	if err := r.save(StatusInterrupted, intr, ""); err != nil {
		return err
	}
	if r.events {
		ev := r.event(EventInterrupt, r.step)
		ev.Node, ev.TaskID, ev.Interrupt = intr.Node, intr.TaskID, intr
		r.deliver(ev)
	}
	return &InterruptError{RunID: r.runID(), Interrupt: *intr}
}

// failed records the run's failure and returns err.
func (r *run[S]) failed(err error) error {
	if f := r.fatalErr(); f != nil {
		return f // the store or a sink failed; do not write again
	}
	if serr := r.save(StatusFailed, nil, err.Error()); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// cancelErr is the error of a run whose context ended before or during
// step. It matches the context's error (context.Canceled or
// context.DeadlineExceeded) and, when it differs, the cancellation cause.
func (r *run[S]) cancelErr(step int) error {
	err, cause := r.ctx.Err(), context.Cause(r.ctx)
	if cause == nil || cause == err {
		return fmt.Errorf("graph %q: run %q cancelled in step %d: %w", r.graph, r.runID(), step, err)
	}
	return fmt.Errorf("graph %q: run %q cancelled in step %d: %w: %w", r.graph, r.runID(), step, cause, err)
}

// stepLimitError names the nodes that kept the run going: those that ran
// more than once within the last len(nodes) steps.
func (r *run[S]) stepLimitError() error {
	var loop []int
	for i, n := range r.nodes {
		if n.runs >= 2 && n.lastStep > r.step-len(r.nodes) {
			loop = append(loop, i)
		}
	}
	if len(loop) == 0 {
		for _, s := range r.cur {
			if !slices.Contains(loop, s.t.nodeIdx) {
				loop = append(loop, s.t.nodeIdx)
			}
		}
	}
	slices.SortStableFunc(loop, func(a, b int) int { return r.nodes[a].lastStep - r.nodes[b].lastStep })
	names := make([]string, 0, len(loop))
	for _, i := range loop {
		names = append(names, r.g.nodes[i].name)
	}
	return &StepLimitError{Graph: r.graph, Limit: r.cfg.maxSteps, Nodes: names}
}
