package graph

import (
	"context"
	"fmt"
	"slices"
)

// Subgraph returns a node of a parent graph (state P) that runs child, a
// graph with its own state type C: how a sub-agent gets an isolated state.
// in builds the child's initial state from the parent's state and the
// node's Send input (the zero I when the node is reached by an edge); out
// turns the child's final state into the parent's update.
//
// The child runs to completion inside the parent's task, with the child's
// own step limit and concurrency (from its Compile options) and the
// parent's context. Its events flow into the parent's stream and sinks,
// with Event.Path holding the IDs of the enclosing subgraph tasks (so
// the child runs of parallel Sends to one subgraph node stay apart). The child is not
// checkpointed on its own: the parent checkpoints the subgraph node's
// update like any task's, and a parent resumed before the node finished
// runs the child again from its start. An interrupt raised inside the
// child pauses the parent run; on resume the child runs again from its
// start and its Interrupt calls receive the answers in order (so the
// child should reach them deterministically). The child's checkpoint
// store, sinks and interrupt options, if it was compiled with any, are
// not used.
func Subgraph[P, I, C any](child *Runnable[C], in func(parent P, input I) C, out func(child C) P) Node[P] {
	return NodeFunc[P](func(ctx context.Context, parent P, t *Task) (P, error) {
		var zero P
		input, err := inputAs[I](t)
		if err != nil {
			return zero, err
		}
		final, err := child.runChild(ctx, in(parent, input), t)
		if err != nil {
			return zero, fmt.Errorf("subgraph %q: %w", child.name, err)
		}
		return out(final), nil
	})
}

// runChild runs r as the subgraph of parent's task.
func (r *Runnable[S]) runChild(ctx context.Context, initial S, parent *Task) (S, error) {
	run := r.acquire(ctx)
	r.config(&run.cfg, nil)
	cfg := &run.cfg
	cfg.store, cfg.sinks, cfg.before, cfg.after = nil, nil, nil, nil
	run.core.graph = r.name
	run.core.id = parent.RunID()
	run.core.parent = parent
	run.core.events = parent.core.events
	run.core.path = append(slices.Clip(parent.core.path), parent.ID())
	if run.events {
		run.ctx, run.core.cancel = context.WithCancelCause(ctx)
	}
	defer run.close()
	return run.main(func() error { return run.start(initial) })
}
