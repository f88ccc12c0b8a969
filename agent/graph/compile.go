package graph

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"
)

// Runnable is a compiled graph: immutable, and safe for concurrent runs.
type Runnable[S any] struct {
	name     string
	nodes    []cnode[S]
	byName   map[string]int
	entry    routes[S]
	merge    merger[S]
	clips    []uintptr // offsets of the state's top-level slices
	defaults []RunOption
	pool     sync.Pool // of *run[S], to reuse buffers across runs
}

// Name returns the graph's name.
func (r *Runnable[S]) Name() string { return r.name }

type cnode[S any] struct {
	name     string
	node     Node[S]
	timeout  time.Duration
	retry    *retrySpec
	sendTo   []string
	sendNode []int
	route    routes[S]
}

// routes are the ways out of a node (or START).
type routes[S any] struct {
	next  []int // static successors; END is not listed
	conds []ccond[S]
	toEnd bool // a static edge to END
}

type ccond[S any] struct {
	router Router[S]
	names  []string
	nodes  []int // node index of each name, endNode for END
}

const endNode = -1

// Compile checks the graph and returns it ready to run. It reports every
// problem at once in a *CompileError: duplicate, reserved or unknown node
// names, nodes unreachable from START, nodes with no path to END,
// conditional edges without declared targets, misdeclared Field reducers.
// defaults are run options applied to every run before the run's own
// (typically WithCheckpointer, WithSinks, WithMaxSteps).
func (g *Graph[S]) Compile(defaults ...RunOption) (*Runnable[S], error) {
	r := &Runnable[S]{name: g.name, byName: make(map[string]int, len(g.nodes)), defaults: slices.Clone(defaults)}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	m, mp := buildMerger(g.state)
	r.merge = m
	r.clips = sliceOffsets(reflect.TypeFor[S]())
	problems = append(problems, mp...)
	for _, d := range g.nodes {
		switch _, dup := r.byName[d.name]; {
		case d.name == "" || d.name == START || d.name == END:
			add("node name %q is reserved", d.name)
			continue
		case dup:
			add("node %q is added twice", d.name)
			continue
		case d.node == nil:
			add("node %q is nil", d.name)
		}
		r.byName[d.name] = len(r.nodes)
		r.nodes = append(r.nodes, cnode[S]{name: d.name, node: d.node, timeout: d.cfg.timeout, retry: d.cfg.retry, sendTo: d.cfg.sends})
	}
	r.compileEdges(g, add)
	r.compileSends(add)
	r.checkPaths(add)
	if len(problems) > 0 {
		return nil, &CompileError{Graph: g.name, Problems: problems}
	}
	return r, nil
}

// source returns the routes leaving from (a node or START), or nil.
func (r *Runnable[S]) source(from string) *routes[S] {
	if from == START {
		return &r.entry
	}
	if i, ok := r.byName[from]; ok {
		return &r.nodes[i].route
	}
	return nil
}

// target resolves an edge's destination: a node index, endNode, or false.
func (r *Runnable[S]) target(to string) (int, bool) {
	if to == END {
		return endNode, true
	}
	i, ok := r.byName[to]
	return i, ok
}

func (r *Runnable[S]) compileEdges(g *Graph[S], add func(string, ...any)) {
	for _, e := range g.edges {
		from, to := e[0], e[1]
		src := r.source(from)
		dst, ok := r.target(to)
		switch {
		case src == nil:
			add("edge %s -> %s: unknown source %q", from, to, from)
		case !ok:
			add("edge %s -> %s: unknown target %q", from, to, to)
		case dst == endNode:
			src.toEnd = true
		case !slices.Contains(src.next, dst):
			src.next = append(src.next, dst)
		}
	}
	for _, c := range g.conds {
		src := r.source(c.from)
		switch {
		case src == nil:
			add("conditional edges from unknown node %q", c.from)
			continue
		case c.router == nil:
			add("conditional edges from %q: nil router", c.from)
		case len(c.targets) == 0:
			add("conditional edges from %q: no targets declared", c.from)
		}
		cc := ccond[S]{router: c.router, names: slices.Clone(c.targets)}
		for _, name := range c.targets {
			dst, ok := r.target(name)
			if !ok {
				add("conditional edges from %q: unknown target %q", c.from, name)
			}
			cc.nodes = append(cc.nodes, dst)
		}
		src.conds = append(src.conds, cc)
	}
}

// compileSends resolves each node's WithSends targets.
func (r *Runnable[S]) compileSends(add func(string, ...any)) {
	for i := range r.nodes {
		n := &r.nodes[i]
		names := n.sendTo
		n.sendTo = nil
		for _, name := range names {
			dst, ok := r.byName[name]
			if !ok {
				add("node %q: WithSends target %q is not a node", n.name, name)
				continue
			}
			n.sendTo = append(n.sendTo, name)
			n.sendNode = append(n.sendNode, dst)
		}
	}
}

// successors lists where a node may lead: edges, conditional targets and
// Send targets, with toEnd when END is among them.
func (rt *routes[S]) successors(sends []int) (next []int, toEnd bool) {
	next = append(slices.Clone(rt.next), sends...)
	toEnd = rt.toEnd
	for _, c := range rt.conds {
		for _, n := range c.nodes {
			if n == endNode {
				toEnd = true
			} else {
				next = append(next, n)
			}
		}
	}
	return next, toEnd
}

// checkPaths reports nodes unreachable from START and nodes from which END
// cannot be reached.
func (r *Runnable[S]) checkPaths(add func(string, ...any)) {
	n := len(r.nodes)
	succ := make([][]int, n)
	ends := make([]bool, n)
	for i := range r.nodes {
		succ[i], ends[i] = r.nodes[i].route.successors(r.nodes[i].sendNode)
	}
	entry, _ := r.entry.successors(nil)
	if len(entry) == 0 && !r.entry.toEnd {
		add("no entry point: add an edge from START")
	}
	reached := make([]bool, n)
	queue := entry
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if !reached[i] {
			reached[i] = true
			queue = append(queue, succ[i]...)
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range n {
			if !ends[i] && slices.ContainsFunc(succ[i], func(j int) bool { return ends[j] }) {
				ends[i], changed = true, true
			}
		}
	}
	for i, nd := range r.nodes {
		if !reached[i] {
			add("node %q is unreachable from START", nd.name)
		} else if !ends[i] {
			add("node %q has no path to END", nd.name)
		}
	}
}
