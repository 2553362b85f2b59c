// Package textclass is a small text classifier: multinomial logistic regression
// over hashed features (word uni- and bigrams, character n-grams), trained
// deterministically and stored compactly so it can be embedded in the binary.
//
// It knows nothing of chat, crisis or topics: callers turn a message into
// feature hashes with [Featurizer] and ask a [Model] for class probabilities.
// Hashing keeps the model's size fixed whatever the vocabulary, and lets a
// misspelt word still share most of its character n-grams with the right one.
package textclass

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unsafe"
)

// Model is a trained classifier. Weights are quantised to int8 with one scale
// for the whole model: about a quarter of the size of float32 weights, with no
// measurable loss of accuracy for a linear model of this kind.
type Model struct {
	Classes []string
	bits    uint    // the feature space has 1<<bits buckets
	w       []int8  // (1<<bits) × len(Classes), feature-major
	scale   float32 // w[i]*scale is the weight
	bias    []float32
	// Meta is free text saved with the model (for example a hash of the
	// training data, so a stale model can be recognised).
	Meta string
}

// Options steer training. The zero value is not useful: start from
// [DefaultOptions].
type Options struct {
	Bits   uint    // feature buckets: 1<<Bits
	Epochs int     // passes over the data
	Rate   float64 // initial learning rate (AdaGrad)
	L2     float64 // weight decay per example
	Seed   uint64  // the shuffle's seed: same data and seed, same model
	// Weights, when set, weights each class's examples (for example more
	// weight on crisis examples, for recall).
	Weights []float64
}

// DefaultOptions suit a few thousand short messages.
func DefaultOptions() Options {
	return Options{Bits: 16, Epochs: 12, Rate: 0.5, L2: 1e-6, Seed: 1}
}

// Example is one training message: its feature hashes and its class index.
type Example struct {
	Features []uint32
	Class    int
}

// Train fits a model. It is deterministic: the same examples, classes and
// options give the same model, byte for byte.
func Train(examples []Example, classes []string, opt Options) (*Model, error) {
	if len(classes) < 2 {
		return nil, errors.New("textclass: need at least two classes")
	}
	if opt.Bits < 8 || opt.Bits > 24 {
		return nil, fmt.Errorf("textclass: %d bits is out of range", opt.Bits)
	}
	C := len(classes)
	D := 1 << opt.Bits
	mask := uint32(D - 1)
	w := make([]float64, D*C)
	g2 := make([]float64, D*C) // AdaGrad: sum of squared gradients
	bias := make([]float64, C)
	bg2 := make([]float64, C)
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	probs := make([]float64, C)
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, idx := range order {
			ex := &examples[idx]
			if ex.Class < 0 || ex.Class >= C {
				return nil, fmt.Errorf("textclass: example %d has class %d of %d", idx, ex.Class, C)
			}
			if len(ex.Features) == 0 {
				continue
			}
			val := 1 / math.Sqrt(float64(len(ex.Features)))
			for c := 0; c < C; c++ {
				probs[c] = bias[c]
			}
			for _, f := range ex.Features {
				row := int(f&mask) * C
				for c := 0; c < C; c++ {
					probs[c] += w[row+c] * val
				}
			}
			softmax(probs)
			ew := 1.0
			if opt.Weights != nil {
				ew = opt.Weights[ex.Class]
			}
			for c := 0; c < C; c++ {
				g := probs[c]
				if c == ex.Class {
					g--
				}
				g *= ew
				bg2[c] += g * g
				bias[c] -= opt.Rate * g / (math.Sqrt(bg2[c]) + 1e-8)
				if g == 0 {
					continue
				}
				for _, f := range ex.Features {
					i := int(f&mask)*C + c
					gi := g*val + opt.L2*w[i]
					g2[i] += gi * gi
					w[i] -= opt.Rate * gi / (math.Sqrt(g2[i]) + 1e-8)
				}
			}
		}
	}
	m := &Model{Classes: append([]string(nil), classes...), bits: opt.Bits, bias: make([]float32, C)}
	maxAbs := 0.0
	for _, x := range w {
		maxAbs = max(maxAbs, math.Abs(x))
	}
	m.scale = float32(maxAbs / 127)
	if m.scale == 0 {
		m.scale = 1
	}
	m.w = make([]int8, len(w))
	for i, x := range w {
		m.w[i] = int8(math.Round(x / float64(m.scale)))
	}
	for c := range bias {
		m.bias[c] = float32(bias[c])
	}
	return m, nil
}

// softmax turns scores into probabilities in place.
func softmax(p []float64) {
	hi := math.Inf(-1)
	for _, x := range p {
		hi = max(hi, x)
	}
	sum := 0.0
	for i, x := range p {
		p[i] = math.Exp(x - hi)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
}

// Predict writes the probability of each class for the given features into
// probs (len(m.Classes) long) and returns the index of the most probable class.
// It allocates nothing.
func (m *Model) Predict(features []uint32, probs []float64) int {
	C := len(m.Classes)
	var stack [64]int32
	var acc []int32
	if C <= len(stack) {
		acc = stack[:C]
	} else {
		acc = make([]int32, C)
	}
	return m.PredictSummed(acc, 0, features, probs)
}

// Sum adds the weights of features to acc, one sum per class in the model's
// integer units. A caller that meets the same group of features often (the
// character n-grams of a common word) can sum it once and hand the sums to
// [Model.PredictSummed].
func (m *Model) Sum(acc []int32, features []uint32) {
	if len(acc) != len(m.Classes) {
		panic("textclass: Sum needs one sum per class")
	}
	m.sum(acc, features)
}

// PredictSummed is [Model.Predict] for n features whose weights acc holds
// already (from [Model.Sum]) and the features listed: the same answer as
// Predict on all of them. acc is used up.
func (m *Model) PredictSummed(acc []int32, n int, features []uint32, probs []float64) int {
	C := len(m.Classes)
	if len(acc) != C {
		panic("textclass: PredictSummed needs one sum per class")
	}
	m.sum(acc, features)
	val := 0.0
	if n += len(features); n > 0 {
		val = float64(m.scale) / math.Sqrt(float64(n))
	}
	best := 0
	for c := 0; c < C; c++ {
		probs[c] = float64(acc[c])*val + float64(m.bias[c])
		if probs[c] > probs[best] {
			best = c
		}
	}
	softmax(probs)
	return best
}

// Margin returns, for a model of two classes, the sum over features of the
// second class's weight less the first's, in the model's integer units. With
// [Model.Logit] it gives Predict's answer for features a caller sums in
// pieces: the words of a long message, each summed once, then every window
// of them scored from those sums.
func (m *Model) Margin(features []uint32) int32 {
	if len(m.Classes) != 2 {
		panic("textclass: Margin needs a model of two classes")
	}
	mask := uint32(1)<<m.bits - 1
	var s int32
	for _, f := range features {
		i := int(f&mask) * 2
		s += int32(m.w[i+1]) - int32(m.w[i])
	}
	return s
}

// Logit returns the log-odds of the second class for features whose margins
// sum to margin, n features in all: the probability Predict gives is
// 1/(1+exp(-Logit)).
func (m *Model) Logit(margin int32, n int) float64 {
	z := float64(m.bias[1]) - float64(m.bias[0])
	if n > 0 {
		z += float64(margin) * float64(m.scale) / math.Sqrt(float64(n))
	}
	return z
}

// sum adds each feature's int8 weights into acc, one int32 per class. It is
// the hot path of every reply, so it adds eight classes at a time in the
// lanes of two 64-bit words ("SIMD within a register"): each weight byte,
// offset by 128 to be non-negative, goes into a 16-bit lane, which holds the
// sum of up to 257 features; every 256 features the lanes are emptied into
// acc and the offset taken off again.
func (m *Model) sum(acc []int32, features []uint32) {
	const (
		flip   = 0x8080808080808080 // int8 → uint8 offset by 128
		lanes  = 0x00FF00FF00FF00FF
		run    = 256 // features per emptying: 256×255 fits 16 bits
		maxGrp = 8   // 64 classes
	)
	C := len(acc)
	mask := uint32(1)<<m.bits - 1
	groups := C / 8
	if groups > maxGrp {
		groups = 0 // more classes than the lanes hold: all one by one
	}
	var w []byte
	if len(m.w) > 0 {
		w = unsafe.Slice((*byte)(unsafe.Pointer(&m.w[0])), len(m.w))
	}
	tail := C - 8*groups
	var even, odd [maxGrp]uint64
	var tailEven, tailOdd uint64
	for start := 0; start < len(features); start += run {
		part := features[start:min(start+run, len(features))]
		if C > 24 && C <= 32 {
			// Four words a row, the intent classifier's 28 classes among
			// them: the same sums in local variables, which leaves the loop
			// short enough for the processor to have the rows of many
			// features on their way from memory at once (a 1,000-word
			// message reads some 2,000 rows of a megabyte's table).
			sh := 8 * (32 - C)
			var e0, o0, e1, o1, e2, o2, e3, o3 uint64
			for _, f := range part {
				i := int(f&mask) * C
				row := w[i : i+C : i+C]
				x0 := binary.LittleEndian.Uint64(row[0:]) ^ flip
				x1 := binary.LittleEndian.Uint64(row[8:]) ^ flip
				x2 := binary.LittleEndian.Uint64(row[16:]) ^ flip
				x3 := (binary.LittleEndian.Uint64(row[C-8:]) ^ flip) >> sh
				e0 += x0 & lanes
				o0 += (x0 >> 8) & lanes
				e1 += x1 & lanes
				o1 += (x1 >> 8) & lanes
				e2 += x2 & lanes
				o2 += (x2 >> 8) & lanes
				e3 += x3 & lanes
				o3 += (x3 >> 8) & lanes
			}
			even[0], odd[0], even[1], odd[1], even[2], odd[2] = e0, o0, e1, o1, e2, o2
			if tail == 0 {
				even[3], odd[3] = e3, o3
			} else {
				tailEven, tailOdd = e3, o3
			}
		} else {
			for _, f := range part {
				i := int(f&mask) * C
				row := w[i : i+C]
				for g := 0; g < groups; g++ {
					x := binary.LittleEndian.Uint64(row[g*8:]) ^ flip
					even[g] += x & lanes
					odd[g] += (x >> 8) & lanes
				}
				if tail == 0 {
					continue
				}
				if groups == 0 {
					for c := 0; c < C; c++ {
						acc[c] += int32(int8(row[c]))
					}
					continue
				}
				// The last classes: the row's last eight bytes, shifted so that
				// the bytes the groups counted already fall off the low end.
				x := (binary.LittleEndian.Uint64(row[C-8:]) ^ flip) >> (8 * (8 - tail))
				tailEven += x & lanes
				tailOdd += (x >> 8) & lanes
			}
		}
		off := int32(128 * len(part))
		for g := 0; g < groups; g++ {
			for k := 0; k < 4; k++ {
				acc[g*8+2*k] += int32(even[g]>>(16*k)&0xFFFF) - off
				acc[g*8+2*k+1] += int32(odd[g]>>(16*k)&0xFFFF) - off
			}
			even[g], odd[g] = 0, 0
		}
		if groups > 0 {
			for j := 0; j < tail; j++ {
				lane := tailEven
				if j%2 == 1 {
					lane = tailOdd
				}
				acc[groups*8+j] += int32(lane>>(16*(j/2))&0xFFFF) - off
			}
			tailEven, tailOdd = 0, 0
		}
	}
}

// Class returns the index of a class name, or -1.
func (m *Model) Class(name string) int {
	for i, c := range m.Classes {
		if c == name {
			return i
		}
	}
	return -1
}

// The binary form: magic, version, bits, class count, scale, meta, class
// names, biases, weights. Little-endian throughout.
const magic = "TXCL"
const version = 1

// MarshalBinary encodes the model.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b []byte
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = append(b, byte(m.bits))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(m.Classes)))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.scale))
	b = appendString(b, m.Meta)
	for _, c := range m.Classes {
		b = appendString(b, c)
	}
	for _, x := range m.bias {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	for _, x := range m.w {
		b = append(b, byte(x))
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// Load decodes a model written by [Model.MarshalBinary]. The weights are not
// copied: data must not change afterwards (an embedded file never does).
func Load(data []byte) (*Model, error) {
	r := reader{b: data}
	if string(r.next(len(magic))) != magic {
		return nil, errors.New("textclass: not a model file")
	}
	if v := r.u16(); v != version {
		return nil, fmt.Errorf("textclass: model version %d, want %d", v, version)
	}
	m := &Model{}
	m.bits = uint(r.byte())
	n := int(r.u16())
	m.scale = math.Float32frombits(r.u32())
	m.Meta = r.str()
	for i := 0; i < n && r.err == nil; i++ {
		m.Classes = append(m.Classes, r.str())
	}
	m.bias = make([]float32, n)
	for i := range m.bias {
		m.bias[i] = math.Float32frombits(r.u32())
	}
	if m.bits < 8 || m.bits > 24 || n < 2 {
		return nil, errors.New("textclass: model header is damaged")
	}
	raw := r.next(n << m.bits)
	if r.err != nil || len(r.b) != 0 {
		return nil, errors.New("textclass: model file is truncated or too long")
	}
	// The weights are read in place, not copied: a megabyte at every start
	// for nothing, since data never changes (an embedded file cannot).
	m.w = unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw))
	return m, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) next(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errors.New("short")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) byte() byte {
	if b := r.next(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.next(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.next(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) str() string {
	n := r.u32()
	if n > 1<<20 {
		r.err = errors.New("string too long")
		return ""
	}
	return string(r.next(int(n)))
}

// Featurizer turns normalised text into feature hashes. Zero value: word
// unigrams and bigrams, and character n-grams of 3 to 5 bytes.
type Featurizer struct {
	MinN, MaxN int // character n-gram sizes (bytes); 0 means 3 and 5
	NoBigrams  bool
}

// FNV-1a, inlined so hashing a substring allocates nothing.
const (
	offset32 = 2166136261
	prime32  = 16777619
)

func hashBytes(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= prime32
	}
	return h
}

// Word features and character features live in separate hash spaces (the
// seed), so the word "die" and the trigram "die" are different features.
const (
	seedWord   = offset32
	seedBigram = offset32 ^ 0x9e3779b9
	seedChar   = offset32 ^ 0x7f4a7c15
)

// Words appends word unigram and bigram features of ws.
func (f Featurizer) Words(dst []uint32, ws []string) []uint32 {
	for i := range ws {
		dst = f.WordAt(dst, ws, i)
	}
	return dst
}

// WordAt appends the features [Featurizer.Words] gives word i of ws: its
// unigram, and its bigram with the word after it.
func (f Featurizer) WordAt(dst []uint32, ws []string, i int) []uint32 {
	w := ws[i]
	if w == "" {
		return dst
	}
	dst = f.Word(dst, w)
	if i+1 < len(ws) {
		dst = f.Pair(dst, w, ws[i+1])
	}
	return dst
}

// Word appends the unigram feature of w, as [Featurizer.WordAt] gives it.
func (f Featurizer) Word(dst []uint32, w string) []uint32 {
	if w == "" {
		return dst
	}
	return append(dst, hashBytes(seedWord, w))
}

// Pair appends the bigram feature of a followed by b, as
// [Featurizer.WordAt] gives it: a caller that has each word's unigram and
// n-grams summed already adds only what two words make together.
func (f Featurizer) Pair(dst []uint32, a, b string) []uint32 {
	if f.NoBigrams || a == "" || b == "" {
		return dst
	}
	return append(dst, hashBytes(hashBytes(seedBigram, a)^' ', b))
}

// Chars appends character n-gram features of text, with a space at each end
// so that word beginnings and endings are features of their own.
func (f Featurizer) Chars(dst []uint32, text string) []uint32 {
	return f.CharsIn(dst, text, 0, len(text)+2)
}

// CharsIn appends the n-grams of [Featurizer.Chars] that begin at positions
// from to to-1 of the text with its two end spaces (the space before text[i]
// is position i, text[i] is i+1): a caller can group a message's features by
// word, each word taking the n-grams from the space before it to its end, and
// score a stretch of a long message from the words in it.
func (f Featurizer) CharsIn(dst []uint32, text string, from, to int) []uint32 {
	return f.grams(dst, text, from, to, -1)
}

// grams appends the n-grams of [Featurizer.Chars] that begin at positions
// from to to-1 and end after position after (-1: all of them).
func (f Featurizer) grams(dst []uint32, text string, from, to, after int) []uint32 {
	lo, hi := f.MinN, f.MaxN
	if lo == 0 {
		lo, hi = 3, 5
	}
	n := len(text) + 2
	from, to = max(from, after-hi+2, 0), min(to, n)
	dst = slices.Grow(dst, max(to-from, 0)*(hi-lo+1))
	at := func(i int) byte {
		if i == 0 || i == n-1 {
			return ' '
		}
		return text[i-1]
	}
	for i := from; i < to; i++ {
		h := uint32(seedChar)
		if i > 0 && i+hi < n {
			// Inside the text, where the end spaces cannot fall: its bytes
			// as they are, with no test of where each one comes from. Most
			// of a long message is read here.
			g := text[i-1 : i-1+hi]
			for k := 0; k < hi; k++ {
				h ^= uint32(g[k])
				h *= prime32
				if k+1 >= lo && i+k > after {
					dst = append(dst, h^uint32(k))
				}
			}
			continue
		}
		for k := 0; k < hi && i+k < n; k++ {
			h ^= uint32(at(i + k))
			h *= prime32
			if k+1 >= lo && i+k > after {
				dst = append(dst, h^uint32(k))
			}
		}
	}
	return dst
}

// Across appends the n-grams of [Featurizer.Chars] that begin at positions
// from to at-1 and end after position at (positions as in
// [Featurizer.CharsIn]). With at the space after a word and from the space
// before it, they are what the word's n-grams hold of the words after it:
// the rest of its n-grams are those of [Featurizer.Chars] of the word alone,
// the same wherever it stands, which a caller can sum once. (That holds for
// n-grams of two bytes or more: a one-byte n-gram of the space after the word
// is the next word's.)
func (f Featurizer) Across(dst []uint32, text string, from, at int) []uint32 {
	return f.grams(dst, text, from, at, at)
}

// Feature returns the hash of one named feature, for features a caller adds
// beyond words and characters (for example "construct=desire").
func Feature(name string) uint32 { return hashBytes(offset32^0x1b873593, name) }

// String describes the model, for logs and tests.
func (m *Model) String() string {
	return fmt.Sprintf("textclass model: %d classes (%s), %d buckets", len(m.Classes), strings.Join(m.Classes, ", "), 1<<m.bits)
}
