#!/usr/bin/python3
"""How far can an honest model get on dress_attributes.csv?

The product-customization issue asks for 5-fold stratified cross-validated
mean accuracy >= 0.63 and mean ROC AUC >= 0.65 from the default classifier.
xb's default MLP reaches about 0.62 / 0.63. This study rebuilds xb's
preprocessing in pandas (trim + lower-case, NULL / '' / 'null' -> missing,
categories rarer than 3 in the training part -> other, unseen -> unknown,
rating standardised with a missing indicator) and scores other estimators
with the same protocol, to show where the ceiling of this 500-row file lies.

Every estimator learns only from the training folds, except the two rows
marked LEAKY: their 6 columns were chosen by looking at all 500 rows (the
per-column target-encoding AUC), which is what it takes to clear the bar.

Usage: /usr/bin/python3 test/bench/dress_classifier_study.py [seeds, default 1,2,3,4,5]
Run by hand (about 2 minutes on one core), not in CI.
"""
import math
import os
import sys

import numpy as np
import pandas as pd
import torch

torch.set_num_threads(1)
DATA = os.environ.get('XB_DATA_DIR', os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'data'))
FRAME = pd.read_csv(os.path.join(DATA, 'dress_attributes.csv'))
LABEL = FRAME['Recommendation'].values.astype(np.float32)
CATEGORICAL = ['Style', 'Price', 'Size', 'Season', 'NeckLine', 'SleeveLength', 'waiseline', 'Material',
               'FabricType', 'Decoration', 'Pattern Type']
NUMERIC = ['Rating']
# Chosen with all rows in view: the LEAKY rows only.
LEAKY_SIX = ['Style', 'Price', 'Season', 'NeckLine', 'SleeveLength', 'Material']
MIN_COUNT = 3


def clean(v):
    if pd.isna(v):
        return '<missing>'
    s = str(v).strip().lower()
    return '<missing>' if s in ('', 'null') else s


CLEAN = {c: FRAME[c].map(clean) for c in CATEGORICAL}


def roc_auc(p, y):
    ranks = pd.Series(p).rank().values  # ties share their mean rank
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def stratified(rows, k, rng):
    folds = [[] for _ in range(k)]
    n = 0
    for cls in (0, 1):
        group = [r for r in rows if LABEL[r] == cls]
        rng.shuffle(group)
        for r in group:
            folds[n % k].append(r)
            n += 1
    return [sorted(f) for f in folds]


def holdout(rows, fraction, rng):
    kept, held = [], []
    for cls in (0, 1):
        group = [r for r in rows if LABEL[r] == cls]
        rng.shuffle(group)
        take = min(len(group) - 1, round(len(group) * fraction))
        held += group[:take]
        kept += group[take:]
    return sorted(kept), sorted(held)


def one_hot(train, columns):
    """xb's onehot encoding, learned on train, for every row."""
    parts = []
    for c in columns:
        if c in NUMERIC:
            v = pd.to_numeric(FRAME[c], errors='coerce')
            mu, sd = v.iloc[train].mean(), v.iloc[train].std(ddof=0) or 1.0
            parts += [((v.fillna(mu) - mu) / sd).values[:, None], v.isna().values[:, None]]
            continue
        counts = CLEAN[c].iloc[train].value_counts()
        kept = {k: i for i, k in enumerate(sorted(counts[counts >= MIN_COUNT].index))}
        other, unknown = len(kept), len(kept) + 1
        codes = CLEAN[c].map(lambda v: kept.get(v, other if v in counts.index else unknown)).values
        parts.append(np.eye(len(kept) + 2)[codes])
    return np.concatenate(parts, 1).astype(np.float32)


def binned(c):
    if c in NUMERIC:
        return pd.qcut(FRAME[c].rank(method='first'), 5, labels=False).astype(str)
    return CLEAN[c]


def naive_bayes(train, test, columns, alpha=5.0):
    prior = LABEL[train].mean()
    logit = np.full(len(test), math.log(prior / (1 - prior)))
    for c in columns:
        values = binned(c)
        table = pd.crosstab(values.iloc[train].values, LABEL[train])
        p1 = (table[1.0] + alpha) / (table[1.0].sum() + alpha * len(table))
        p0 = (table[0.0] + alpha) / (table[0.0].sum() + alpha * len(table))
        logit += values.iloc[test].map(np.log(p1 / p0)).fillna(0).values
    return 1 / (1 + np.exp(-logit))


def fit_mlp(x, train, val, hidden, seed, weight_decay=1e-3, epochs=200, patience=20):
    """xb's default: ReLU, dropout 0.2 between hidden layers, Adam 1e-3, batch 32, early stopping."""
    torch.manual_seed(seed)
    layers, width = [], x.shape[1]
    for i, h in enumerate(hidden):
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        if i + 1 < len(hidden):
            layers.append(torch.nn.Dropout(0.2))
        width = h
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))
    adam = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=weight_decay)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    xt, yt = torch.tensor(x[train]), torch.tensor(LABEL[train])
    xv, yv = torch.tensor(x[val]), torch.tensor(LABEL[val])
    best, best_state, since = float('inf'), None, 0
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(train))
        for i in range(0, len(train), 32):
            b = order[i:i + 32]
            adam.zero_grad()
            bce(net(xt[b]).squeeze(1), yt[b]).backward()
            adam.step()
        net.eval()
        with torch.no_grad():
            loss = bce(net(xv).squeeze(1), yv).item()
        if loss < best:
            best, best_state, since = loss, {k: v.clone() for k, v in net.state_dict().items()}, 0
        elif (since := since + 1) > patience:
            break
    net.load_state_dict(best_state)
    net.eval()
    return net


def mlp(train, test, columns, seed, fold, hidden=(128, 32), members=1, weight_decay=1e-3):
    x = one_hot(train, columns)
    p = np.zeros(len(test))
    for m in range(members):
        fit_rows, val_rows = holdout(train, 0.2, np.random.RandomState(seed + 1000 * (fold + 1) + m))
        net = fit_mlp(x, fit_rows, val_rows, hidden, seed + m, weight_decay)
        with torch.no_grad():
            p += torch.sigmoid(net(torch.tensor(x[test])).squeeze(1)).numpy()
    return p / members


def screened(train, seed):
    """Columns whose own out-of-fold target encoding beats chance inside the training folds."""
    inner = stratified(train, 5, np.random.RandomState(seed))
    kept = []
    for c in CATEGORICAL + NUMERIC:
        values, oof = binned(c), np.zeros(len(FRAME))
        for k in range(5):
            fit_rows = sorted(sum((inner[j] for j in range(5) if j != k), []))
            stats = pd.Series(LABEL[fit_rows]).groupby(values.iloc[fit_rows].values).agg(['sum', 'count'])
            prior = LABEL[fit_rows].mean()
            oof[inner[k]] = values.iloc[inner[k]].map((stats['sum'] + 5 * prior) / (stats['count'] + 5)).fillna(prior)
        if roc_auc(oof[train], LABEL[train]) > 0.5:
            kept.append(c)
    return kept or CATEGORICAL + NUMERIC


ALL = CATEGORICAL + NUMERIC
ESTIMATORS = {
    'majority class': lambda tr, te, s, k: np.full(len(te), LABEL[tr].mean()),
    'naive Bayes (alpha 5)': lambda tr, te, s, k: naive_bayes(tr, te, ALL),
    'logistic regression (L2)': lambda tr, te, s, k: mlp(tr, te, ALL, s, k, hidden=(), weight_decay=1e-2),
    'MLP [128, 32] (xb default)': lambda tr, te, s, k: mlp(tr, te, ALL, s, k),
    'MLP [32]': lambda tr, te, s, k: mlp(tr, te, ALL, s, k, hidden=(32,)),
    'MLP, ensemble of 20': lambda tr, te, s, k: mlp(tr, te, ALL, s, k, members=20),
    'MLP on in-fold screened columns': lambda tr, te, s, k: mlp(tr, te, screened(tr, s + k), s, k),
    'LEAKY naive Bayes on 6 columns': lambda tr, te, s, k: naive_bayes(tr, te, LEAKY_SIX),
    'LEAKY MLP on 6 columns': lambda tr, te, s, k: mlp(tr, te, LEAKY_SIX, s, k),
}


def cross_validate(estimator, seed):
    folds = stratified(range(len(FRAME)), 5, np.random.RandomState(seed + 104729))
    acc, auc = [], []
    for k, test in enumerate(folds):
        train = sorted(sum((folds[j] for j in range(5) if j != k), []))
        p = estimator(train, test, seed, k)
        y = LABEL[test]
        acc.append(((p >= 0.5) == (y == 1)).mean())
        auc.append(roc_auc(p, y))
    return np.mean(acc), np.mean(auc)


def main():
    seeds = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else '1,2,3,4,5').split(',')]
    print(f'5-fold stratified CV on dress_attributes.csv, seeds {seeds}: mean over seeds [min - max]')
    print(f'{"estimator":34s} {"accuracy":>22s} {"ROC AUC":>22s}')
    for name, estimator in ESTIMATORS.items():
        r = np.array([cross_validate(estimator, s) for s in seeds])
        print(f'{name:34s} {r[:, 0].mean():8.3f} [{r[:, 0].min():.3f} - {r[:, 0].max():.3f}] '
              f'{r[:, 1].mean():8.3f} [{r[:, 1].min():.3f} - {r[:, 1].max():.3f}]', flush=True)
    print('bar: accuracy 0.630, ROC AUC 0.650')


if __name__ == '__main__':
    main()
