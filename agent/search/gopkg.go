package search

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// goRenderVersion is mixed into the content hash of Go packages, so a
// change of rendering re-indexes them.
const goRenderVersion = "deepctx-go-doc/1"

// goFile is a Go source file of a package directory.
type goFile struct {
	name string
	data []byte
}

// isGoSource reports whether name is a Go file that is not a test.
func isGoSource(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") &&
		!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_")
}

// readGoPackage reads the non-test .go files of dir that match the
// default build context (GOOS, GOARCH, build tags of this process), in
// name order, and returns them with their content hash. A directory
// without such files gives no files and no error. Files that cannot be
// read or whose build constraints cannot be evaluated are skipped and
// counted in bad.
func readGoPackage(dir string, names []string) (files []goFile, hash string, bad []error) {
	data := map[string][]byte{}
	ctxt := build.Default
	ctxt.OpenFile = func(path string) (io.ReadCloser, error) {
		if b, ok := data[path]; ok {
			return io.NopCloser(bytes.NewReader(b)), nil
		}
		return nil, os.ErrNotExist
	}
	slices.Sort(names)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", goRenderVersion)
	for _, name := range names {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		data[path] = b
		ok, err := ctxt.MatchFile(dir, name)
		if err != nil {
			bad = append(bad, fmt.Errorf("%s: %w", path, err))
			continue
		}
		if !ok {
			continue
		}
		files = append(files, goFile{name: name, data: b})
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return files, hex.EncodeToString(h.Sum(nil)), bad
}

// renderGoPackage renders the documentation of the package in files as
// plain text, like `go doc -all`: the package clause and doc comment,
// then the exported constants, variables, functions and types, each
// declaration followed by its doc comment, indented. Files that do not
// parse, or that belong to another package than most files, are left
// out; parse errors come back in bad. It fails only if no file is left.
func renderGoPackage(importPath string, files []goFile) (title, text string, bad []error, err error) {
	fset := token.NewFileSet()
	var parsed []*ast.File
	count := map[string]int{}
	for _, f := range files {
		af, err := parser.ParseFile(fset, f.name, f.data, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		parsed = append(parsed, af)
		count[af.Name.Name]++
	}
	if len(parsed) == 0 {
		return "", "", bad, fmt.Errorf("no Go file of %s parses", importPath)
	}
	name := ""
	for n, c := range count {
		if name == "" || c > count[name] || c == count[name] && n < name {
			name = n
		}
	}
	parsed = slices.DeleteFunc(parsed, func(f *ast.File) bool { return f.Name.Name != name })
	pkg, err := doc.NewFromFiles(fset, parsed, importPath)
	if err != nil {
		return "", "", bad, err
	}
	r := &goRenderer{fset: fset, pkg: pkg}
	r.render()
	return "package " + importPath, r.b.String(), bad, nil
}

type goRenderer struct {
	fset *token.FileSet
	pkg  *doc.Package
	b    strings.Builder
}

func (r *goRenderer) render() {
	p := r.pkg
	fmt.Fprintf(&r.b, "package %s // import %q\n\n", p.Name, p.ImportPath)
	if p.Doc != "" {
		r.b.Write(p.Text(p.Doc))
		r.b.WriteString("\n")
	}
	r.values("CONSTANTS", p.Consts)
	r.values("VARIABLES", p.Vars)
	if len(p.Funcs) > 0 {
		r.section("FUNCTIONS")
		for _, f := range p.Funcs {
			r.fn(f)
		}
	}
	if len(p.Types) > 0 {
		r.section("TYPES")
		for _, t := range p.Types {
			r.decl(t.Decl, t.Doc)
			for _, v := range t.Consts {
				r.decl(v.Decl, v.Doc)
			}
			for _, v := range t.Vars {
				r.decl(v.Decl, v.Doc)
			}
			for _, f := range t.Funcs {
				r.fn(f)
			}
			for _, f := range t.Methods {
				r.fn(f)
			}
		}
	}
}

func (r *goRenderer) section(name string) { fmt.Fprintf(&r.b, "%s\n\n", name) }

func (r *goRenderer) values(section string, vs []*doc.Value) {
	if len(vs) == 0 {
		return
	}
	r.section(section)
	for _, v := range vs {
		r.decl(v.Decl, v.Doc)
	}
}

func (r *goRenderer) fn(f *doc.Func) {
	d := *f.Decl
	d.Doc, d.Body = nil, nil
	r.node(&d, f.Doc)
}

func (r *goRenderer) decl(g *ast.GenDecl, docText string) {
	d := *g
	d.Doc = nil
	r.node(&d, docText)
}

// node prints a declaration (with the doc comments of its fields and
// specs, which the printer takes from the nodes) and then its doc
// comment, indented by four spaces.
func (r *goRenderer) node(n ast.Node, docText string) {
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	if err := cfg.Fprint(&r.b, r.fset, n); err != nil {
		fmt.Fprintf(&r.b, "(declaration not printable: %v)", err)
	}
	r.b.WriteString("\n")
	if docText != "" {
		pr := r.pkg.Printer()
		pr.TextPrefix = "    "
		pr.TextCodePrefix = "    \t"
		r.b.Write(pr.Text(r.pkg.Parser().Parse(docText)))
	}
	r.b.WriteString("\n")
}
