#!/usr/bin/env python3
"""Writes the expected coco-caption scores used by the metrics tests.

NOT part of the kit: run by hand. It imports the *unmodified* pycocoevalcap
scorers (Bleu(4), Rouge(), Cider()) from a checkout given as argv[1] (the
directory holding bleu/, cider/, rouge/) and calls them as R2Gen does. numpy
is not installable here, so a minimal stand-in supplying log, sqrt, e,
array and mean is registered first (mean sums sequentially; numpy's pairwise
sum differs by ~1e-16, far below the tests' 1e-9).

Inputs: every /work/shared/eval/*.json case file (R2Gen-split files also
after R2Gen's IU cleaner, whose source directory is argv[2]) and a seeded set
of small edge cases written to coco_cases.json. Only numbers are committed.
"""
import json, math, os, random, sys, types, glob, importlib

coco, r2gen = sys.argv[1], sys.argv[2]
out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')

class _Arr(list):
    def __iadd__(self, o):
        for i, v in enumerate(o):
            self[i] += v
        return self
np = types.ModuleType('numpy')
np.log, np.sqrt, np.e = math.log, math.sqrt, math.e
np.array = lambda x: _Arr(x)
def _mean(a):
    a = list(a)
    s = 0.0
    for v in a:
        s += v
    return s / len(a) if a else float('nan')
np.mean = _mean
sys.modules['numpy'] = np

sys.path.insert(0, os.path.dirname(coco))
pkg = os.path.basename(coco)
Bleu = importlib.import_module(pkg + '.bleu.bleu').Bleu
Rouge = importlib.import_module(pkg + '.rouge.rouge').Rouge
Cider = importlib.import_module(pkg + '.cider.cider').Cider

def score(gts, res):
    out = {}
    b, _ = Bleu(4).compute_score(gts, res, verbose=0)
    for k in range(4):
        out['BLEU_%d' % (k + 1)] = b[k]
    out['ROUGE_L'] = Rouge().compute_score(gts, res)[0]
    try:
        out['CIDEr'] = Cider().compute_score(gts, res)[0]
    except ValueError:  # no reference n-gram at all: the scorer raises
        out['CIDEr'] = None
    return out

# R2Gen's IU X-Ray cleaner, taken from its tokenizer source at run time.
sys.path.insert(0, r2gen)
from modules.tokenizers import Tokenizer  # noqa: E402
clean_iu = Tokenizer.clean_report_iu_xray
clean_mimic = Tokenizer.clean_report_mimic_cxr

expected = {}
for path in sorted(glob.glob('/work/shared/eval/*.json')):
    d = json.load(open(path))
    name = os.path.basename(path)
    expected[name] = score(d['gts'], d['res'])
    if 'shuffled' in name or 'constnormal' in name:
        for tag, fn in (('iu_xray', clean_iu), ('mimic_cxr', clean_mimic)):
            g = {k: [fn(None, s) for s in v] for k, v in d['gts'].items()}
            r = {k: [fn(None, s) for s in v] for k, v in d['res'].items()}
            expected[name + ':clean=' + tag] = score(g, r)

# Edge cases and random small corpora.
rng = random.Random(20261129)
words = ['a', 'b', 'c', 'the', 'heart', 'is', 'normal', '.', ',', 'no', 'x']
seps = [' ', ' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', '\x1c', '\u3000', ' \x1f ']
def rand_sent(maxlen):
    n = rng.randint(0, maxlen)
    s = ''
    for i in range(n):
        s += rng.choice(words)
        if i < n - 1 or rng.random() < 0.1:
            s += rng.choice(seps) if rng.random() < 0.2 else ' '
    if rng.random() < 0.1:
        s = ' ' + s
    return s
cases = [
    {'name': 'perfect', 'gts': {'1': ['the heart is normal .'], '2': ['no effusion .']}, 'res': {'1': ['the heart is normal .'], '2': ['no effusion .']}},
    {'name': 'empty-hyp', 'gts': {'1': ['the heart is normal .'], '2': ['no effusion .']}, 'res': {'1': [''], '2': ['no effusion .']}},
    {'name': 'all-empty-hyps', 'gts': {'1': ['the heart is normal .'], '2': ['no effusion .']}, 'res': {'1': [''], '2': ['']}},
    {'name': 'single-words', 'gts': {'1': ['normal'], '2': ['effusion'], '3': ['normal']}, 'res': {'1': ['normal'], '2': ['normal'], '3': ['x']}},
    {'name': 'repeated-words', 'gts': {'1': ['the the the cat'], '2': ['a a b']}, 'res': {'1': ['the the the the the the'], '2': ['a a a a b b']}},
    {'name': 'one-id', 'gts': {'1': ['the heart is normal .']}, 'res': {'1': ['the heart is large .']}},
    {'name': 'multi-ref-closest-tie', 'gts': {'1': ['a b c d', 'a b', 'a b c d e f'], '2': ['x y z', 'x']}, 'res': {'1': ['a b c'], '2': ['x y']}},
    {'name': 'whitespace', 'gts': {'1': ['a  b\tc\nd', ' a b '], '2': ['\u00a0x\x1cy\u3000z']}, 'res': {'1': ['a b  c d '], '2': ['x y z']}},
    {'name': 'empty-ref', 'gts': {'1': [''], '2': ['a b']}, 'res': {'1': [''], '2': ['a']}},
    {'name': 'unicode', 'gts': {'1': ['héllo wörld ü'], '2': ['テスト です']}, 'res': {'1': ['héllo wörld'], '2': ['テスト']}},
]
for i in range(300):
    nids = rng.randint(1, 12)
    gts, res = {}, {}
    for j in range(nids):
        gts[str(j)] = [rand_sent(14) for _ in range(rng.randint(1, 3))]
        res[str(j)] = [rand_sent(14)]
    cases.append({'name': 'random-%d' % i, 'gts': gts, 'res': res})
for c in cases:
    c['expected'] = score(c['gts'], c['res'])

json.dump({'note': 'expected values from pycocoevalcap Bleu(4)/Rouge()/Cider() (see gen/coco_oracle.py)', 'files': expected},
          open(os.path.join(out_dir, 'coco_expected.json'), 'w'), indent=1, sort_keys=True)
json.dump({'note': 'inputs generated by gen/coco_oracle.py; expected from pycocoevalcap', 'cases': cases},
          open(os.path.join(out_dir, 'coco_cases.json'), 'w'), indent=1, ensure_ascii=False)
print('wrote', len(expected), 'files,', len(cases), 'cases')
