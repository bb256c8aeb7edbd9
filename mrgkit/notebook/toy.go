package notebook

import (
	"fmt"

	"github.com/mrgkit/mrgkit/mrgkit/toycxr"
)

// ToyCXR returns the directory of the synthetic dataset the notebooks use,
// generating it on first use: toycxr.DefaultConfig() in data/toycxr, or in
// smoke mode toycxr.SmallConfig() in data/toycxr_small.
func ToyCXR() (dir string, cfg toycxr.Config, err error) {
	name, cfg := "toycxr", toycxr.DefaultConfig()
	if Smoke() {
		name, cfg = "toycxr_small", toycxr.SmallConfig()
	}
	if dir, err = DataDir(name); err != nil {
		return "", cfg, err
	}
	err = EnsureDataset(dir, func(d string) error {
		fmt.Fprintf(Out, "generating the synthetic dataset into %s ...\n", d)
		return toycxr.Generate(d, cfg, Out)
	})
	return dir, cfg, err
}
