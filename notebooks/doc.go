// Package notebooks holds mrgkit's GoNB notebooks (*.ipynb) and the test
// that executes each of them headless, in smoke mode, through Jupyter.
package notebooks
