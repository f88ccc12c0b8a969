package tokens

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustEncoder(t testing.TB, name Encoding) *Encoder {
	t.Helper()
	e, err := EncoderFor(name)
	require.NoError(t, err)
	return e
}

// Reference counts published in OpenAI's "How to count tokens with
// tiktoken" (openai-cookbook), sections 1 and 5.
func TestEncoderCountMatchesPublishedCounts(t *testing.T) {
	tests := []struct {
		text          string
		o200k, cl100k int
	}{
		{"", 0, 0},
		{"hello world", 2, 2},
		{"tiktoken is great!", 6, 6},
		{"antidisestablishmentarianism", 6, 6},
		{"2 + 2 = 4", 7, 7},
		{"お誕生日おめでとう", 8, 9},
	}
	o200k, cl100k := mustEncoder(t, O200kBase), mustEncoder(t, CL100kBase)
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			assert.Equal(t, tt.o200k, o200k.Count(tt.text), "o200k_base")
			assert.Equal(t, tt.cl100k, cl100k.Count(tt.text), "cl100k_base")
		})
	}
}

func TestEncoderForIsOnePerProcess(t *testing.T) {
	for _, name := range Encodings {
		a, b := mustEncoder(t, name), mustEncoder(t, name)
		assert.Same(t, a, b)
		assert.Equal(t, name, a.Encoding())
	}
}

func TestEncoderForUnknownEncoding(t *testing.T) {
	for _, name := range []Encoding{"p50k_base", "", "o200k_harmony"} {
		e, err := EncoderFor(name)
		assert.Nil(t, e)
		assert.ErrorIs(t, err, ErrUnknownEncoding)
	}
}

func TestSpecialTokenTextCountsAsText(t *testing.T) {
	e := mustEncoder(t, O200kBase)
	// As message content, "<|endoftext|>" is ordinary text, several tokens,
	// never the single special token.
	assert.Greater(t, e.Count("<|endoftext|>"), 1)
	assert.Equal(t, len(e.tk.EncodeOrdinary("a <|endoftext|> b")), e.Count("a <|endoftext|> b"))
}

// edgeSamples exercise the pre-tokenizer patterns around the places where
// splitAtBoundaries may cut.
var edgeSamples = []string{
	"It's done. They're here, we'll see; I'd say you've won and I'm sure.",
	"DON'T STOP ME NOW, HE'S HAVING SUCH A GOOD TIME\nAnother Line\r\nand\tmore   spaces   here",
	"caf\u00e9 nai\u0308ve re\u0301sume\u0301 Zoe\u0308 \u00c5ngstr\u00f6m",
	"日本語のテキスト と English mixed 中文 text 한국어 텍스트 and more",
	"emoji 🙂 test 👩‍💻 code 🚀 launch!! ok",
	"func main() {\n\tfmt.Println(\"hi\") // comment\n}\nvar x = map[string]int{\"a\": 1}\n",
	`{"name": "Alice", "tags": ["x", "y"], "n": 12345678, "ok": true}` + "\n",
	"path/to/file and http://example.com/a/b?c=d#e then EOF",
	"Word\n\n\n   Word  \n  \t word\u00a0nbsp x\u2028y ok",
	"abc  def   ghi    jkl     mno", // runs of spaces after letters
}

func sumChunks(e *Encoder, chunks []string) int {
	n := 0
	for _, c := range chunks {
		n += e.countOrdinary(c)
	}
	return n
}

// The chunked count must equal tiktoken's count of the whole text: cutting
// at every boundary (target 1) is the strongest form of the check.
func TestSplitAtBoundariesPreservesExactCounts(t *testing.T) {
	for _, name := range Encodings {
		e := mustEncoder(t, name)
		for _, s := range edgeSamples {
			whole := len(e.tk.EncodeOrdinary(s))
			chunks := splitAtBoundaries(s, 1)
			require.Equal(t, s, strings.Join(chunks, ""), "chunks must reassemble the text")
			assert.Equal(t, whole, sumChunks(e, chunks), "%s: %q cut into %q", name, s, chunks)
		}
	}
}

// goCorpus returns up to limit bytes of real text from GOROOT, a third each
// of the Go spec (HTML prose), Go source, and JSON test data.
func goCorpus(t testing.TB, limit int) string {
	t.Helper()
	root := runtime.GOROOT()
	var b strings.Builder
	add := func(path string, upTo int) {
		if b.Len() >= upTo {
			return
		}
		data, err := os.ReadFile(path)
		if err == nil {
			b.Write(data[:min(len(data), upTo-b.Len())])
		}
	}
	walk := func(dir, ext string, upTo int) {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && strings.HasSuffix(path, ext) {
				add(path, upTo)
			}
			return nil
		})
	}
	add(filepath.Join(root, "doc", "go_spec.html"), limit/3)
	walk("src/net/http", ".go", 2*limit/3)
	walk("src/cmd/internal/test2json/testdata", ".json", limit)
	walk("src/crypto", ".json", limit)
	if b.Len() < limit/2 {
		t.Skipf("GOROOT %s lacks doc/go_spec.html or sources; cannot build the corpus", root)
	}
	return b.String()
}

func TestCountOnRealCorpusEqualsWholeTextEncoding(t *testing.T) {
	corpus := goCorpus(t, 200<<10) // above parallelBytes: exercises the parallel path
	for _, name := range Encodings {
		e := mustEncoder(t, name)
		whole := len(e.tk.EncodeOrdinary(corpus))
		assert.Equal(t, whole, e.Count(corpus), "%s: Count (chunked, parallel)", name)
		prefix := corpus[:64<<10]
		assert.Equal(t, len(e.tk.EncodeOrdinary(prefix)), sumChunks(e, splitAtBoundaries(prefix, 64)), "%s: fine chunks", name)
	}
}

func TestFindLongRun(t *testing.T) {
	tests := []struct {
		name string
		text string
		i, j int
	}{
		{"empty", "", -1, -1},
		{"short run", strings.Repeat("a", 1024), -1, -1},
		{"letters", "x " + strings.Repeat("a", 1025) + " y", 2, 1027},
		{"spaces", "x" + strings.Repeat(" ", 2000) + "y", 1, 2001},
		{"punctuation at end", "ab" + strings.Repeat("=", 1100), 2, 1102},
		{"multibyte letters", strings.Repeat("é", 600), 0, 1200},
		{"digits never form long pre-tokens", strings.Repeat("7", 5000), -1, -1},
		{"alternating classes", strings.Repeat("ab1 ", 1000), -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, j := findLongRun(tt.text, maxRunBytes)
			assert.Equal(t, tt.i, i)
			assert.Equal(t, tt.j, j)
		})
	}
}

func TestCountBoundsDegenerateRuns(t *testing.T) {
	e := mustEncoder(t, O200kBase)
	run := strings.Repeat("a", 5000)
	exact := len(e.tk.EncodeOrdinary(run))
	got := e.Count(run)
	assert.GreaterOrEqual(t, got, exact, "the bound must not undercount")
	assert.Equal(t, len(run), got, "a long run counts one token per byte")

	// A megabyte of spaces inside prose: counted without quadratic blow-up,
	// the prose around it still exactly.
	text := "intro words " + strings.Repeat(" ", 1<<20) + "outro words"
	got = e.Count(text)
	assert.GreaterOrEqual(t, got, 1<<20)
	assert.LessOrEqual(t, got, len(text))

	// Text with only short runs is untouched by the guard.
	normal := strings.Repeat("word ", 5000)
	assert.Equal(t, len(e.tk.EncodeOrdinary(normal)), e.Count(normal))
}

func TestEncoderConcurrentUse(t *testing.T) {
	corpus := goCorpus(t, 16<<10)
	samples := append(append([]string(nil), edgeSamples...), corpus)
	for _, name := range Encodings {
		e := mustEncoder(t, name)
		want := make([]int, len(samples))
		for i, s := range samples {
			want[i] = len(e.tk.EncodeOrdinary(s))
		}
		var wg sync.WaitGroup
		got := make([][]int, 8)
		for g := range got {
			got[g] = make([]int, len(samples))
			wg.Go(func() {
				for i, s := range samples {
					got[g][i] = e.Count(s)
				}
			})
		}
		wg.Wait()
		for g := range got {
			assert.Equal(t, want, got[g], "goroutine %d", g)
		}
	}
}

func TestDigitExtra(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"no digits", 0},
		{"7", 0},
		{"123", 2},      // 1 group of 3 vs 3 single digits
		{"1234", 2},     // 2 groups vs 4 digits
		{"12345678", 5}, // 3 groups vs 8 digits
		{"a1b22c333", 3},
		{"year 2024, pi 3.14159", 2 + 0 + 3},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, digitExtra(tt.text), tt.text)
	}
}
