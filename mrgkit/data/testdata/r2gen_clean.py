"""Independent re-implementation of R2Gen's report cleaners and vocabulary
(cuhksz-nlp/R2Gen, modules/tokenizers.py) for mrgkit's differential tests.

Reads a JSON list of reports on stdin; writes a JSON object
{"iu": [...], "mimic": [...]} with both cleanings of each report. With
--vocab THRESHOLD it instead reads an annotation path from argv and prints
{"size": N, "words": [...]} built from the IU-cleaned train reports.
"""
import json
import re
import sys
from collections import Counter


def clean_iu(report):
    report_cleaner = lambda t: t.replace('..', '.').replace('..', '.').replace('..', '.').replace('1. ', '') \
        .replace('. 2. ', '. ').replace('. 3. ', '. ').replace('. 4. ', '. ').replace('. 5. ', '. ') \
        .replace(' 2. ', '. ').replace(' 3. ', '. ').replace(' 4. ', '. ').replace(' 5. ', '. ') \
        .strip().lower().split('. ')
    sent_cleaner = lambda t: re.sub('[.,?;*!%^&_+():-\\[\\]{}]', '', t.replace('"', '').replace('/', '').
                                    replace('\\', '').replace("'", '').strip().lower())
    tokens = [sent_cleaner(sent) for sent in report_cleaner(report) if sent_cleaner(sent) != []]
    return ' . '.join(tokens) + ' .'


def clean_mimic(report):
    report_cleaner = lambda t: t.replace('\n', ' ').replace('__', '_').replace('__', '_').replace('__', '_') \
        .replace('__', '_').replace('__', '_').replace('__', '_').replace('__', '_').replace('  ', ' ') \
        .replace('  ', ' ').replace('  ', ' ').replace('  ', ' ').replace('  ', ' ').replace('  ', ' ') \
        .replace('..', '.').replace('..', '.').replace('..', '.').replace('..', '.').replace('..', '.') \
        .replace('..', '.').replace('..', '.').replace('..', '.').replace('1. ', '').replace('. 2. ', '. ') \
        .replace('. 3. ', '. ').replace('. 4. ', '. ').replace('. 5. ', '. ').replace(' 2. ', '. ') \
        .replace(' 3. ', '. ').replace(' 4. ', '. ').replace(' 5. ', '. ') \
        .strip().lower().split('. ')
    sent_cleaner = lambda t: re.sub('[.,?;*!%^&_+():-\\[\\]{}]', '', t.replace('"', '').replace('/', '')
                                    .replace('\\', '').replace("'", '').strip().lower())
    tokens = [sent_cleaner(sent) for sent in report_cleaner(report) if sent_cleaner(sent) != []]
    return ' . '.join(tokens) + ' .'


def vocab(ann_path, threshold, cleaner):
    ann = json.load(open(ann_path))
    total_tokens = []
    for example in ann['train']:
        total_tokens.extend(cleaner(example['report']).split())
    counter = Counter(total_tokens)
    words = [k for k, v in counter.items() if v >= threshold] + ['<unk>']
    words.sort()
    token2idx = {w: i + 1 for i, w in enumerate(words)}
    return {"size": len(token2idx), "words": words}


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--vocab':
        cleaner = clean_iu if sys.argv[4] == 'iu' else clean_mimic
        json.dump(vocab(sys.argv[3], int(sys.argv[2]), cleaner), sys.stdout)
    else:
        reports = json.load(sys.stdin)
        json.dump({"iu": [clean_iu(r) for r in reports], "mimic": [clean_mimic(r) for r in reports]}, sys.stdout)
