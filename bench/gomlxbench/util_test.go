package gomlxbench

import (
	"github.com/pkg/errors"

	"github.com/mrgkit/mrgkit/mrgkit/backend"
)

func asUnsupported(err error, u **backend.UnsupportedOpError) bool { return errors.As(err, u) }
