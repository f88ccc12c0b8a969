package research

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// keyPattern matches a citation as researchers and the writer write it:
// one source key "[docid#chunk]", or several in one bracket separated by
// commas or semicolons ("[a#1; b#2]"). keyOne matches one key inside.
var (
	keyPattern = regexp.MustCompile(`\[[A-Za-z0-9_.-]+#\d+(?:\s*[,;]\s*[A-Za-z0-9_.-]+#\d+)*\]`)
	keyOne     = regexp.MustCompile(`([A-Za-z0-9_.-]+)#(\d+)`)
)

// numberPattern matches a numbered citation "[n]" of a finished report.
var numberPattern = regexp.MustCompile(`\[(\d+)\]`)

// sourcesHeading starts the Sources list appended to every report.
const sourcesHeading = "## Sources"

// cite turns the writer's keyed text into a report: each source key that
// resolves in the corpus becomes a number [n], in order of first citation,
// and the Sources list is appended; a key that does not resolve is removed
// and recorded as a problem, as is a body paragraph without any citation.
// A Sources list the writer added on its own is dropped: the agent writes
// it from what resolves.
func cite(ctx context.Context, corpus Corpus, keyed string) (Draft, error) {
	keyed = strings.TrimSpace(stripSources(keyed))
	d := Draft{Keyed: keyed}
	numbers := map[string]int{}
	resolve := func(id, chunkText string) string {
		key := id + "#" + chunkText
		if n, ok := numbers[key]; ok {
			return fmt.Sprintf("[%d]", n)
		}
		chunk, err := strconv.Atoi(chunkText)
		if err == nil {
			var src Source
			if src, err = corpus.Source(ctx, id, chunk); err == nil {
				src.N = len(d.Sources) + 1
				d.Sources = append(d.Sources, src)
				numbers[key] = src.N
				return fmt.Sprintf("[%d]", src.N)
			}
		}
		if ctx.Err() == nil {
			d.Problems = append(d.Problems, fmt.Sprintf("unresolved citation [%s] removed: %v", key, err))
		}
		return ""
	}
	// A bare [n] the writer typed (an index, a year, its own footnote) is
	// not one of ours: escape it so it can never pass for a citation.
	body := outsideCode(keyed, func(text string) string {
		return numberPattern.ReplaceAllString(text, `\[$1\]`)
	})
	body = keyPattern.ReplaceAllStringFunc(body, func(m string) string {
		var out strings.Builder
		for _, k := range keyOne.FindAllStringSubmatch(m, -1) {
			out.WriteString(resolve(k[1], k[2]))
		}
		return out.String()
	})
	if err := ctx.Err(); err != nil {
		return Draft{}, err
	}
	body = tidyCitations(body)
	for _, p := range uncitedParagraphs(body) {
		d.Problems = append(d.Problems, "uncited: "+p)
	}
	d.Report = body + "\n\n" + renderSources(d.Sources)
	return d, nil
}

// stripSources drops a trailing "Sources"/"References" section.
func stripSources(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		if strings.HasPrefix(l, "#") && (h == "sources" || h == "references") {
			return strings.Join(lines[:i], "\n")
		}
	}
	return text
}

// tidyCitations removes the space left before punctuation where an
// unresolved key was cut out: "claim [x#9]." became "claim ." and becomes
// "claim.".
func tidyCitations(s string) string {
	for _, p := range []string{".", ",", ";"} {
		for strings.Contains(s, " "+p) {
			s = strings.ReplaceAll(s, " "+p, p)
		}
	}
	return s
}

// outsideCode applies f to the parts of text outside inline code spans
// and fenced code blocks, which are left as they are.
func outsideCode(text string, f func(string) string) string {
	var b strings.Builder
	fenced := false
	for _, line := range strings.SplitAfter(text, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			b.WriteString(line)
			continue
		}
		if fenced {
			b.WriteString(line)
			continue
		}
		parts := strings.Split(line, "`")
		for j, p := range parts {
			if j > 0 {
				b.WriteString("`")
			}
			if j%2 == 0 || j == len(parts)-1 && len(parts)%2 == 0 {
				p = f(p) // outside a span (or after an unclosed backtick)
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// uncitedParagraphs returns the body paragraphs (not headings, not the
// Summary's one-line notes) that cite nothing, shortened for display.
func uncitedParagraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(body, "\n\n") {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "#") || numberPattern.MatchString(p) {
			continue
		}
		if len(strings.Fields(p)) < 6 { // a short note, not a claim
			continue
		}
		out = append(out, shorten(p, 160))
	}
	return out
}

// renderSources writes the Sources list: "n. Title — path (passage k)".
func renderSources(srcs []Source) string {
	var b strings.Builder
	b.WriteString(sourcesHeading + "\n")
	if len(srcs) == 0 {
		b.WriteString("\nNo sources were cited.\n")
		return b.String()
	}
	b.WriteString("\n")
	for _, s := range srcs {
		title := s.Title
		if title == "" {
			title = s.DocID
		}
		fmt.Fprintf(&b, "%d. %s — %s (passage %d, `%s#%d`)\n", s.N, title, s.Path, s.Chunk, s.DocID, s.Chunk)
	}
	return b.String()
}

// Verify checks a finished report against its sources and the corpus:
// every [n] in the body is listed in sources, every source resolves in the
// corpus to a passage with the same document and chunk, and the passage
// still exists. It returns every problem found, joined; nil means the
// report's citations are sound.
func Verify(ctx context.Context, corpus Corpus, report string, sources []Source) error {
	body := report
	if i := strings.LastIndex(report, "\n"+sourcesHeading+"\n"); i >= 0 {
		body = report[:i]
	}
	var problems []string
	var cited []string
	outsideCode(body, func(text string) string {
		// An escaped "\[0\]" does not match: it is not a citation.
		for _, m := range numberPattern.FindAllStringSubmatch(text, -1) {
			cited = append(cited, m[1])
		}
		return text
	})
	for _, c := range cited {
		n, _ := strconv.Atoi(c)
		if n < 1 || n > len(sources) {
			problems = append(problems, fmt.Sprintf("citation [%d] has no source (%d listed)", n, len(sources)))
		}
	}
	for i, s := range sources {
		if s.N != i+1 {
			problems = append(problems, fmt.Sprintf("source %d is numbered %d", i+1, s.N))
		}
		got, err := corpus.Source(ctx, s.DocID, s.Chunk)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("source [%d] %s#%d: %v", s.N, s.DocID, s.Chunk, err))
			continue
		}
		if strings.TrimSpace(got.Text) == "" {
			problems = append(problems, fmt.Sprintf("source [%d] %s#%d: the passage is empty", s.N, s.DocID, s.Chunk))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("research: report citations: %s", strings.Join(dedupe(problems), "; "))
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], " ")
	if cut < n/2 {
		for cut = n; cut > 0 && !utf8.RuneStart(s[cut]); cut-- {
		}
	}
	return s[:cut] + "…"
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
