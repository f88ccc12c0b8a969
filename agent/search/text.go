package search

import (
	"strings"
	"unicode"
)

// collapse normalizes whitespace for display: every run of whitespace
// inside a paragraph becomes one space, and paragraphs (separated by a
// blank line in text) are joined by a single newline. The result has no
// blank line and no leading or trailing space.
func collapse(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	newlines, space := 0, false
	for _, r := range text {
		if unicode.IsSpace(r) {
			if r == '\n' {
				newlines++
			}
			space = true
			continue
		}
		if space && b.Len() > 0 {
			if newlines >= 2 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		newlines, space = 0, false
		b.WriteRune(r)
	}
	return b.String()
}

// oneLine collapses all whitespace of s, newlines included, to single
// spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
