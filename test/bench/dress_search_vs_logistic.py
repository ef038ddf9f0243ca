#!/usr/bin/python3
"""Issue 16's bar: xb's classifier with a Bayesian search against a tuned logistic regression.

Measures, on dress_attributes.csv (500 rows), 5-fold stratified cross-validated
accuracy (at 0.5) and ROC AUC of
  - an L2 logistic regression (scikit-learn) on the study's rebuild of xb's
    one-hot encoding, its C chosen by GridSearchCV over logspace(-4, 2, 25)
    with 3 stratified inner folds and log loss, inside each training fold;
  - xb_train_classifier with the options given (by default a "bayes" search
    over xb's default space, with refit), "seed" set to the CV seed,
    trained on the training fold only (any selection happens inside it),
    scored with xb_recommend (probability of class 1) on the test fold;
  - xb's default classifier ({"seed": S, "refit": false}) for context
    (--no-default leaves it out).
Both sides use the same folds: for seed S those of
test/bench/dress_classifier_study.py, stratified(range(500), 5,
RandomState(S + 104729)). The bar: xb's mean accuracy and mean ROC AUC each at
most 0.005 below the logistic regression's (xb - LR >= -0.005).

Usage (from the repository root; the .sh starts a throwaway cluster):
  test/bench/dress_search_vs_logistic.sh [seeds, default 1,2,3,4,5] [xb options JSON]
      [--no-default] [--json PATH]
  /usr/bin/python3 test/bench/dress_search_vs_logistic.py ... --lr-only   (no database)
The .py alone needs a database where the xb extension exists (libpq's PG*
environment); it creates, fills and drops the table bench_dresses there.
XB_DATA_DIR overrides <repo>/../shared/data. Run by hand, not in CI.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import psycopg2
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold

# The study's frame, folds and rebuild of xb's one-hot encoding (this file's
# directory is on sys.path when it runs as a script).
from dress_classifier_study import CATEGORICAL, DATA, FRAME, LABEL, NUMERIC, one_hot, stratified

# Issue 16's bar is measured with the default search space: nothing listed here.
SEARCH_OPTIONS = {"search": "bayes", "refit": True}
DEFAULT_OPTIONS = {"refit": False}
BAR = -0.005
FOLDS = 5
C_GRID = np.logspace(-4, 2, 25)
LR_NAME = 'LR (L2, C tuned in-fold)'

CSV = os.path.normpath(os.path.join(DATA, 'dress_attributes.csv'))

# The columns of scripts/dresses.psql's dresses table, in the CSV's order.
TABLE_COLUMNS = """dress_id bigint, style text, price text, rating float8, size text, season text, neckline text,
  sleevelength text, waiseline text, material text, fabrictype text, decoration text, "Pattern Type" text,
  recommendation int"""
FEATURES = ['style', 'price', 'rating', 'size', 'season', 'neckline', 'sleevelength', 'waiseline', 'material',
            'fabrictype', 'decoration', 'Pattern Type']

ALL = CATEGORICAL + NUMERIC


def folds_of(seed):
    folds = stratified(range(len(FRAME)), FOLDS, np.random.RandomState(seed + 104729))
    for k, test in enumerate(folds):
        yield k, sorted(sum((folds[j] for j in range(FOLDS) if j != k), [])), test


def scores(p, test):
    y = LABEL[test]
    return ((p >= 0.5) == (y == 1)).mean(), roc_auc_score(y, p)


def logistic(train, test, seed):
    x, y = one_hot(train, ALL), LABEL.astype(int)
    search = GridSearchCV(LogisticRegression(penalty='l2', solver='lbfgs', max_iter=5000), {'C': C_GRID},
                          scoring='neg_log_loss', cv=StratifiedKFold(3, shuffle=True, random_state=seed))
    search.fit(x[train], y[train])
    return search.predict_proba(x[test])[:, 1], search.best_params_['C']


def load_table(cur):
    cur.execute('DROP TABLE IF EXISTS bench_dresses')
    # row_no counts the CSV's rows from 0, as the pandas frame does; one COPY keeps the file's order.
    cur.execute(f'CREATE TABLE bench_dresses ({TABLE_COLUMNS}, '
                'row_no int GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START WITH 0) PRIMARY KEY)')
    with open(CSV) as f:
        cur.copy_expert('COPY bench_dresses (dress_id, style, price, rating, size, season, neckline, sleevelength, '
                        'waiseline, material, fabrictype, decoration, "Pattern Type", recommendation) '
                        'FROM STDIN WITH (FORMAT csv, HEADER true)', f)
    cur.execute('SELECT dress_id, recommendation FROM bench_dresses ORDER BY row_no')
    if cur.fetchall() != list(zip(FRAME['Dress_ID'].tolist(), LABEL.astype(int).tolist())):
        sys.exit('bench_dresses: rows by row_no differ from the CSV frame')


def xb(cur, name, train, test, options):
    source = f"SELECT * FROM bench_dresses WHERE row_no = ANY('{{{','.join(map(str, train))}}}'::int[])"
    start = time.perf_counter()
    cur.execute("SELECT xb_train_classifier(%s, %s, 'recommendation', %s, %s::jsonb)",
                (name, source, FEATURES, json.dumps(options)))
    seconds = time.perf_counter() - start
    cur.execute('SELECT row_no, xb_recommend(%s, d) FROM bench_dresses d WHERE row_no = ANY(%s) ORDER BY row_no',
                (name, test))
    rows = cur.fetchall()
    cur.execute('SELECT xb_drop(%s)', (name,))
    assert [r[0] for r in rows] == test
    return np.array([r[1] for r in rows]), seconds


def cross_validate(seed, estimator):
    """Per fold (accuracy, ROC AUC, extra): extra is C for LR, training seconds for xb."""
    out = []
    for k, train, test in folds_of(seed):
        p, extra = estimator(k, train, test)
        out.append((*scores(p, test), extra))
    return np.array(out)


def spread(values):
    return f'{values.mean():.3f} [{values.min():.3f}–{values.max():.3f}]'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('seeds', nargs='?', default='1,2,3,4,5')
    parser.add_argument('options', nargs='?', default=json.dumps(SEARCH_OPTIONS), help='xb options JSON')
    parser.add_argument('--no-default', action='store_true', help="leave out xb's default classifier")
    parser.add_argument('--lr-only', action='store_true', help='the logistic regression alone, no database')
    parser.add_argument('--json', metavar='PATH')
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(',')]
    options = json.loads(args.options)

    runs = {LR_NAME: lambda s: lambda k, tr, te: logistic(tr, te, s)}
    if not args.lr_only:
        conn = psycopg2.connect('')
        conn.autocommit = True  # each training commits its model; xb_drop removes it
        cur = conn.cursor()
        cur.execute("SET client_min_messages = error")  # progress NOTICEs and the baseline WARNING, per fold
        load_table(cur)
        runs['xb, options given'] = lambda s: lambda k, tr, te: xb(
            cur, f'bench_dress_s{s}_f{k}', tr, te, {**options, 'seed': s})
        if not args.no_default:
            runs['xb, defaults'] = lambda s: lambda k, tr, te: xb(
                cur, f'bench_dress_default_s{s}_f{k}', tr, te, {**DEFAULT_OPTIONS, 'seed': s})

    print(f'5-fold stratified CV on {CSV}, seeds {seeds}; accuracy at 0.5 / ROC AUC', flush=True)
    if not args.lr_only:
        print(f'xb options given: {json.dumps(options)} (+ "seed"); defaults: {json.dumps(DEFAULT_OPTIONS)}')
    per_seed = {name: [] for name in runs}  # name -> per seed: (accuracy, ROC AUC, mean C or s/training)
    for s in seeds:
        line = [f'seed {s}:']
        for name, make in runs.items():
            try:
                folds = cross_validate(s, make(s))
            except psycopg2.Error as e:  # e.g. options this build does not know yet
                sys.exit(f'{name}, seed {s}: {str(e).strip()}')
            per_seed[name].append(folds.mean(0))
            extra = (f'C median {np.median(folds[:, 2]):.3g}' if name == LR_NAME
                     else f'{folds[:, 2].mean():.1f} s/training')
            line.append(f'{name} {folds[:, 0].mean():.3f} / {folds[:, 1].mean():.3f} ({extra})')
        print('  '.join(line), flush=True)

    lr = np.array(per_seed[LR_NAME])
    print('\n| estimator | accuracy | ROC AUC | s per training | accuracy − LR | ROC AUC − LR | bar |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    summary = {'seeds': seeds, 'folds': FOLDS, 'bar': BAR, 'xb_options': options, 'estimators': []}
    for name, rows in per_seed.items():
        r = np.array(rows)
        entry = {'estimator': name, 'accuracy_mean': r[:, 0].mean(), 'accuracy_min': r[:, 0].min(),
                 'accuracy_max': r[:, 0].max(), 'roc_auc_mean': r[:, 1].mean(), 'roc_auc_min': r[:, 1].min(),
                 'roc_auc_max': r[:, 1].max(),
                 'per_seed': [{'seed': s, 'accuracy': a, 'roc_auc': u} for s, (a, u, _) in zip(seeds, r)]}
        if name == LR_NAME:
            cells = ['', '', '', '']
        else:
            d_acc, d_auc = r[:, 0].mean() - lr[:, 0].mean(), r[:, 1].mean() - lr[:, 1].mean()
            verdict = 'PASS' if d_acc >= BAR and d_auc >= BAR else 'FAIL'
            entry.update(seconds_per_training=r[:, 2].mean(), accuracy_diff=d_acc, roc_auc_diff=d_auc, verdict=verdict)
            cells = [f'{r[:, 2].mean():.1f}', f'{d_acc:+.4f}', f'{d_auc:+.4f}', verdict]
        print(f'| {name} | {spread(r[:, 0])} | {spread(r[:, 1])} | ' + ' | '.join(cells) + ' |')
        summary['estimators'].append(entry)
    print(f'means over seeds [min–max over seeds]; bar: xb − LR ≥ {BAR} on both (issue 16: the search row)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(summary, f, indent=2, default=float)
    if not args.lr_only:
        cur.execute('DROP TABLE bench_dresses')


if __name__ == '__main__':
    main()
