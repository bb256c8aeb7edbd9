// Package metrics owns the report-generation metrics: coco-caption-exact
// BLEU-1..4, ROUGE-L and CIDEr-D, a METEOR 1.5 re-implementation, and the
// clinical-efficacy (CE) precision/recall/F1 over CheXpert labels, and
// paired significance tests between two systems on the same studies
// (Compare: approximate randomization and bootstrap CIs, corpus metrics
// recomputed per resample from per-study sufficient statistics).
//
// The NLG scorers take the same inputs as pycocoevalcap's scorers as R2Gen
// calls them: gts maps an id to its reference strings, res maps the same ids
// to exactly one hypothesis string. No PTB tokenizer is applied: BLEU and
// CIDEr split on Python's str.split() whitespace, ROUGE-L on single spaces
// (str.split(" ")), exactly like the reference code.
package metrics
