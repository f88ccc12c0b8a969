package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
)

type inner struct {
	Name string
	Tags []string
}

// Rich has a field of every kind the default merge handles specially.
type Rich struct {
	Text   string
	N      int
	F      float64
	OK     bool
	Ptr    *int
	Map    map[string]int
	Any    any
	Err    error
	Fn     func() int
	Slice  []int
	Inner  inner
	Arr    [2]int
	Notes  []string
	Total  int
	Scores map[string]int
	hidden string
}

// runUpdates merges updates into initial through a one-node-per-update
// chain and returns the final state.
func runUpdates[S any](t *testing.T, initial S, opts []graph.Option[S], updates ...S) S {
	t.Helper()
	g := graph.New("merge", opts...)
	prev := graph.START
	for i, u := range updates {
		name := string(rune('a' + i))
		g.AddNodeFunc(name, func(context.Context, S, *graph.Task) (S, error) { return u, nil })
		g.AddEdge(prev, name)
		prev = name
	}
	g.AddEdge(prev, graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	out, err := r.Invoke(context.Background(), initial)
	require.NoError(t, err)
	return out
}

func TestDefaultMergeReplacesNonZeroFields(t *testing.T) {
	seven := 7
	fn := func() int { return 42 }
	initial := Rich{Text: "keep", N: 1, F: 1.5, OK: true, Ptr: &seven, Map: map[string]int{"a": 1},
		Any: "x", Slice: []int{1}, Inner: inner{Name: "in"}, Arr: [2]int{1, 2}, hidden: "h"}

	// An all-zero update changes nothing.
	got := runUpdates(t, initial, nil, Rich{})
	assert.Equal(t, initial.Text, got.Text)
	assert.Equal(t, initial.N, got.N)
	assert.Equal(t, initial.Ptr, got.Ptr)
	assert.Equal(t, initial.Map, got.Map)
	assert.Equal(t, initial.Inner, got.Inner)
	assert.Equal(t, initial.Arr, got.Arr)
	assert.Equal(t, "h", got.hidden)

	// Non-zero fields replace, zero ones keep, in update order.
	eight := 8
	upd1 := Rich{Text: "one", N: 2, Ptr: &eight, Map: map[string]int{"b": 2}, Any: 3, Err: assert.AnError,
		Fn: fn, Slice: []int{}, Inner: inner{Tags: []string{"t"}}, Arr: [2]int{0, 9}, hidden: "new"}
	upd2 := Rich{Text: "two"}
	got = runUpdates(t, initial, nil, upd1, upd2)
	assert.Equal(t, "two", got.Text)
	assert.Equal(t, 2, got.N)
	assert.Equal(t, 1.5, got.F)
	assert.True(t, got.OK)
	assert.Same(t, &eight, got.Ptr)
	assert.Equal(t, map[string]int{"b": 2}, got.Map)
	assert.Equal(t, 3, got.Any)
	assert.Equal(t, assert.AnError, got.Err)
	assert.Equal(t, 42, got.Fn())
	assert.NotNil(t, got.Slice, "an empty non-nil slice is a value")
	assert.Empty(t, got.Slice)
	assert.Equal(t, inner{Tags: []string{"t"}}, got.Inner, "struct fields replace as a whole")
	assert.Equal(t, [2]int{0, 9}, got.Arr)
	assert.Equal(t, "new", got.hidden, "unexported fields merge too")
}

func TestFieldReducers(t *testing.T) {
	opts := []graph.Option[Rich]{
		graph.Field(func(s *Rich) *[]string { return &s.Notes }, graph.Append[string]),
		graph.Field(func(s *Rich) *int { return &s.Total }, func(cur, upd int) int { return cur + upd }),
		graph.Field(func(s *Rich) *map[string]int { return &s.Scores }, graph.Merge[string, int]),
		graph.Field(func(s *Rich) *string { return &s.Text }, graph.Replace[string]),
	}
	backing := make([]string, 1, 10)
	backing[0] = "first"
	initial := Rich{Notes: backing, Total: 1, Scores: map[string]int{"a": 1}, Text: "t0"}
	got := runUpdates(t, initial, opts,
		Rich{Notes: []string{"x"}, Total: 2, Scores: map[string]int{"b": 2}},
		Rich{},
		Rich{Notes: []string{"y", "z"}, Total: 3, Scores: map[string]int{"a": 5}, Text: "t1"},
	)
	assert.Equal(t, []string{"first", "x", "y", "z"}, got.Notes)
	assert.Equal(t, 6, got.Total, "custom reducer sums; a zero update is skipped")
	assert.Equal(t, map[string]int{"a": 5, "b": 2}, got.Scores)
	assert.Equal(t, "t1", got.Text)
	assert.Equal(t, map[string]int{"a": 1}, initial.Scores, "Merge does not modify the caller's map")
	assert.Equal(t, []string{"first"}, backing[:1])
	assert.Empty(t, backing[1:2][0], "Append does not write into the caller's spare capacity")
}

func TestWithReducerAndNonStructState(t *testing.T) {
	sum := runUpdates(t, 1, []graph.Option[int]{graph.WithReducer(func(cur, upd int) int { return cur + upd })}, 2, 0, 3)
	assert.Equal(t, 6, sum)
	// Without a reducer, a non-struct state is replaced by non-zero updates.
	last := runUpdates(t, "a", nil, "b", "", "c", "")
	assert.Equal(t, "c", last)
	list := runUpdates(t, []int{1}, []graph.Option[[]int]{graph.WithReducer(graph.Append[int])}, []int{2}, nil, []int{3})
	assert.Equal(t, []int{1, 2, 3}, list)
}

func TestFieldMisuseFailsCompile(t *testing.T) {
	type Nested struct {
		In inner
		N  int
	}
	node := func(context.Context, Nested, *graph.Task) (Nested, error) { return Nested{}, nil }
	tests := []struct {
		name string
		opts []graph.Option[Nested]
		want string
	}{
		{"nested field", []graph.Option[Nested]{graph.Field(func(s *Nested) *string { return &s.In.Name }, graph.Replace[string])}, "top-level field"},
		{"not a field", []graph.Option[Nested]{graph.Field(func(s *Nested) *int { return new(int) }, graph.Replace[int])}, "address of a field"},
		{"two reducers", []graph.Option[Nested]{
			graph.Field(func(s *Nested) *int { return &s.N }, graph.Replace[int]),
			graph.Field(func(s *Nested) *int { return &s.N }, graph.Replace[int]),
		}, "two reducers"},
		{"nil reducer", []graph.Option[Nested]{graph.Field[Nested, int](func(s *Nested) *int { return &s.N }, nil)}, "nil getter or reducer"},
		{"whole and field", []graph.Option[Nested]{
			graph.WithReducer(func(cur, upd Nested) Nested { return upd }),
			graph.Field(func(s *Nested) *int { return &s.N }, graph.Replace[int]),
		}, "cannot be combined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New("bad", tt.opts...).AddNodeFunc("a", node).AddEdge(graph.START, "a").AddEdge("a", graph.END)
			_, err := g.Compile()
			var ce *graph.CompileError
			require.ErrorAs(t, err, &ce)
			require.Len(t, ce.Problems, 1)
			assert.Contains(t, ce.Problems[0], tt.want)
		})
	}
}

func TestFailedMergeOrRouteKeepsTheLastCompletedState(t *testing.T) {
	type Tally struct {
		Steps []string
		Count int
	}
	tests := []struct {
		name    string
		reduce  func(cur, upd int) int
		route   graph.Router[Tally]
		wantErr string
	}{
		{"reducer panics", func(cur, upd int) int {
			if upd == 2 {
				panic("overflow")
			}
			return cur + upd
		}, nil, "merging the update: panic: overflow"},
		{"router fails", func(cur, upd int) int { return cur + upd },
			func(context.Context, Tally) ([]string, error) { return nil, assert.AnError }, assert.AnError.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New("tally",
				graph.Field(func(s *Tally) *[]string { return &s.Steps }, graph.Append[string]),
				graph.Field(func(s *Tally) *int { return &s.Count }, tt.reduce),
			).
				AddNodeFunc("a", func(context.Context, Tally, *graph.Task) (Tally, error) {
					return Tally{Steps: []string{"a"}, Count: 1}, nil
				}).
				AddNodeFunc("b", func(context.Context, Tally, *graph.Task) (Tally, error) {
					return Tally{Steps: []string{"b"}, Count: 2}, nil
				}).
				AddEdge(graph.START, "a").AddEdge("a", "b")
			if tt.route != nil {
				g.AddConditionalEdges("b", tt.route, graph.END)
			} else {
				g.AddEdge("b", graph.END)
			}
			r, err := g.Compile()
			require.NoError(t, err)
			got, err := r.Invoke(context.Background(), Tally{})
			var ne *graph.NodeError
			require.ErrorAs(t, err, &ne)
			assert.Equal(t, "b", ne.Node)
			assert.Equal(t, 2, ne.Step)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Equal(t, Tally{Steps: []string{"a"}, Count: 1}, got, "step 2's updates are not half merged")
		})
	}
}

func TestNodesMayAppendToStateSlices(t *testing.T) {
	// Items is replaced as a whole (no reducer); each worker returns Items
	// plus its own element. Items has spare capacity, so without clipping
	// the workers would all write the same array element.
	type Lists struct {
		Items []string
		Got   []string
	}
	const n = 8
	g := graph.New("lists", graph.Field(func(s *Lists) *[]string { return &s.Got }, graph.Append[string])).
		AddNodeFunc("seed", func(_ context.Context, _ Lists, task *graph.Task) (Lists, error) {
			for i := range n {
				task.Send("work", fmt.Sprint(i))
			}
			items := make([]string, 1, 64)
			items[0] = "base"
			return Lists{Items: items}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(_ context.Context, s Lists, in string, _ *graph.Task) (Lists, error) {
			return Lists{Got: append(s.Items, in)}, nil
		})).
		AddEdge(graph.START, "seed").AddEdge("work", graph.END)
	r, err := g.Compile(graph.WithConcurrency(n))
	require.NoError(t, err)
	got, err := r.Invoke(context.Background(), Lists{})
	require.NoError(t, err)
	var want []string
	for i := range n {
		want = append(want, "base", fmt.Sprint(i))
	}
	assert.Equal(t, want, got.Got)
	assert.Equal(t, []string{"base"}, got.Items)
}
