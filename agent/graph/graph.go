package graph

import (
	"context"
)

// START and END are the graph's entry and exit: edges from START choose the
// first step's nodes, and routing to END ends a branch. A run finishes when
// a step schedules no further work.
const (
	START = "__start__"
	END   = "__end__"
)

// Router chooses where a conditional edge leads, from the state after the
// step that ran its source node. It returns one or more node names (or END),
// each among the targets declared with AddConditionalEdges.
type Router[S any] func(ctx context.Context, state S) ([]string, error)

// Graph builds a graph over the state type S. Add nodes and edges, then
// Compile it into a Runnable. Builder methods return the graph for
// chaining; mistakes (a duplicate name, an unknown node) are collected and
// reported together by Compile. A Graph is not safe for concurrent use;
// Compile copies what it needs, so later changes do not affect a Runnable.
type Graph[S any] struct {
	name  string
	state stateSpec[S]
	nodes []nodeDef[S]
	edges [][2]string
	conds []condDef[S]
}

type nodeDef[S any] struct {
	name string
	node Node[S]
	cfg  nodeConfig
}

type condDef[S any] struct {
	from    string
	router  Router[S]
	targets []string
}

// New returns an empty graph named name over state S. The name is recorded
// in checkpoints: resuming a run with a graph of another name fails. opts
// declare how updates merge into S (see Field and WithReducer).
func New[S any](name string, opts ...Option[S]) *Graph[S] {
	g := &Graph[S]{name: name}
	for _, o := range opts {
		o(&g.state)
	}
	return g
}

// AddNode adds a node named name. Names must be unique, non-empty and not
// START or END.
func (g *Graph[S]) AddNode(name string, n Node[S], opts ...NodeOption) *Graph[S] {
	def := nodeDef[S]{name: name, node: n}
	for _, o := range opts {
		o(&def.cfg)
	}
	g.nodes = append(g.nodes, def)
	return g
}

// AddNodeFunc adds a node whose Run is fn.
func (g *Graph[S]) AddNodeFunc(name string, fn func(ctx context.Context, state S, t *Task) (S, error), opts ...NodeOption) *Graph[S] {
	var n Node[S]
	if fn != nil {
		n = NodeFunc[S](fn)
	}
	return g.AddNode(name, n, opts...)
}

// AddEdge makes to run in the step after from. from may be START, to may be
// END. A node reached from several tasks of a step runs once: edges join.
func (g *Graph[S]) AddEdge(from, to string) *Graph[S] {
	g.edges = append(g.edges, [2]string{from, to})
	return g
}

// AddConditionalEdges routes from the node from (or START) to the nodes
// router returns, evaluated on the state after from's step. targets lists
// every name router may return (END included if it may end the branch), so
// that Compile can check the graph; returning any other name fails the run.
func (g *Graph[S]) AddConditionalEdges(from string, router Router[S], targets ...string) *Graph[S] {
	g.conds = append(g.conds, condDef[S]{from: from, router: router, targets: targets})
	return g
}
