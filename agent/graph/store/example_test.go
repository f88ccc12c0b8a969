package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
)

// A run writes a checkpoint after each step; a later process resumes from
// the latest one and lists the runs.
func ExampleNewFS() {
	dir, err := os.MkdirTemp("", "deepctx-runs-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	cps, err := store.NewFS(dir, store.FSSubdir("checkpoints"))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for step := 1; step <= 3; step++ {
		err := cps.Put(ctx, graph.Checkpoint{
			RunID:  "run-1",
			Seq:    step,
			Graph:  "research",
			Step:   step,
			Status: graph.StatusRunning,
			State:  json.RawMessage(fmt.Sprintf(`{"notes": %d}`, step)),
			Time:   start.Add(time.Duration(step) * time.Minute),
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "run-1", "checkpoints", "*.json"))
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		fmt.Println(filepath.ToSlash(rel))
	}

	// Another process, later: a fresh store on the same folder.
	cps, err = store.NewFS(dir, store.FSSubdir("checkpoints"))
	if err != nil {
		fmt.Println(err)
		return
	}
	cp, err := cps.Latest(ctx, "run-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("resume %s at step %d with state %s\n", cp.RunID, cp.Step, cp.State)

	err = cps.Put(ctx, graph.Checkpoint{RunID: "run-1", Seq: 2, Time: start})
	fmt.Println("rewrite seq 2:", errors.Is(err, store.ErrStaleSeq))

	_, err = cps.Latest(ctx, "run-2")
	fmt.Println("run-2 has a checkpoint:", !errors.Is(err, graph.ErrNoCheckpoint))

	runs, _ := cps.Runs(ctx)
	for _, r := range runs {
		fmt.Println(r.RunID, r.Status, r.Seq, r.Updated.Format(time.RFC3339))
	}
	// Output:
	// run-1/checkpoints/000001.json
	// run-1/checkpoints/000002.json
	// run-1/checkpoints/000003.json
	// resume run-1 at step 3 with state {"notes":3}
	// rewrite seq 2: true
	// run-2 has a checkpoint: false
	// run-1 running 3 2025-01-02T03:07:05Z
}

// A service keeps all its runs in one SQLite database.
func ExampleOpenSQLite() {
	dir, err := os.MkdirTemp("", "deepctx-db-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := store.OpenSQLite(filepath.Join(dir, "checkpoints.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, id := range []string{"alpha", "beta", "gamma"} {
		status := graph.StatusDone
		if id == "beta" {
			status = graph.StatusInterrupted
		}
		err := db.Put(ctx, graph.Checkpoint{
			RunID: id, Seq: 1, Graph: "research", Status: status,
			State: json.RawMessage(`{}`), Time: at.Add(time.Duration(i) * time.Hour),
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	runs, err := db.Runs(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range runs {
		fmt.Println(r.RunID, r.Status)
	}
	// Output:
	// gamma done
	// beta interrupted
	// alpha done
}
