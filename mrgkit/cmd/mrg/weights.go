package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mrgkit/mrgkit/mrgkit/weights"
)

func init() {
	register(verb{name: "weights", summary: "pretrained encoders: import | features", run: runWeights})
}

const weightsUsage = `usage: mrg weights <command> [flags]

commands:
  import -arch resnet18|resnet34|resnet50|resnet101|resnet152 -in FILE -out DIR
        convert a torchvision/timm ResNet state dict (.pth saved by torch.save,
        or .safetensors) into a GoMLX checkpoint for mrg train -init-encoder DIR
  features -ckpt DIR -image X.png [-image Y.png]
        print the encoder's pooled features of one study as JSON
        {"global": [...], "patches_shape": [...]} (evaluation transform, inference mode)`

func runWeights(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, weightsUsage)
		return usagef("missing command (import or features)")
	}
	switch args[0] {
	case "import":
		return weightsImport(args[1:], stdout, stderr)
	case "features":
		return weightsFeatures(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stderr, weightsUsage)
		return flag.ErrHelp
	}
	fmt.Fprintln(stderr, weightsUsage)
	return usagef("unknown command %q (want import or features)", args[0])
}

func weightsImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("weights import", stderr)
	arch := fs.String("arch", "", "torchvision architecture: resnet18, resnet34, resnet50, resnet101 or resnet152 (required)")
	in := fs.String("in", "", "state dict file: .pth (torch.save(model.state_dict(), ...)) or .safetensors (required)")
	out := fs.String("out", "", "checkpoint directory to create; must not exist or be empty (required)")
	if err := dataParseFlags(fs, args); err != nil {
		return err
	}
	if *arch == "" || *in == "" || *out == "" {
		return usagef("-arch, -in and -out are required")
	}
	sum, err := weights.Import(*arch, *in, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s (%s, ResNet-%d): %d encoder variables, %d entries ignored (fc, num_batches_tracked) -> %s\n",
		*in, sum.Format, sum.Depth, sum.Variables, sum.Ignored, *out)
	return nil
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func weightsFeatures(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("weights features", stderr)
	ckpt := fs.String("ckpt", "", "GoMLX checkpoint directory (from mrg weights import, or a run's best/) (required)")
	var images repeated
	fs.Var(&images, "image", "image file; give it twice for a frontal + lateral study (required)")
	if err := dataParseFlags(fs, args); err != nil {
		return err
	}
	if *ckpt == "" || len(images) == 0 {
		return usagef("-ckpt and -image are required")
	}
	res, err := weights.Features(nil, *ckpt, images)
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}
