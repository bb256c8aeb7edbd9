#!/usr/bin/env bash
# make notebooks-outputs: run every notebook in headless Chromium on the full
# (non-smoke) settings and write the outputs into notebooks/*.ipynb, stamped
# with each cell's source hash (TestCommittedOutputs checks them), plus the
# screenshot docs/notebook02.png.
#
# The notebooks train nothing long here: they are pointed at the finished
# runs of `make demo` (RUNS, default runs/demo: teacher/ and student/),
# copied first into runs/notebooks-outputs/ so that the demo runs are never
# written to, and at their dataset (DATA, default data: toycxr/). The
# ablation grid of 03 runs reduced (ABLATION_SEEDS=1, ABLATION_EPOCHS=1,
# ABLATION_PRESET= the notebooks' preset, cpu;
# its cells are kept in runs/notebooks-outputs/ablation and reused; FRESH=1
# retrains them). ABLATION_FROM=DIR copies the finished cells of an earlier
# `mrg ablate -out DIR` there first (DIR is never written to), so that 03
# shows that grid: give ABLATION_SEEDS, ABLATION_EPOCHS, ABLATION_SET (extra
# -set keys) and ABLATION_PRESET as it was run with.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOMLX_NO_AUTO_INSTALL=1
RUNS=${RUNS:-runs/demo}
DATA=${DATA:-data}
WORK=runs/notebooks-outputs

for r in teacher student; do
  if ! ls "$RUNS/$r"/best/checkpoint-*.json >/dev/null 2>&1; then
    echo "notebooks-outputs: no finished $r run in $RUNS/$r (best/ missing): run \`make demo\` first (about 10 minutes on 2 cores), or set RUNS=DIR holding teacher/ and student/" >&2
    exit 1
  fi
done
if [ ! -f "$DATA/toycxr/annotation.json" ]; then
  echo "notebooks-outputs: no dataset $DATA/toycxr (annotation.json): \`make demo\` generates it, or \`./bin/mrg data synth -out $DATA/toycxr\`; or set DATA=DIR holding toycxr/" >&2
  exit 1
fi
# The notebooks resume-check these runs against DATA: a run only resumes (or
# is found finished) on the data it was trained on.
want=$(cd "$DATA/toycxr" && pwd -P)
for r in teacher student; do
  got=$(sed -n 's/^ *"data_dir": *"\(.*\)",*$/\1/p' "$RUNS/$r/run.json" | head -1)
  if [ -n "$got" ] && [ "$(cd "$got" 2>/dev/null && pwd -P)" != "$want" ]; then
    echo "notebooks-outputs: $RUNS/$r was trained on $got, not on $DATA/toycxr: set DATA to the directory holding that toycxr/ (or run \`make demo\` here)" >&2
    exit 1
  fi
done
bash scripts/install-notebook-tools.sh

mkdir -p "$WORK"
[ "${FRESH:-}" = 1 ] && rm -rf "$WORK/ablation"
if [ -n "${ABLATION_FROM:-}" ]; then
  if [ ! -f "$ABLATION_FROM/results.json" ]; then
    echo "notebooks-outputs: ABLATION_FROM=$ABLATION_FROM holds no finished grid (results.json missing): run \`mrg ablate -out $ABLATION_FROM\` first" >&2
    exit 1
  fi
  rm -rf "$WORK/ablation" && mkdir -p "$WORK/ablation"
  cp -a "$ABLATION_FROM"/. "$WORK/ablation/"
  find "$WORK/ablation" \( -name .lock -o -name .ckpt.lock \) -delete
fi
rm -rf "$WORK/teacher" "$WORK/student" "$WORK/figures"
cp -a "$RUNS/teacher" "$RUNS/student" "$WORK/"
rm -f "$WORK"/{teacher,student}/.lock "$WORK"/{teacher,student}/.ckpt.lock

export MRGKIT_RUNS="$PWD/$WORK" MRGKIT_DATA="$(cd "$DATA" && pwd)" MRGKIT_FIGURES="$PWD/$WORK/figures"
export MRGKIT_ABLATION_SEEDS=${ABLATION_SEEDS:-1} MRGKIT_ABLATION_EPOCHS=${ABLATION_EPOCHS:-1} MRGKIT_ABLATION_PRESET=${ABLATION_PRESET:-} MRGKIT_ABLATION_SET=${ABLATION_SET:-}
start=$(date +%s)
go build -o bin/nbrun ./mrgkit/cmd/nbrun
./bin/nbrun -write -log "$WORK/nbrun.log" \
  -shot "02_train_teacher.ipynb=docs/notebook02.png:TrainTeacher(settings)" "$@"
echo "notebooks-outputs: done in $(( $(date +%s) - start ))s; outputs in notebooks/*.ipynb, screenshot docs/notebook02.png (logs: $WORK/nbrun.log)"
