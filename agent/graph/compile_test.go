package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
)

func TestCompileReportsEveryProblem(t *testing.T) {
	route := func(context.Context, Log) ([]string, error) { return []string{graph.END}, nil }
	tests := []struct {
		name  string
		build func(g *graph.Graph[Log])
		want  []string
	}{
		{"unknown edge target", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").AddEdge("a", "ghost")
		}, []string{`unknown target "ghost"`, `node "a" has no path to END`}},
		{"unknown edge source", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").AddEdge("a", graph.END).AddEdge("ghost", "a")
		}, []string{`unknown source "ghost"`}},
		{"unreachable node", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddNodeFunc("island", say("i")).
				AddEdge(graph.START, "a").AddEdge("a", graph.END).AddEdge("island", graph.END)
		}, []string{`node "island" is unreachable from START`}},
		{"no path to END", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddNodeFunc("b", say("b")).
				AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "a")
		}, []string{`node "a" has no path to END`, `node "b" has no path to END`}},
		{"dead end", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a")
		}, []string{`node "a" has no path to END`}},
		{"duplicate node", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddNodeFunc("a", say("a2")).AddEdge(graph.START, "a").AddEdge("a", graph.END)
		}, []string{`node "a" is added twice`}},
		{"reserved and nil", func(g *graph.Graph[Log]) {
			g.AddNodeFunc(graph.END, say("x")).AddNode("nil", nil).AddEdge(graph.START, "nil").AddEdge("nil", graph.END)
		}, []string{`node name "__end__" is reserved`, `node "nil" is nil`}},
		{"conditional targets undeclared", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").AddConditionalEdges("a", route)
		}, []string{`conditional edges from "a": no targets declared`, `node "a" has no path to END`}},
		{"conditional unknown target", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").AddConditionalEdges("a", route, graph.END, "ghost")
		}, []string{`conditional edges from "a": unknown target "ghost"`}},
		{"conditional nil router", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").AddConditionalEdges("a", nil, graph.END)
		}, []string{`conditional edges from "a": nil router`}},
		{"unknown send target", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a"), graph.WithSends("ghost")).AddEdge(graph.START, "a").AddEdge("a", graph.END)
		}, []string{`node "a": WithSends target "ghost" is not a node`}},
		{"no entry", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge("a", graph.END)
		}, []string{"no entry point", `node "a" is unreachable from START`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New("bad", logField())
			tt.build(g)
			r, err := g.Compile()
			assert.Nil(t, r)
			var ce *graph.CompileError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "bad", ce.Graph)
			assert.ElementsMatch(t, tt.want, trimProblems(ce.Problems, tt.want))
			assert.Len(t, ce.Problems, len(tt.want), "problems: %q", ce.Problems)
		})
	}
}

// trimProblems maps each problem to the wanted substring it contains.
func trimProblems(problems, want []string) []string {
	out := make([]string, 0, len(problems))
	for _, p := range problems {
		for _, w := range want {
			if strings.Contains(p, w) {
				p = w
				break
			}
		}
		out = append(out, p)
	}
	return out
}

func TestCompileAcceptsSendOnlyNodesAndLoops(t *testing.T) {
	// plan reaches END only through its Send target; review loops back.
	g := graph.New("ok", logField()).
		AddNodeFunc("plan", say("plan"), graph.WithSends("work")).
		AddNodeFunc("work", say("work")).
		AddNodeFunc("review", say("review")).
		AddEdge(graph.START, "plan").
		AddEdge("work", "review").
		AddConditionalEdges("review", func(context.Context, Log) ([]string, error) { return []string{graph.END}, nil }, "plan", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Name())
}
