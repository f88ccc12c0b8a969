// Package graph is the runtime deepctx agents run on: a graph of nodes over
// a typed state, executed in super-steps, with parallel fan-out,
// subgraphs, checkpoints, resume, human-in-the-loop interrupts and an event
// stream. LangGraph users will recognise the model.
//
// # State and reducers
//
// A graph is generic over its state type S, usually a struct. A node
// returns an update of type S holding only the fields it changes; the
// runtime merges updates into the state with per-field reducers declared
// in New: Field with Append, Merge or any func(cur, upd T) T. A zero field
// in an update means "no change"; fields without a reducer take the
// update's value when it is non-zero. Merging uses precomputed field
// offsets, not reflection, for the common field types.
//
// # Execution
//
// Each super-step runs its tasks concurrently (up to WithConcurrency), waits
// for all of them, merges their updates in a fixed order (nodes reached by
// edges in the order the nodes were added to the graph, then Sends in the
// order they were made, never completion order), then follows the edges of
// the nodes that ran to find the next step's tasks. A node reached from
// several tasks of a step runs once in the next step: that is how a
// fan-out joins. A node fans out with Task.Send: each Send becomes a task
// of the target node in the next step, with its own input (see InputNode).
// The run ends when a step schedules no further work, normally because
// every branch routed to END.
//
// Compile rejects graphs with unknown, duplicate or unreachable nodes and
// nodes with no path to END. Runs are bounded by WithMaxSteps; nodes by
// WithTimeout and WithRetry. A node's panic becomes a *NodeError; a
// cancelled context stops every task promptly, and a run returns only
// after all its goroutines have ended.
//
// # Checkpoints, resume and interrupts
//
// With WithCheckpointer, the run writes a Checkpoint after each step and
// after each task that finishes within a step of several tasks; Resume
// continues from the latest one without re-running finished tasks, after a
// failure, a pause or a killed process. WithInterruptBefore/After and
// Task.Interrupt pause a run for a human; Resume with WithResumeValue
// delivers the answer.
//
// # Events
//
// Stream yields the run's events (see EventKind) as an iter.Seq2, and
// WithSinks sends them to EventSinks (the observe package has JSONL and
// OpenTelemetry sinks). A run nobody observes builds no events at all.
//
// # Example
//
//	type State struct {
//		Question string
//		Notes    []string
//	}
//
//	g := graph.New("qa", graph.Field(func(s *State) *[]string { return &s.Notes }, graph.Append[string]))
//	g.AddNodeFunc("search", func(ctx context.Context, s State, t *graph.Task) (State, error) {
//		return State{Notes: []string{"found: " + s.Question}}, nil
//	})
//	g.AddEdge(graph.START, "search").AddEdge("search", graph.END)
//	r, err := g.Compile()
//	if err != nil {
//		return err
//	}
//	final, err := r.Invoke(ctx, State{Question: "why is the sky blue?"})
package graph
