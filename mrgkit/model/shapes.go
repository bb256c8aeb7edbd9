package model

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

const dtypesFloat = dtypes.Float32

func shapeFloat(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
func shapeInt32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }
