package offload

import (
	"fmt"
	"testing"
)

// BenchmarkPut stores and indexes a 30,000-token tool result (about
// 120 KB of prose): atomic writes, chunking, embedding and the chromem-go
// index. Each iteration stores new content (Put of stored content returns
// at once).
func BenchmarkPut(b *testing.B) {
	body := filler(77, 120_000)
	n := tok.Count(body)
	b.Logf("tool result: %d bytes, %d tokens", len(body), n)
	for _, bc := range []struct {
		name   string
		tokens int
	}{{"tokens-given", n}, {"tokens-counted", 0}} {
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
