package nws

import (
	"bytes"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
)

// minParallel is the number of features from which parseFast maps them on
// several goroutines: below it, starting them costs more than it saves.
const minParallel = 64

// minIntern is the number of features from which parseFast interns short
// strings (strCache): in a smaller answer too few repeat to pay for the
// cache.
const minIntern = 32

// batch is how many features a goroutine of parseFast takes at a time:
// enough to make the shared counter cheap, few enough to share the work
// evenly.
const batch = 16

// parseFast returns the items of each feature of body, in order, read by the
// fast decoder. ok is false when body is not plainly a FeatureCollection of
// valid JSON: parse then reads it as before. A large collection is mapped by
// up to GOMAXPROCS goroutines, each feature on its own; the result does not
// depend on how many.
func (m *mapper) parseFast(body []byte) (items []featureItems, ok bool) {
	spans, ok := splitFeatures(body)
	if !ok {
		return nil, false
	}
	items = make([]featureItems, len(spans))
	var malformed atomic.Bool
	workers := max(1, min(runtime.GOMAXPROCS(0), len(spans)/minParallel))
	scratches := make([]scratch, workers)
	// Each goroutine carves its items from arrays of about the items it will
	// map (most features have one), at most itemChunk: a small answer, the
	// usual one, then takes no more than it needs.
	for i := range scratches {
		scratches[i].chunk = min(itemChunk, (len(spans)+workers-1)/workers)
	}
	mapRange := func(worker, from, to int) {
		sc := &scratches[worker]
		if sc.strs == nil && len(spans) >= minIntern {
			sc.strs = strCache{}
		}
		for i := from; i < to && !malformed.Load(); i++ {
			var ok bool
			if items[i], ok = m.mapFeature(body[spans[i].start:spans[i].end], sc); !ok {
				malformed.Store(true)
			}
		}
	}
	if workers == 1 {
		mapRange(0, 0, len(spans))
	} else {
		parallel(workers, len(spans), mapRange)
	}
	return items, !malformed.Load()
}

// parallel calls do on consecutive ranges of [0, n) from workers
// goroutines, numbered from 0 for do, and returns when all are done. A panic in do is raised again
// in the caller's goroutine, where the scheduler's recover sees it.
func parallel(workers, n int, do func(worker, from, to int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var panicked any
	for w := range workers {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { panicked = r })
				}
			}()
			for {
				from := int(next.Add(batch)) - batch
				if from >= n {
					return
				}
				do(w, from, min(from+batch, n))
			}
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// mapFeature maps the feature in raw, read by the fast decoder or, when it
// is not of the shape that decoder reads, by encoding/json as before. ok is
// false when raw is not valid JSON. sc is the goroutine's own (decodeFeature):
// nothing of the items refers to it.
func (m *mapper) mapFeature(raw []byte, sc *scratch) (fi featureItems, ok bool) {
	if f, ok := decodeFeature(raw, sc); ok {
		if sc != nil {
			return m.featureIn(&f, &sc.items, sc.chunk), true
		}
		return m.featureOf(&f), true
	}
	l := lexer{b: raw}
	l.skip()
	l.end()
	if l.failed {
		return featureItems{}, false
	}
	return m.feature(raw), true
}

// span is the byte range of one value in the body.
type span struct{ start, end int }

// splitFeatures reads the top level of a FeatureCollection and returns the
// byte range of each feature, in order, in one pass that does not read into
// them. ok is false for a body that is not one, or not plainly: parse's slow
// path judges it.
func splitFeatures(body []byte) (spans []span, ok bool) {
	l := lexer{b: body}
	var typ []byte
	var seen uint32
	for more := l.open('{', '}'); more; more = l.more('}') {
		switch key := l.key(); string(key) {
		case "type":
			l.once(&seen, 1)
			typ, _ = l.quoted()
		case "features":
			l.once(&seen, 2)
			spans = l.elements()
		default:
			l.skipUnknown(key, collectionNames)
		}
	}
	l.end()
	return spans, !l.failed && seen == 3 && string(typ) == "FeatureCollection"
}

// collectionNames are the members of decodedCollection, folded.
var collectionNames = foldedNames(reflect.TypeFor[decodedCollection]())

// elements returns the span of each element of the array at the read
// position. Objects and arrays are skipped by matching brackets only: the
// decoder of each element checks what is inside.
func (l *lexer) elements() []span {
	var spans []span
	for more := l.open('[', ']'); more; more = l.more(']') {
		c := l.peek()
		start := l.pos
		if c == '{' || c == '[' {
			l.skipBrackets()
		} else {
			l.skip()
		}
		spans = append(spans, span{start, l.pos})
	}
	if spans == nil {
		spans = []span{} // an empty array is still a features array
	}
	return spans
}

// skipBrackets moves past the object or array at the read position, to its
// matching bracket outside strings.
func (l *lexer) skipBrackets() {
	depth := 0
	for i := l.pos; i < len(l.b); i++ {
		switch l.b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				l.pos = i + 1
				return
			}
		case '"':
			// Strings are most of the bytes: jump from quote to quote.
			for {
				n := bytes.IndexByte(l.b[i+1:], '"')
				if n < 0 {
					l.fail()
					return
				}
				if i += n + 1; !escapedQuote(l.b, i) {
					break
				}
			}
		}
	}
	l.fail()
}

// escapedQuote reports whether the quote at b[i] is escaped: preceded by an
// odd number of backslashes.
func escapedQuote(b []byte, i int) bool {
	n := 0
	for i > 0 && b[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}
