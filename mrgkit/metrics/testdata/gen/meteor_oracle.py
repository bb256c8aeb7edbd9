#!/usr/bin/env python3
"""Writes testdata/meteor_expected.json from Meteor 1.5 built from its public
source (see MeteorOracle.java). NOT part of the kit; usage:
  meteor_oracle.py CLASSPATH METEOR_RESOURCES R2GEN_DIR
Configurations:
  stem:    modules exact,stem with this package's DefaultFunctionWords (read
           from ../../meteor.go) -- must equal metrics.Meteor;
  synonym: modules exact,stem,synonym with the same function words and the
           synonym file testdata/synonyms_small.txt -- must equal MeteorWith;
  jar_wordnet: exact,stem,synonym with the jar's own function words and
           WordNet (informational: how far the default is from the jar
           without paraphrases).
Segments are sent like pycocoevalcap's wrapper: hypothesis with '|||'
removed and double spaces halved; line breaks sent as spaces."""
import json, os, re, subprocess, sys, tempfile
cp, res_dir, r2gen = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(__file__))
td = os.path.join(here, '..')
src = open(os.path.join(td, '..', 'meteor.go')).read()
fw = re.search(r'DefaultFunctionWords = wordSet\(`([^`]*)`\)', src, re.S).group(1).split()
tmp = tempfile.mkdtemp()
fw_path = os.path.join(tmp, 'fw.words')
open(fw_path, 'w').write('\n'.join(fw) + '\n')
syn_dir = os.path.join(tmp, 'syn')
os.makedirs(syn_dir)
w2s = {}
for i, line in enumerate(l for l in open(os.path.join(td, 'synonyms_small.txt')) if l.split()):
    for w in line.split():
        w2s.setdefault(w, []).append(i)
with open(os.path.join(syn_dir, 'english.synsets'), 'w') as f:
    for w, ids in w2s.items():
        f.write(w + '\n' + ' '.join(map(str, ids)) + '\n')
open(os.path.join(syn_dir, 'english.exceptions'), 'w').close()
open(os.path.join(syn_dir, 'english.relations'), 'w').close()

sys.path.insert(0, r2gen)
from modules.tokenizers import Tokenizer  # noqa: E402

def run(gts, res, modules, words, syn):
    ids = list(gts.keys())
    lines = []
    for i in ids:
        h = res[i][0].replace('|||', '').replace('  ', ' ')
        line = ' ||| '.join(gts[i]) + ' ||| ' + h
        # A line break inside a report would break the jar's line protocol
        # (the coco wrapper then misreads every later segment); metrics.Meteor
        # treats it as a space, so send it as one.
        lines.append(line.replace('\r', ' ').replace('\n', ' '))
    p = subprocess.run(['java', '-Xmx2G', '-cp', cp, 'MeteorOracle', 'score', modules, words, syn],
                       input='\n'.join(lines) + '\n', capture_output=True, text=True, check=True)
    out = p.stdout.strip().split('\n')
    assert out[-1].startswith('FINAL'), p.stdout[-500:] + p.stderr[-2000:]
    segs = {i: float(l.split()[0]) for i, l in zip(ids, out[:-1])}
    return {'score': float(out[-1].split()[1]), 'segments': segs}

inputs = {}
import glob
for path in sorted(glob.glob('/work/shared/eval/meteor/*.json')):
    d = json.load(open(path))
    inputs['meteor/' + os.path.basename(path)] = (d['gts'], d['res'], True)
for path in sorted(glob.glob('/work/shared/eval/*.json')):
    d = json.load(open(path))
    name = os.path.basename(path)
    inputs[name] = (d['gts'], d['res'], False)
    if 'shuffled' in name or 'constnormal' in name:
        fn = Tokenizer.clean_report_iu_xray
        g = {k: [fn(None, s) for s in v] for k, v in d['gts'].items()}
        r = {k: [fn(None, s) for s in v] for k, v in d['res'].items()}
        inputs[name + ':clean=iu_xray'] = (g, r, False)
cases = json.load(open(os.path.join(td, 'coco_cases.json')))['cases']
for c in cases:
    inputs['case:' + c['name']] = (c['gts'], c['res'], True)
extra = {
    'syn-1': ({'1': ['the heart is large .'], '2': ['small left effusion']}, {'1': ['the heart is big .'], '2': ['little left outpouring']}),
    'syn-2': ({'1': ['lungs are clear'], '2': ['no opacity seen']}, {'1': ['lung is lucid'], '2': ['no opaqueness is observed']}),
    'syn-3': ({'1': ['tests were generated', 'a normal heart']}, {'1': ['trials produced the usual ticker']}),
    'syn-morph': ({'1': ['larger hearts seen'], '2': ['sentences generated']}, {'1': ['the bigger tickers observed'], '2': ['convictions producing']}),
}
for k, (g, r) in extra.items():
    inputs['case:' + k] = (g, r, True)

out = {'note': 'Meteor 1.5 built from source, see gen/meteor_oracle.py', 'stem': {}, 'synonym': {}, 'jar_wordnet': {}}
for name, (g, r, keep_segs) in inputs.items():
    for cfg, mods, words, syn in (('stem', 'exact,stem', fw_path, '-'),
                                  ('synonym', 'exact,stem,synonym', fw_path, syn_dir),
                                  ('jar_wordnet', 'exact,stem,synonym', '-', '-')):
        if cfg == 'jar_wordnet' and name.startswith('case:'):
            continue
        if cfg == 'synonym' and name.startswith('case:random'):
            continue
        o = run(g, r, mods, words, syn)
        if not keep_segs:
            del o['segments']
        out[cfg][name] = o
json.dump(out, open(os.path.join(td, 'meteor_expected.json'), 'w'), indent=0, sort_keys=True, ensure_ascii=False)
# case inputs for the extra synonym cases
json.dump({k: {'gts': g, 'res': r} for k, (g, r) in extra.items()},
          open(os.path.join(td, 'meteor_cases.json'), 'w'), indent=1)
for cfg in ('stem', 'jar_wordnet'):
    for k, v in out[cfg].items():
        if not k.startswith('case:'):
            print(cfg, k, round(v['score'], 5))
