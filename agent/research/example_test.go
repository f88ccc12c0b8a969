package research_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/deepctx/deepctx/agent/llm/extractive"
	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/agent/search"
)

// Research a question over a folder of documents with the offline engine.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "research-example")
	defer os.RemoveAll(dir)
	docs := filepath.Join(dir, "docs")
	_ = os.MkdirAll(docs, 0o755)
	_ = os.WriteFile(filepath.Join(docs, "gc.md"), []byte("# Garbage collection\n\n"+
		"The Go garbage collector is a concurrent mark and sweep collector. "+
		"The GOGC variable sets the initial garbage collection target percentage. "+
		"A collection is triggered when the ratio of freshly allocated data to live data reaches GOGC percent.\n"), 0o644)

	idx, err := search.Open(filepath.Join(dir, "index"), search.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer idx.Close()
	if _, err := idx.Add(ctx, docs); err != nil {
		log.Fatal(err)
	}
	agent, err := research.New(research.Config{
		Model:  extractive.New(extractive.Options{}),
		Corpus: research.IndexCorpus(idx),
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := agent.Run(ctx, "What does the GOGC variable control in the garbage collector?")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.SplitN(res.Report, "\n", 2)[0])
	fmt.Println("cited:", len(res.Sources) > 0, "verified:", research.Verify(ctx, research.IndexCorpus(idx), res.Report, res.Sources) == nil)
	// Output:
	// # What does the GOGC variable control in the garbage collector?
	// cited: true verified: true
}
