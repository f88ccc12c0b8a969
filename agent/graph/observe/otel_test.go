package observe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/observe"
)

// recorded is what a test's tracer provider saw.
type recorded struct {
	t  *testing.T
	sr *tracetest.SpanRecorder
	tp *sdktrace.TracerProvider
}

func newRecorded(t *testing.T) *recorded {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &recorded{t: t, sr: sr, tp: tp}
}

// byName returns the one ended span named name.
func (r *recorded) byName(name string) sdktrace.ReadOnlySpan {
	r.t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range r.sr.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	require.Len(r.t, found, 1, "spans named %q", name)
	return found[0]
}

// requireAllEnded checks that every started span ended.
func (r *recorded) requireAllEnded() {
	r.t.Helper()
	require.Len(r.t, r.sr.Ended(), len(r.sr.Started()), "every started span ended")
	for _, s := range r.sr.Started() {
		require.False(r.t, s.EndTime().IsZero(), "span %q ended", s.Name())
	}
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func eventAttrs(e sdktrace.Event) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range e.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func requireChild(t *testing.T, parent, child sdktrace.ReadOnlySpan) {
	t.Helper()
	require.Equal(t, parent.SpanContext().TraceID(), child.SpanContext().TraceID(), "%s in %s's trace", child.Name(), parent.Name())
	require.Equal(t, parent.SpanContext().SpanID(), child.Parent().SpanID(), "%s is a child of %s", child.Name(), parent.Name())
}

func feed(t *testing.T, sink graph.EventSink, evs ...graph.Event) {
	t.Helper()
	for _, ev := range evs {
		require.NoError(t, sink.Handle(ev))
	}
}

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func TestOTelRun(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	planModel := &graph.ModelCallInfo{Provider: "openai", Model: "gpt-4.1", Role: "planner",
		InputTokens: 1200, CachedInput: 1000, OutputTokens: 300, FinishReason: "stop", Start: at(2), End: at(5.5)}
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Name: "research", Time: at(0)},
		// two parallel tasks in step 1
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "search", TaskID: "t2", Time: at(1)},
		graph.Event{Kind: graph.EventCustom, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(1.5),
			Name: "context_edit", Data: json.RawMessage(`{"freed":120}`)},
		graph.Event{Kind: graph.EventModelCall, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(5.5), Model: planModel},
		graph.Event{Kind: graph.EventToolCall, RunID: "r1", Step: 1, Node: "search", TaskID: "t2", Time: at(3),
			Tool: &graph.ToolCallInfo{Name: "web_search", CallID: "call_1", Start: at(2), End: at(3), Err: "http 503"}},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Step: 1, Node: "search", TaskID: "t2", Time: at(4), Err: "search: http 503"},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(6)},
		graph.Event{Kind: graph.EventStateUpdate, RunID: "r1", Step: 1, Time: at(6)},
		graph.Event{Kind: graph.EventCheckpoint, RunID: "r1", Step: 1, Seq: 1, Time: at(6)},
		// a subgraph node with a nested node
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 2, Node: "researchers", TaskID: "t3", Time: at(7)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "researcher", TaskID: "t4", Path: []string{"researchers"}, Time: at(8)},
		graph.Event{Kind: graph.EventModelCall, RunID: "r1", Step: 1, Node: "researcher", TaskID: "t4", Path: []string{"researchers"}, Time: at(9),
			Model: &graph.ModelCallInfo{Provider: "openai", Model: "gpt-4.1-mini", InputTokens: 10, OutputTokens: 5, Start: at(8.5), End: at(9), Err: "rate limited"}},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Step: 1, Node: "researcher", TaskID: "t4", Path: []string{"researchers"}, Time: at(10)},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Step: 2, Node: "researchers", TaskID: "t3", Time: at(11)},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1", Step: 2, Time: at(12), Duration: 12 * time.Second},
	)
	rec.requireAllEnded()
	require.Len(t, rec.sr.Ended(), 8)

	run := rec.byName("graph.run research")
	plan := rec.byName("graph.node plan")
	search := rec.byName("graph.node search")
	chat := rec.byName("chat gpt-4.1")
	tool := rec.byName("execute_tool web_search")
	researchers := rec.byName("graph.node researchers")
	researcher := rec.byName("graph.node researcher")
	nestedChat := rec.byName("chat gpt-4.1-mini")

	t.Run("parents", func(t *testing.T) {
		assert.False(t, run.Parent().IsValid(), "the run span is a root")
		requireChild(t, run, plan)
		requireChild(t, run, search)
		requireChild(t, plan, chat)
		requireChild(t, search, tool)
		requireChild(t, run, researchers)
		requireChild(t, researchers, researcher)
		requireChild(t, researcher, nestedChat)
	})

	t.Run("run span", func(t *testing.T) {
		a := attrs(run)
		assert.Equal(t, "r1", a[observe.AttrRunID].AsString())
		assert.Equal(t, "research", a[observe.AttrGraphName].AsString())
		assert.Equal(t, "completed", a[observe.AttrRunStatus].AsString())
		assert.True(t, run.StartTime().Equal(at(0)))
		assert.True(t, run.EndTime().Equal(at(12)))
		assert.Equal(t, codes.Unset, run.Status().Code)
		require.Len(t, run.Events(), 2)
		assert.Equal(t, "state_update", run.Events()[0].Name)
		assert.Equal(t, "checkpoint", run.Events()[1].Name)
		assert.Equal(t, int64(1), eventAttrs(run.Events()[1])[observe.AttrSeq].AsInt64())
	})

	t.Run("node spans", func(t *testing.T) {
		a := attrs(plan)
		assert.Equal(t, "plan", a[observe.AttrNode].AsString())
		assert.Equal(t, "t1", a[observe.AttrTaskID].AsString())
		assert.Equal(t, int64(1), a[observe.AttrStep].AsInt64())
		assert.Equal(t, "r1", a[observe.AttrRunID].AsString())
		assert.Equal(t, trace.SpanKindInternal, plan.SpanKind())
		assert.True(t, plan.StartTime().Equal(at(1)))
		assert.True(t, plan.EndTime().Equal(at(6)))
		assert.Equal(t, codes.Unset, plan.Status().Code)
		assert.NotContains(t, a, observe.AttrUnfinished)

		assert.Equal(t, codes.Error, search.Status().Code)
		assert.Equal(t, "search: http 503", search.Status().Description)

		assert.Equal(t, []string{"researchers"}, attrs(researcher)[observe.AttrPath].AsStringSlice())
	})

	t.Run("custom event", func(t *testing.T) {
		require.Len(t, plan.Events(), 1)
		e := plan.Events()[0]
		assert.Equal(t, "context_edit", e.Name)
		assert.True(t, e.Time.Equal(at(1.5)))
		assert.Equal(t, `{"freed":120}`, eventAttrs(e)[observe.AttrEventData].AsString())
	})

	t.Run("model span", func(t *testing.T) {
		assert.Equal(t, trace.SpanKindClient, chat.SpanKind())
		assert.True(t, chat.StartTime().Equal(planModel.Start), "start %v", chat.StartTime())
		assert.True(t, chat.EndTime().Equal(planModel.End), "end %v", chat.EndTime())
		a := attrs(chat)
		assert.Equal(t, "chat", a["gen_ai.operation.name"].AsString())
		assert.Equal(t, "openai", a["gen_ai.provider.name"].AsString())
		assert.Equal(t, "gpt-4.1", a["gen_ai.request.model"].AsString())
		assert.Equal(t, int64(1200), a["gen_ai.usage.input_tokens"].AsInt64())
		assert.Equal(t, int64(1000), a["gen_ai.usage.cache_read.input_tokens"].AsInt64())
		assert.Equal(t, int64(300), a["gen_ai.usage.output_tokens"].AsInt64())
		assert.Equal(t, []string{"stop"}, a["gen_ai.response.finish_reasons"].AsStringSlice())
		assert.Equal(t, "planner", a[observe.AttrRole].AsString())
		assert.Equal(t, codes.Unset, chat.Status().Code)

		assert.Equal(t, codes.Error, nestedChat.Status().Code)
		assert.Equal(t, "rate limited", nestedChat.Status().Description)
		assert.NotContains(t, attrs(nestedChat), attribute.Key("gen_ai.usage.cache_read.input_tokens"), "zero usage is left out")
	})

	t.Run("tool span", func(t *testing.T) {
		a := attrs(tool)
		assert.Equal(t, "execute_tool", a["gen_ai.operation.name"].AsString())
		assert.Equal(t, "web_search", a["gen_ai.tool.name"].AsString())
		assert.Equal(t, "call_1", a["gen_ai.tool.call.id"].AsString())
		assert.True(t, tool.StartTime().Equal(at(2)))
		assert.True(t, tool.EndTime().Equal(at(3)))
		assert.Equal(t, codes.Error, tool.Status().Code)
		assert.Equal(t, "http 503", tool.Status().Description)
	})

	require.NoError(t, o.Close())
	assert.Len(t, rec.sr.Ended(), 8, "Close after a finished run ends nothing more")
}

func TestOTelAbnormalEnd(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Time: at(0)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "sub", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "inner", TaskID: "t2", Path: []string{"sub"}, Time: at(2)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "other", TaskID: "t3", Time: at(2)},
		graph.Event{Kind: graph.EventError, RunID: "r1", Step: 1, Time: at(3), Err: "context canceled"},
	)
	rec.requireAllEnded()
	require.Len(t, rec.sr.Ended(), 4)

	run := rec.byName("graph.run r1")
	assert.Equal(t, codes.Error, run.Status().Code)
	assert.Equal(t, "context canceled", run.Status().Description)
	assert.Equal(t, "failed", attrs(run)[observe.AttrRunStatus].AsString())
	assert.True(t, run.EndTime().Equal(at(3)))
	for _, name := range []string{"graph.node sub", "graph.node inner", "graph.node other"} {
		s := rec.byName(name)
		assert.True(t, attrs(s)[observe.AttrUnfinished].AsBool(), name)
		assert.True(t, s.EndTime().Equal(at(3)), name)
	}
	// children end before their parents
	ended := rec.sr.Ended()
	assert.Equal(t, "graph.run r1", ended[len(ended)-1].Name())
	assert.Equal(t, "graph.node sub", ended[len(ended)-2].Name())

	// a late run_end and node_end find nothing open
	feed(t, o,
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "other", TaskID: "t3", Time: at(4)},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1", Time: at(4)},
	)
	assert.Len(t, rec.sr.Ended(), 4)
}

func TestOTelCloseEndsOpenSpans(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Time: at(0)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "a", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventRunStart, RunID: "r2", Time: at(0)},
	)
	assert.Empty(t, rec.sr.Ended())
	require.NoError(t, o.Close())
	rec.requireAllEnded()
	require.Len(t, rec.sr.Ended(), 3)
	for _, s := range rec.sr.Ended() {
		assert.True(t, attrs(s)[observe.AttrUnfinished].AsBool(), s.Name())
	}
	order := map[string]int{}
	for i, s := range rec.sr.Ended() {
		order[s.Name()] = i
	}
	assert.Less(t, order["graph.node a"], order["graph.run r1"], "children end first")

	require.ErrorIs(t, o.Handle(graph.Event{Kind: graph.EventRunStart, RunID: "r3"}), observe.ErrClosed)
	require.NoError(t, o.Close())
	assert.Len(t, rec.sr.Started(), 3, "nothing starts after Close")
}

func TestOTelUnknownRunsAndTasks(t *testing.T) {
	tests := []struct {
		name  string
		ev    graph.Event
		spans []string // root spans created
	}{
		{"node_end for unknown task", graph.Event{Kind: graph.EventNodeEnd, RunID: "x", Node: "n", TaskID: "t9"}, nil},
		{"node_end without ids", graph.Event{Kind: graph.EventNodeEnd}, nil},
		{"run_end for unknown run", graph.Event{Kind: graph.EventRunEnd, RunID: "x"}, nil},
		{"error for unknown run", graph.Event{Kind: graph.EventError, RunID: "x", Err: "boom"}, nil},
		{"nested error for unknown run", graph.Event{Kind: graph.EventError, RunID: "x", Path: []string{"a", "b"}, Err: "boom"}, nil},
		{"custom for unknown task", graph.Event{Kind: graph.EventCustom, RunID: "x", TaskID: "t9", Name: "token"}, nil},
		{"checkpoint for unknown run", graph.Event{Kind: graph.EventCheckpoint, RunID: "x", Seq: 1}, nil},
		{"state_update for unknown run", graph.Event{Kind: graph.EventStateUpdate, RunID: "x"}, nil},
		{"interrupt without payload", graph.Event{Kind: graph.EventInterrupt, RunID: "x"}, nil},
		{"interrupt for unknown task", graph.Event{Kind: graph.EventInterrupt, RunID: "x", Interrupt: &graph.Interrupt{Node: "n", TaskID: "t9", When: "inside"}}, nil},
		{"model_call without info", graph.Event{Kind: graph.EventModelCall, RunID: "x", TaskID: "t9"}, nil},
		{"tool_call without info", graph.Event{Kind: graph.EventToolCall, RunID: "x", TaskID: "t9"}, nil},
		{"unknown kind", graph.Event{Kind: "future_kind", RunID: "x"}, nil},
		{"model_call for unknown run", graph.Event{Kind: graph.EventModelCall, RunID: "x", TaskID: "t9",
			Model: &graph.ModelCallInfo{Model: "m"}}, []string{"chat m"}},
		{"tool_call for unknown run", graph.Event{Kind: graph.EventToolCall, RunID: "x",
			Tool: &graph.ToolCallInfo{Name: "think"}}, []string{"execute_tool think"}},
		{"node_start for unknown run", graph.Event{Kind: graph.EventNodeStart, RunID: "x", Node: "n", Path: []string{"gone"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorded(t)
			o := observe.NewOTel(rec.tp)
			require.NotPanics(t, func() { require.NoError(t, o.Handle(tt.ev)) })
			var names []string
			for _, s := range rec.sr.Ended() {
				assert.False(t, s.Parent().IsValid(), "%s is a root", s.Name())
				names = append(names, s.Name())
			}
			assert.Equal(t, tt.spans, names)
			require.NoError(t, o.Close())
			rec.requireAllEnded()
		})
	}
}

func TestOTelOrphanTasksEndOnError(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventNodeStart, RunID: "x", Node: "a", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "y", Node: "b", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventRunStart, RunID: "x", Name: "nested", Path: []string{"gone"}, Time: at(1)},
		graph.Event{Kind: graph.EventError, RunID: "x", Err: "boom", Time: at(2)},
	)
	require.Len(t, rec.sr.Ended(), 2, "only run x's spans end")
	for _, s := range rec.sr.Ended() {
		assert.Contains(t, []string{"graph.node a", "graph.run nested"}, s.Name())
		assert.True(t, attrs(s)[observe.AttrUnfinished].AsBool())
	}
	feed(t, o, graph.Event{Kind: graph.EventRunEnd, RunID: "y", Time: at(3)})
	require.Len(t, rec.sr.Ended(), 3, "run_end without a run span ends the orphans too")
	assert.Equal(t, "graph.node b", rec.sr.Ended()[2].Name())
	rec.requireAllEnded()
}

func TestOTelInterrupt(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Time: at(0)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "clarify", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventInterrupt, RunID: "r1", Step: 1, Time: at(2), Interrupt: &graph.Interrupt{
			Node: "clarify", TaskID: "t1", When: "inside", Payload: json.RawMessage(`{"question":"which year?"}`)}},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1", Step: 1, Time: at(3)},
	)
	rec.requireAllEnded()
	run := rec.byName("graph.run r1")
	node := rec.byName("graph.node clarify")
	assert.Equal(t, "interrupted", attrs(run)[observe.AttrRunStatus].AsString())
	assert.Equal(t, codes.Unset, run.Status().Code)
	require.Len(t, node.Events(), 1)
	e := node.Events()[0]
	assert.Equal(t, "interrupt", e.Name)
	assert.True(t, e.Time.Equal(at(2)))
	a := eventAttrs(e)
	assert.Equal(t, "clarify", a[observe.AttrNode].AsString())
	assert.Equal(t, "inside", a[observe.AttrInterruptWhen].AsString())
	assert.Equal(t, `{"question":"which year?"}`, a[observe.AttrEventData].AsString())
	assert.True(t, attrs(node)[observe.AttrUnfinished].AsBool(), "the paused task never ended")

	// an interrupt before a node, outside any task, lands on the run span
	rec2 := newRecorded(t)
	o2 := observe.NewOTel(rec2.tp)
	feed(t, o2,
		graph.Event{Kind: graph.EventRunStart, RunID: "r2"},
		graph.Event{Kind: graph.EventInterrupt, RunID: "r2", Interrupt: &graph.Interrupt{Node: "write", When: "before"}},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r2"},
	)
	run2 := rec2.byName("graph.run r2")
	require.Len(t, run2.Events(), 1)
	assert.Equal(t, "before", eventAttrs(run2.Events()[0])[observe.AttrInterruptWhen].AsString())
}

func TestOTelNestedRunSpans(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	sub := []string{"sub"}
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Name: "outer", Time: at(0)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "sub", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Name: "inner", Path: sub, Time: at(2)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "leaf", TaskID: "t1", Path: sub, Time: at(3)},
		graph.Event{Kind: graph.EventToolCall, RunID: "r1", Step: 1, Node: "leaf", TaskID: "t1", Path: sub, Time: at(3.5),
			Tool: &graph.ToolCallInfo{Name: "fetch", Start: at(3.2), End: at(3.5)}},
		graph.Event{Kind: graph.EventCheckpoint, RunID: "r1", Step: 1, Seq: 1, Path: sub, Time: at(3.6)},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Step: 1, Node: "leaf", TaskID: "t1", Path: sub, Time: at(4)},
		graph.Event{Kind: graph.EventError, RunID: "r1", Path: sub, Err: "inner failed", Time: at(5)},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Step: 1, Node: "sub", TaskID: "t1", Time: at(6), Err: "inner failed"},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1", Step: 1, Time: at(7)},
	)
	rec.requireAllEnded()
	outer := rec.byName("graph.run outer")
	subNode := rec.byName("graph.node sub")
	inner := rec.byName("graph.run inner")
	leaf := rec.byName("graph.node leaf")
	fetch := rec.byName("execute_tool fetch")
	requireChild(t, outer, subNode)
	requireChild(t, subNode, inner)
	requireChild(t, inner, leaf)
	requireChild(t, leaf, fetch)

	assert.Equal(t, codes.Error, inner.Status().Code, "the nested error fails the nested run only")
	assert.True(t, inner.EndTime().Equal(at(5)))
	require.Len(t, inner.Events(), 1)
	assert.Equal(t, "checkpoint", inner.Events()[0].Name)
	assert.Equal(t, codes.Error, subNode.Status().Code)
	assert.Equal(t, codes.Unset, outer.Status().Code)
	assert.Equal(t, "completed", attrs(outer)[observe.AttrRunStatus].AsString())
	assert.Equal(t, []string{"sub"}, attrs(inner)[observe.AttrPath].AsStringSlice())
}

func TestOTelNodeEndEndsNestedSpans(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "sub", TaskID: "t1"},
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Name: "inner", Path: []string{"sub"}},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "leaf", TaskID: "t2", Path: []string{"sub"}},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "sub", TaskID: "t1", Err: "panic in leaf"},
	)
	require.Len(t, rec.sr.Ended(), 3)
	leaf := rec.byName("graph.node leaf")
	inner := rec.byName("graph.run inner")
	assert.True(t, attrs(leaf)[observe.AttrUnfinished].AsBool())
	assert.True(t, attrs(inner)[observe.AttrUnfinished].AsBool())
	requireChild(t, rec.byName("graph.node sub"), inner)
	requireChild(t, inner, leaf)
	assert.Equal(t, []string{"graph.node leaf", "graph.run inner", "graph.node sub"},
		[]string{rec.sr.Ended()[0].Name(), rec.sr.Ended()[1].Name(), rec.sr.Ended()[2].Name()}, "innermost first")
}

func TestOTelNestedRunUnderOwnID(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "researchers", TaskID: "t1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1-sub", Node: "leaf", TaskID: "t1", Path: []string{"researchers"}},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1-sub", Node: "leaf", TaskID: "t1", Path: []string{"researchers"}},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "researchers", TaskID: "t1"},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
	)
	rec.requireAllEnded()
	requireChild(t, rec.byName("graph.node researchers"), rec.byName("graph.node leaf"))
}

func TestOTelParallelSubgraphTasks(t *testing.T) {
	// Path cannot tell two tasks of one subgraph node apart: nested spans go
	// under the one that started last.
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	p := []string{"researcher"}
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "researcher", TaskID: "a"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "researcher", TaskID: "b"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "search", TaskID: "s1", Path: p},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "search", TaskID: "s1", Path: p},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "researcher", TaskID: "b"},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "researcher", TaskID: "a"},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
	)
	rec.requireAllEnded()
	var a, b sdktrace.ReadOnlySpan
	for _, s := range rec.sr.Ended() {
		switch attrs(s)[observe.AttrTaskID].AsString() {
		case "a":
			a = s
		case "b":
			b = s
		}
	}
	require.NotNil(t, a)
	require.NotNil(t, b)
	search := rec.byName("graph.node search")
	requireChild(t, b, search)
	assert.NotContains(t, attrs(a), observe.AttrUnfinished)
}

func TestOTelRunRestartEndsPrevious(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Time: at(0)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "a", TaskID: "t1", Time: at(1)},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "a", TaskID: "t1", Time: at(2)},
		graph.Event{Kind: graph.EventRunStart, RunID: "r1", Time: at(3)},
	)
	require.Len(t, rec.sr.Ended(), 3, "a repeated task and a resumed run end their predecessors")
	for _, s := range rec.sr.Ended() {
		assert.True(t, attrs(s)[observe.AttrUnfinished].AsBool(), s.Name())
	}
	require.NoError(t, o.Close())
	rec.requireAllEnded()
}

func TestOTelOptions(t *testing.T) {
	t.Run("WithParent", func(t *testing.T) {
		rec := newRecorded(t)
		ctx, parent := rec.tp.Tracer("test").Start(context.Background(), "request")
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		o := observe.NewOTel(rec.tp, observe.WithParent(ctx))
		feed(t, o,
			graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
			graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
		)
		parent.End()
		requireChild(t, rec.byName("request"), rec.byName("graph.run r1"))
	})
	t.Run("WithMaxDataBytes", func(t *testing.T) {
		rec := newRecorded(t)
		o := observe.NewOTel(rec.tp, observe.WithMaxDataBytes(5))
		feed(t, o,
			graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
			graph.Event{Kind: graph.EventCustom, RunID: "r1", Name: "ascii", Data: json.RawMessage(`"abcdefgh"`)},
			graph.Event{Kind: graph.EventCustom, RunID: "r1", Name: "utf8", Data: json.RawMessage(`"aéé"`)},
			graph.Event{Kind: graph.EventCustom, RunID: "r1", Name: "short", Data: json.RawMessage(`1`)},
			graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
		)
		evs := rec.byName("graph.run r1").Events()
		require.Len(t, evs, 3)
		assert.Equal(t, `"abcd…`, eventAttrs(evs[0])[observe.AttrEventData].AsString())
		assert.Equal(t, `"aé…`, eventAttrs(evs[1])[observe.AttrEventData].AsString(), "cut at a rune boundary")
		assert.Equal(t, `1`, eventAttrs(evs[2])[observe.AttrEventData].AsString())
	})
	t.Run("WithMaxDataBytes zero leaves data out", func(t *testing.T) {
		rec := newRecorded(t)
		o := observe.NewOTel(rec.tp, observe.WithMaxDataBytes(0))
		feed(t, o,
			graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
			graph.Event{Kind: graph.EventCustom, RunID: "r1", Data: json.RawMessage(`"x"`)},
			graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
		)
		evs := rec.byName("graph.run r1").Events()
		require.Len(t, evs, 1)
		assert.Equal(t, "custom", evs[0].Name, "an unnamed custom event is named by its kind")
		assert.Empty(t, evs[0].Attributes)
	})
	t.Run("WithCustomEvents", func(t *testing.T) {
		rec := newRecorded(t)
		o := observe.NewOTel(rec.tp, observe.WithCustomEvents(func(ev graph.Event) bool { return ev.Name != "token" }))
		feed(t, o,
			graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
			graph.Event{Kind: graph.EventCustom, RunID: "r1", Name: "token"},
			graph.Event{Kind: graph.EventCustom, RunID: "r1", Name: "context_edit"},
			graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
		)
		evs := rec.byName("graph.run r1").Events()
		require.Len(t, evs, 1)
		assert.Equal(t, "context_edit", evs[0].Name)
	})
}

func TestOTelZeroTimesUseNow(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	before := time.Now()
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventModelCall, RunID: "r1", Time: at(1), Model: &graph.ModelCallInfo{Model: "m", End: at(2)}},
		graph.Event{Kind: graph.EventToolCall, RunID: "r1", Time: at(3), Tool: &graph.ToolCallInfo{Name: "t"}},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
	)
	run := rec.byName("graph.run r1")
	assert.False(t, run.StartTime().Before(before), "a zero event time means now")
	chat := rec.byName("chat m")
	assert.True(t, chat.StartTime().Equal(at(2)) && chat.EndTime().Equal(at(2)), "a missing start falls back to the end")
	tool := rec.byName("execute_tool t")
	assert.True(t, tool.StartTime().Equal(at(3)) && tool.EndTime().Equal(at(3)), "missing call times fall back to the event time")
	requireChild(t, run, chat)
}

func TestOTelGlobalProvider(t *testing.T) {
	o := observe.NewOTel(nil) // the global provider: a no-op unless set
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "a", TaskID: "t"},
	)
	require.NoError(t, o.Close())
	assert.True(t, strings.HasPrefix(observe.ScopeName, "github.com/deepctx/deepctx/"))
}

func TestOTelConcurrentHandle(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	const runs = 8
	done := make(chan struct{})
	for i := range runs {
		go func() {
			defer func() { done <- struct{}{} }()
			id := string(rune('a' + i))
			for _, ev := range []graph.Event{
				{Kind: graph.EventRunStart, RunID: id},
				{Kind: graph.EventNodeStart, RunID: id, Node: "n", TaskID: "t"},
				{Kind: graph.EventModelCall, RunID: id, Node: "n", TaskID: "t", Model: &graph.ModelCallInfo{Model: "m"}},
				{Kind: graph.EventNodeEnd, RunID: id, Node: "n", TaskID: "t"},
				{Kind: graph.EventRunEnd, RunID: id},
			} {
				assert.NoError(t, o.Handle(ev))
			}
		}()
	}
	for range runs {
		<-done
	}
	rec.requireAllEnded()
	require.Len(t, rec.sr.Ended(), 3*runs)
	runSpans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.sr.Ended() {
		if strings.HasPrefix(s.Name(), "graph.run ") {
			runSpans[s.SpanContext().TraceID().String()] = s
		}
	}
	assert.Len(t, runSpans, runs, "each run is its own trace")
	for _, s := range rec.sr.Ended() {
		assert.Contains(t, runSpans, s.SpanContext().TraceID().String(), "%s lies in a run's trace", s.Name())
	}
}

func TestOTelRunEndWithError(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1", Err: "max steps exceeded"},
	)
	run := rec.byName("graph.run r1")
	assert.Equal(t, codes.Error, run.Status().Code)
	assert.Equal(t, "max steps exceeded", run.Status().Description)
	assert.Equal(t, "failed", attrs(run)[observe.AttrRunStatus].AsString())
}

func TestOTelNestedErrorWithoutNestedRun(t *testing.T) {
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "sub", TaskID: "t1"},
		graph.Event{Kind: graph.EventError, RunID: "r1", Path: []string{"sub"}, Err: "inner failed", Time: at(1)},
	)
	assert.Empty(t, rec.sr.Ended(), "a nested failure leaves the outer run to its parent")
	feed(t, o,
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "sub", TaskID: "t1", Err: "inner failed"},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
	)
	sub := rec.byName("graph.node sub")
	require.Len(t, sub.Events(), 1)
	assert.Equal(t, "error", sub.Events()[0].Name)
	assert.Equal(t, "inner failed", eventAttrs(sub.Events()[0])["exception.message"].AsString())
	assert.Equal(t, codes.Unset, rec.byName("graph.run r1").Status().Code)
}

func TestOTelCallParentLookup(t *testing.T) {
	// Calls find their task by task id, even under another Path, or by
	// node name when the task id is missing.
	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	feed(t, o,
		graph.Event{Kind: graph.EventRunStart, RunID: "r1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "a", TaskID: "t1"},
		graph.Event{Kind: graph.EventNodeStart, RunID: "r1", Node: "b", TaskID: "t2"},
		graph.Event{Kind: graph.EventToolCall, RunID: "r1", TaskID: "t1", Path: []string{"elsewhere"}, Tool: &graph.ToolCallInfo{Name: "by_id"}},
		graph.Event{Kind: graph.EventToolCall, RunID: "r1", Node: "b", Tool: &graph.ToolCallInfo{Name: "by_node"}},
		graph.Event{Kind: graph.EventToolCall, RunID: "r1", Tool: &graph.ToolCallInfo{Name: "run_level"}},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "a", TaskID: "t1", Path: []string{"elsewhere"}},
		graph.Event{Kind: graph.EventNodeEnd, RunID: "r1", Node: "b", TaskID: "t2"},
		graph.Event{Kind: graph.EventRunEnd, RunID: "r1"},
	)
	rec.requireAllEnded()
	requireChild(t, rec.byName("graph.node a"), rec.byName("execute_tool by_id"))
	requireChild(t, rec.byName("graph.node b"), rec.byName("execute_tool by_node"))
	requireChild(t, rec.byName("graph.run r1"), rec.byName("execute_tool run_level"))
	assert.NotContains(t, attrs(rec.byName("graph.node a")), observe.AttrUnfinished, "node_end found its task by id")
}

// TestOTelTracesARealRun runs a graph (a parallel fan-out whose tasks call
// a model and a tool, then a subgraph) with the OTel sink, so that the
// span tree is checked against the events the runtime really emits.
func TestOTelTracesARealRun(t *testing.T) {
	type S struct{ N int }
	call := func(task *graph.Task, model string) {
		now := time.Now()
		task.EmitModelCall(graph.ModelCallInfo{Provider: "openai", Model: model, InputTokens: 7, OutputTokens: 3,
			FinishReason: "stop", Start: now, End: now.Add(time.Millisecond)})
	}
	child, err := graph.New[S]("child").
		AddNodeFunc("leaf", func(_ context.Context, _ S, task *graph.Task) (S, error) {
			call(task, "leaf-model")
			return S{N: 1}, nil
		}).
		AddEdge(graph.START, "leaf").AddEdge("leaf", graph.END).Compile()
	require.NoError(t, err)
	r, err := graph.New[S]("traced").
		AddNodeFunc("plan", func(_ context.Context, _ S, task *graph.Task) (S, error) {
			for i := range 3 {
				task.Send("work", i)
			}
			return S{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(_ context.Context, _ S, i int, task *graph.Task) (S, error) {
			call(task, fmt.Sprintf("m%d", i))
			now := time.Now()
			task.EmitToolCall(graph.ToolCallInfo{Name: fmt.Sprintf("tool%d", i), CallID: "c", Start: now, End: now})
			return S{}, nil
		})).
		AddNode("sub", graph.Subgraph(child, func(p S, _ any) S { return p }, func(c S) S { return c })).
		AddEdge(graph.START, "plan").AddEdge("work", "sub").AddEdge("sub", graph.END).
		Compile(graph.WithConcurrency(3))
	require.NoError(t, err)

	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	got, err := r.Invoke(context.Background(), S{}, graph.WithSinks(o))
	require.NoError(t, err)
	assert.Equal(t, 1, got.N)
	require.NoError(t, o.Close())
	rec.requireAllEnded()
	for _, s := range rec.sr.Ended() {
		assert.NotContains(t, attrs(s), observe.AttrUnfinished, s.Name())
	}

	run := rec.byName("graph.run traced")
	assert.False(t, run.Parent().IsValid())
	assert.Equal(t, "completed", attrs(run)[observe.AttrRunStatus].AsString())
	requireChild(t, run, rec.byName("graph.node plan"))
	for _, s := range rec.sr.Ended() {
		if s.Name() != "graph.node work" {
			continue
		}
		requireChild(t, run, s)
		id := attrs(s)[observe.AttrTaskID].AsString()
		i := strings.TrimPrefix(id, "2:work:")
		chat := rec.byName("chat m" + i)
		requireChild(t, s, chat)
		requireChild(t, s, rec.byName("execute_tool tool"+i))
		a := attrs(chat)
		assert.Equal(t, "openai", a["gen_ai.provider.name"].AsString())
		assert.Equal(t, int64(7), a["gen_ai.usage.input_tokens"].AsInt64())
		assert.Equal(t, int64(3), a["gen_ai.usage.output_tokens"].AsInt64())
	}
	sub := rec.byName("graph.node sub")
	requireChild(t, run, sub)
	nested := rec.byName("graph.run child")
	requireChild(t, sub, nested)
	leaf := rec.byName("graph.node leaf")
	requireChild(t, nested, leaf)
	requireChild(t, leaf, rec.byName("chat leaf-model"))
}

func TestOTelKeepsParallelSubgraphRunsApart(t *testing.T) {
	type S struct{ N int }
	child, err := graph.New[S]("child").
		AddNodeFunc("leaf", func(_ context.Context, _ S, task *graph.Task) (S, error) {
			now := time.Now()
			task.EmitModelCall(graph.ModelCallInfo{Model: "m", Start: now, End: now})
			return S{N: 1}, nil
		}).
		AddEdge(graph.START, "leaf").AddEdge("leaf", graph.END).Compile()
	require.NoError(t, err)
	r, err := graph.New[S]("parent").
		AddNodeFunc("plan", func(_ context.Context, _ S, task *graph.Task) (S, error) {
			for i := range 3 {
				task.Send("research", i)
			}
			return S{}, nil
		}, graph.WithSends("research")).
		AddNode("research", graph.Subgraph(child, func(p S, _ int) S { return p }, func(c S) S { return c })).
		AddEdge(graph.START, "plan").AddEdge("research", graph.END).
		Compile(graph.WithConcurrency(3))
	require.NoError(t, err)

	rec := newRecorded(t)
	o := observe.NewOTel(rec.tp)
	_, err = r.Invoke(context.Background(), S{}, graph.WithSinks(o))
	require.NoError(t, err)
	require.NoError(t, o.Close())
	rec.requireAllEnded()

	parents := map[string]bool{}
	for _, s := range rec.sr.Ended() {
		assert.NotContains(t, attrs(s), observe.AttrUnfinished, s.Name())
		if s.Name() == "graph.run child" {
			parents[s.Parent().SpanID().String()] = true
		}
	}
	research := 0
	for _, s := range rec.sr.Ended() {
		if s.Name() == "graph.node research" {
			research++
			assert.True(t, parents[s.SpanContext().SpanID().String()], "each research task holds its own child run")
		}
	}
	assert.Equal(t, 3, research)
	assert.Len(t, parents, 3, "three child runs under three different tasks")
}
