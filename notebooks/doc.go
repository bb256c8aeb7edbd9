// Package notebooks holds mrgkit's GoNB notebooks (*.ipynb), committed with
// the outputs of a full run (make notebooks-outputs), and the tests that run
// each of them in headless Chromium against a Jupyter Notebook server, in
// smoke mode, and check that the committed outputs are complete and current.
package notebooks
