package offload

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/context/tokens"
)

// vocabulary for generated filler text: plain words that never collide
// with the facts tests plant.
var vocabulary = strings.Fields(`market report growth quarter revenue policy energy solar wind battery
	storage grid demand supply price index survey study result method model data sample analysis trend
	region country city river mountain coast harbor forest climate weather rain season harvest farm crop
	school student teacher course exam library museum gallery artist music film novel poem author reader
	engine motor vehicle train station airport flight route cargo ship port trade tariff export import
	bank credit loan interest inflation currency budget deficit surplus treasury bond equity fund asset`)

// filler returns about n bytes of sentence-like text in lines and
// paragraphs, the same for the same seed.
func filler(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	for b.Len() < n {
		words := 6 + r.IntN(12)
		for i := range words {
			w := vocabulary[r.IntN(len(vocabulary))]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			if i < words-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(".")
		switch r.IntN(8) {
		case 0:
			b.WriteString("\n\n")
		case 1, 2:
			b.WriteString("\n")
		default:
			b.WriteString(" ")
		}
	}
	return b.String()
}

func openStore(t testing.TB, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// readAll pages through an artifact limit bytes at a time.
func readAll(t testing.TB, s *Store, h Handle, limit int) string {
	t.Helper()
	var b strings.Builder
	off := 0
	for {
		sl, err := s.Read(h, off, limit)
		require.NoError(t, err)
		require.Equal(t, off, sl.Offset, "a slice starts where the previous one ended")
		b.WriteString(sl.Text)
		if !sl.More {
			require.Equal(t, sl.Total, sl.Next)
			return b.String()
		}
		require.Greater(t, sl.Next, off, "reading makes progress")
		off = sl.Next
	}
}

var bg = context.Background()

// countWords is a cheap token counter for store tests.
var countWords = tokens.CounterFunc(func(s string) int { return len(strings.Fields(s)) })

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(bg) }

var errCanceled = context.Canceled

// zipfText returns about n bytes of text whose words follow Zipf's law
// over vocab, with stop words mixed in, like real prose: a few words
// everywhere, most words rare.
func zipfText(seed uint64, n int, vocab []string) string {
	r := rand.New(rand.NewPCG(seed, 7))
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	stops := strings.Fields("the of and to in a is that for with as was on by")
	var b strings.Builder
	for b.Len() < n {
		for range 8 + r.IntN(15) {
			if r.IntN(3) == 0 {
				b.WriteString(stops[r.IntN(len(stops))])
			} else {
				b.WriteString(vocab[z.Uint64()])
			}
			b.WriteByte(' ')
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// pseudoWords returns n distinct made-up words, the same every time.
func pseudoWords(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	syl := strings.Fields("ka to mi ra ne lo su pe di ga ro ba te vi no sa le mu ki po da re fi ta")
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		w := ""
		for range 2 + r.IntN(3) {
			w += syl[r.IntN(len(syl))]
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
