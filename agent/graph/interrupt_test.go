package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
)

// chain returns a compiled a -> b -> c graph that counts node runs.
func chain(t *testing.T, calls *counter, opts ...graph.RunOption) *graph.Runnable[Log] {
	t.Helper()
	node := func(name string) func(context.Context, Log, *graph.Task) (Log, error) {
		return func(context.Context, Log, *graph.Task) (Log, error) {
			calls.inc(name)
			return Log{Steps: []string{name}}, nil
		}
	}
	g := graph.New("chain", logField()).
		AddNodeFunc("a", node("a")).AddNodeFunc("b", node("b")).AddNodeFunc("c", node("c")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
	r, err := g.Compile(opts...)
	require.NoError(t, err)
	return r
}

func TestInterruptBeforeAndAfter(t *testing.T) {
	tests := []struct {
		name      string
		opt       graph.RunOption
		node      string
		when      string
		wantSteps []string // state when paused
	}{
		{"before", graph.WithInterruptBefore("b"), "b", graph.WhenBefore, []string{"a"}},
		{"before first", graph.WithInterruptBefore("a"), "a", graph.WhenBefore, nil},
		{"after", graph.WithInterruptAfter("b"), "b", graph.WhenAfter, []string{"a", "b"}},
		{"after last", graph.WithInterruptAfter("c"), "c", graph.WhenAfter, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := newCounter()
			store := newMemStore()
			r := chain(t, calls, graph.WithCheckpointer(store))
			ctx := context.Background()

			id := strings.ReplaceAll("run-"+tt.name, " ", "-")
			paused, err := r.Invoke(ctx, Log{}, graph.WithRunID(id), tt.opt)
			require.ErrorIs(t, err, graph.ErrInterrupted)
			var ie *graph.InterruptError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, id, ie.RunID)
			assert.Equal(t, graph.Interrupt{Node: tt.node, When: tt.when}, ie.Interrupt)
			assert.Equal(t, tt.wantSteps, paused.Steps)
			cp, err := store.Latest(ctx, ie.RunID)
			require.NoError(t, err)
			assert.Equal(t, graph.StatusInterrupted, cp.Status)

			// Resuming does not pause again at the same place, and runs
			// every node exactly once overall.
			got, err := r.Resume(ctx, ie.RunID, tt.opt)
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b", "c"}, got.Steps)
			for _, n := range []string{"a", "b", "c"} {
				assert.Equal(t, 1, calls.get(n), n)
			}
		})
	}
}

func TestInterruptOptionsNameNodes(t *testing.T) {
	r := chain(t, newCounter())
	_, err := r.Invoke(context.Background(), Log{}, graph.WithInterruptBefore("ghost"))
	assert.ErrorContains(t, err, `unknown node "ghost"`)
}

// Approval is the answer a human gives the planner.
type Approval struct {
	OK   bool   `json:"ok"`
	Note string `json:"note"`
}

func TestInterruptInsideNodeResumesWithAnswers(t *testing.T) {
	calls := newCounter()
	store := newMemStore()
	g := graph.New("hitl", logField()).
		AddNodeFunc("clarify", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			calls.inc("clarify")
			topic, err := graph.Ask[string](task, map[string]string{"question": "which topic?"})
			if err != nil {
				return Log{}, err
			}
			plan, err := graph.Ask[Approval](task, "approve plan for "+topic+"?")
			if err != nil {
				return Log{}, err
			}
			return Log{Steps: []string{"topic=" + topic, "note=" + plan.Note}}, nil
		}).
		AddNodeFunc("write", say("write")).
		AddEdge(graph.START, "clarify").AddEdge("clarify", "write").AddEdge("write", graph.END)
	r, err := g.Compile(graph.WithCheckpointer(store))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = r.Invoke(ctx, Log{}, graph.WithRunID("hitl-1"))
	var ie *graph.InterruptError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, graph.WhenInside, ie.Interrupt.When)
	assert.Equal(t, "clarify", ie.Interrupt.Node)
	assert.Equal(t, "1:clarify", ie.Interrupt.TaskID)
	assert.JSONEq(t, `{"question":"which topic?"}`, string(ie.Interrupt.Payload))

	// Resuming without an answer asks again.
	_, err = r.Resume(ctx, "hitl-1")
	require.ErrorAs(t, err, &ie)
	assert.JSONEq(t, `{"question":"which topic?"}`, string(ie.Interrupt.Payload))

	// The first answer unblocks the first question; the node asks the next.
	_, err = r.Resume(ctx, "hitl-1", graph.WithResumeValue("go"))
	require.ErrorAs(t, err, &ie)
	assert.JSONEq(t, `"approve plan for go?"`, string(ie.Interrupt.Payload))

	var events []graph.Event
	sink := graph.EventSinkFunc(func(ev graph.Event) error { events = append(events, ev); return nil })
	got, err := r.Resume(ctx, "hitl-1", graph.WithResumeValue(Approval{OK: true, Note: "ship it"}), graph.WithSinks(sink))
	require.NoError(t, err)
	assert.Equal(t, []string{"topic=go", "note=ship it", "write"}, got.Steps)
	assert.Equal(t, 4, calls.get("clarify"), "the node re-runs on each resume")
	assert.Equal(t, graph.EventRunEnd, events[len(events)-1].Kind)

	// A finished run resumes to its final state without running anything.
	again, err := r.Resume(ctx, "hitl-1")
	require.NoError(t, err)
	assert.Equal(t, got, again)
	assert.Equal(t, 4, calls.get("clarify"))
}

func TestInterruptInsideFanOutKeepsSiblingsResults(t *testing.T) {
	calls := newCounter()
	store := newMemStore()
	g := graph.New("fan-hitl", logField()).
		AddNodeFunc("plan", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			for _, s := range []string{"x", "ask", "y"} {
				task.Send("work", s)
			}
			return Log{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(_ context.Context, _ Log, in string, task *graph.Task) (Log, error) {
			calls.inc(in)
			if in == "ask" {
				answer, err := graph.Ask[string](task, "?")
				if err != nil {
					return Log{}, err
				}
				in = "answered " + answer
			}
			return Log{Steps: []string{in}}, nil
		})).
		AddEdge(graph.START, "plan").AddEdge("work", graph.END)
	r, err := g.Compile(graph.WithCheckpointer(store))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = r.Invoke(ctx, Log{}, graph.WithRunID("fan-hitl"))
	var ie *graph.InterruptError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "2:work:1", ie.Interrupt.TaskID)

	got, err := r.Resume(ctx, "fan-hitl", graph.WithResumeValue("yes"))
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "answered yes", "y"}, got.Steps)
	assert.Equal(t, 1, calls.get("x"))
	assert.Equal(t, 1, calls.get("y"))
	assert.Equal(t, 2, calls.get("ask"))
}

func TestInterruptWithoutStoreCannotResume(t *testing.T) {
	r := chain(t, newCounter())
	_, err := r.Invoke(context.Background(), Log{}, graph.WithInterruptAfter("a"))
	var ie *graph.InterruptError
	require.ErrorAs(t, err, &ie)
	_, err = r.Resume(context.Background(), ie.RunID)
	assert.ErrorIs(t, err, graph.ErrNoStore)
}

func TestInterruptsOfOneStepAreAnsweredInTaskOrder(t *testing.T) {
	calls := newCounter()
	store := newMemStore()
	g := graph.New("two-asks", logField()).
		AddNodeFunc("plan", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			task.Send("ask", "q0")
			task.Send("ask", "q1")
			return Log{}, nil
		}, graph.WithSends("ask")).
		AddNode("ask", graph.InputNode(func(_ context.Context, _ Log, q string, task *graph.Task) (Log, error) {
			calls.inc(q)
			answer, err := graph.Ask[string](task, q+"?")
			if err != nil {
				return Log{}, err
			}
			return Log{Steps: []string{q + "=" + answer}}, nil
		})).
		AddEdge(graph.START, "plan").AddEdge("ask", graph.END)
	r, err := g.Compile(graph.WithCheckpointer(store))
	require.NoError(t, err)
	ctx := context.Background()

	// Both tasks ask; the run reports the first in merge order.
	_, err = r.Invoke(ctx, Log{}, graph.WithRunID("two-asks"))
	var ie *graph.InterruptError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "2:ask:0", ie.Interrupt.TaskID)
	assert.JSONEq(t, `"q0?"`, string(ie.Interrupt.Payload))

	// The answer goes to that task only; the other asks again.
	_, err = r.Resume(ctx, "two-asks", graph.WithResumeValue("a0"))
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "2:ask:1", ie.Interrupt.TaskID)
	assert.JSONEq(t, `"q1?"`, string(ie.Interrupt.Payload))

	got, err := r.Resume(ctx, "two-asks", graph.WithResumeValue("a1"))
	require.NoError(t, err)
	assert.Equal(t, []string{"q0=a0", "q1=a1"}, got.Steps)
	assert.Equal(t, 2, calls.get("q0"), "asked, then answered; not re-run once done")
	assert.Equal(t, 3, calls.get("q1"))
}

func TestPooledRunsStartClean(t *testing.T) {
	// Runs of one Runnable reuse each other's buffers. Nothing of a
	// finished run (answers, a raised interrupt, interrupt options) may
	// reach the next one.
	store := newMemStore()
	g := graph.New("pool", logField()).
		AddNodeFunc("clarify", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			topic, err := graph.Ask[string](task, "topic?")
			if err != nil {
				return Log{}, err
			}
			return Log{Steps: []string{"topic=" + topic}}, nil
		}).
		AddNodeFunc("write", say("write")).
		AddEdge(graph.START, "clarify").AddEdge("clarify", "write").AddEdge("write", graph.END)
	r, err := g.Compile(graph.WithCheckpointer(store))
	require.NoError(t, err)
	ctx := context.Background()
	pauseAtWrite := []graph.RunOption{graph.WithInterruptBefore("write"), graph.WithInterruptAfter("write")}

	for round := range 3 {
		id := "pool-" + string(rune('a'+round))
		_, err := r.Invoke(ctx, Log{}, append(pauseAtWrite, graph.WithRunID(id))...)
		var ie *graph.InterruptError
		require.ErrorAs(t, err, &ie, "round %d: a new run asks again", round)
		assert.Equal(t, graph.WhenInside, ie.Interrupt.When)

		// Resumed without the options, the run does not pause at write.
		got, err := r.Resume(ctx, id, graph.WithResumeValue(fmt.Sprint(round)))
		require.NoError(t, err, "round %d", round)
		assert.Equal(t, []string{"topic=" + fmt.Sprint(round), "write"}, got.Steps)
	}
}
