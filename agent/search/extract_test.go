package search

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtractHTML(t *testing.T) {
	tests := []struct {
		name, html, title string
		want              []string // paragraphs of the text, in order
		absent            []string
	}{
		{
			name: "boilerplate is stripped",
			html: `<html><head><title>Real Title</title><style>.x{color:red}</style><script>alert("js")</script></head>
<body><header>Site header</header><nav><a href="/">Home</a></nav>
<main><h1>Heading One</h1><!-- a comment --><p>First   paragraph
spans lines.</p><ul><li>item one</li><li>item two</li></ul>
<pre>line 1
    line 2</pre></main>
<aside>Related links</aside><noscript>enable js</noscript><template><p>tmpl</p></template><footer>Copyright</footer></body></html>`,
			title:  "Real Title",
			want:   []string{"Heading One", "First paragraph spans lines.", "item one", "item two", "line 1\n    line 2"},
			absent: []string{"Site header", "Home", "alert", "color", "a comment", "Related", "enable js", "tmpl", "Copyright", "Real Title"},
		},
		{
			name:  "Go doc JSON comment header gives the title",
			html:  "<!--{\n\t\"Title\": \"The Go Memory Model\",\n\t\"Subtitle\": \"Version of June 6, 2022\",\n\t\"Path\": \"/ref/mem\"\n}-->\n<h2 id=\"introduction\">Introduction</h2>\n<p>\nThe Go memory model specifies.\n</p>",
			title: "The Go Memory Model",
			want:  []string{"Introduction", "The Go memory model specifies."},
		},
		{
			name:  "first h1 when there is no title",
			html:  `<body><h2>Second</h2><h1>First <code>Heading</code></h1><p>text</p></body>`,
			title: "First Heading",
			want:  []string{"Second", "First Heading", "text"},
		},
		{
			name:  "first h2 when there is no h1",
			html:  `<div><h2>Only  h2</h2><p>body <b>bold</b> text</p></div>`,
			title: "Only h2",
			want:  []string{"Only h2", "body bold text"},
		},
		{
			name:  "no title at all",
			html:  `<p>just text</p>`,
			title: "",
			want:  []string{"just text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extractHTML(strings.NewReader(tt.html))
			require.NoError(t, err)
			assert.Equal(t, tt.title, got.title)
			assert.Equal(t, tt.want, strings.Split(got.text, "\n\n"))
			for _, a := range tt.absent {
				assert.NotContains(t, got.text, a)
			}
		})
	}
}

func TestMarkdownTitle(t *testing.T) {
	tests := []struct{ text, want string }{
		{"# Title\n\ntext", "Title"},
		{"intro\n\n## Sub\n\n# Real #\n", "Real"},
		{"```\n# not a title\n```\n# After Fence", "After Fence"},
		{"#hashtag\n## sub only", ""},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, markdownTitle(tt.text), "%q", tt.text)
	}
}

func TestCollapse(t *testing.T) {
	assert.Equal(t, "a b c\nd e", collapse("  a \n b\tc\n\n\n d\r\n e \n"))
	assert.Equal(t, "", collapse(" \n\n "))
}

func TestChunkSpans(t *testing.T) {
	var b strings.Builder
	for i := range 60 {
		b.WriteString("## Section ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\n\nSome repeated paragraph text that goes on for a while. Some repeated paragraph text.\n\n")
	}
	text := b.String()
	for _, md := range []bool{false, true} {
		chunks, spans, err := newChunker(300, 30).split(text, md)
		require.NoError(t, err)
		require.Greater(t, len(chunks), 10)
		require.Len(t, spans, len(chunks))
		prev := -1
		for i, c := range chunks {
			assert.Equal(t, c, text[spans[i].Start:spans[i].End], "passage %d is the text at its span", i)
			assert.Greater(t, spans[i].Start, prev, "spans advance")
			assert.LessOrEqual(t, len([]rune(c)), 300)
			prev = spans[i].Start
		}
		assert.Equal(t, len(strings.TrimRight(text, "\n")), spans[len(spans)-1].End, "the last passage ends the text")
	}
}
