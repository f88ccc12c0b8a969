package scorers

import (
	"context"
	"regexp"
	"strings"

	"github.com/deepctx/deepctx/eval"
)

// DecliningPhrases are the regular expressions by which a report says
// that the corpus does not answer the question. They are matched against
// the report's text lowercased, with white space collapsed, Markdown
// emphasis and code marks removed and typographic apostrophes made
// plain; "n't" forms are matched like "not". They document the rule and
// are read once, at start-up: changing them has no effect.
var DecliningPhrases = []string{
	`\bno (relevant |specific |direct )?findings\b`,
	`\b(could|can|did|do|does|was|were) ?(not|n't) (find|locate|identify|determine|confirm)\b`,
	`\bunable to (find|locate|identify|determine|confirm|answer)\b`,
	`\b(was|were|is|are) ?(not|n't) found\b`,
	`(\bnot|n't) (covered|addressed|documented|mentioned|discussed|specified|stated|described|answered)\b`,
	`\b(does|do|did) ?(not|n't) (say|mention|cover|answer|address|document|discuss|specify|state|describe|contain|include)\b`,
	`\bno (relevant |specific |direct )?(information|mention|documentation|evidence|details?)\b`,
	`\b(cannot|can ?not|can't|could ?not|couldn't) be (answered|determined|confirmed)\b`,
	`\b(insufficient|not enough) (information|evidence)\b`,
	`\b(is|are) silent (on|about)\b`,
	`\boutside (the )?scope of (the )?(corpus|sources|documents|documentation)\b`,
}

// AnswerMarkers are the regular expressions by which a sentence presents
// itself as the answer. A sentence with one and without a declining
// phrase is a confident answer. Matched like DecliningPhrases, per
// sentence, and likewise read once.
var AnswerMarkers = []string{
	`\bthe (short |direct |final )?answer is\b`,
	`\bin (short|summary|conclusion)\b`,
	`\bto (summarize|summarise|conclude)\b`,
	`\b(definitely|certainly|undoubtedly|without (a )?doubt)\b`,
	`^(yes|no)\b[,.!:;]`,
}

// LeadHeadings are the section headings (case-insensitive) whose text
// forms a report's lead, with the text between the title and the first
// section.
var LeadHeadings = []string{"summary", "answer", "short answer", "tl;dr", "tldr", "overview", "conclusion", "conclusions", "key findings"}

var (
	declining = compileAll(DecliningPhrases)
	markers   = compileAll(AnswerMarkers)
)

func compileAll(exprs []string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(exprs))
	for i, e := range exprs {
		out[i] = regexp.MustCompile(e)
	}
	return out
}

func matchAny(res []*regexp.Regexp, s string) string {
	for _, re := range res {
		if m := re.FindString(s); m != "" {
			return m
		}
	}
	return ""
}

// Abstain is the verdict of the abstention scorer on one report.
type Abstain struct {
	// Declines is the first lead sentence with a declining phrase, empty
	// when there is none.
	Declines string `json:"declines,omitempty"`
	// Answers is the first sentence that gives a confident answer, empty
	// when there is none.
	Answers string `json:"answers,omitempty"`
}

// Abstains reports whether the verdict is an abstention: the lead
// declines and no sentence answers.
func (a Abstain) Abstains() bool { return a.Declines != "" && a.Answers == "" }

// CheckAbstention decides whether report abstains, as the abstention
// scorer does:
//
//   - The report's body (Sources list excluded) is split into sections.
//     Its lead is the text before the first section heading other than
//     the title plus every section whose heading is one of LeadHeadings;
//     when that is empty, the first paragraph of the body is the lead.
//   - The report declines when a sentence of the lead matches one of
//     DecliningPhrases.
//   - A sentence anywhere in the body answers when it matches one of
//     AnswerMarkers and none of DecliningPhrases ("In short, the corpus
//     does not say" is no answer).
//
// A report abstains when it declines and no sentence answers. A report
// that states an invented answer without any marker is not caught here
// once its lead declines; the lead rule keeps a report that answers up
// front and concedes a gap at the end from passing.
func CheckAbstention(report string) Abstain {
	body := Body(report)
	var lead strings.Builder
	secs := sections(body)
	inSection := false // past the title's introduction
	for _, s := range secs {
		switch {
		case s.heading == "", s.level == 1 && !inSection:
			lead.WriteString(s.text + "\n")
		case isLead(s.heading):
			lead.WriteString(s.text + "\n")
			inSection = true
		default:
			inSection = true
		}
	}
	leadText := strings.TrimSpace(lead.String())
	if leadText == "" {
		for _, s := range secs {
			if p := firstParagraph(s.text); p != "" {
				leadText = p
				break
			}
		}
	}
	var a Abstain
	for _, sent := range sentences(leadText) {
		if matchAny(declining, plain(sent)) != "" {
			a.Declines = shorten(sent, 240)
			break
		}
	}
	for _, s := range secs {
		for _, sent := range sentences(s.text) {
			p := plain(sent)
			if matchAny(markers, p) != "" && matchAny(declining, p) == "" {
				a.Answers = shorten(sent, 240)
				return a
			}
		}
	}
	return a
}

func isLead(heading string) bool {
	h := strings.ToLower(strings.TrimSpace(strings.TrimRight(heading, ":")))
	for _, l := range LeadHeadings {
		if h == l {
			return true
		}
	}
	return false
}

func firstParagraph(text string) string {
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			return p
		}
	}
	return ""
}

// sentences splits text into sentences: at line breaks between list
// items and paragraphs, and after ".", "!" or "?" followed by white space
// (a citation "[n]" after the stop stays with its sentence).
func sentences(text string) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(s), "-*+>"))
		if s != "" {
			out = append(out, s)
		}
	}
	for _, para := range strings.Split(text, "\n") {
		start := 0
		for i := 0; i < len(para); i++ {
			c := para[i]
			if c != '.' && c != '!' && c != '?' {
				continue
			}
			j := i + 1
			for j < len(para) && para[j] == '[' { // trailing citations
				k := strings.IndexByte(para[j:], ']')
				if k < 0 {
					break
				}
				j += k + 1
			}
			if j == len(para) || para[j] == ' ' || para[j] == '\t' {
				add(para[start:j])
				start = j
				i = j - 1
			}
		}
		add(para[start:])
	}
	return out
}

// scoreAbstention is abstention: for unanswerable samples, 1 when the
// report abstains (see CheckAbstention), else 0. Metadata: "declines"
// and "answers", the sentences that decided. Skipped for answerable
// samples.
func scoreAbstention(_ context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
	if !s.Unanswerable() {
		return eval.Score{}, eval.Skip("the sample is answerable")
	}
	a := CheckAbstention(r.Output.Report)
	meta := map[string]any{"declines": a.Declines, "answers": a.Answers}
	switch {
	case a.Abstains():
		return eval.Score{Value: 1, Explanation: "the report says the corpus does not answer: " + a.Declines, Metadata: meta}, nil
	case a.Declines == "":
		return eval.Score{Value: 0, Explanation: "the report's lead does not say the corpus does not answer", Metadata: meta}, nil
	default:
		return eval.Score{Value: 0, Explanation: "the report declines but also answers: " + a.Answers, Metadata: meta}, nil
	}
}
