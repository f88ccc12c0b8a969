package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/deepctx/deepctx/context/offload"
)

// TestMeasurePersistence compares chromem-go's two ways of persisting a
// collection of 20k passages: one gob file per document
// (NewPersistentDB) against a single exported file. Gated by
// DEEPCTX_MEASURE=1; it asserts nothing and prints timings.
func TestMeasurePersistence(t *testing.T) {
	if os.Getenv("DEEPCTX_MEASURE") == "" {
		t.Skip("set DEEPCTX_MEASURE=1 to measure")
	}
	ctx := context.Background()
	const n = 20000
	embed := offload.HashEmbedding(0)
	words := strings.Fields("the garbage collector runs concurrently with the mutator goroutines scheduler channel select interface method value pointer slice map")
	docs := make([]chromem.Document, n)
	for i := range docs {
		var b strings.Builder
		for j := 0; b.Len() < 1000; j++ {
			b.WriteString(words[(i*7+j*13)%len(words)])
			fmt.Fprintf(&b, "%d ", (i+j)%97)
		}
		v, err := embed(ctx, b.String())
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = chromem.Document{ID: fmt.Sprintf("%012x#%d", i/20, i%20), Content: b.String(), Embedding: v, Metadata: map[string]string{"sha": "abc"}}
	}
	dir := t.TempDir()

	start := time.Now()
	pdb, err := chromem.NewPersistentDB(filepath.Join(dir, "p"), false)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := pdb.CreateCollection("chunks", nil, embed)
	if err := c.AddDocuments(ctx, docs, 2); err != nil {
		t.Fatal(err)
	}
	t.Logf("persistent: add %d in %v, size %d", n, time.Since(start), dirSize(filepath.Join(dir, "p")))
	start = time.Now()
	pdb2, err := chromem.NewPersistentDB(filepath.Join(dir, "p"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("persistent: open in %v (%d docs)", time.Since(start), pdb2.GetCollection("chunks", embed).Count())

	for _, gz := range []bool{false, true} {
		start = time.Now()
		db := chromem.NewDB()
		c, _ = db.CreateCollection("chunks", nil, embed)
		if err := c.AddDocuments(ctx, docs, 2); err != nil {
			t.Fatal(err)
		}
		added := time.Since(start)
		f := filepath.Join(dir, fmt.Sprintf("export-%v.gob", gz))
		if err := db.ExportToFile(f, gz, ""); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(f)
		t.Logf("export gzip=%v: add %v + export %v, size %d", gz, added, time.Since(start)-added, st.Size())
		start = time.Now()
		db2 := chromem.NewDB()
		if err := db2.ImportFromFile(f, ""); err != nil {
			t.Fatal(err)
		}
		t.Logf("export gzip=%v: import in %v (%d docs)", gz, time.Since(start), db2.GetCollection("chunks", embed).Count())
	}
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
