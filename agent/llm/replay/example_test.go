package replay_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/replay"
	"github.com/deepctx/deepctx/agent/llm/scripted"
)

func Example() {
	dir, _ := os.MkdirTemp("", "replay-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cassettes", "dune.jsonl")
	ctx := context.Background()

	// Record: any llm.Model stands where a real provider would.
	rec, _ := replay.Recorder(scripted.New(scripted.Text("Frank Herbert.")), path)
	_, _ = rec.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("Who wrote Dune?")}})
	_ = rec.Close()

	// Replay offline: the same request with fresh message IDs hits.
	play, _ := replay.Player(path)
	resp, err := play.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("Who wrote Dune?")}})
	fmt.Println(resp.Message.Text(), err)

	_, err = play.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("Who wrote Emma?")}})
	fmt.Println(err != nil)
	// Output:
	// Frank Herbert. <nil>
	// true
}
