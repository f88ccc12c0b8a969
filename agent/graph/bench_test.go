package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/deepctx/deepctx/agent/graph"
)

// BenchState is a typical small agent state: a few scalars and lists.
type BenchState struct {
	Question string
	Step     int
	Notes    []string
	Results  []int
	Done     bool
}

func benchOpts() []graph.Option[BenchState] {
	return []graph.Option[BenchState]{
		graph.Field(func(s *BenchState) *[]string { return &s.Notes }, graph.Append[string]),
		graph.Field(func(s *BenchState) *[]int { return &s.Results }, graph.Append[int]),
	}
}

// chain10 compiles a chain of 10 trivial nodes that count the steps.
func chain10(b *testing.B) *graph.Runnable[BenchState] {
	b.Helper()
	g := graph.New("chain10", benchOpts()...)
	prev := graph.START
	for i := range 10 {
		name := fmt.Sprintf("n%d", i)
		g.AddNodeFunc(name, func(_ context.Context, s BenchState, _ *graph.Task) (BenchState, error) {
			return BenchState{Step: s.Step + 1}, nil
		})
		g.AddEdge(prev, name)
		prev = name
	}
	g.AddEdge(prev, graph.END)
	r, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkChain10 measures per-step overhead: a chain of 10 trivial nodes
// per run. ns/op is per run; ns/step is per super-step.
func BenchmarkChain10(b *testing.B) {
	r := chain10(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := r.Invoke(ctx, BenchState{Question: "q"})
		if err != nil || s.Step != 10 {
			b.Fatal(s.Step, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10), "ns/step")
}

// BenchmarkFanOut100 measures a 100-way fan-out of trivial tasks (each
// appends one result) joined by one node: 3 steps per run.
func BenchmarkFanOut100(b *testing.B) {
	for _, conc := range []int{graph.DefaultConcurrency, 1} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			g := graph.New("fan100", benchOpts()...).
				AddNodeFunc("plan", func(_ context.Context, _ BenchState, t *graph.Task) (BenchState, error) {
					for i := range 100 {
						t.Send("work", i)
					}
					return BenchState{}, nil
				}, graph.WithSends("work")).
				AddNode("work", graph.InputNode(func(_ context.Context, _ BenchState, i int, _ *graph.Task) (BenchState, error) {
					return BenchState{Results: []int{i}}, nil
				})).
				AddNodeFunc("join", func(context.Context, BenchState, *graph.Task) (BenchState, error) {
					return BenchState{Done: true}, nil
				}).
				AddEdge(graph.START, "plan").AddEdge("work", "join").AddEdge("join", graph.END)
			r, err := g.Compile(graph.WithConcurrency(conc))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				s, err := r.Invoke(ctx, BenchState{})
				if err != nil || len(s.Results) != 100 || !s.Done {
					b.Fatal(len(s.Results), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/task")
		})
	}
}

// BenchmarkChain10Streamed is BenchmarkChain10 with a Stream consumer:
// the cost of building and delivering events (state JSON included).
func BenchmarkChain10Streamed(b *testing.B) {
	r := chain10(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range r.Stream(ctx, BenchState{Question: "q"}) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10), "ns/step")
}
