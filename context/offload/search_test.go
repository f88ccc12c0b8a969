package offload

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSearchFindsPlantedFact(t *testing.T) {
	facts := map[int]string{
		17: "The Vostok ice core reveals carbon dioxide levels of 280 ppm before the industrial era.",
		33: "Kestrel Dynamics reported a lithium recycling yield of 94 percent at its Nevada plant.",
		41: "Fiscal deficits widened sharply in several provinces during the second half.",
		48: "The median latency of the Frankfurt exchange gateway fell to 38 microseconds in March.",
	}
	queries := []struct {
		query string
		want  int
		fact  string
	}{
		{"Vostok ice core carbon dioxide", 17, "280 ppm"},
		{"vostok", 17, "Vostok"},
		{"what was the lithium recycling yield at Kestrel", 33, "94 percent"},
		{"Frankfurt gateway latency", 48, "38 microseconds"},
		{"fiscal deficits provinces", 41, "widened sharply"},
		{"deficit province", 41, "widened sharply"}, // inflected forms
	}
	vocab := pseudoWords(5000)
	corpora := map[string]func(i int) string{
		// 100 common words over and over: every passage looks alike.
		"small vocabulary": func(i int) string { return filler(uint64(1000+i), 8000+i*97) },
		// Zipf-distributed words, like real prose.
		"zipf": func(i int) string { return zipfText(uint64(1000+i), 8000+i*97, vocab) },
	}
	for name, gen := range corpora {
		t.Run(name, func(t *testing.T) {
			s := openStore(t, t.TempDir(), WithCounter(countWords))
			handles := map[int]Handle{}
			offsets := map[int]int{}
			for i := range 50 {
				content := gen(i)
				if fact, ok := facts[i]; ok {
					cut := strings.IndexByte(content[len(content)/2:], '\n') + len(content)/2 + 1
					offsets[i] = cut
					content = content[:cut] + fact + "\n" + content[cut:]
				}
				h, err := s.Put(bg, content, Meta{Tool: "fetch"})
				require.NoError(t, err)
				handles[i] = h
			}
			for _, tt := range queries {
				t.Run(tt.query, func(t *testing.T) {
					hits, err := s.Search(bg, tt.query, 5)
					require.NoError(t, err)
					require.Len(t, hits, 5)
					top := hits[0]
					assert.Equal(t, handles[tt.want], top.Handle, "the best hit is in the artifact holding the fact")
					assert.Contains(t, top.Preview, tt.fact)
					assert.LessOrEqual(t, top.Offset, offsets[tt.want])
					assert.GreaterOrEqual(t, top.Offset+top.Length, offsets[tt.want]+len(facts[tt.want]), "the passage holds the whole fact")
					sl, err := s.Read(top.Handle, top.Offset, top.Length)
					require.NoError(t, err)
					assert.Contains(t, sl.Text, facts[tt.want])
					for i := 1; i < len(hits); i++ {
						assert.GreaterOrEqual(t, hits[i-1].Score, hits[i].Score, "best first")
					}
					again, err := s.Search(bg, tt.query, 5)
					require.NoError(t, err)
					assert.Equal(t, hits, again, "deterministic")
				})
			}
		})
	}
}

func TestSearchEdgeCases(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	hits, err := s.Search(bg, "anything", 3)
	require.NoError(t, err)
	assert.Empty(t, hits, "an empty store has no hits")

	_, err = s.Put(bg, "alpha beta gamma", Meta{})
	require.NoError(t, err)
	_, err = s.Put(bg, "delta epsilon", Meta{})
	require.NoError(t, err)

	hits, err = s.Search(bg, "gamma", 50)
	require.NoError(t, err)
	assert.Len(t, hits, 2, "k is capped by the passages there are")
	assert.Equal(t, HandleOf("alpha beta gamma"), hits[0].Handle)

	hits, err = s.Search(bg, "gamma", 0)
	require.NoError(t, err)
	assert.Len(t, hits, 2, "k <= 0 means the default")

	for _, q := range []string{"", "   ", "?!…", "---"} {
		_, err = s.Search(bg, q, 3)
		assert.ErrorIs(t, err, ErrEmptyQuery, "query %q", q)
	}
	hits, err = s.Search(bg, "the", 1)
	require.NoError(t, err, "a query of stop words still searches")
	assert.Len(t, hits, 1)

	ctx, cancel := contextWithCancel()
	cancel()
	_, err = s.Search(ctx, "gamma", 1)
	assert.ErrorIs(t, err, errCanceled)
}

func TestHashEmbedding(t *testing.T) {
	emb := HashEmbedding(0)
	norm := func(v []float32) float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return math.Sqrt(s)
	}
	cos := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	texts := []string{"", "!!!", "the", "Solar panels convert sunlight", strings.Repeat("word ", 10000), "数据 分析 ünïcödé"}
	for _, text := range texts {
		v, err := emb(bg, text)
		require.NoError(t, err)
		require.Len(t, v, DefaultDims)
		assert.InDelta(t, 1, norm(v), 1e-5, "normalized: %q", text)
		again, _ := emb(bg, text)
		assert.Equal(t, v, again, "deterministic")
	}
	a, _ := emb(bg, "solar panels convert sunlight into electricity")
	b, _ := emb(bg, "Sunlight is converted into electricity by solar panels.")
	c, _ := emb(bg, "the orchestra rehearsed a symphony by Mahler")
	assert.Greater(t, cos(a, b), cos(a, c)+0.3, "paraphrase is closer than an unrelated sentence")
	assert.Less(t, math.Abs(cos(a, c)), 0.25, "unrelated sentences are nearly orthogonal")

	small, err := HashEmbedding(64)(bg, "hello world")
	require.NoError(t, err)
	assert.Len(t, small, 64)

	ctx, cancel := contextWithCancel()
	cancel()
	_, err = emb(ctx, "x")
	assert.ErrorIs(t, err, errCanceled)
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("lorem ipsum dolor ", 50) + "NEEDLE here\n\nand" + strings.Repeat(" more text", 60)
	got := snippet(long, []string{"needle"}, 120)
	assert.Contains(t, got, "NEEDLE here and", "whitespace collapsed")
	assert.True(t, strings.HasPrefix(got, "…") && strings.HasSuffix(got, "…"))
	assert.LessOrEqual(t, len(got), 120+2*len("…"))
	assert.Equal(t, "short text", snippet("short\ntext", []string{"zzz"}, 120))
}

// TestSearchRecall plants 30 facts naming made-up entities in 30 of 50
// artifacts of Zipf-distributed prose and asks for each with the kind of
// query a model writes: one or two of the fact's rare words, sometimes
// with a common word.
func TestSearchRecall(t *testing.T) {
	vocab := pseudoWords(8000)
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	type planted struct {
		query string
		h     Handle
		fact  string
	}
	var facts []planted
	for i := range 50 {
		content := zipfText(uint64(3000+i), 6000+(i*7919)%8000, vocab)
		var fact, query string
		if i < 30 {
			e1, e2, e3 := fmt.Sprintf("zorblax%d", i), fmt.Sprintf("quintar%dite", i), fmt.Sprintf("vel%dmora", i)
			fact = fmt.Sprintf("The %s %s of %s reached %d units near %s.", vocab[i], e1, e2, 100+i, e3)
			query = []string{e1 + " " + e2, e3, e1 + " " + vocab[i] + " " + e3}[i%3]
			cut := strings.IndexByte(content[len(content)/2:], '\n') + len(content)/2 + 1
			content = content[:cut] + fact + "\n" + content[cut:]
		}
		h, err := s.Put(bg, content, Meta{})
		require.NoError(t, err)
		if fact != "" {
			facts = append(facts, planted{query, h, fact})
		}
	}
	top1, top5 := 0, 0
	for _, f := range facts {
		hits, err := s.Search(bg, f.query, 5)
		require.NoError(t, err)
		for i, hit := range hits {
			if hit.Handle == f.h {
				if i == 0 {
					top1++
				}
				top5++
				break
			}
		}
	}
	t.Logf("recall: top-1 %d/30, top-5 %d/30", top1, top5)
	assert.GreaterOrEqual(t, top1, 28)
	assert.Equal(t, 30, top5)
}
