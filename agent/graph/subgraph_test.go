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

// Research is the parent's state; Agent is a sub-agent's own state.
type Research struct {
	Question string   `json:"question"`
	Reports  []string `json:"reports"`
}

type Agent struct {
	Topic string   `json:"topic"`
	Notes []string `json:"notes"`
	Turns int      `json:"turns"`
}

// researcher is a sub-agent graph that takes three turns on its topic.
func researcher(t *testing.T, ask bool) *graph.Runnable[Agent] {
	t.Helper()
	g := graph.New("researcher",
		graph.Field(func(s *Agent) *[]string { return &s.Notes }, graph.Append[string]),
		graph.Field(func(s *Agent) *int { return &s.Turns }, func(cur, upd int) int { return cur + upd }),
	).
		AddNodeFunc("search", func(_ context.Context, s Agent, task *graph.Task) (Agent, error) {
			if ask && s.Turns == 1 {
				scope, err := graph.Ask[string](task, "scope for "+s.Topic+"?")
				if err != nil {
					return Agent{}, err
				}
				return Agent{Notes: []string{"scope " + scope}, Turns: 1}, nil
			}
			task.Emit("note", s.Topic)
			return Agent{Notes: []string{fmt.Sprintf("%s#%d", s.Topic, s.Turns)}, Turns: 1}, nil
		}).
		AddEdge(graph.START, "search").
		AddConditionalEdges("search", func(_ context.Context, s Agent) ([]string, error) {
			if s.Turns < 3 {
				return []string{"search"}, nil
			}
			return []string{graph.END}, nil
		}, "search", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	return r
}

func parentGraph(t *testing.T, child *graph.Runnable[Agent], opts ...graph.RunOption) *graph.Runnable[Research] {
	t.Helper()
	g := graph.New("research", graph.Field(func(s *Research) *[]string { return &s.Reports }, graph.Append[string])).
		AddNodeFunc("plan", func(_ context.Context, s Research, task *graph.Task) (Research, error) {
			for _, topic := range strings.Fields(s.Question) {
				task.Send("researcher", topic)
			}
			return Research{}, nil
		}, graph.WithSends("researcher")).
		AddNode("researcher", graph.Subgraph(child,
			func(_ Research, topic string) Agent { return Agent{Topic: topic} },
			func(a Agent) Research { return Research{Reports: []string{strings.Join(a.Notes, ",")}} },
		)).
		AddEdge(graph.START, "plan").AddEdge("researcher", graph.END)
	r, err := g.Compile(opts...)
	require.NoError(t, err)
	return r
}

func TestSubgraphHasItsOwnStateAndStreamsIntoTheParent(t *testing.T) {
	r := parentGraph(t, researcher(t, false))
	evs, err := collect(r.Stream(context.Background(), Research{Question: "go rust"}, graph.WithRunID("sub-1")))
	require.NoError(t, err)
	final := evs[len(evs)-1].Value.(Research)
	assert.Equal(t, []string{"go#0,go#1,go#2", "rust#0,rust#1,rust#2"}, final.Reports)

	var notes []string
	byTask := map[string][]string{}
	for _, ev := range evs {
		if ev.Kind == graph.EventCustom {
			notes = append(notes, string(ev.Data))
			require.Len(t, ev.Path, 1)
			assert.Regexp(t, `^\d+:researcher:[01]$`, ev.Path[0], "Path holds the enclosing task's ID")
			byTask[ev.Path[0]] = append(byTask[ev.Path[0]], string(ev.Data))
			assert.Equal(t, "sub-1", ev.RunID)
			assert.Equal(t, "search", ev.Node)
		}
		if len(ev.Path) == 0 {
			assert.NotEqual(t, "search", ev.Node, "child events carry a Path")
		}
	}
	assert.ElementsMatch(t, []string{`"go"`, `"go"`, `"go"`, `"rust"`, `"rust"`, `"rust"`}, notes)
	require.Len(t, byTask, 2, "the two parallel child runs have distinct Paths")
	for _, data := range byTask {
		assert.Len(t, data, 3)
		assert.Equal(t, data[0], data[1], "one child run's events share one Path")
	}
}

func TestSubgraphErrorsAndInterrupts(t *testing.T) {
	store := newMemStore()
	r := parentGraph(t, researcher(t, true), graph.WithCheckpointer(store))
	ctx := context.Background()
	_, err := r.Invoke(ctx, Research{Question: "go"}, graph.WithRunID("sub-hitl"))
	var ie *graph.InterruptError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "researcher", ie.Interrupt.Node)
	assert.Equal(t, "2:researcher:0", ie.Interrupt.TaskID)
	assert.JSONEq(t, `"scope for go?"`, string(ie.Interrupt.Payload))

	got, err := r.Resume(ctx, "sub-hitl", graph.WithResumeValue("narrow"))
	require.NoError(t, err)
	assert.Equal(t, []string{"go#0,scope narrow,go#2"}, got.Reports)
}

func TestSubgraphFailureNamesBothGraphs(t *testing.T) {
	child := graph.New("child", graph.WithReducer(func(cur, upd Agent) Agent { return upd })).
		AddNodeFunc("explode", func(context.Context, Agent, *graph.Task) (Agent, error) { panic("deep") }).
		AddEdge(graph.START, "explode").AddEdge("explode", graph.END)
	c, err := child.Compile()
	require.NoError(t, err)
	r := parentGraph(t, c)
	_, err = r.Invoke(context.Background(), Research{Question: "x"})
	var ne *graph.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "researcher", ne.Node)
	var pe *graph.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), `subgraph "child"`)
	assert.Contains(t, err.Error(), `node "explode"`)
}
