package graph

import (
	"fmt"
	"maps"
	"reflect"
	"unsafe"
)

// Option configures how a graph's state type S merges the updates its nodes
// return. Pass options to New.
type Option[S any] func(*stateSpec[S])

type stateSpec[S any] struct {
	fields []fieldSpec[S]
	whole  func(cur, upd S) S
}

// fieldSpec is one Field option: where the field is (found at Compile by
// calling locate on a fresh S) and how to merge it.
type fieldSpec[S any] struct {
	typ    reflect.Type
	locate func(*S) unsafe.Pointer
	merge  func(dst, src *S)
	bad    string
}

// Field declares the reducer of one field of the state struct S: when an
// update's field is non-zero, the state's field becomes reduce(cur, upd).
// get must return the address of a top-level field of its argument (for
// example func(s *State) *[]string { return &s.Notes }); Compile reports
// any other getter as a problem.
//
// A zero-valued field in an update means "no update", as an absent key does
// in LangGraph: reduce is not called for it. Fields without a Field option
// are replaced by the update's value when that value is non-zero.
//
// reduce runs once per task update at the step barrier, in task order, on
// the runtime's goroutine; it must not retain or modify upd's memory in a
// way the node that produced it could observe.
func Field[S, T any](get func(*S) *T, reduce func(cur, upd T) T) Option[S] {
	typ := reflect.TypeFor[T]()
	zero := newFieldOp(typ, 0)
	return func(sp *stateSpec[S]) {
		spec := fieldSpec[S]{typ: typ}
		if get == nil || reduce == nil {
			spec.bad = "nil getter or reducer"
			sp.fields = append(sp.fields, spec)
			return
		}
		spec.locate = func(s *S) unsafe.Pointer { return unsafe.Pointer(get(s)) }
		spec.merge = func(dst, src *S) {
			upd := get(src)
			if zero.isZero(unsafe.Pointer(upd)) {
				return
			}
			cur := get(dst)
			*cur = reduce(*cur, *upd)
		}
		sp.fields = append(sp.fields, spec)
	}
}

// WithReducer replaces per-field merging with one function: the state after
// an update is reduce(cur, upd). It suits state types that are not structs
// or need cross-field logic. It cannot be combined with Field.
func WithReducer[S any](reduce func(cur, upd S) S) Option[S] {
	return func(sp *stateSpec[S]) { sp.whole = reduce }
}

// Replace is the reducer that keeps the update: the default for fields
// without a Field option, spelled out.
func Replace[T any](cur, upd T) T { return upd }

// Append is the reducer for list fields: cur followed by upd, appended in
// place when cur has spare capacity (amortized O(len(upd))). This is safe
// because a run owns the arrays it appends to: when a run starts, the
// capacity of every top-level slice of its initial state is clipped to its
// length, so the caller's arrays are never written to, and the states
// handed to nodes and to state_update events are clipped the same way, so
// appending to their slices allocates rather than writing into the run's
// arrays. States handed out keep their length and contents.
func Append[T any](cur, upd []T) []T {
	return append(cur, upd...)
}

// Merge is the reducer for map fields: a new map holding cur's entries
// overwritten by upd's. cur is not modified.
func Merge[K comparable, V any](cur, upd map[K]V) map[K]V {
	out := make(map[K]V, len(cur)+len(upd))
	maps.Copy(out, cur)
	maps.Copy(out, upd)
	return out
}

// merger merges an update into the state. It is built once at Compile so
// that merging costs no reflection for the common field types.
type merger[S any] struct {
	whole  func(cur, upd S) S
	ops    []fieldOp           // default "replace when non-zero" fields
	fields []func(dst, src *S) // Field reducers
}

func (m *merger[S]) apply(dst, src *S) {
	if m.whole != nil {
		*dst = m.whole(*dst, *src)
		return
	}
	d, s := unsafe.Pointer(dst), unsafe.Pointer(src)
	for i := range m.ops {
		m.ops[i].replace(d, s)
	}
	for _, f := range m.fields {
		f(dst, src)
	}
}

// buildMerger compiles the state options into a merger, returning the
// problems it found.
func buildMerger[S any](sp stateSpec[S]) (merger[S], []string) {
	var problems []string
	if sp.whole != nil {
		if len(sp.fields) > 0 {
			problems = append(problems, "state: WithReducer cannot be combined with Field")
		}
		return merger[S]{whole: sp.whole}, problems
	}
	st := reflect.TypeFor[S]()
	if st.Kind() != reflect.Struct {
		if len(sp.fields) > 0 {
			problems = append(problems, fmt.Sprintf("state: Field needs a struct state type, not %s", st))
		}
		return merger[S]{ops: []fieldOp{newFieldOp(st, 0)}}, problems
	}
	claimed := make([]bool, st.NumField())
	var m merger[S]
	for i, f := range sp.fields {
		idx, bad := locateField(st, f)
		if bad == "" && claimed[idx] {
			bad = fmt.Sprintf("field %s has two reducers", st.Field(idx).Name)
		}
		if bad != "" {
			problems = append(problems, fmt.Sprintf("state: Field #%d: %s", i+1, bad))
			continue
		}
		claimed[idx] = true
		m.fields = append(m.fields, f.merge)
	}
	for i := range st.NumField() {
		sf := st.Field(i)
		if claimed[i] || sf.Name == "_" || sf.Type.Size() == 0 {
			continue
		}
		m.ops = append(m.ops, newFieldOp(sf.Type, sf.Offset))
	}
	return m, problems
}

// locateField finds the top-level field of st that f's getter points to.
func locateField[S any](st reflect.Type, f fieldSpec[S]) (idx int, bad string) {
	if f.bad != "" {
		return 0, f.bad
	}
	s := new(S)
	p, ok := safeLocate(f.locate, s)
	if !ok {
		return 0, "getter panicked"
	}
	off := uintptr(p) - uintptr(unsafe.Pointer(s))
	if p == nil || off >= st.Size() {
		return 0, fmt.Sprintf("getter must return the address of a field of %s", st)
	}
	for i := range st.NumField() {
		sf := st.Field(i)
		if sf.Offset == off && sf.Type == f.typ {
			return i, ""
		}
	}
	return 0, fmt.Sprintf("getter must return the address of a top-level field of %s (found a %s inside one)", st, f.typ)
}

func safeLocate[S any](locate func(*S) unsafe.Pointer, s *S) (p unsafe.Pointer, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return locate(s), true
}

// opKind classifies a field type by how to test it for zero and copy it
// without reflection.
type opKind uint8

const (
	opPlain   opKind = iota // no pointers: compare and copy bytes
	opString                // zero when empty
	opWord                  // pointer, map, chan, func: one pointer word
	opSlice                 // zero when nil
	opIface                 // zero when nil
	opReflect               // structs and arrays holding pointers
)

// fieldOp replaces one field of the state with the update's value when that
// value is non-zero (reflect.Value.IsZero semantics).
type fieldOp struct {
	off  uintptr
	size uintptr
	kind opKind
	typ  reflect.Type
}

func newFieldOp(t reflect.Type, off uintptr) fieldOp {
	op := fieldOp{off: off, size: t.Size(), typ: t, kind: opReflect}
	switch t.Kind() {
	case reflect.String:
		op.kind = opString
	case reflect.Slice:
		op.kind = opSlice
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		op.kind = opWord
	case reflect.Interface:
		op.kind = opIface
	default:
		if pointerFree(t) {
			op.kind = opPlain
		}
	}
	return op
}

// pointerFree reports whether values of t hold no pointers, so that their
// bytes may be compared and copied directly.
func pointerFree(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return t.Len() == 0 || pointerFree(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// isZero reports whether the value at p (the field itself, off ignored) is
// its type's zero value.
func (op *fieldOp) isZero(p unsafe.Pointer) bool {
	switch op.kind {
	case opString:
		return len(*(*string)(p)) == 0
	case opWord, opSlice:
		return *(*unsafe.Pointer)(p) == nil
	case opIface:
		return *(*any)(p) == nil
	case opPlain:
		return zeroBytes(p, op.size)
	}
	return reflect.NewAt(op.typ, p).Elem().IsZero()
}

// replace copies the field from src to dst when src's field is non-zero.
// Stores of pointer words go through typed assignments, so the garbage
// collector's write barriers see them.
func (op *fieldOp) replace(dst, src unsafe.Pointer) {
	d, s := unsafe.Add(dst, op.off), unsafe.Add(src, op.off)
	if op.isZero(s) {
		return
	}
	switch op.kind {
	case opString:
		*(*string)(d) = *(*string)(s)
	case opWord:
		*(*unsafe.Pointer)(d) = *(*unsafe.Pointer)(s)
	case opSlice:
		*(*[]byte)(d) = *(*[]byte)(s)
	case opIface:
		*(*any)(d) = *(*any)(s)
	case opPlain:
		copy(unsafe.Slice((*byte)(d), op.size), unsafe.Slice((*byte)(s), op.size))
	default:
		reflect.NewAt(op.typ, d).Elem().Set(reflect.NewAt(op.typ, s).Elem())
	}
}

func zeroBytes(p unsafe.Pointer, n uintptr) bool {
	for _, b := range unsafe.Slice((*byte)(p), n) {
		if b != 0 {
			return false
		}
	}
	return true
}

// sliceOffsets returns the offsets of the top-level slices of t (t itself
// when it is a slice), whose capacity a run clips when it starts.
func sliceOffsets(t reflect.Type) []uintptr {
	switch t.Kind() {
	case reflect.Slice:
		return []uintptr{0}
	case reflect.Struct:
		var offs []uintptr
		for i := range t.NumField() {
			if f := t.Field(i); f.Type.Kind() == reflect.Slice {
				offs = append(offs, f.Offset)
			}
		}
		return offs
	}
	return nil
}

// clipSlices sets the capacity of the slices at offs in *s to their length,
// so that appending to them reallocates instead of writing into arrays
// the run does not own.
func clipSlices[S any](s *S, offs []uintptr) {
	for _, off := range offs {
		h := (*sliceHeader)(unsafe.Add(unsafe.Pointer(s), off))
		h.cap = h.len
	}
}

// sliceHeader is the layout of every slice value.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}
