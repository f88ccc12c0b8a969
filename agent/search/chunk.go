package search

import (
	"fmt"
	"strings"

	"github.com/tmc/langchaingo/textsplitter"
)

// Span is a chunk's place in its document's text: bytes [Start, End).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// markdownSeparators split Markdown at headings first, then code fences,
// paragraphs, lines and words, so passages tend to hold one section.
var markdownSeparators = []string{"\n# ", "\n## ", "\n### ", "\n#### ", "\n```", "\n\n", "\n", " ", ""}

// plainSeparators split text at paragraphs, then lines and words.
var plainSeparators = []string{"\n\n", "\n", " ", ""}

// chunker splits document text into overlapping passages with
// langchaingo's RecursiveCharacter splitter and finds each passage's
// span in the text.
type chunker struct {
	plain, markdown textsplitter.RecursiveCharacter
}

func newChunker(size, overlap int) chunker {
	mk := func(seps []string) textsplitter.RecursiveCharacter {
		return textsplitter.NewRecursiveCharacter(
			textsplitter.WithChunkSize(size),
			textsplitter.WithChunkOverlap(overlap),
			textsplitter.WithSeparators(seps),
		)
	}
	return chunker{plain: mk(plainSeparators), markdown: mk(markdownSeparators)}
}

// split returns the passages of text and their spans. The splitter
// trims passages and joins the pieces of one passage with the separator
// it split them at, so every passage is a substring of text; split
// locates them in order, each starting after the previous one's start.
func (c chunker) split(text string, markdown bool) ([]string, []Span, error) {
	s := c.plain
	if markdown {
		s = c.markdown
	}
	parts, err := s.SplitText(text)
	if err != nil {
		return nil, nil, fmt.Errorf("split: %w", err)
	}
	chunks := make([]string, 0, len(parts))
	spans := make([]Span, 0, len(parts))
	from := 0
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		i := strings.Index(text[from:], p)
		if i < 0 {
			// Not expected from RecursiveCharacter; fall back to the
			// first occurrence anywhere, so the span stays truthful.
			if i = strings.Index(text, p); i < 0 {
				return nil, nil, fmt.Errorf("split: passage %d is not a substring of the text", len(chunks))
			}
		} else {
			i += from
		}
		chunks = append(chunks, p)
		spans = append(spans, Span{Start: i, End: i + len(p)})
		from = i + 1
		if from > len(text) {
			from = len(text)
		}
	}
	return chunks, spans, nil
}
