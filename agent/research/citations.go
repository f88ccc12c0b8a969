package research

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// keyPattern matches a source key as researchers and the writer cite it:
// "[docid#chunk]".
var keyPattern = regexp.MustCompile(`\[([A-Za-z0-9_.-]+)#(\d+)\]`)

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
	var failed error
	body := keyPattern.ReplaceAllStringFunc(keyed, func(m string) string {
		if failed != nil {
			return m
		}
		sub := keyPattern.FindStringSubmatch(m)
		key := sub[1] + "#" + sub[2]
		if n, ok := numbers[key]; ok {
			return fmt.Sprintf("[%d]", n)
		}
		chunk, err := strconv.Atoi(sub[2])
		if err != nil {
			d.Problems = append(d.Problems, fmt.Sprintf("unresolved citation %s removed: bad chunk number", m))
			return ""
		}
		src, err := corpus.Source(ctx, sub[1], chunk)
		if err != nil {
			if ctx.Err() != nil {
				failed = ctx.Err()
				return m
			}
			d.Problems = append(d.Problems, fmt.Sprintf("unresolved citation %s removed: %v", m, err))
			return ""
		}
		src.N = len(d.Sources) + 1
		d.Sources = append(d.Sources, src)
		numbers[key] = src.N
		return fmt.Sprintf("[%d]", src.N)
	})
	if failed != nil {
		return Draft{}, fmt.Errorf("research: resolve citations: %w", failed)
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

// tidyCitations removes the spaces left before punctuation where an
// unresolved key was cut out.
func tidyCitations(s string) string {
	for _, p := range []string{" .", " ,", " ;"} {
		for strings.Contains(s, " "+p) {
			s = strings.ReplaceAll(s, " "+p, p)
		}
	}
	return s
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
	for _, m := range numberPattern.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > len(sources) {
			problems = append(problems, fmt.Sprintf("citation [%d] has no source (%d listed)", n, len(sources)))
		}
	}
	for i, s := range sources {
		if s.N != i+1 {
			problems = append(problems, fmt.Sprintf("source %d is numbered %d", i+1, s.N))
		}
		got, err := corpus.Source(ctx, s.DocID, s.Chunk)
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
