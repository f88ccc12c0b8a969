package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations end with a period that does not end a sentence.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "cf": true, "al": true,
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true,
	"jr": true, "st": true, "no": true, "fig": true, "eq": true, "vol": true,
	"pp": true, "inc": true, "ltd": true, "co": true, "corp": true, "approx": true,
	"u.s": true, "u.k": true, "jan": true, "feb": true, "mar": true, "apr": true,
	"jun": true, "jul": true, "aug": true, "sep": true, "sept": true, "oct": true,
	"nov": true, "dec": true,
}

// splitSentences cuts text into sentences. Paragraphs (blank-line
// separated) never share a sentence; inside a paragraph, a line that starts
// with a list, heading, quote or table marker starts a new unit, and other
// lines continue the previous one (wrapped prose). A unit is cut after '.',
// '!' or '?' (and any closing quotes or brackets) followed by whitespace,
// unless the word before the period is a known abbreviation or a single
// letter (an initial). Pieces longer than maxBytes are cut at whitespace.
func splitSentences(text string, maxBytes int) []string {
	var out []string
	for _, unit := range units(text) {
		for _, s := range cutUnit(unit) {
			for _, piece := range cutLong(s, maxBytes) {
				if hasWordChar(piece) {
					out = append(out, piece)
				}
			}
		}
	}
	return out
}

// units groups the lines of text into paragraphs and list items.
func units(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.Join(strings.Fields(cur.String()), " "); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for line := range strings.Lines(text) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || startsUnit(trimmed) {
			flush()
		}
		cur.WriteString(trimmed)
		cur.WriteByte(' ')
	}
	flush()
	return out
}

// startsUnit reports whether a line opens a list item, heading, quote or
// table row.
func startsUnit(line string) bool {
	switch line[0] {
	case '-', '*', '#', '>', '|', '+':
		return true
	}
	if strings.HasPrefix(line, "•") {
		return true
	}
	// "1." or "12)" numbered items.
	i := 0
	for i < len(line) && i < 4 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i < len(line) && (line[i] == '.' || line[i] == ')') && i+1 < len(line) && line[i+1] == ' '
}

// cutUnit splits one unit (whitespace already collapsed) at sentence ends.
func cutUnit(u string) []string {
	var out []string
	start := 0
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		end := i + 1
		for end < len(u) {
			if strings.IndexByte(`"')]`, u[end]) >= 0 {
				end++
				continue
			}
			r, size := utf8.DecodeRuneInString(u[end:])
			if r != '”' && r != '’' && r != '»' {
				break
			}
			end += size
		}
		if end < len(u) && u[end] != ' ' {
			continue // "3.14", "example.com", "e.g.x"
		}
		if c == '.' && isAbbreviation(u[start:i]) {
			continue
		}
		if end < len(u) {
			next, _ := utf8.DecodeRuneInString(u[end+1:])
			if unicode.IsLower(next) {
				continue // "approx. three", a period inside a sentence
			}
		}
		if s := strings.TrimSpace(u[start:end]); s != "" {
			out = append(out, s)
		}
		start = end
		i = end - 1
	}
	if s := strings.TrimSpace(u[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// isAbbreviation reports whether the text before a period ends with an
// abbreviation or an initial.
func isAbbreviation(before string) bool {
	j := len(before)
	for j > 0 && before[j-1] != ' ' && before[j-1] != '(' {
		j--
	}
	w := strings.ToLower(strings.TrimLeft(before[j:], `"'(`))
	if w == "" {
		return false
	}
	if abbreviations[w] {
		return true
	}
	r, size := utf8.DecodeRuneInString(w)
	return size == len(w) && unicode.IsLetter(r) // a single letter: an initial
}

// cutLong cuts s at whitespace into pieces of at most maxBytes (a single
// longer word stays whole).
func cutLong(s string, maxBytes int) []string {
	if maxBytes <= 0 || len(s) <= maxBytes {
		return []string{s}
	}
	var out []string
	for len(s) > maxBytes {
		cut := strings.LastIndexByte(s[:maxBytes], ' ')
		if cut <= 0 {
			cut = strings.IndexByte(s, ' ')
			if cut < 0 {
				break
			}
		}
		out = append(out, s[:cut])
		s = strings.TrimLeft(s[cut:], " ")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}
