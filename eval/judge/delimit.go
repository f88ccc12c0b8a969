package judge

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes text safe to place between delimiter tags: every "<" that
// starts something tag-like ("</report", "< / report", "<report", "<!--",
// "<?") becomes "&lt;", and every "&" that starts an entity ("&lt;",
// "&#60;") becomes "&amp;", so no text can open or close a tag, spelled
// literally or as an entity. Other text is unchanged: "a < b" and "R&D"
// read as written.
func Escape(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '<' && tagLike(text[i+1:]):
			b.WriteString("&lt;")
		case c == '&' && entityLike(text[i+1:]):
			b.WriteString("&amp;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Delimit returns text escaped and wrapped in a tag: <tag id="id">, a new
// line, the escaped text, a new line, </tag>. An empty id leaves the
// attribute out. tag and id are the caller's own and must be plain words.
func Delimit(tag, id, text string) string {
	var b strings.Builder
	b.WriteString("<" + tag)
	if id != "" {
		b.WriteString(` id="` + id + `"`)
	}
	b.WriteString(">\n")
	b.WriteString(Escape(text))
	b.WriteString("\n</" + tag + ">")
	return b.String()
}

// tagLike reports whether rest, the text after a "<", makes it the start
// of a tag: optional white space or invisible formatting characters, an
// optional "/", more of them, then a letter, "!" or "?".
func tagLike(rest string) bool {
	i := skipSpace(rest, 0)
	if i < len(rest) && rest[i] == '/' {
		i = skipSpace(rest, i+1)
	}
	if i >= len(rest) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest[i:])
	return r == '!' || r == '?' || unicode.IsLetter(r)
}

// entityLike reports whether rest, the text after a "&", makes it a
// character reference: a name or number followed by ";".
func entityLike(rest string) bool {
	i := 0
	if i < len(rest) && rest[i] == '#' {
		i++
		if i < len(rest) && (rest[i] == 'x' || rest[i] == 'X') {
			i++
		}
	}
	start := i
	for i < len(rest) && (isLetter(rest[i]) || rest[i] >= '0' && rest[i] <= '9') {
		i++
	}
	return i > start && i < len(rest) && rest[i] == ';'
}

// skipSpace returns the index of the first rune of s from i on that is
// neither white space nor an invisible formatting character (zero-width
// space, joiners…).
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			return i
		}
		i += n
	}
	return i
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
