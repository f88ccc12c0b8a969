package graphbench

import (
	"context"
	"fmt"
	"testing"

	"github.com/cloudwego/eino/compose"
)

// einoChain builds Eino's version of the 10-node chain: START -> n0 -> … ->
// n9 -> END, each node adding one to an int.
func einoChain(b testing.TB, n int) compose.Runnable[int, int] {
	g := compose.NewGraph[int, int]()
	inc := compose.InvokableLambda(func(_ context.Context, x int) (int, error) { return x + 1, nil })
	prev := compose.START
	for i := range n {
		name := fmt.Sprintf("n%d", i)
		must(b, g.AddLambdaNode(name, inc))
		must(b, g.AddEdge(prev, name))
		prev = name
	}
	must(b, g.AddEdge(prev, compose.END))
	r, err := g.Compile(context.Background())
	must(b, err)
	return r
}

// einoFanOut builds Eino's version of the fan-out: START -> split -> 100
// parallel branches -> join -> END. Eino has no dynamic Send, so the
// branches are static nodes; each writes its own key of a map that Eino
// merges at the join, which waits for all predecessors (DAG mode).
func einoFanOut(b testing.TB, width int) compose.Runnable[int, int] {
	g := compose.NewGraph[int, int]()
	must(b, g.AddLambdaNode("split", compose.InvokableLambda(func(_ context.Context, x int) (int, error) { return x, nil })))
	must(b, g.AddEdge(compose.START, "split"))
	must(b, g.AddLambdaNode("join", compose.InvokableLambda(func(_ context.Context, m map[string]any) (int, error) {
		sum := 0
		for _, v := range m {
			sum += v.(int)
		}
		return sum, nil
	})))
	for i := range width {
		name := fmt.Sprintf("w%d", i)
		key := name
		must(b, g.AddLambdaNode(name, compose.InvokableLambda(func(_ context.Context, x int) (map[string]any, error) {
			return map[string]any{key: x + 1}, nil
		})))
		must(b, g.AddEdge("split", name))
		must(b, g.AddEdge(name, "join"))
	}
	must(b, g.AddEdge("join", compose.END))
	r, err := g.Compile(context.Background(), compose.WithNodeTriggerMode(compose.AllPredecessor))
	must(b, err)
	return r
}

func must(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func TestEinoShapesComputeTheExpectedResult(t *testing.T) {
	got, err := einoChain(t, 10).Invoke(context.Background(), 0)
	must(t, err)
	if got != 10 {
		t.Fatalf("chain: got %d, want 10", got)
	}
	got, err = einoFanOut(t, 100).Invoke(context.Background(), 1)
	must(t, err)
	if got != 200 {
		t.Fatalf("fan-out: got %d, want 200", got)
	}
}

func BenchmarkEinoChain10(b *testing.B) {
	r := einoChain(b, 10)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Invoke(ctx, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEinoFanOut100(b *testing.B) {
	r := einoFanOut(b, 100)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Invoke(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
}
