#!/usr/bin/env python3
"""Writes testdata/stems.json: Snowball English stems from Meteor 1.5's own
(compiled) Java stemmer for every word of the IU X-Ray reports plus words
that exercise each rule. Usage: stem_oracle.py CLASSPATH (see MeteorOracle.java)."""
import json, os, re, subprocess, sys
cp = sys.argv[1]
words = set()
d = json.load(open('/work/shared/data/iu_xray/annotation.json'))
for split in d.values():
    for ex in split:
        words.update(re.findall(r"[a-z']+", ex['report'].lower()))
words.update('''caresses ponies ties cries gas gaps kiwis kiwi cats agreed feed bleed
luxuriated hopping hoping filing failing fizzed conflated troubled sized tanned falling
cry by say happy sky skies dying news succeed exceeding innings generate generously
communism arsenal relational conditional rational valenci hesitanci digitizer conformabli
radicalli differentli vileli analogousli vietnamization predication operator feudalism
decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative
formalize electriciti electrical hopeful goodness revival allowance inference airliner
gyroscopic adjustable defensible irritant replacement adjustment dependent adoption homologou
communism activate angulariti homologous effective bowdlerize probate rate cease controll roll
consign consigned consigning consignment consist consisted consistency consistent consistently
consisting consists consolation consolations consolatory console consoled consoles
knack knackeries knacks knag knave knaves knavish kneaded kneading knee kneel kneeled kneeling
kneels knees knell knelt knew knick knif knife knight knightly knights knit knits knitted
knitting knives knob knobs knock knocked knocker knockers knocking knocks knopp knot knots
'ay 'ays yay yayo eyes flying enlarged enlargement opacities opacity atelectatic atelectasis
effusions effusion pneumothoraces visualized hyperexpanded degenerative calcified granulomas
emphysematous tortuous prominence interstitial consolidations unremarkable'''.split())
words = sorted(w for w in words if w)
p = subprocess.run(['java', '-cp', cp, 'MeteorOracle', 'stem'], input='\n'.join(words) + '\n',
                   capture_output=True, text=True, check=True)
stems = p.stdout.split('\n')[:len(words)]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'stems.json')
json.dump(dict(zip(words, stems)), open(out, 'w'), indent=0, sort_keys=True)
print(len(words), 'words')
