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
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ui/commandline"
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
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

// Special token ids of the decoder's output vocabulary. Word ids from the
// data vocabulary (1..vocab_size) are used as they are; 0 is padding and EOS
// (as in R2Gen), and BOS gets its own id after the words.
const (
	PadID = 0
	EOSID = 0
)

// BOSID returns the BOS token id for a vocabulary of the given size.
func BOSID(vocabSize int) int { return vocabSize + 1 }

// NumTokens is the size of the decoder's embedding/output table.
func NumTokens(vocabSize int) int { return vocabSize + 2 }

// Defaults returns every model hyperparameter with its default value (the
// `cpu` preset's values).
func Defaults() map[string]any {
	return map[string]any{
		ParamPreset:        "cpu",
		ParamImageSize:     64,
		ParamImageResize:   72,
		ParamImageChannels: 1,
		ParamViews:         2,

		ParamEncArch:     ArchKit,
		ParamEncFreeze:   false,
		ParamEncDepth:    10,
		ParamEncWidth:    16,
		ParamEncNorm:     "batch",
		ParamEncStem:     3,
		ParamEncStemPool: "s2d",

		ParamDModel:   128,
		ParamNumHeads: 4,
		ParamFFNDim:   256,
		ParamDropout:  0.0, // the cpu preset's few epochs do not overfit; the paper preset uses 0.1

		ParamUseGraph:     true,
		ParamGraphLayers:  2,
		ParamGraphHeads:   4,
		ParamGraphCooccur: false,

		ParamUseFusion:    true,
		ParamFusionLayers: 1,
		ParamFusionHeads:  4,
		ParamMemoryDim:    256,

		ParamUsePrompts: true,
		ParamDiagLayers: 1,
		ParamNumLabels:  14,
		ParamClsWeight:  4.0,
		ParamPromptCond: true,
		ParamNFRule:     true,

		ParamDecLayers:      2,
		ParamMaxLen:         72, // report_order=planned adds a plan word per sentence (toycxr targets: median 34 tokens, p99 66, 0.4% longer than 71)
		ParamVocabSize:      0,
		ParamLabelSmoothing: 0.1,
	}
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
// overrides, then `extra` (the -set flag syntax "k=v;k2=v2", parsed by GoMLX's
// commandline.ParseSettings, which rejects unknown keys and wrong types).
func Configure(store *model.Store, preset, extra string) error {
	over, ok := Presets[preset]
	if !ok {
		return errors.Errorf("unknown preset %q (known: %s)", preset, strings.Join(PresetNames(), ", "))
	}
	root := store.RootScope()
	for k, v := range Defaults() {
		if _, found := root.GetParam(k); !found {
			root.SetParam(k, v)
		}
	}
	for k, v := range over {
		root.SetParam(k, v)
	}
	root.SetParam(ParamPreset, preset)
	if extra != "" {
		if _, err := commandline.ParseSettings(store, extra); err != nil {
			return errors.Wrapf(err, "-set %q", extra)
		}
	}
	return Validate(store)
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
		ImageSize:    model.GetParamOr(s, ParamImageSize, 64),
		ImageResize:  model.GetParamOr(s, ParamImageResize, 72),
		Channels:     model.GetParamOr(s, ParamImageChannels, 1),
		Views:        model.GetParamOr(s, ParamViews, 2),
		EncArch:      model.GetParamOr(s, ParamEncArch, ArchKit),
		EncFreeze:    model.GetParamOr(s, ParamEncFreeze, false),
		EncDepth:     model.GetParamOr(s, ParamEncDepth, 10),
		EncWidth:     model.GetParamOr(s, ParamEncWidth, 16),
		EncStem:      model.GetParamOr(s, ParamEncStem, 3),
		EncNorm:      model.GetParamOr(s, ParamEncNorm, "batch"),
		EncStemPool:  model.GetParamOr(s, ParamEncStemPool, "max"),
		D:            model.GetParamOr(s, ParamDModel, 128),
		Heads:        model.GetParamOr(s, ParamNumHeads, 4),
		FFN:          model.GetParamOr(s, ParamFFNDim, 256),
		Dropout:      model.GetParamOr(s, ParamDropout, 0.1),
		UseGraph:     model.GetParamOr(s, ParamUseGraph, true),
		GraphLayers:  model.GetParamOr(s, ParamGraphLayers, 2),
		GraphHeads:   model.GetParamOr(s, ParamGraphHeads, 4),
		GraphCooccur: model.GetParamOr(s, ParamGraphCooccur, false),
		UseFusion:    model.GetParamOr(s, ParamUseFusion, true),
		FusionLayers: model.GetParamOr(s, ParamFusionLayers, 1),
		FusionHeads:  model.GetParamOr(s, ParamFusionHeads, 4),
		MemoryDim:    model.GetParamOr(s, ParamMemoryDim, 256),
		UsePrompts:   model.GetParamOr(s, ParamUsePrompts, true),
		DiagLayers:   model.GetParamOr(s, ParamDiagLayers, 1),
		NumLabels:    model.GetParamOr(s, ParamNumLabels, 14),
		ClsWeight:    model.GetParamOr(s, ParamClsWeight, 4.0),
		// Runs made before prompt_cond existed have no such key: false.
		PromptCond: model.GetParamOr(s, ParamPromptCond, false),
		// Likewise nf_rule: old runs keep their own No Finding argmax.
		NFRule:         model.GetParamOr(s, ParamNFRule, false),
		DecLayers:      model.GetParamOr(s, ParamDecLayers, 2),
		MaxLen:         model.GetParamOr(s, ParamMaxLen, 60),
		VocabSize:      model.GetParamOr(s, ParamVocabSize, 0),
		LabelSmoothing: model.GetParamOr(s, ParamLabelSmoothing, 0.1),
	}
}

// Validate checks ranges and consistency of the hyperparameters.
func Validate(store *model.Store) error {
	c := ReadConfig(store)
	var errs []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	check(c.ImageSize >= 16 && c.ImageSize%16 == 0, "%s=%d: must be a multiple of 16, >= 16", ParamImageSize, c.ImageSize)
	check(c.ImageResize >= c.ImageSize, "%s=%d: must be >= %s=%d", ParamImageResize, c.ImageResize, ParamImageSize, c.ImageSize)
	check(c.Channels == 1 || c.Channels == 3, "%s=%d: must be 1 or 3", ParamImageChannels, c.Channels)
	check(c.Views == 1 || c.Views == 2, "%s=%d: must be 1 or 2", ParamViews, c.Views)
	_, _, err := stageBlocks(c.EncDepth)
	check(err == nil, "%s=%d: %v", ParamEncDepth, c.EncDepth, err)
	check(c.EncWidth >= 4, "%s=%d: must be >= 4", ParamEncWidth, c.EncWidth)
	check(c.EncArch == ArchKit || c.EncArch == ArchTorchvision, "%s=%q: must be %s or %s", ParamEncArch, c.EncArch, ArchKit, ArchTorchvision)
	check(!c.EncFreeze || c.EncArch == ArchTorchvision, "%s=true: only with %s=%s (ImageNet weights)", ParamEncFreeze, ParamEncArch, ArchTorchvision)
	if c.EncArch == ArchTorchvision {
		check(c.EncDepth != 10, "%s=%d: %s=%s has depths 18, 34, 50, 101 and 152", ParamEncDepth, c.EncDepth, ParamEncArch, ArchTorchvision)
		check(c.Channels == 3, "%s=%d: %s=%s needs 3 (grey images are replicated to RGB)", ParamImageChannels, c.Channels, ParamEncArch, ArchTorchvision)
		check(c.ImageSize%32 == 0, "%s=%d: %s=%s needs a multiple of 32", ParamImageSize, c.ImageSize, ParamEncArch, ArchTorchvision)
	}
	check(c.EncStem%2 == 1 && c.EncStem >= 1, "%s=%d: must be odd", ParamEncStem, c.EncStem)
	check(c.EncNorm == "batch" || c.EncNorm == "layer" || c.EncNorm == "none", "%s=%q: must be batch, layer or none", ParamEncNorm, c.EncNorm)
	check(c.EncStemPool == "max" || c.EncStemPool == "s2d", "%s=%q: must be max or s2d", ParamEncStemPool, c.EncStemPool)
	check(c.D >= 8, "%s=%d: must be >= 8", ParamDModel, c.D)
	check(c.Heads >= 1 && c.D%c.Heads == 0, "%s=%d: must divide %s=%d", ParamNumHeads, c.Heads, ParamDModel, c.D)
	check(c.GraphHeads >= 1 && c.D%c.GraphHeads == 0, "%s=%d: must divide %s=%d", ParamGraphHeads, c.GraphHeads, ParamDModel, c.D)
	check(c.FusionHeads >= 1 && c.D%c.FusionHeads == 0, "%s=%d: must divide %s=%d", ParamFusionHeads, c.FusionHeads, ParamDModel, c.D)
	check(c.FFN >= 1 && c.MemoryDim >= 1, "%s and %s must be positive", ParamFFNDim, ParamMemoryDim)
	check(c.Dropout >= 0 && c.Dropout < 1, "%s=%g: must be in [0,1)", ParamDropout, c.Dropout)
	check(c.GraphLayers >= 1 && c.FusionLayers >= 1 && c.DiagLayers >= 1 && c.DecLayers >= 1, "layer counts must be >= 1")
	// The data pipeline, the labeler and the metrics carry the 14 CheXpert
	// observations; the reference's 4 auxiliary ones are not supported.
	check(c.NumLabels == chexpert.NumObservations, "%s=%d: must be %d (the CheXpert observations the data carries; auxiliary labels are not supported)",
		ParamNumLabels, c.NumLabels, chexpert.NumObservations)
	check(c.ClsWeight >= 0, "%s=%g: must be >= 0", ParamClsWeight, c.ClsWeight)
	check(c.MaxLen >= 4, "%s=%d: must be >= 4", ParamMaxLen, c.MaxLen)
	check(c.VocabSize >= 0, "%s=%d: must be >= 0", ParamVocabSize, c.VocabSize)
	check(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1, "%s=%g: must be in [0,1)", ParamLabelSmoothing, c.LabelSmoothing)
	check(!c.UseFusion || c.UseGraph, "%s=true needs %s=true", ParamUseFusion, ParamUseGraph)
	if len(errs) > 0 {
		return errors.New("invalid hyperparameters: " + strings.Join(errs, "; "))
	}
	return nil
}
