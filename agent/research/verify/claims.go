package verify

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinClaimWords is the fewest words a sentence needs to be a claim of its
// own: shorter fragments ("In short: yes.") assert too little to verify.
// A shorter fragment with citation marks still has them checked (see
// Claims).
const MinClaimWords = 4

// Claim is one claim of a report: a sentence (or list item, or table row)
// of the body, with the citation numbers attached to it.
type Claim struct {
	// Text is the claim without its citation marks, whitespace collapsed.
	// It has MinClaimWords words or more, but for a short cited fragment
	// that opens its block (see Claims).
	Text string `json:"text"`
	// Cites are the numbers of the claim's citation marks, distinct, in
	// order of appearance; empty for an uncited claim.
	Cites []int `json:"cites,omitempty"`
	// Offset and End delimit the claim in the report, in bytes: from the
	// sentence's first character to just after its last citation mark
	// (or its last character), so report[Offset:End] is the claim as
	// written — followed by the short cited fragments whose marks it
	// took over, if any (see Claims).
	Offset int `json:"offset"`
	End    int `json:"end"`
}

// Claims splits a finished Markdown report into its claims.
//
// The body ends at the report's last "Sources" or "References" heading;
// what follows is the sources list, not claims. Headings, thematic breaks,
// fenced and indented code blocks, and the header row of a table are
// skipped. Each paragraph, list item and table row is split into
// sentences at '.', '!' or '?' followed by whitespace and a capital,
// digit, quote, bracket or citation mark (abbreviations such as "e.g."
// and initials do not end a sentence).
//
// A citation mark is "[n]" or several numbers in one bracket ("[1, 2]",
// "[1; 2]"); runs of marks ("[1][2]") all count. Marks inside inline
// code, escaped marks ("\[1\]") and link texts ("[1](url)") are not
// citations. Marks belong to the sentence they are in, and marks that
// follow a sentence's full stop ("… completes. [3]") belong to that
// sentence.
//
// A sentence of fewer than MinClaimWords words is not a claim of its own,
// but its citation marks are never dropped: a short fragment with marks
// ("See [2].", "Channels block forever [9].") gives them to the claim
// before it in the same paragraph, list item or table row (that claim's
// Cites gain its numbers and its End moves to the fragment's end), and
// when it opens its block — a paragraph, list item or row of its own,
// which is not read as a footnote to the block before — it is a claim
// itself, however short. Either way a citation of a passage that does not
// exist is found invalid. Short fragments without marks are dropped.
//
// Claims never panics, whatever the input.
func Claims(report string) []Claim {
	body := report[:bodyEnd(report)]
	var out []Claim
	for _, u := range blocks(body) {
		out = append(out, unitClaims(report, u.start, u.end)...)
	}
	return out
}

// span is a byte range [start, end) of the report.
type span struct{ start, end int }

// lines calls f with the start and end offset of each line of s (without
// its "\n").
func lines(s string, f func(start, end int)) {
	for pos := 0; pos <= len(s); {
		end := strings.IndexByte(s[pos:], '\n')
		if end < 0 {
			if pos < len(s) {
				f(pos, len(s))
			}
			return
		}
		f(pos, pos+end)
		pos += end + 1
	}
}

// fenceOf returns the fence character ('`' or '~') a line opens or closes
// a fenced code block with, or 0.
func fenceOf(trimmed string) byte {
	if strings.HasPrefix(trimmed, "```") {
		return '`'
	}
	if strings.HasPrefix(trimmed, "~~~") {
		return '~'
	}
	return 0
}

// bodyEnd returns the offset where the report's sources list starts: the
// start of its last "Sources" or "References" heading outside code, or
// len(report).
func bodyEnd(report string) int {
	end := len(report)
	var fence byte
	lines(report, func(start, stop int) {
		t := strings.TrimSpace(report[start:stop])
		if f := fenceOf(t); f != 0 {
			if fence == 0 {
				fence = f
			} else if fence == f {
				fence = 0
			}
			return
		}
		if fence != 0 || !strings.HasPrefix(t, "#") {
			return
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(t, "#")))
		if h == "sources" || h == "references" {
			end = start
		}
	})
	return end
}

// isHeading reports an ATX heading line ("## Title", "#").
func isHeading(t string) bool {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	return n >= 1 && n <= 6 && (n == len(t) || t[n] == ' ' || t[n] == '\t')
}

// isRule reports a line of only '-', '=', '*' or '_' (and spaces): a
// thematic break or a setext heading's underline.
func isRule(t string) bool {
	if len(t) == 0 {
		return false
	}
	c := t[0]
	if c != '-' && c != '=' && c != '*' && c != '_' {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] != c && t[i] != ' ' && t[i] != '\t' {
			return false
		}
	}
	return true
}

// isTableSeparator reports a table's header separator row ("|---|:--:|").
func isTableSeparator(t string) bool {
	if !strings.Contains(t, "-") || !strings.Contains(t, "|") {
		return false
	}
	return strings.Trim(t, "|-: \t") == ""
}

// listMarker returns the length of the list marker ("- ", "* ", "+ ",
// "1. ", "2) ") t starts with, or 0.
func listMarker(t string) int {
	if len(t) >= 2 && strings.IndexByte("-*+", t[0]) >= 0 && (t[1] == ' ' || t[1] == '\t') {
		return 2
	}
	i := 0
	for i < len(t) && i < 9 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && (t[i+1] == ' ' || t[i+1] == '\t') {
		return i + 2
	}
	return 0
}

// blocks returns the text blocks of a body that hold claims: paragraphs,
// list items and table rows, as ranges of the body (which starts at
// offset 0 of the report).
func blocks(body string) []span {
	var out []span
	cur := span{-1, -1}
	curSetext := false // cur is a paragraph a setext underline may turn into a heading
	flush := func() {
		if cur.start >= 0 && cur.start < cur.end {
			out = append(out, cur)
		}
		cur, curSetext = span{-1, -1}, false
	}
	var fence byte
	inList := false
	var all []span
	lines(body, func(start, end int) { all = append(all, span{start, end}) })
	for li, l := range all {
		line := body[l.start:l.end]
		t := strings.TrimSpace(line)
		if f := fenceOf(t); f != 0 {
			if fence == 0 {
				flush()
				fence = f
			} else if fence == f {
				fence = 0
			}
			continue
		}
		if fence != 0 {
			continue
		}
		if t == "" {
			flush()
			continue
		}
		lead := len(line) - len(strings.TrimLeft(line, " \t"))
		indented := strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t")
		if indented && cur.start < 0 && !inList {
			continue // an indented code block
		}
		// Blockquote markers: the content starts after them.
		content := l.start + lead
		for content < l.end && body[content] == '>' {
			content++
			for content < l.end && (body[content] == ' ' || body[content] == '\t') {
				content++
			}
		}
		if content >= l.end {
			flush()
			continue
		}
		c := strings.TrimRight(body[content:l.end], " \t\r")
		switch {
		case isHeading(c):
			flush()
			inList = false
			continue
		case isRule(c):
			if curSetext && (c[0] == '=' || c[0] == '-') {
				cur = span{-1, -1} // the paragraph was a setext heading
			}
			flush()
			continue
		case strings.HasPrefix(c, "|"):
			flush()
			inList = false
			if isTableSeparator(c) {
				continue
			}
			if li+1 < len(all) && isTableSeparator(strings.TrimSpace(body[all[li+1].start:all[li+1].end])) {
				continue // the header row
			}
			out = append(out, span{content, content + len(c)})
			continue
		}
		if m := listMarker(c); m > 0 {
			flush()
			inList = true
			s := content + m
			for s < l.end && (body[s] == ' ' || body[s] == '\t') {
				s++
			}
			if s < l.end {
				cur = span{s, l.end}
			}
			continue
		}
		if cur.start >= 0 {
			cur.end = l.end
			continue
		}
		if lead == 0 {
			inList = false
		}
		cur, curSetext = span{content, l.end}, !inList
	}
	flush()
	return out
}

// mark is one citation mark in a block: its range and numbers.
type mark struct {
	start, end int
	nums       []int
}

// codeMask marks the bytes of s inside inline code spans: a run of
// backticks up to the next run of the same length.
func codeMask(s string) []bool {
	mask := make([]bool, len(s))
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		closed := false
		for j := i + n; j < len(s); {
			if s[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(s) && s[j+m] == '`' {
				m++
			}
			if m == n {
				for k := i; k < j+m; k++ {
					mask[k] = true
				}
				i, closed = j+m, true
				break
			}
			j += m
		}
		if !closed {
			i += n
		}
	}
	return mask
}

// maxCiteDigits bounds a citation number: longer digit runs are not
// citations.
const maxCiteDigits = 6

// matchMark reads a citation mark at s[i] ('['), returning its end and
// numbers, or ok false.
func matchMark(s string, i int) (end int, nums []int, ok bool) {
	j := i + 1
	skip := func() {
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
	}
	for {
		skip()
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == k || j-k > maxCiteDigits {
			return 0, nil, false
		}
		n, _ := strconv.Atoi(s[k:j])
		nums = append(nums, n)
		skip()
		if j >= len(s) {
			return 0, nil, false
		}
		switch s[j] {
		case ']':
			j++
			if j < len(s) && s[j] == '(' {
				return 0, nil, false // a link: [1](url)
			}
			return j, nums, true
		case ',', ';':
			j++
		default:
			return 0, nil, false
		}
	}
}

// findMarks returns the citation marks of s, outside inline code and not
// escaped.
func findMarks(s string, code []bool) []mark {
	var out []mark
	for i := 0; i < len(s); i++ {
		if s[i] != '[' || (i > 0 && s[i-1] == '\\') || code[i] {
			continue
		}
		if end, nums, ok := matchMark(s, i); ok {
			out = append(out, mark{i, end, nums})
			i = end - 1
		}
	}
	return out
}

// abbreviations do not end a sentence when followed by a period.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "mr": true, "mrs": true, "ms": true, "dr": true,
	"prof": true, "fig": true, "no": true, "st": true, "inc": true, "ltd": true, "jr": true, "sr": true,
	"approx": true, "cf": true, "al": true, "eq": true, "sec": true, "vol": true, "pp": true, "ch": true,
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the offset of the first byte at or after i that is
// neither whitespace nor a blockquote marker starting a line.
func skipSpace(s string, i int) int {
	line := false
	for i < len(s) && (isSpace(s[i]) || line && s[i] == '>') {
		if s[i] == '\n' {
			line = true
		}
		i++
	}
	return i
}

// sentenceEnds returns the ends of the sentences of s, each just after
// its terminator or after the citation marks that follow it.
func sentenceEnds(s string, marks []mark, code []bool) []int {
	var ends []int
	markAt := make(map[int]int, len(marks)) // mark index by start
	inMarkMask := make([]bool, len(s))
	for k, m := range marks {
		markAt[m.start] = k
		for i := m.start; i < m.end; i++ {
			inMarkMask[i] = true
		}
	}
	inMark := func(i int) bool { return i < len(s) && inMarkMask[i] }
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c != '.' && c != '!' && c != '?') || inMark(i) || code[i] {
			continue
		}
		end := i + 1
		for end < len(s) && strings.IndexByte(`"')]*_`, s[end]) >= 0 && !inMark(end) {
			end++
		}
		if end < len(s) {
			if r, size := utf8.DecodeRuneInString(s[end:]); strings.ContainsRune("»”’", r) {
				end += size
			}
		}
		next := skipSpace(s, end)
		if next >= len(s) {
			break // the last sentence ends the block
		}
		if k, ok := markAt[next]; ok {
			// Marks after the full stop belong to this sentence.
			last := marks[k].end
			for {
				j := last
				for j < len(s) && (isSpace(s[j]) || s[j] == ',') {
					j++
				}
				if m, ok := markAt[j]; ok {
					last = marks[m].end
					continue
				}
				break
			}
			for last < len(s) && strings.IndexByte(".,;:", s[last]) >= 0 {
				last++
			}
			if end == next && !(last < len(s) && isSpace(s[last])) && last < len(s) {
				continue // "x.[1]y": not a boundary
			}
			ends = append(ends, last)
			start, i = last, last-1
			continue
		}
		if end == next {
			continue // no whitespace after the terminator
		}
		r, _ := utf8.DecodeRuneInString(s[next:])
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"'“‘([*_`", r)) {
			continue
		}
		if c == '.' {
			ws := strings.Fields(s[start:i])
			if len(ws) > 0 {
				last := strings.ToLower(strings.TrimLeft(ws[len(ws)-1], `("'*_`))
				initial := last[strings.LastIndexAny(last, "-.")+1:]
				if abbreviations[last] || (utf8.RuneCountInString(initial) == 1 && unicode.IsLetter([]rune(initial)[0])) {
					continue
				}
			}
		}
		ends = append(ends, end)
		start, i = end, end-1
	}
	return append(ends, len(s))
}

// unitClaims returns the claims of the block report[start:end].
func unitClaims(report string, start, end int) []Claim {
	s := report[start:end]
	code := codeMask(s)
	marks := findMarks(s, code)
	var out []Claim
	from := 0
	for _, to := range sentenceEnds(s, marks, code) {
		if to <= from {
			continue
		}
		a, b := from, to
		from = to
		a = min(skipSpace(s, a), b)
		for b > a && isSpace(s[b-1]) {
			b--
		}
		if a >= b {
			continue
		}
		var text strings.Builder
		var cites []int
		seen := map[int]bool{}
		pos := a
		for _, m := range marks {
			if m.start < a || m.end > b {
				continue
			}
			text.WriteString(s[pos:m.start])
			pos = m.end
			for _, n := range m.nums {
				if !seen[n] {
					seen[n] = true
					cites = append(cites, n)
				}
			}
		}
		text.WriteString(s[pos:b])
		t := cleanText(text.String())
		if countWords(t) < MinClaimWords {
			if len(cites) == 0 {
				continue
			}
			if len(out) > 0 {
				// A short cited fragment ("See [3].") cites for the
				// sentence before it.
				prev := &out[len(out)-1]
				for _, n := range cites {
					if !slices.Contains(prev.Cites, n) {
						prev.Cites = append(prev.Cites, n)
					}
				}
				prev.End = start + b
				continue
			}
			// With no sentence before it in the block, it is a claim of
			// its own, so its citations are checked.
		}
		out = append(out, Claim{Text: t, Cites: cites, Offset: start + a, End: start + b})
	}
	return out
}

// cleanText drops blockquote markers at line starts, collapses
// whitespace, unescapes brackets (an escaped "\[1\]" reads "[1]"), and
// closes the gaps removed marks left before punctuation.
func cleanText(s string) string {
	ls := strings.Split(s, "\n")
	for i := 1; i < len(ls); i++ {
		ls[i] = strings.TrimLeft(strings.TrimLeft(ls[i], " \t"), "> \t")
	}
	t := strings.Join(strings.Fields(strings.Join(ls, " ")), " ")
	t = strings.NewReplacer(`\[`, "[", `\]`, "]").Replace(t)
	for _, p := range []string{" .", " ,", " ;", " :", " !", " ?", " )"} {
		t = strings.ReplaceAll(t, p, p[1:])
	}
	return strings.TrimSpace(t)
}

// countWords counts the fields of s that hold a letter or digit.
func countWords(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	return n
}
