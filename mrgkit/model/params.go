// Package model builds mrgkit's report generator as GoMLX graph functions:
// ResNet visual encoder, knowledge graph, visual–knowledge fusion, diagnosis
// branch with adaptive logit adjustment, and the prompted report decoder.
//
// Every size and switch is a hyperparameter in the model.Store (see the
// Param* constants and Presets), so runs are reproducible from their
// checkpoint alone and ablations are the same code with switches off.
package model

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ui/commandline"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/hparams"
	"github.com/mrgkit/mrgkit/mrgkit/internal/usage"
)

// Hyperparameter keys (stored at the root scope of the model.Store).
const (
	ParamPreset        = "preset"
	ParamImageSize     = "image_size"     // crop size fed to the encoder
	ParamImageResize   = "image_resize"   // resize before cropping
	ParamImageChannels = "image_channels" // 1 (grayscale) or 3 (ImageNet-style)
	ParamViews         = "views"          // 1 (frontal) or 2 (frontal + lateral, patches concatenated)

	ParamEncArch     = "enc_arch"      // "kit" (stride-1 convolutions + space-to-depth) or "torchvision" (ImageNet-compatible ResNet v1.5)
	ParamEncFreeze   = "enc_freeze"    // encoder forward only: no encoder gradients, batch norm in inference mode
	ParamEncDepth    = "enc_depth"     // ResNet depth: 10, 18, 34 (basic) or 50, 101, 152 (bottleneck); torchvision: not 10
	ParamEncWidth    = "enc_width"     // channels of the first stage (64 in ResNet)
	ParamEncNorm     = "enc_norm"      // "batch", "layer" or "none"
	ParamEncStem     = "enc_stem"      // stem kernel size (7 in ResNet)
	ParamEncStemPool = "enc_stem_pool" // stem downsampling: "max" (conv then max-pool, ResNet) or "s2d" (space-to-depth then conv)

	ParamDModel   = "d_model"
	ParamNumHeads = "num_heads"
	ParamFFNDim   = "ffn_dim"
	ParamDropout  = "dropout"

	ParamUseGraph     = "use_graph"     // knowledge-graph node encoder
	ParamGraphLayers  = "graph_layers"  // graph-masked attention layers
	ParamGraphHeads   = "graph_heads"   //
	ParamGraphCooccur = "graph_cooccur" // weight edges by training-label co-occurrence

	ParamUseFusion    = "use_fusion" // visual–knowledge cross-attention fusion
	ParamFusionLayers = "fusion_layers"
	ParamFusionHeads  = "fusion_heads"
	ParamMemoryDim    = "memory_dim" // hidden size of the fusion output MLP

	ParamUsePrompts = "use_prompts" // diagnosis branch + label-state prompt tokens
	ParamDiagLayers = "diag_layers"
	ParamNumLabels  = "num_labels"
	ParamClsWeight  = "cls_weight" // weight of L_cls in the total loss
	// ParamPromptCond adds the sum of learned (observation, state)
	// embeddings of the prompts to every decoder input position, beside the
	// prompt tokens: a direct path from the diagnosis to every word.
	ParamPromptCond = "prompt_cond"
	// ParamNFRule makes the diagnosis the most probable label vector that
	// obeys the data's No Finding rule (ConsistentLabels) instead of each
	// observation's own argmax, which can say "nothing found" and "No
	// Finding blank" at once: a prompt no training report has, which no
	// generated text can agree with.
	ParamNFRule = "nf_rule"

	ParamDecLayers      = "dec_layers"
	ParamMaxLen         = "max_len"    // report tokens incl. EOS
	ParamVocabSize      = "vocab_size" // words incl. <unk> (R2Gen's get_vocab_size); set from data
	ParamLabelSmoothing = "label_smoothing"
)

// EOSID is the decoder's end-of-report token id. Word ids from the data
// vocabulary (1..vocab_size) are used as they are; 0 is both padding and EOS
// (as in R2Gen), and BOS gets its own id after the words (BOSID).
const EOSID = 0

// BOSID returns the BOS token id for a vocabulary of the given size.
func BOSID(vocabSize int) int { return vocabSize + 1 }

// NumTokens is the size of the decoder's embedding/output table.
func NumTokens(vocabSize int) int { return vocabSize + 2 }

// The model hyperparameters: their defaults are the `cpu` preset's values.
func init() {
	hparams.Register("model", specs...)
}

var specs = []hparams.Spec{
	// A run made before preset was recorded has none: "".
	{Key: ParamPreset, Default: "cpu", Legacy: "", Doc: "the preset the run was configured from (set by Configure)"},
	{Key: ParamImageSize, Default: 64, Range: "[16,)", Doc: "crop size fed to the encoder (a multiple of 16)"},
	{Key: ParamImageResize, Default: 72, Range: "[16,)", Doc: "the shorter side is resized to this before cropping (>= image_size)"},
	{Key: ParamImageChannels, Default: 1, Range: "[1,3]", Doc: "1 (grayscale) or 3 (ImageNet-style RGB)"},
	{Key: ParamViews, Default: 2, Range: "[1,2]", Doc: "1 (frontal) or 2 (frontal + lateral, patches concatenated)"},

	{Key: ParamEncArch, Default: ArchKit, Choices: []string{ArchKit, ArchTorchvision}, Doc: "kit (stride-1 convolutions + space-to-depth) or torchvision (ImageNet-compatible ResNet v1.5)"},
	{Key: ParamEncFreeze, Default: false, Doc: "encoder forward only: no encoder gradients, batch norm in inference mode (torchvision only)"},
	{Key: ParamEncDepth, Default: 10, Range: "[10,152]", Doc: "ResNet depth: 10, 18, 34 (basic) or 50, 101, 152 (bottleneck); torchvision: not 10"},
	{Key: ParamEncWidth, Default: 16, Range: "[4,)", Doc: "channels of the first stage (64 in ResNet)"},
	{Key: ParamEncNorm, Default: "batch", Choices: []string{"batch", "layer", "none"}, Doc: "encoder normalisation"},
	{Key: ParamEncStem, Default: 3, Range: "[1,)", Doc: "stem kernel size, odd (7 in ResNet)"},
	// Runs made before enc_stem_pool existed used ResNet's max-pool stem.
	{Key: ParamEncStemPool, Default: "s2d", Legacy: "max", Choices: []string{"max", "s2d"}, Doc: "stem downsampling: max (conv then max-pool, ResNet) or s2d (space-to-depth then conv)"},

	{Key: ParamDModel, Default: 128, Range: "[8,)", Doc: "model width"},
	{Key: ParamNumHeads, Default: 4, Range: "[1,)", Doc: "attention heads of the decoder (must divide d_model)"},
	{Key: ParamFFNDim, Default: 256, Range: "[1,)", Doc: "hidden size of the feed-forward blocks"},
	{Key: ParamDropout, Default: 0.0, Range: "[0,1)", Doc: "dropout rate (the cpu preset's few epochs do not overfit; the paper preset uses 0.1)"},

	{Key: ParamUseGraph, Default: true, Doc: "knowledge-graph node encoder"},
	{Key: ParamGraphLayers, Default: 2, Range: "[1,)", Doc: "graph-masked attention layers"},
	{Key: ParamGraphHeads, Default: 4, Range: "[1,)", Doc: "heads of the graph attention (must divide d_model)"},
	{Key: ParamGraphCooccur, Default: false, Doc: "weight edges by training-label co-occurrence"},

	{Key: ParamUseFusion, Default: true, Doc: "visual–knowledge cross-attention fusion (needs use_graph)"},
	{Key: ParamFusionLayers, Default: 1, Range: "[1,)", Doc: "fusion layers"},
	{Key: ParamFusionHeads, Default: 4, Range: "[1,)", Doc: "heads of the fusion attention (must divide d_model)"},
	{Key: ParamMemoryDim, Default: 256, Range: "[1,)", Doc: "hidden size of the fusion output MLP"},

	{Key: ParamUsePrompts, Default: true, Doc: "diagnosis branch + label-state prompt tokens"},
	{Key: ParamDiagLayers, Default: 1, Range: "[1,)", Doc: "diagnosis-branch decoder layers"},
	{Key: ParamNumLabels, Default: 14, Range: "[14,14]", Doc: "the 14 CheXpert observations the data carries (auxiliary labels are not supported)"},
	{Key: ParamClsWeight, Default: 4.0, Range: "[0,)", Doc: "weight of L_cls in the total loss"},
	// Runs made before prompt_cond existed have no such key: false.
	{Key: ParamPromptCond, Default: true, Legacy: false, Doc: "add the learned (observation, state) embeddings of the prompts to every decoder input position"},
	// Likewise nf_rule: old runs keep their own No Finding argmax.
	{Key: ParamNFRule, Default: true, Legacy: false, Doc: "the diagnosis is the most probable label vector that obeys the No Finding rule (else the per-label argmax)"},

	{Key: ParamDecLayers, Default: 2, Range: "[1,)", Doc: "report-decoder layers"},
	// report_order=planned adds a plan word per sentence (toycxr targets:
	// median 34 tokens, p99 66, 0.4% longer than 71). Legacy: a run with no
	// max_len recorded was made with 60.
	{Key: ParamMaxLen, Default: 72, Legacy: 60, Range: "[4,)", Doc: "report tokens incl. EOS"},
	{Key: ParamVocabSize, Default: 0, Range: "[0,)", Doc: "words incl. <unk> (R2Gen's get_vocab_size); set from the data"},
	{Key: ParamLabelSmoothing, Default: 0.1, Range: "[0,1)", Doc: "label smoothing of L_lm"},
}

// Defaults returns every model hyperparameter with its default value (the
// `cpu` preset's values), from the registry.
func Defaults() map[string]any {
	out := map[string]any{}
	for _, s := range hparams.Of("model") {
		out[s.Key] = s.Default
	}
	return out
}

// Presets are named sets of overrides of Defaults.
var Presets = map[string]map[string]any{
	// tiny: unit tests, seconds.
	"tiny": {
		ParamImageSize: 32, ParamImageResize: 36, ParamEncWidth: 8,
		ParamDModel: 32, ParamNumHeads: 2, ParamFFNDim: 64, ParamMemoryDim: 64,
		ParamGraphLayers: 1, ParamGraphHeads: 2, ParamFusionHeads: 2, ParamDecLayers: 1,
		ParamMaxLen: 24, ParamDropout: 0.0,
	},
	// cpu: the demo; trains in minutes on 2 cores.
	"cpu": {},
	// paper: the reference sizes (GPU). torchvision's ResNet-101 at 224 px
	// (ImageNet weights via `mrg weights import`), 768-d.
	"paper": {
		ParamImageSize: 224, ParamImageResize: 256, ParamImageChannels: 3,
		ParamEncArch: ArchTorchvision, ParamEncDepth: 101, ParamEncWidth: 64, ParamEncStem: 7, ParamEncStemPool: "max",
		ParamDModel: 768, ParamNumHeads: 12, ParamFFNDim: 1024, ParamMemoryDim: 1024,
		ParamGraphLayers: 2, ParamGraphHeads: 6, ParamFusionLayers: 2, ParamFusionHeads: 16,
		ParamDiagLayers: 2, ParamDecLayers: 12, ParamMaxLen: 60, ParamDropout: 0.1,
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Configure sets every default hyperparameter in the store, then the preset's
// overrides, then `extra` (the -set flag syntax "k=v;k2=v2", see ParseSet).
func Configure(store *model.Store, preset, extra string) error {
	over, ok := Presets[preset]
	if !ok {
		return usage.Wrap(errors.Errorf("unknown preset %q (known: %s)", preset, strings.Join(PresetNames(), ", ")))
	}
	hparams.SetDefaults(store, "model")
	root := store.RootScope()
	for k, v := range over {
		root.SetParam(k, v)
	}
	root.SetParam(ParamPreset, preset)
	if extra != "" {
		if err := ParseSet(store, extra); err != nil {
			return err
		}
	}
	return usage.Wrap(Validate(store))
}

// ParseSet applies a -set string ("k=v;k2=v2") to the store with GoMLX's
// commandline.ParseSettings, which refuses unknown keys. Numbers and
// booleans are checked first, so that a value GoMLX's JSON parser would
// refuse with a syntax error ("lr=NaN", "lr=inf", "lr=1e400", "epochs=2.5",
// "use_graph=yes") gets one message naming the key and what it wants.
// Older key names (hparams aliases: lr, adam_eps, ...) are accepted.
// Ranges are Validate's. Its errors are usage errors.
func ParseSet(store *model.Store, set string) error {
	for _, s := range strings.Split(set, ";") {
		k, v, ok := strings.Cut(s, "=")
		if !ok || strings.HasPrefix(s, "file:") || strings.Contains(v, "=") {
			continue // GoMLX's own message
		}
		key := hparams.Canonical(model.BasePath(k)) // an alias names its key
		cur, found := store.GetParam(key)
		if !found {
			continue
		}
		if want := checkSetValue(cur, v); want != "" {
			return usage.Wrap(errors.Errorf("-set %s=%s: %s must be %s", k, v, key, want))
		}
	}
	if _, err := commandline.ParseSettings(store, hparams.CanonicalSet(set)); err != nil {
		return usage.Wrap(errors.Wrapf(err, "-set %q", set))
	}
	return nil
}

// checkSetValue returns what a -set value for a parameter whose current
// value is cur must be, or "" if v is one.
func checkSetValue(cur any, v string) string {
	switch cur.(type) {
	case float64, float32:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "a number"
		}
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "a finite number"
		}
		if _, isF32 := cur.(float32); isF32 && math.Abs(f) > math.MaxFloat32 {
			return "a finite number"
		}
	case int, int32, int64:
		if _, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64); err != nil {
			return "a whole number"
		}
	case bool:
		if v != "true" && v != "false" {
			return "true or false"
		}
	}
	return ""
}

// Config is a typed snapshot of the model hyperparameters.
type Config struct {
	ImageSize, ImageResize, Channels, Views int
	EncDepth, EncWidth, EncStem             int
	EncNorm, EncStemPool                    string
	EncArch                                 string
	EncFreeze                               bool
	D, Heads, FFN                           int
	Dropout                                 float64
	UseGraph                                bool
	GraphLayers, GraphHeads                 int
	GraphCooccur                            bool
	UseFusion                               bool
	FusionLayers, FusionHeads, MemoryDim    int
	UsePrompts                              bool
	DiagLayers, NumLabels                   int
	ClsWeight                               float64
	PromptCond                              bool
	NFRule                                  bool
	DecLayers, MaxLen, VocabSize            int
	LabelSmoothing                          float64
}

// ReadConfig reads the typed Config from the store's root hyperparameters.
func ReadConfig(store *model.Store) Config {
	s := store.RootScope()
	return Config{
		ImageSize:      hparams.Int(s, ParamImageSize),
		ImageResize:    hparams.Int(s, ParamImageResize),
		Channels:       hparams.Int(s, ParamImageChannels),
		Views:          hparams.Int(s, ParamViews),
		EncArch:        hparams.String(s, ParamEncArch),
		EncFreeze:      hparams.Bool(s, ParamEncFreeze),
		EncDepth:       hparams.Int(s, ParamEncDepth),
		EncWidth:       hparams.Int(s, ParamEncWidth),
		EncStem:        hparams.Int(s, ParamEncStem),
		EncNorm:        hparams.String(s, ParamEncNorm),
		EncStemPool:    hparams.String(s, ParamEncStemPool),
		D:              hparams.Int(s, ParamDModel),
		Heads:          hparams.Int(s, ParamNumHeads),
		FFN:            hparams.Int(s, ParamFFNDim),
		Dropout:        hparams.Float(s, ParamDropout),
		UseGraph:       hparams.Bool(s, ParamUseGraph),
		GraphLayers:    hparams.Int(s, ParamGraphLayers),
		GraphHeads:     hparams.Int(s, ParamGraphHeads),
		GraphCooccur:   hparams.Bool(s, ParamGraphCooccur),
		UseFusion:      hparams.Bool(s, ParamUseFusion),
		FusionLayers:   hparams.Int(s, ParamFusionLayers),
		FusionHeads:    hparams.Int(s, ParamFusionHeads),
		MemoryDim:      hparams.Int(s, ParamMemoryDim),
		UsePrompts:     hparams.Bool(s, ParamUsePrompts),
		DiagLayers:     hparams.Int(s, ParamDiagLayers),
		NumLabels:      hparams.Int(s, ParamNumLabels),
		ClsWeight:      hparams.Float(s, ParamClsWeight),
		PromptCond:     hparams.Bool(s, ParamPromptCond),
		NFRule:         hparams.Bool(s, ParamNFRule),
		DecLayers:      hparams.Int(s, ParamDecLayers),
		MaxLen:         hparams.Int(s, ParamMaxLen),
		VocabSize:      hparams.Int(s, ParamVocabSize),
		LabelSmoothing: hparams.Float(s, ParamLabelSmoothing),
	}
}

// Validate checks the hyperparameters: each against its declaration
// (hparams: type, range, choices), then what the declarations cannot say
// (multiples, divisors, combinations).
func Validate(store *model.Store) error {
	if err := hparams.Validate(store); err != nil {
		return err
	}
	c := ReadConfig(store)
	var errs []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	check(c.ImageSize%16 == 0, "%s=%d: must be a multiple of 16, >= 16", ParamImageSize, c.ImageSize)
	check(c.ImageResize >= c.ImageSize, "%s=%d: must be >= %s=%d", ParamImageResize, c.ImageResize, ParamImageSize, c.ImageSize)
	check(c.Channels == 1 || c.Channels == 3, "%s=%d: must be 1 or 3", ParamImageChannels, c.Channels)
	_, _, err := stageBlocks(c.EncDepth)
	check(err == nil, "%s=%d: %v", ParamEncDepth, c.EncDepth, err)
	check(!c.EncFreeze || c.EncArch == ArchTorchvision, "%s=true: only with %s=%s (ImageNet weights)", ParamEncFreeze, ParamEncArch, ArchTorchvision)
	if c.EncArch == ArchTorchvision {
		check(c.EncDepth != 10, "%s=%d: %s=%s has depths 18, 34, 50, 101 and 152", ParamEncDepth, c.EncDepth, ParamEncArch, ArchTorchvision)
		check(c.Channels == 3, "%s=%d: %s=%s needs 3 (grey images are replicated to RGB)", ParamImageChannels, c.Channels, ParamEncArch, ArchTorchvision)
		check(c.ImageSize%32 == 0, "%s=%d: %s=%s needs a multiple of 32", ParamImageSize, c.ImageSize, ParamEncArch, ArchTorchvision)
	}
	check(c.EncStem%2 == 1, "%s=%d: must be odd", ParamEncStem, c.EncStem)
	check(c.D%c.Heads == 0, "%s=%d: must divide %s=%d", ParamNumHeads, c.Heads, ParamDModel, c.D)
	check(c.D%c.GraphHeads == 0, "%s=%d: must divide %s=%d", ParamGraphHeads, c.GraphHeads, ParamDModel, c.D)
	check(c.D%c.FusionHeads == 0, "%s=%d: must divide %s=%d", ParamFusionHeads, c.FusionHeads, ParamDModel, c.D)
	check(!c.UseFusion || c.UseGraph, "%s=true needs %s=true", ParamUseFusion, ParamUseGraph)
	if len(errs) > 0 {
		return errors.New("invalid hyperparameters: " + strings.Join(errs, "; "))
	}
	return nil
}
