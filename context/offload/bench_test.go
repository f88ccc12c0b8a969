package offload

import (
	"fmt"
	"testing"
)

// BenchmarkPut stores a 30,000-token tool result (about 120 KB of
// prose), as the offload policy does on the hot path of a model call:
// "tokens-given" and "tokens-counted" time Put alone (atomic writes of
// the content and its sidecar, chunking, queueing), with the indexing it
// queues left to finish between iterations, off the clock, as it does
// between an agent's turns; "indexed" times Put plus the wait for the
// background indexing (embedding, chromem-go), the throughput of a store
// fed faster than it can index. Each iteration stores new content (Put
// of stored content returns at once).
func BenchmarkPut(b *testing.B) {
	body := filler(77, 120_000)
	n := tok.Count(body)
	b.Logf("tool result: %d bytes, %d tokens", len(body), n)
	for _, bc := range []struct {
		name    string
		tokens  int
		indexed bool
	}{{"tokens-given", n, false}, {"tokens-counted", 0, false}, {"indexed", n, true}} {
		b.Run(bc.name, func(b *testing.B) {
			s := openStore(b, b.TempDir())
			i := 0
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				i++
				if _, err := s.Put(bg, fmt.Sprintf("result %d\n", i)+body, Meta{Tool: "fetch", Tokens: bc.tokens}); err != nil {
					b.Fatal(err)
				}
				if !bc.indexed {
					b.StopTimer()
				}
				if err := s.waitIdle(bg); err != nil {
					b.Fatal(err)
				}
				if !bc.indexed {
					b.StartTimer()
				}
			}
		})
	}
}

// BenchmarkSearch searches 200 artifacts of 4-12 KB of Zipf-distributed
// prose (about 1,100 passages) for a two-word query.
func BenchmarkSearch(b *testing.B) {
	s := openStore(b, b.TempDir(), WithCounter(countWords))
	vocab := pseudoWords(8000)
	for i := range 200 {
		content := zipfText(uint64(i), 4000+(i*7919)%8000, vocab)
		if _, err := s.Put(bg, content, Meta{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(bg); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d passages", s.coll.Count())
	query := vocab[500] + " " + vocab[2000]
	b.ReportAllocs()
	for b.Loop() {
		hits, err := s.Search(bg, query, 5)
		if err != nil || len(hits) != 5 {
			b.Fatal(err, len(hits))
		}
	}
}

// BenchmarkOpen opens a store of 200 artifacts (about 1,300 passages)
// whose index was saved by Close: it reads and checks the sidecars and
// imports the index file, embedding nothing.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir, WithCounter(countWords))
	if err != nil {
		b.Fatal(err)
	}
	vocab := pseudoWords(8000)
	for i := range 200 {
		if _, err := s.Put(bg, zipfText(uint64(i), 4000+(i*7919)%8000, vocab), Meta{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := Open(dir, WithCounter(countWords))
		if err != nil || s.rebuilt || s.caughtUp > 0 {
			b.Fatal(err, s.rebuilt, s.caughtUp)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmbed embeds one 1,500-byte passage.
func BenchmarkEmbed(b *testing.B) {
	text := filler(3, DefaultChunkBytes)[:DefaultChunkBytes]
	emb := HashEmbedding(0)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := emb(bg, text); err != nil {
			b.Fatal(err)
		}
	}
}
