// Package data owns mrgkit's datasets: R2Gen-format annotations, R2Gen-exact
// report cleaning and vocabulary, image decoding/augmentation and the batch loader.
//
// Data flows one way: this package imports only chexpert and GoMLX's tensors;
// models, training and evaluation build on it.
package data
