package data

import (
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// Batch is one batch of studies as GoMLX tensors.
type Batch struct {
	IDs []string
	// Images is float32 [B, Views, H, W, C], normalised (see Transform).
	Images *tensors.Tensor
	// Tokens is int32 [B, MaxLen]: word ids (1..vocab Size) of the cleaned
	// report, at most MaxLen-1 words (room for the end marker 0), 0-padded.
	Tokens *tensors.Tensor
	// Labels is int32 [B, 14]: chexpert.State.Class() per observation.
	Labels *tensors.Tensor
	// Reports are the cleaned reports (untruncated), States the label states.
	Reports []string
	States  []chexpert.Labels
	// Annotated says, per study, whether its States come from the
	// annotation's ground-truth "labels" (false: from LabelFunc or blank).
	Annotated []bool
	// Indices are the positions of the studies in the loader's entries.
	Indices []int
}

// Finalize releases the batch's tensors.
func (b *Batch) Finalize() {
	for _, t := range []*tensors.Tensor{b.Images, b.Tokens, b.Labels} {
		if t != nil {
			_ = t.FinalizeAll()
		}
	}
}

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	BatchSize int
	MaxLen    int // token positions per report, including room for the end marker
	Views     int // 1: first image path; 2: first two (error if an entry lacks one)
	Transform Transform
	Shuffle   bool
	Seed      int64
	DropLast  bool
	// Prefetch bounds the batches being built or waiting ahead of the consumer
	// (0: Workers+1). Workers decode in parallel (0: GOMAXPROCS).
	Prefetch, Workers int
	// Cache keeps every decoded, resized image in memory (16-bit) after its
	// first use, so later epochs only crop, rotate and normalise.
	Cache bool
	// LabelFunc labels reports of entries without labels; nil → all Blank.
	LabelFunc func(report string) chexpert.Labels
	// Target, if set, rewrites a cleaned report into the decoder's training
	// target (e.g. labeler.CanonicalOrder); Batch.Reports stay the cleaned
	// reports.
	Target func(cleaned string) string
}

// Loader turns entries into batches: decoding and augmentation run on
// worker goroutines ahead of the consumer. For a given Seed the batches of
// an epoch are identical whatever the scheduling: the order comes from
// (Seed, epoch) and each image's augmentation from (Seed, epoch, entry, view).
type Loader struct {
	entries []Entry
	root    string
	cfg     LoaderConfig
	tokens  [][]int32 // truncated word ids per entry
	cleaned []string
	labels  []chexpert.Labels
	truth   []bool                        // labels from the annotation
	cache   []atomic.Pointer[cachedPlane] // entry*Views + view
}

type cachedPlane struct {
	w, h int
	pix  []uint16
}

// NewLoader validates the configuration and entries (every image file must
// exist), cleans, encodes and labels every report.
func NewLoader(entries []Entry, imageRoot string, vocab *Vocab, clean func(string) string, cfg LoaderConfig) (*Loader, error) {
	switch {
	case len(entries) == 0:
		return nil, errors.New("loader: no entries")
	case vocab == nil || clean == nil:
		return nil, errors.New("loader: vocabulary and cleaner are required")
	case cfg.BatchSize <= 0:
		return nil, errors.Errorf("loader: BatchSize must be > 0, got %d", cfg.BatchSize)
	case cfg.MaxLen < 2:
		return nil, errors.Errorf("loader: MaxLen must be >= 2, got %d", cfg.MaxLen)
	case cfg.Views != 1 && cfg.Views != 2:
		return nil, errors.Errorf("loader: Views must be 1 or 2, got %d", cfg.Views)
	case cfg.Prefetch < 0 || cfg.Workers < 0:
		return nil, errors.New("loader: Prefetch and Workers must be >= 0")
	}
	if err := cfg.Transform.Validate(); err != nil {
		return nil, errors.Wrap(err, "loader")
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = cfg.Workers + 1
	}
	l := &Loader{entries: entries, root: imageRoot, cfg: cfg,
		tokens: make([][]int32, len(entries)), cleaned: make([]string, len(entries)),
		labels: make([]chexpert.Labels, len(entries)), truth: make([]bool, len(entries))}
	if cfg.Cache {
		l.cache = make([]atomic.Pointer[cachedPlane], len(entries)*cfg.Views)
	}
	for i, e := range entries {
		if len(e.ImagePaths) < cfg.Views {
			return nil, errors.Errorf("loader: entry %d (id %q) has %d image path(s), Views=%d needs %d", i, e.ID, len(e.ImagePaths), cfg.Views, cfg.Views)
		}
		for v := range cfg.Views {
			p := filepath.Join(imageRoot, e.ImagePaths[v])
			if _, err := os.Stat(p); err != nil {
				return nil, errors.Errorf("loader: entry %d (id %q): image %s: %v", i, e.ID, p, errors.Cause(err))
			}
		}
		l.cleaned[i] = clean(e.Report)
		target := l.cleaned[i]
		if cfg.Target != nil {
			target = cfg.Target(target)
		}
		ids := vocab.Encode(target)
		if len(ids) > cfg.MaxLen-1 {
			ids = ids[:cfg.MaxLen-1]
		}
		l.tokens[i] = ids
		switch {
		case e.Labels != nil:
			l.labels[i] = *e.Labels
			l.truth[i] = true
		case cfg.LabelFunc != nil:
			l.labels[i] = cfg.LabelFunc(e.Report)
		}
	}
	return l, nil
}

// Len is the number of batches per epoch.
func (l *Loader) Len() int {
	n, b := len(l.entries), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Config returns the configuration with defaults applied.
func (l *Loader) Config() LoaderConfig { return l.cfg }

// Order returns the entry order of an epoch.
func (l *Loader) Order(epoch int) []int {
	n := len(l.entries)
	if !l.cfg.Shuffle {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	rng := rand.New(rand.NewPCG(mix(uint64(l.cfg.Seed), 0x5eed0de5), uint64(epoch)))
	return rng.Perm(n)
}

// mix is a splitmix64-style hash combining two words.
func mix(a, b uint64) uint64 {
	z := a ^ (b+0x9e3779b97f4a7c15)*0xbf58476d1ce4e5b9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// ExampleRNG is the random generator of one image's augmentation.
func ExampleRNG(seed int64, epoch, entry, view int) *rand.Rand {
	return rand.New(rand.NewPCG(mix(uint64(seed), uint64(epoch)), mix(uint64(entry), uint64(view)+0xa09e667f3bcc908b)))
}

// Preload decodes and caches every image on Workers goroutines (Cache must be set).
func (l *Loader) Preload() error {
	if l.cache == nil {
		return errors.New("loader: Preload needs Cache=true")
	}
	jobs := make(chan int)
	errs := make(chan error, l.cfg.Workers)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range l.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if failed.Load() {
					continue
				}
				for v := range l.cfg.Views {
					if _, err := l.resized(i, v); err != nil {
						failed.Store(true)
						errs <- err
						break
					}
				}
			}
		}()
	}
	for i := range l.entries {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

// resized returns the decoded image resized by the transform (cached when enabled).
func (l *Loader) resized(i, v int) (*Plane, error) {
	if l.cache != nil {
		if c := l.cache[i*l.cfg.Views+v].Load(); c != nil {
			p := &Plane{W: c.w, H: c.h, Pix: make([]float32, len(c.pix))}
			for k, x := range c.pix {
				p.Pix[k] = float32(x) / 65535
			}
			return p, nil
		}
	}
	path := filepath.Join(l.root, l.entries[i].ImagePaths[v])
	img, err := DecodeImage(path)
	if err != nil {
		return nil, errors.Wrapf(err, "entry %d (id %q)", i, l.entries[i].ID)
	}
	p := l.cfg.Transform.Resized(img)
	if l.cache != nil {
		c := &cachedPlane{w: p.W, h: p.H, pix: make([]uint16, len(p.Pix))}
		for k, x := range p.Pix {
			c.pix[k] = uint16(min(max(x, 0), 1)*65535 + 0.5)
		}
		l.cache[i*l.cfg.Views+v].Store(c)
		// Use the quantised values so cached and uncached epochs agree.
		for k, x := range c.pix {
			p.Pix[k] = float32(x) / 65535
		}
	}
	return p, nil
}

// Batch builds batch b of an epoch synchronously (Epoch runs this on workers).
func (l *Loader) Batch(epoch, b int) (*Batch, error) {
	return l.build(l.Order(epoch), epoch, b)
}

func (l *Loader) build(order []int, epoch, b int) (*Batch, error) {
	if b < 0 || b >= l.Len() {
		return nil, errors.Errorf("loader: batch %d out of range [0,%d)", b, l.Len())
	}
	lo := b * l.cfg.BatchSize
	hi := min(lo+l.cfg.BatchSize, len(order))
	idx := order[lo:hi]
	n, views := len(idx), l.cfg.Views
	s, c := l.cfg.Transform.Size(), l.cfg.Transform.NumChannels()
	per := s * s * c
	imgs := make([]float32, n*views*per)
	toks := make([]int32, n*l.cfg.MaxLen)
	labs := make([]int32, n*chexpert.NumObservations)
	out := &Batch{IDs: make([]string, n), Reports: make([]string, n), States: make([]chexpert.Labels, n), Annotated: make([]bool, n), Indices: append([]int(nil), idx...)}
	for k, i := range idx {
		out.IDs[k] = l.entries[i].ID
		out.Reports[k] = l.cleaned[i]
		out.States[k] = l.labels[i]
		out.Annotated[k] = l.truth[i]
		copy(toks[k*l.cfg.MaxLen:], l.tokens[i])
		for o, st := range l.labels[i] {
			labs[k*chexpert.NumObservations+o] = int32(st.Class())
		}
		for v := range views {
			p, err := l.resized(i, v)
			if err != nil {
				return nil, errors.Wrap(err, "loader")
			}
			var rng *rand.Rand
			if l.cfg.Transform.Train {
				rng = ExampleRNG(l.cfg.Seed, epoch, i, v)
			}
			off := (k*views + v) * per
			if _, err := l.cfg.Transform.Augment(p, rng, imgs[off:off+per]); err != nil {
				return nil, errors.Wrapf(err, "loader: entry %d (id %q) image %s", i, l.entries[i].ID, l.entries[i].ImagePaths[v])
			}
		}
	}
	out.Images = tensors.FromFlatDataAndDimensions(imgs, n, views, s, s, c)
	out.Tokens = tensors.FromFlatDataAndDimensions(toks, n, l.cfg.MaxLen)
	out.Labels = tensors.FromFlatDataAndDimensions(labs, n, chexpert.NumObservations)
	return out, nil
}

// Epoch yields the batches of one epoch in order, built ahead of the
// consumer by worker goroutines. Stopping the iteration early stops the workers.
func (l *Loader) Epoch(epoch int) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		nb := l.Len()
		if nb == 0 {
			return
		}
		order := l.Order(epoch)
		type result struct {
			b   *Batch
			err error
		}
		results := make([]chan result, nb)
		for i := range results {
			results[i] = make(chan result, 1)
		}
		done := make(chan struct{})
		jobs := make(chan int)
		slots := make(chan struct{}, l.cfg.Prefetch)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // dispatcher: at most Prefetch batches ahead of the consumer
			defer wg.Done()
			defer close(jobs)
			for b := range nb {
				select {
				case slots <- struct{}{}:
				case <-done:
					return
				}
				select {
				case jobs <- b:
				case <-done:
					return
				}
			}
		}()
		for range min(l.cfg.Workers, nb) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range jobs {
					select {
					case <-done:
						return
					default:
					}
					batch, err := l.build(order, epoch, b)
					results[b] <- result{batch, err}
				}
			}()
		}
		defer func() {
			close(done)
			wg.Wait()
		}()
		for b := range nb {
			r := <-results[b]
			<-slots
			if r.err != nil {
				yield(nil, r.err)
				return
			}
			if !yield(r.b, nil) {
				return
			}
		}
	}
}
