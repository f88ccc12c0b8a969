package search_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/deepctx/deepctx/agent/search"
)

func Example() {
	ctx := context.Background()
	docs, _ := os.MkdirTemp("", "corpus")
	defer os.RemoveAll(docs)
	os.WriteFile(filepath.Join(docs, "gc.md"), []byte("# Garbage collection\n\nThe garbage collector reclaims unreachable memory.\n"), 0o644)
	os.WriteFile(filepath.Join(docs, "sched.txt"), []byte("The scheduler runs goroutines on threads.\n"), 0o644)
	os.WriteFile(filepath.Join(docs, "mem.html"), []byte(`<title>Memory Model</title><nav>menu</nav><p>A read observes a write.</p>`), 0o644)

	dir, _ := os.MkdirTemp("", "index")
	defer os.RemoveAll(dir)
	idx, err := search.Open(dir, search.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer idx.Close()

	st, err := idx.Add(ctx, docs)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("added %d documents, %d passages\n", st.Added, st.Chunks)

	hits, _ := idx.Search(ctx, "garbage collector", 1)
	for _, h := range hits {
		// h.Key() is the citation key, like 3fa9c2e01b7d#0.
		fmt.Printf("%s — %s, passage %d, bytes %d-%d\n", h.Title, h.RelPath, h.Chunk, h.Start, h.End)
	}

	tools := search.Tools(idx, search.ToolOptions{})
	fmt.Println(tools[0].Def.Name, tools[1].Def.Name)
	// Output:
	// added 3 documents, 3 passages
	// Garbage collection — gc.md, passage 0, bytes 0-72
	// search read_document
}
