// ortprof runs an ONNX model (a GoMLX train step exported by
// `gostep -save-onnx`) in ONNX Runtime with its profiler on, feeding every
// input constant data of its declared shape, and prints the median wall time
// of a run. ONNX Runtime writes its JSON profile to <prefix>_<date>.json;
// bench/ortprof/summarize.py sums it per op type.
//
//	ortprof model.onnx prefix [runs=8] [intra_op_threads=1] [inter_op_threads=0] [parallel=0]
//
// Built by bench/ortprof/run.sh against ~/.local/lib/onnxruntime and the C
// API header of the compute-onnx module in the Go module cache.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnxruntime_c_api.h"

static const OrtApi* api;

static void check(OrtStatus* st, const char* what) {
  if (st != NULL) {
    fprintf(stderr, "ortprof: %s: %s\n", what, api->GetErrorMessage(st));
    api->ReleaseStatus(st);
    exit(1);
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ortprof model.onnx profile_prefix [runs] [intra] [inter] [parallel]\n");
    return 2;
  }
  int runs = argc > 3 ? atoi(argv[3]) : 8;
  int intra = argc > 4 ? atoi(argv[4]) : 1;
  int inter = argc > 5 ? atoi(argv[5]) : 0;
  int parallel = argc > 6 ? atoi(argv[6]) : 0;
  if (runs < 1) runs = 1;
  api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
  if (api == NULL) {
    fprintf(stderr, "ortprof: ONNX Runtime does not provide C API version %d\n", ORT_API_VERSION);
    return 1;
  }
  OrtEnv* env;
  check(api->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "ortprof", &env), "CreateEnv");
  OrtSessionOptions* so;
  check(api->CreateSessionOptions(&so), "CreateSessionOptions");
  check(api->SetIntraOpNumThreads(so, intra), "SetIntraOpNumThreads");
  if (inter > 0) check(api->SetInterOpNumThreads(so, inter), "SetInterOpNumThreads");
  if (parallel) check(api->SetSessionExecutionMode(so, ORT_PARALLEL), "SetSessionExecutionMode");
  check(api->EnableProfiling(so, argv[2]), "EnableProfiling");
  OrtSession* sess;
  check(api->CreateSession(env, argv[1], so, &sess), "CreateSession");
  OrtAllocator* alloc;
  check(api->GetAllocatorWithDefaultOptions(&alloc), "GetAllocator");

  size_t nin, nout;
  check(api->SessionGetInputCount(sess, &nin), "SessionGetInputCount");
  check(api->SessionGetOutputCount(sess, &nout), "SessionGetOutputCount");
  char** inNames = calloc(nin, sizeof(char*));
  char** outNames = calloc(nout, sizeof(char*));
  OrtValue** inputs = calloc(nin, sizeof(OrtValue*));
  for (size_t i = 0; i < nin; i++) {
    check(api->SessionGetInputName(sess, i, alloc, &inNames[i]), "SessionGetInputName");
    OrtTypeInfo* ti;
    check(api->SessionGetInputTypeInfo(sess, i, &ti), "SessionGetInputTypeInfo");
    const OrtTensorTypeAndShapeInfo* tti;
    check(api->CastTypeInfoToTensorInfo(ti, &tti), "CastTypeInfoToTensorInfo");
    ONNXTensorElementDataType et;
    check(api->GetTensorElementType(tti, &et), "GetTensorElementType");
    size_t rank;
    check(api->GetDimensionsCount(tti, &rank), "GetDimensionsCount");
    int64_t dims[16] = {0};
    if (rank > 16) { fprintf(stderr, "ortprof: input %s has rank %zu\n", inNames[i], rank); return 1; }
    check(api->GetDimensions(tti, dims, rank), "GetDimensions");
    size_t n = 1;
    for (size_t d = 0; d < rank; d++) {
      if (dims[d] < 0) { fprintf(stderr, "ortprof: input %s has a dynamic axis\n", inNames[i]); return 1; }
      n *= (size_t)dims[d];
    }
    check(api->CreateTensorAsOrtValue(alloc, dims, rank, et, &inputs[i]), "CreateTensorAsOrtValue");
    void* data;
    check(api->GetTensorMutableData(inputs[i], &data), "GetTensorMutableData");
    // Small positive floats (moments stay valid, no NaN from Sqrt) and 1 for
    // integers (a valid token and label class).
    switch (et) {
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
        for (size_t k = 0; k < n; k++) ((float*)data)[k] = 0.01f + 0.09f * (float)((k * 2654435761u) % 1000) / 1000.0f;
        break;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
        for (size_t k = 0; k < n; k++) ((int32_t*)data)[k] = 1;
        break;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
        for (size_t k = 0; k < n; k++) ((int64_t*)data)[k] = 1;
        break;
      default:
        memset(data, 0, n * 1);  // bool, (u)int8: zero bytes
        if (et != ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL && et != ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 && et != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8) {
          fprintf(stderr, "ortprof: input %s has unhandled element type %d\n", inNames[i], (int)et);
          return 1;
        }
    }
    api->ReleaseTypeInfo(ti);
  }
  for (size_t i = 0; i < nout; i++) check(api->SessionGetOutputName(sess, i, alloc, &outNames[i]), "SessionGetOutputName");
  OrtValue** outputs = calloc(nout, sizeof(OrtValue*));
  double* times = calloc(runs, sizeof(double));
  for (int r = 0; r < runs; r++) {
    double t0 = now();
    check(api->Run(sess, NULL, (const char* const*)inNames, (const OrtValue* const*)inputs, nin,
                   (const char* const*)outNames, nout, outputs), "Run");
    times[r] = now() - t0;
    for (size_t i = 0; i < nout; i++) {
      api->ReleaseValue(outputs[i]);
      outputs[i] = NULL;
    }
  }
  char* prof;
  check(api->SessionEndProfiling(sess, alloc, &prof), "SessionEndProfiling");
  qsort(times, runs, sizeof(double), cmp);
  printf("ortprof inputs=%zu outputs=%zu runs=%d intra=%d inter=%d parallel=%d median_s=%.4f min_s=%.4f profile=%s\n",
         nin, nout, runs, intra, inter, parallel, times[runs / 2], times[0], prof);
  return 0;
}
