package search

import (
	"encoding/json"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// skipElements hold boilerplate or no readable text: their whole subtree
// is dropped.
var skipElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Nav: true, atom.Header: true,
	atom.Footer: true, atom.Aside: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Iframe: true, atom.Form: true,
	atom.Button: true, atom.Select: true,
}

// blockElements end a paragraph: their text is set off by blank lines.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Ul: true, atom.Ol: true,
	atom.Li: true, atom.Pre: true, atom.Blockquote: true, atom.Table: true,
	atom.Tr: true, atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Section: true,
	atom.Article: true, atom.Main: true, atom.Hr: true, atom.Figure: true,
	atom.Figcaption: true, atom.Body: true,
}

// htmlDoc is the readable content of an HTML page.
type htmlDoc struct {
	title string
	text  string
}

// extractHTML parses an HTML page or fragment and returns its title and
// readable text. Scripts, styles, navigation, headers, footers, asides
// and comments are dropped; headings, paragraphs, list items, table
// rows and preformatted blocks become paragraphs separated by blank
// lines, and text inside <pre> keeps its line breaks. The title is the
// <title> element's text, else the "Title" of a leading JSON comment
// <!--{ "Title": "..." }--> (the header of the Go distribution's doc/*.html
// files), else the first <h1>, else the first <h2>.
func extractHTML(r io.Reader) (htmlDoc, error) {
	root, err := html.Parse(r)
	if err != nil {
		return htmlDoc{}, err
	}
	e := &htmlExtractor{}
	e.walk(root, false)
	title := oneLine(e.title)
	for _, t := range []string{e.metaTitle, e.h1, e.h2} {
		if title == "" {
			title = oneLine(t)
		}
	}
	return htmlDoc{title: title, text: strings.TrimSpace(collapseBlankRuns(e.b.String()))}, nil
}

type htmlExtractor struct {
	b                strings.Builder
	title, metaTitle string
	h1, h2           string
	seenText         bool // text seen: later comments are not headers
}

func (e *htmlExtractor) walk(n *html.Node, pre bool) {
	switch n.Type {
	case html.CommentNode:
		if !e.seenText && e.metaTitle == "" {
			e.metaTitle = jsonCommentTitle(n.Data)
		}
		return
	case html.TextNode:
		e.text(n.Data, pre)
		return
	case html.ElementNode:
		if n.DataAtom == atom.Title {
			e.title = textOf(n)
			return
		}
		if skipElements[n.DataAtom] {
			return
		}
		switch n.DataAtom {
		case atom.H1:
			if e.h1 == "" {
				e.h1 = textOf(n)
			}
		case atom.H2:
			if e.h2 == "" {
				e.h2 = textOf(n)
			}
		case atom.Br:
			e.b.WriteByte('\n')
			return
		case atom.Pre:
			pre = true
		}
	}
	block := n.Type == html.ElementNode && blockElements[n.DataAtom]
	if block {
		e.paragraph()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		e.walk(c, pre)
	}
	if block {
		e.paragraph()
	}
}

// paragraph ends the current paragraph.
func (e *htmlExtractor) paragraph() {
	if e.b.Len() > 0 {
		e.b.WriteString("\n\n")
	}
}

// text appends a text node: whitespace collapsed to single spaces, except
// inside <pre>, whose text is kept as is.
func (e *htmlExtractor) text(s string, pre bool) {
	if strings.TrimSpace(s) != "" {
		e.seenText = true
	}
	if pre {
		e.b.WriteString(s)
		return
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		if s != "" && e.b.Len() > 0 {
			e.space()
		}
		return
	}
	if startsWithSpace(s) {
		e.space()
	}
	e.b.WriteString(strings.Join(f, " "))
	if endsWithSpace(s) {
		e.b.WriteByte(' ')
	}
}

// space writes one space unless the text already ends in whitespace.
func (e *htmlExtractor) space() {
	s := e.b.String()
	if s != "" && !endsWithSpace(s) {
		e.b.WriteByte(' ')
	}
}

func startsWithSpace(s string) bool { return s != "" && strings.TrimLeft(s[:1], " \t\r\n\f") == "" }
func endsWithSpace(s string) bool {
	return s != "" && strings.TrimRight(s[len(s)-1:], " \t\r\n\f") == ""
}

// textOf returns the text content of n's subtree.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// jsonCommentTitle returns the "Title" of a comment holding a JSON
// object, as in <!--{ "Title": "The Go Memory Model" }-->, or "".
func jsonCommentTitle(comment string) string {
	c := strings.TrimSpace(comment)
	if !strings.HasPrefix(c, "{") {
		return ""
	}
	var meta struct {
		Title string `json:"Title"`
	}
	if json.Unmarshal([]byte(c), &meta) != nil {
		return ""
	}
	return meta.Title
}

// collapseBlankRuns trims trailing spaces off lines and reduces runs of
// blank lines to one, so paragraphs are separated by exactly one blank
// line.
func collapseBlankRuns(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r\f")
		if strings.TrimSpace(l) == "" {
			blank++
			if blank > 1 {
				continue
			}
			l = ""
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
