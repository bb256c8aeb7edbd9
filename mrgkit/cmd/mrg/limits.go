package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/mrgkit/mrgkit/mrgkit/data"
)

// imageLimitFlags adds -max-image-mb and -max-image-pixels to a verb that
// reads images, and resets the limits to their defaults for this command.
func imageLimitFlags(fs *flag.FlagSet) {
	data.Limits = data.DefaultImageLimits
	fs.Func("max-image-mb", fmt.Sprintf("largest image file read, in MiB (default %d)", data.DefaultImageLimits.MaxBytes>>20), func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 1 || v > 1<<20 {
			return fmt.Errorf("want a whole number of MiB in [1, %d], got %q", 1<<20, s)
		}
		data.Limits.MaxBytes = v << 20
		return nil
	})
	fs.Func("max-image-pixels", fmt.Sprintf("largest image (width x height) decoded (default %d)", data.DefaultImageLimits.MaxPixels), func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 1 || v > 1<<40 {
			return fmt.Errorf("want a whole number of pixels in [1, %d], got %q", int64(1)<<40, s)
		}
		data.Limits.MaxPixels = v
		return nil
	})
}
