package graphbench

import (
	"context"
	"fmt"
	"testing"

	"github.com/deepctx/deepctx/agent/graph"
)

// counter is the state of both deepctx shapes: the chain increments N, the
// fan-out sums its tasks' results into Sum.
type counter struct {
	N   int
	Sum int
}

func sum(cur, upd int) int { return cur + upd }

// deepctxChain is the 10-node chain: START -> n0 -> … -> n9 -> END, each
// node adding one.
func deepctxChain(b testing.TB, n int) *graph.Runnable[counter] {
	g := graph.New[counter]("chain")
	prev := graph.START
	for i := range n {
		name := fmt.Sprintf("n%d", i)
		g.AddNodeFunc(name, func(_ context.Context, s counter, _ *graph.Task) (counter, error) {
			return counter{N: s.N + 1}, nil
		})
		g.AddEdge(prev, name)
		prev = name
	}
	g.AddEdge(prev, graph.END)
	r, err := g.Compile()
	must(b, err)
	return r
}

// deepctxFanOut is the fan-out: split sends width tasks to one worker node
// (LangGraph's Send), each returns its input plus one, the results are
// summed by the Sum reducer in send order, and join runs once after all.
func deepctxFanOut(b testing.TB, width, concurrency int) *graph.Runnable[counter] {
	g := graph.New("fanout", graph.Field(func(s *counter) *int { return &s.Sum }, sum)).
		AddNodeFunc("split", func(_ context.Context, s counter, t *graph.Task) (counter, error) {
			for range width {
				t.Send("work", s.N)
			}
			return counter{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(_ context.Context, _ counter, x int, _ *graph.Task) (counter, error) {
			return counter{Sum: x + 1}, nil
		})).
		AddNodeFunc("join", func(_ context.Context, s counter, _ *graph.Task) (counter, error) {
			return counter{}, nil
		}).
		AddEdge(graph.START, "split").AddEdge("work", "join").AddEdge("join", graph.END)
	r, err := g.Compile(graph.WithConcurrency(concurrency))
	must(b, err)
	return r
}

func TestDeepctxShapesComputeTheExpectedResult(t *testing.T) {
	got, err := deepctxChain(t, 10).Invoke(context.Background(), counter{})
	must(t, err)
	if got.N != 10 {
		t.Fatalf("chain: got %d, want 10", got.N)
	}
	fan, err := deepctxFanOut(t, 100, graph.DefaultConcurrency).Invoke(context.Background(), counter{N: 1})
	must(t, err)
	if fan.Sum != 200 {
		t.Fatalf("fan-out: got %d, want 200", fan.Sum)
	}
}

func BenchmarkDeepctxChain10(b *testing.B) {
	r := deepctxChain(b, 10)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Invoke(ctx, counter{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeepctxFanOut100 runs the fan-out with the default limit of 8
// concurrent tasks, and with 100, one goroutine per task as Eino runs its
// parallel branches.
func BenchmarkDeepctxFanOut100(b *testing.B) {
	for _, conc := range []int{graph.DefaultConcurrency, 100} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			r := deepctxFanOut(b, 100, conc)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Invoke(ctx, counter{N: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
