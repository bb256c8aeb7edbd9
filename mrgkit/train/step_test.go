package train

import (
	"math/rand"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
	mrgmodel "github.com/mrgkit/mrgkit/mrgkit/model"
)

func TestTinyTrainStepSmoke(t *testing.T) {
	for _, cfg := range []string{backend.GoConfig, "onnx:cpu"} {
		t.Run(cfg, func(t *testing.T) {
			if cfg == "onnx:cpu" && backend.ONNXLibrary() == "" {
				t.Skip("no ONNX Runtime library")
			}
			be, err := backend.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			store := model.NewStore()
			if err := mrgmodel.Configure(store, "tiny", "vocab_size=50"); err != nil {
				t.Fatal(err)
			}
			store.RootScope().SetParam(ParamTotalSteps, 100)
			store.RootScope().SetParam(ParamLR, 1e-3)
			c := mrgmodel.ReadConfig(store)
			exec, err := model.NewExec(be, store, TeacherStepGraph(AdamW{}))
			if err != nil {
				t.Fatal(err)
			}
			b := 4
			rng := rand.New(rand.NewSource(1))
			img := make([]float32, b*2*c.ImageSize*c.ImageSize*c.Channels)
			for i := range img {
				img[i] = rng.Float32()
			}
			toks := make([]int32, b*c.MaxLen)
			for i := 0; i < b; i++ {
				for j := 0; j < 10; j++ {
					toks[i*c.MaxLen+j] = int32(1 + rng.Intn(50))
				}
			}
			labels := make([]int32, b*c.NumLabels)
			for i := range labels {
				labels[i] = int32(rng.Intn(4))
			}
			images := tensors.FromFlatDataAndDimensions(img, b, 2, c.ImageSize, c.ImageSize, c.Channels)
			tt := tensors.FromFlatDataAndDimensions(toks, b, c.MaxLen)
			lt := tensors.FromFlatDataAndDimensions(labels, b, c.NumLabels)
			var first, last float32
			for step := 0; step < 30; step++ {
				start := time.Now()
				out, err := exec.Exec(images, tt, lt)
				if err != nil {
					t.Fatal(err)
				}
				loss := out[0].Value().(float32)
				if step == 0 {
					first = loss
					t.Logf("first step %s loss=%g lm=%v cls=%v lr=%v", time.Since(start), loss, out[1].Value(), out[2].Value(), out[3].Value())
				}
				last = loss
			}
			t.Logf("loss %g -> %g", first, last)
			if !(last < first) {
				t.Errorf("loss did not decrease: %g -> %g", first, last)
			}
		})
	}
}
