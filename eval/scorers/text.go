package scorers

import (
	"strings"

	"github.com/deepctx/deepctx/eval"
)

// Body returns report without its trailing Sources list: everything from
// the last Markdown heading titled "Sources" or "References" (any level,
// outside fenced code) to the end is dropped. A report without one is
// returned whole.
func Body(report string) string {
	cut := -1
	var f fence
	off := 0
	for _, line := range strings.SplitAfter(report, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case f.toggle(t):
		case !f.open() && strings.HasPrefix(t, "#"):
			h := strings.ToLower(strings.TrimSpace(strings.Trim(t, "#")))
			if h == "sources" || h == "references" {
				cut = off
			}
		}
		off += len(line)
	}
	if cut < 0 {
		return report
	}
	return strings.TrimRight(report[:cut], " \t\r\n")
}

// fence tracks fenced code blocks line by line: a block opened by "```"
// closes at the next "```" line, one opened by "~~~" at the next "~~~".
type fence struct{ c byte }

// toggle reports whether the trimmed line t opens or closes a block.
func (f *fence) toggle(t string) bool {
	var c byte
	switch {
	case strings.HasPrefix(t, "```"):
		c = '`'
	case strings.HasPrefix(t, "~~~"):
		c = '~'
	default:
		return false
	}
	switch f.c {
	case 0:
		f.c = c
	case c:
		f.c = 0
	default:
		return false // a "~~~" line inside a "```" block is code
	}
	return true
}

func (f *fence) open() bool { return f.c != 0 }

// section is one part of a Markdown body: a heading (empty before the
// first one) and the text under it.
type section struct {
	level   int
	heading string
	text    string
}

// sections splits a Markdown body at its headings (outside fenced code).
func sections(body string) []section {
	var out []section
	cur := section{}
	var text strings.Builder
	var f fence
	flush := func() {
		cur.text = text.String()
		out = append(out, cur)
		text.Reset()
	}
	for _, line := range strings.SplitAfter(body, "\n") {
		t := strings.TrimSpace(line)
		if !f.toggle(t) && !f.open() && strings.HasPrefix(t, "#") {
			level := len(t) - len(strings.TrimLeft(t, "#"))
			if level <= 6 && (len(t) == level || t[level] == ' ') {
				flush()
				cur = section{level: level, heading: strings.TrimSpace(strings.Trim(t, "#"))}
				continue
			}
		}
		text.WriteString(line)
	}
	flush()
	return out
}

// plain simplifies Markdown text for phrase matching: emphasis and code
// marks become spaces, typographic apostrophes become "'", and the result
// is Normalized.
func plain(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "*", " ", "_", " ", "`", " ").Replace(s)
	return eval.Normalize(s)
}

// shorten cuts s to about n bytes at a word boundary, for metadata.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], " ")
	if cut < n/2 {
		cut = n
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
	}
	return s[:cut] + "…"
}
