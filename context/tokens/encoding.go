package tokens

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Encoding names a byte-pair encoding (a tokenizer vocabulary) that this
// package can count exactly.
type Encoding string

// The encodings shipped with the offline loader that deepctx uses.
const (
	// O200kBase is the encoding of gpt-4o, gpt-4.1, gpt-5 and the o-series.
	O200kBase Encoding = "o200k_base"
	// CL100kBase is the encoding of gpt-4, gpt-4-turbo, gpt-3.5-turbo and
	// the text-embedding-3 / ada-002 embedding models.
	CL100kBase Encoding = "cl100k_base"
)

// Encodings lists the encodings EncoderFor accepts.
var Encodings = []Encoding{O200kBase, CL100kBase}

// ErrUnknownEncoding is returned by EncoderFor for an encoding it does not
// ship.
var ErrUnknownEncoding = errors.New("tokens: unknown encoding")

// Encoder counts tokens of one encoding exactly. There is one Encoder per
// encoding per process; it is safe for concurrent use.
type Encoder struct {
	name Encoding
	tk   *tiktoken.Tiktoken
}

type lazyEncoder struct {
	once sync.Once
	enc  *Encoder
	err  error
}

var (
	loaderOnce sync.Once
	encoders   = map[Encoding]*lazyEncoder{O200kBase: {}, CL100kBase: {}}
)

// init installs the offline BPE loader before anything in the process can
// build a tiktoken encoding: tiktoken.SetBpeLoader is process-wide and
// unsynchronized, so it is written exactly once, here, while the program is
// still single-threaded. From then on every tiktoken-go user in the process
// (langchaingo's llms.CountTokens included) reads the BPE ranks embedded in
// tiktoken-go-loader instead of downloading them.
func init() { useOfflineLoader() }

func useOfflineLoader() {
	loaderOnce.Do(func() { tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader()) })
}

// EncoderFor returns the process-wide Encoder for name, building it on first
// use (about 0.2 s and 100 MB for o200k_base; later calls return at once).
// It never touches the network: the BPE ranks are embedded in the binary.
// An encoding other than O200kBase or CL100kBase yields ErrUnknownEncoding.
func EncoderFor(name Encoding) (*Encoder, error) {
	lazy, ok := encoders[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s, %s)", ErrUnknownEncoding, name, O200kBase, CL100kBase)
	}
	lazy.once.Do(func() {
		useOfflineLoader()
		tk, err := tiktoken.GetEncoding(string(name))
		if err != nil {
			lazy.err = fmt.Errorf("tokens: load %s: %w", name, err)
			return
		}
		lazy.enc = &Encoder{name: name, tk: tk}
	})
	return lazy.enc, lazy.err
}

// Encoding returns the encoding e counts.
func (e *Encoder) Encoding() Encoding { return e.name }

// Tuning of Encoder.Count. See its doc comment.
const (
	chunkBytes    = 8 << 10   // target size of the pieces a long text is cut into
	parallelBytes = 128 << 10 // texts at least this long are counted in parallel
	maxRunBytes   = 1 << 10   // longer single-class runs make BPE quadratic
)

// Count returns the number of tokens in text, exactly as OpenAI's tiktoken
// counts it with the same encoding. Special-token strings such as
// "<|endoftext|>" count as ordinary text, as they do in API message content.
//
// Long texts are cut at positions that are token boundaries in both
// encodings (an ASCII letter followed by a space or newline), so the pieces'
// counts add up to the exact count; from 128 KiB on, the pieces are counted
// on up to GOMAXPROCS goroutines.
//
// Byte-pair encoding is quadratic in the length of a pre-token, so a run of
// more than 1 KiB of letters, whitespace or punctuation without a break (a
// padding of spaces, a line of 5,000 '=') would take seconds to minutes. Such
// a run is counted as one token per byte, an upper bound, so Count stays
// linear on degenerate input. Text without such runs is counted exactly;
// next to a run, the tokens that straddle its edges may differ by one or two.
func (e *Encoder) Count(text string) int {
	n := 0
	for text != "" {
		i, j := findLongRun(text, maxRunBytes)
		if i < 0 {
			return n + e.countSafe(text)
		}
		n += e.countSafe(text[:i]) + (j - i)
		text = text[j:]
	}
	return n
}

// countSafe counts text that has no long run: directly, or in chunks cut at
// token boundaries, in parallel when it is long.
func (e *Encoder) countSafe(text string) int {
	if len(text) < 2*chunkBytes {
		return e.countOrdinary(text)
	}
	chunks := splitAtBoundaries(text, chunkBytes)
	workers := min(runtime.GOMAXPROCS(0), len(chunks))
	if len(text) < parallelBytes || workers < 2 {
		n := 0
		for _, c := range chunks {
			n += e.countOrdinary(c)
		}
		return n
	}
	var (
		next  atomic.Int64
		total atomic.Int64
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			n := 0
			for i := int(next.Add(1) - 1); i < len(chunks); i = int(next.Add(1) - 1) {
				n += e.countOrdinary(chunks[i])
			}
			total.Add(int64(n))
		})
	}
	wg.Wait()
	return int(total.Load())
}

func (e *Encoder) countOrdinary(text string) int {
	if text == "" {
		return 0
	}
	return len(e.tk.EncodeOrdinary(text))
}

// splitAtBoundaries cuts text into pieces of about target bytes. Every cut
// lies between an ASCII letter and a following space or newline. Both the
// o200k_base and the cl100k_base pre-tokenizer patterns end a pre-token
// there: the letter can only belong to a letter pre-token (or a contraction
// such as "'s"), which never extends over whitespace, and the next pre-token
// starts at the space. The patterns have no anchors or look-behind, so each
// piece tokenizes exactly as it does inside the whole text and the counts add
// up to the exact count. Tests cross-check this on a large real corpus.
func splitAtBoundaries(text string, target int) []string {
	chunks := make([]string, 0, len(text)/target+1)
	for len(text) > target {
		cut := -1
		for i := target; i < len(text); i++ {
			if (text[i] == ' ' || text[i] == '\n') && isASCIILetter(text[i-1]) {
				cut = i
				break
			}
		}
		if cut < 0 {
			break
		}
		chunks = append(chunks, text[:cut])
		text = text[cut:]
	}
	return append(chunks, text)
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// Character classes whose long runs can form a single pre-token.
const (
	classOther = iota // digits (pre-tokens of at most 3) and anything that breaks a run
	classLetter
	classSpace
	classPunct
)

func classOf(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case isASCIILetter(byte(r)):
			return classLetter
		case r >= '0' && r <= '9':
			return classOther
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			return classSpace
		default:
			return classPunct
		}
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return classLetter
	case unicode.IsNumber(r):
		return classOther
	case unicode.IsSpace(r):
		return classSpace
	default:
		return classPunct
	}
}

// findLongRun returns the byte span [i, j) of the first run of more than
// limit bytes of one class (letters and marks, whitespace, or punctuation and
// symbols), or -1, -1.
func findLongRun(text string, limit int) (int, int) {
	if len(text) <= limit {
		return -1, -1
	}
	start, class := 0, classOther
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		c := classOf(r)
		if c != class {
			if class != classOther && i-start > limit {
				return start, i
			}
			start, class = i, c
		}
		i += size
	}
	if class != classOther && len(text)-start > limit {
		return start, len(text)
	}
	return -1, -1
}

// fallbackCount is used only if an embedded encoding cannot be loaded, which
// would be a build defect: one token per two bytes overestimates every real
// tokenizer on natural text and code.
func fallbackCount(text string) int { return (len(text) + 1) / 2 }

var fallbackWarned sync.Map

func warnFallback(name Encoding, err error) {
	if _, loaded := fallbackWarned.LoadOrStore(name, true); !loaded {
		slog.Error("tokens: encoding unavailable, counting one token per two bytes", "encoding", name, "err", err)
	}
}
