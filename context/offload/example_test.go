package offload_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

func ExampleStore() {
	dir, _ := os.MkdirTemp("", "artifacts")
	defer os.RemoveAll(dir)
	store, err := offload.Open(dir)
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()

	page := "Solar output rose 12% in 2024.\nBattery storage doubled.\nThe grid operator added 3 GW of capacity.\n"
	h, _ := store.Put(ctx, page, offload.Meta{Tool: "fetch", CallID: "call_1"})
	fmt.Println(h)

	slice, _ := store.Read(h, 31, 25) // bytes 31..56
	fmt.Printf("%q more=%v next=%d\n", slice.Text, slice.More, slice.Next)

	hits, _ := store.Search(ctx, "battery storage", 1)
	fmt.Println(hits[0].Handle == h, hits[0].Offset)
	// Output:
	// art_cbe484772d93b2be
	// "Battery storage doubled.\n" more=true next=56
	// true 0
}

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "artifacts")
	defer os.RemoveAll(dir)
	store, _ := offload.Open(dir)
	defer store.Close()

	var page strings.Builder
	for i := range 400 {
		fmt.Fprintf(&page, "Row %d: station %d measured %d kWh.\n", i, i%7, 100+i)
	}
	t, _ := window.NewTranscript(
		llm.Message{ID: "u", Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("Summarize the meter data.")}},
		llm.Message{ID: "a", Role: llm.RoleAssistant, Parts: []llm.Part{llm.ToolCallPart(llm.ToolCall{ID: "c1", Name: "fetch"})}},
		llm.Message{ID: "r", Role: llm.RoleTool, Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{CallID: "c1", Name: "fetch", Content: page.String()})}},
	)
	m := &window.Manager{
		Tokenizer: tokens.ForModel("gpt-4.1"),
		Policies:  []window.Policy{offload.New(store, offload.Config{MaxInlineTokens: 1000, PreviewTokens: 40})},
	}
	view, report, _ := m.Prepare(context.Background(), t, nil, window.Budget{Window: 8000})

	fmt.Println(view[2].ToolResults()[0].Content)
	fmt.Println("artifact:", view[2].Meta.Artifact, "freed:", report.TokensFreed > 5000)

	// The model reads on from where the preview stops with read_artifact.
	read := offload.Tools(store)[0]
	res := read.Run(context.Background(), llm.ToolCall{ID: "c2", Name: read.Def.Name,
		Args: []byte(`{"handle":"` + view[2].Meta.Artifact + `","offset":105,"limit":70}`)})
	fmt.Println(res.Content)
	// Output:
	// Row 0: station 0 measured 100 kWh.
	// Row 1: station 1 measured 101 kWh.
	// Row 2: station 2 measured 102 kWh.
	//
	// [… 5200 tokens offloaded to artifact art_0b772149f55a56d2 (14690 bytes, the first 105 shown above); read_artifact(handle, offset, limit) or search_artifacts(query) to retrieve]
	// artifact: art_0b772149f55a56d2 freed: true
	// [artifact art_0b772149f55a56d2, bytes 105-175 of 14690; more follows: read_artifact(handle="art_0b772149f55a56d2", offset=175)]
	// Row 3: station 3 measured 103 kWh.
	// Row 4: station 4 measured 104 kWh.
}
