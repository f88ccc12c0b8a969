package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
)

// realistic returns a checkpoint shaped like a research run mid-fan-out:
// about 20 KB of state JSON (messages, notes, sources) and 10 tasks, half
// of them finished with an update.
func realistic(runID string, seq int) graph.Checkpoint {
	type msg struct {
		ID, Role, Text string
	}
	type source struct {
		URL, Title, Snippet string
	}
	sentence := "Rayleigh scattering by molecules much smaller than the wavelength of light scales as the inverse fourth power of wavelength. "
	state := struct {
		Question string   `json:"question"`
		Brief    string   `json:"brief"`
		Messages []msg    `json:"messages"`
		Notes    []string `json:"notes"`
		Sources  []source `json:"sources"`
	}{
		Question: "Why is the sky blue, and why are sunsets red?",
		Brief:    strings.Repeat(sentence, 4),
	}
	for i := 0; i < 28; i++ {
		state.Messages = append(state.Messages, msg{fmt.Sprintf("m%03d", i), []string{"user", "assistant", "tool"}[i%3], strings.Repeat(sentence, 4)})
	}
	for i := 0; i < 12; i++ {
		state.Notes = append(state.Notes, fmt.Sprintf("note %d: %s", i, sentence))
	}
	for i := 0; i < 12; i++ {
		state.Sources = append(state.Sources, source{fmt.Sprintf("https://example.org/optics/%d", i), fmt.Sprintf("Optics %d", i), sentence})
	}
	stateJSON, err := json.Marshal(state)
	if err != nil {
		panic(err)
	}
	tasks := make([]graph.TaskRecord, 10)
	for i := range tasks {
		tasks[i] = graph.TaskRecord{
			ID:    fmt.Sprintf("%d:researcher:%d", seq, i),
			Node:  "researcher",
			Input: json.RawMessage(fmt.Sprintf(`{"topic":"sub-question %d","max_tool_calls":12}`, i)),
		}
		if i%2 == 0 {
			tasks[i].Done = true
			tasks[i].Update = json.RawMessage(fmt.Sprintf(`{"findings":[%q,%q],"sources":[%d,%d]}`, sentence, sentence, i, i+1))
		}
	}
	return graph.Checkpoint{
		RunID: runID, Seq: seq, Graph: "research", Step: seq, Status: graph.StatusRunning,
		State: stateJSON, Tasks: tasks,
		Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Second),
	}
}

func benchStores(b *testing.B) map[string]func(b *testing.B) graph.CheckpointStore {
	return map[string]func(b *testing.B) graph.CheckpointStore{
		"memory": func(b *testing.B) graph.CheckpointStore { return store.NewMemory() },
		"fs": func(b *testing.B) graph.CheckpointStore {
			s, err := store.NewFS(b.TempDir())
			require.NoError(b, err)
			return s
		},
		"fs-keep20": func(b *testing.B) graph.CheckpointStore {
			s, err := store.NewFS(b.TempDir(), store.FSKeepLast(20))
			require.NoError(b, err)
			return s
		},
		"sqlite": func(b *testing.B) graph.CheckpointStore {
			s, err := store.OpenSQLite(filepath.Join(b.TempDir(), "cp.db"))
			require.NoError(b, err)
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// BenchmarkPut measures one durable Put of a realistic checkpoint into a
// run that already holds 50 checkpoints (and, as the benchmark runs, every
// checkpoint it wrote, except with FSKeepLast).
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	cp := realistic("bench-run", 1)
	size, err := json.Marshal(cp)
	require.NoError(b, err)
	for _, name := range []string{"memory", "fs", "fs-keep20", "sqlite"} {
		open := benchStores(b)[name]
		b.Run(name, func(b *testing.B) {
			s := open(b)
			seq := 0
			for ; seq < 50; seq++ {
				cp.Seq = seq + 1
				require.NoError(b, s.Put(ctx, cp))
			}
			b.SetBytes(int64(len(size)))
			b.ReportAllocs()
			for b.Loop() {
				seq++
				cp.Seq = seq
				if err := s.Put(ctx, cp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLatest measures reading the newest of 50 realistic checkpoints.
func BenchmarkLatest(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"memory", "fs", "sqlite"} {
		open := benchStores(b)[name]
		b.Run(name, func(b *testing.B) {
			s := open(b)
			for seq := 1; seq <= 50; seq++ {
				require.NoError(b, s.Put(ctx, realistic("bench-run", seq)))
			}
			b.ReportAllocs()
			for b.Loop() {
				cp, err := s.Latest(ctx, "bench-run")
				if err != nil || cp.Seq != 50 {
					b.Fatal(cp.Seq, err)
				}
			}
		})
	}
}
