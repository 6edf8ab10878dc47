"""
Screens detection choices on matrices written by netae's own feature pipeline
(bench/export-features.ts), with models trained on the CPU: an autoencoder equal to netae's
`deep` default in PyTorch (same widths, initialisation, Adam, batch, validation share, early
stopping and false-positive-rate threshold), and the baselines a user would otherwise reach
for in scikit-learn: PCA reconstruction error (rank: 95 % of the variance explained) and an
MLP autoencoder (MLPRegressor with its defaults, hidden layers as netae's `deep`).

Bench only: needs /usr/bin/python3 with numpy, torch and scikit-learn (Debian's python3-torch,
python3-sklearn); no test or CI step runs it.

  python3 bench/detection_screen.py DIR [--model ae|pca|mlp] [--epochs 20] [--patience 5]
      [--weights none|std|both] [--clip C] [--numeric-scale S] [--folds 0,1,2] [--seeds 1,2,3] [--json OUT]
      [--lr 1e-3] [--widths 0-64-32-16-32-64-0|seed] [--checkpoints 20:5] [--seed-offset K] [--scores OUT.npz]
      [--ensemble A.npz,B.npz,C.npz] [--decoupled-decay L] [--input-noise S] [--mask-noise P]

--checkpoints E:P scores, besides the run's own model, the model a run of E epochs with patience P
would have kept (the same seeded run, stopped where that run would stop). --scores and --ensemble
average the scores of models trained with different seeds (--seed-offset) on the same rows.
Regularisers: --decoupled-decay L shrinks every parameter by the fraction L each step, apart from
Adam's update (AdamW; in PyTorch's units weight_decay = L / lr); --input-noise S adds Gaussian
noise of standard deviation S to the training inputs, --mask-noise P sets a fraction P of them to 0
(denoising: the target stays the clean row; held-out and scored rows are never corrupted). The
noise has its own generator, so that batches and initialisation stay those of the same seed
without it.

With a kdd-test export: fit on KDDTrain+'s normal rows, measure on KDDTest+ and KDDTest-21.
Otherwise, per fold: fit on the other folds' normal rows (90 % to train, 10 % held out to stop training
and set the threshold that flags 1 % of them), score the fold's normal rows and every attack
row. Reports ROC-AUC overall and per attack family, recall per family at the threshold, their
macro averages over families, and the false-positive rate on the fold's normal rows.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

FPR = 0.01


def matrix(directory, name, width):
    x = np.fromfile(os.path.join(directory, f'{name}.f32'), dtype='<f4')
    return x.reshape(-1, width)


def roc_auc(normal, anomalous):
    """Mann-Whitney U / (n·m), ties counted half."""
    s = np.concatenate([normal, anomalous])
    order = s.argsort(kind='mergesort')
    ranks = np.empty(len(s))
    sorted_s = s[order]
    _, start, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    ra = ranks[len(normal):].sum()
    m = len(anomalous)
    return (ra - m * (m + 1) / 2) / (m * len(normal))


def fpr_threshold(scores, rate=FPR):
    """The k-th highest held-out score, k = round(rate·(n + 1)) (src/pipeline/thresholds.ts)."""
    s = np.sort(scores)[::-1]
    k = min(len(s), max(1, int(round(rate * (len(s) + 1)))))
    return s[k - 1]


def deep_widths(inputs):
    h1 = max(4, 2 ** int(np.ceil(np.log2(max(1, inputs / 2)))))
    return [inputs, h1, max(2, h1 // 2), max(2, h1 // 4), max(2, h1 // 2), h1, inputs]


class TorchAE:
    """netae's trainer in PyTorch: nn.Linear init, ReLU, identity output, Adam (coupled L2), MSE."""

    def __init__(self, widths, epochs, patience, seed, lr=1e-3, batch=256, weight_decay=0.0, loss='mse', checkpoints=(),
                 decoupled_decay=0.0, input_noise=0.0, mask_noise=0.0):
        import torch
        self.torch = torch
        torch.manual_seed(seed)
        layers = []
        for i in range(len(widths) - 1):
            layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                layers.append(torch.nn.ReLU())
        self.net = torch.nn.Sequential(*layers)
        self.epochs, self.patience, self.seed, self.lr, self.batch, self.wd = epochs, patience, seed, lr, batch, weight_decay
        self.decoupled_decay, self.input_noise, self.mask_noise = decoupled_decay, input_noise, mask_noise
        self.history = []
        # (epochs, patience) of shorter runs: the same run stopped where they would stop keeps their model.
        self.checkpoints = list(checkpoints)
        self.kept = {}

    def fit(self, train, val):
        torch = self.torch
        if self.decoupled_decay:
            opt = torch.optim.AdamW(self.net.parameters(), lr=self.lr, weight_decay=self.decoupled_decay / self.lr)
        else:
            opt = torch.optim.Adam(self.net.parameters(), lr=self.lr, weight_decay=self.wd)
        xt = torch.from_numpy(train)
        g = torch.Generator().manual_seed(self.seed)
        noise = torch.Generator().manual_seed(self.seed + 1_000_003)
        best, best_state, best_epoch = np.inf, None, 0
        for epoch in range(1, self.epochs + 1):
            perm = torch.randperm(len(xt), generator=g)
            for i in range(0, len(xt), self.batch):
                xb = xt[perm[i:i + self.batch]]
                opt.zero_grad()
                loss = ((self.net(self.corrupt(xb, noise)) - xb) ** 2).mean()
                loss.backward()
                opt.step()
            v = self.score(val).mean()
            self.history.append(float(v))
            if v < best:
                best, best_epoch = v, epoch
                best_state = {k: t.clone() for k, t in self.net.state_dict().items()}
            for (e, p) in self.checkpoints:
                if (e, p) not in self.kept and (epoch == e or (p and epoch - best_epoch >= p)):
                    self.kept[(e, p)] = (best_state, best_epoch, epoch)
            if self.patience and epoch - best_epoch >= self.patience:
                break
        self.final = (best_state, best_epoch, epoch)
        self.use(self.final)
        return self

    def corrupt(self, xb, g):
        """The training input: the batch with Gaussian noise added and a random fraction of its entries zeroed."""
        torch = self.torch
        if self.input_noise:
            xb = xb + self.input_noise * torch.randn(xb.shape, generator=g)
        if self.mask_noise:
            xb = xb * (torch.rand(xb.shape, generator=g) >= self.mask_noise)
        return xb

    def use(self, kept):
        """Loads a kept model: (state, its epoch, the epoch its run stopped at)."""
        self.net.load_state_dict(kept[0])
        self.best_epoch, self.stopped_epoch = kept[1], kept[2]

    def errors(self, x):
        torch = self.torch
        with torch.no_grad():
            out = []
            for i in range(0, len(x), 8192):
                xb = torch.from_numpy(x[i:i + 8192])
                out.append(((self.net(xb) - xb) ** 2).numpy())
            return np.concatenate(out)

    def score(self, x):
        return self.errors(x).mean(axis=1)


class PCARecon:
    def __init__(self, variance=0.95):
        self.variance = variance

    def fit(self, train, val):
        from sklearn.decomposition import PCA
        self.pca = PCA(n_components=self.variance, svd_solver='full').fit(train)
        self.rank = self.pca.n_components_
        return self

    def errors(self, x):
        return (self.pca.inverse_transform(self.pca.transform(x)) - x) ** 2

    def score(self, x):
        return self.errors(x).mean(axis=1)


class SkMLP:
    def __init__(self, widths, seed):
        self.widths, self.seed = widths, seed

    def fit(self, train, val):
        from sklearn.neural_network import MLPRegressor
        self.mlp = MLPRegressor(hidden_layer_sizes=tuple(self.widths[1:-1]), random_state=self.seed).fit(train, train)
        self.iterations = self.mlp.n_iter_
        return self

    def errors(self, x):
        return (self.mlp.predict(x) - x) ** 2

    def score(self, x):
        return self.errors(x).mean(axis=1)


def evaluate(normal_scores, attack_scores, families, threshold, extra=None):
    out = {'rocAuc': roc_auc(normal_scores, attack_scores), 'fpr': float((normal_scores >= threshold).mean()),
           'recall': float((attack_scores >= threshold).mean()), 'families': {}}
    for fam in sorted(set(families)):
        a = attack_scores[families == fam]
        out['families'][fam] = {'rows': int(len(a)), 'rocAuc': roc_auc(normal_scores, a), 'recall': float((a >= threshold).mean())}
    fams = out['families'].values()
    out['macroAuc'] = float(np.mean([f['rocAuc'] for f in fams]))
    out['macroRecall'] = float(np.mean([f['recall'] for f in fams]))
    if extra:
        out.update(extra)
    return out


def make_model(kind, width, args, seed):
    if kind == 'ae':
        if args.widths == 'seed':
            widths = [width, max(1, width // 2), width]
        else:
            widths = [int(w) for w in args.widths.split('-')] if args.widths else deep_widths(width)
        widths[0] = widths[-1] = width
        return TorchAE(widths, args.epochs, args.patience, seed, lr=args.lr, weight_decay=args.weight_decay, batch=args.batch,
                       checkpoints=checkpoints(args), decoupled_decay=args.decoupled_decay, input_noise=args.input_noise,
                       mask_noise=args.mask_noise)
    if kind == 'pca':
        return PCARecon(args.variance)
    if kind == 'mlp':
        return SkMLP(deep_widths(width), seed)
    raise ValueError(kind)


def checkpoints(args):
    """`--checkpoints 20:5,30:10`: the shorter runs (epochs:patience) to read off the same run."""
    return [tuple(int(v) for v in c.split(':')) for c in args.checkpoints.split(',')] if args.checkpoints else []


def recode(x, numeric, args):
    """A change of an encoder's scale or bound, exactly as the pipeline would make it."""
    if args.clip > 0:
        x[:, :numeric] = np.clip(x[:, :numeric], -args.clip, args.clip)
    if args.numeric_scale != 1.0:
        x[:, :numeric] *= args.numeric_scale
    if args.hot != 1.0:
        x[:, numeric:] *= args.hot
    return x


def weighted(model, val, floor):
    """
    Per-feature weights 1 / (mean squared error of the feature on held-out normal rows), each
    error floored at `floor` × the mean over features, then normalised to mean 1: errors in
    units of what the model gets wrong on normal traffic.
    """
    e = model.errors(val).mean(axis=0)
    w = 1.0 / np.maximum(e, floor * e.mean())
    return w / w.mean()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('dir')
    p.add_argument('--model', default='ae')
    p.add_argument('--epochs', type=int, default=20)
    p.add_argument('--patience', type=int, default=5)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--weight-decay', type=float, default=0.0)
    p.add_argument('--decoupled-decay', type=float, default=0.0, help='AdamW: the fraction of each parameter removed each step')
    p.add_argument('--input-noise', type=float, default=0.0, help='standard deviation of Gaussian noise added to training inputs')
    p.add_argument('--mask-noise', type=float, default=0.0, help='fraction of training inputs set to 0')
    p.add_argument('--widths', default='')
    p.add_argument('--variance', type=float, default=0.95)
    p.add_argument('--weights', default='none')
    p.add_argument('--floor', type=float, default=0.1)
    p.add_argument('--clip', type=float, default=0.0, help='numeric features clipped to ±clip (in the export\'s units) before --numeric-scale')
    p.add_argument('--numeric-scale', type=float, default=1.0, help='numeric features multiplied by this')
    p.add_argument('--hot', type=float, default=1.0, help='one-hot features multiplied by this')
    p.add_argument('--checkpoints', default='', help='epochs:patience,...: also score the model a shorter run would keep')
    p.add_argument('--seed-offset', type=int, default=0, help='the model of fold f is seeded f + 1 + this')
    p.add_argument('--scores', default='', help='write each scoring\'s held-out, fold-normal and attack scores to this .npz')
    p.add_argument('--ensemble', default='', help='comma-separated .npz from --scores: average their scores per fold instead of training')
    p.add_argument('--member-scoring', default='std', help='with --ensemble: which saved scoring of each member to average')
    p.add_argument('--folds', default='')
    p.add_argument('--seeds', default='', help='with a kdd-test export: the seeds to train with (default 1)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--json', default='')
    p.add_argument('--label', default='')
    args = p.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    meta = json.load(open(os.path.join(args.dir, 'meta.json')))
    if meta['data'] == 'kdd-test':
        return test_sets(meta, args)
    info = meta['parts']['all']
    anomaly = np.array(info['anomaly'], dtype=bool)
    family = np.array(info['family'])
    fold = np.array(info['fold'])
    difficulty = np.array(info['difficulty']) if info['difficulty'] is not None else None
    folds = [int(f) for f in args.folds.split(',')] if args.folds else list(range(meta['folds']))
    results = []
    saved = {}
    for f in folds:
        started = time.time()
        width = meta['widths'][f]
        x = matrix(args.dir, f'fold{f}', width)
        x = recode(x, meta['numeric'], args)
        fit_idx = np.where((fold >= 0) & (fold != f))[0]
        rng = np.random.default_rng(f + 1)
        fit_idx = rng.permutation(fit_idx)
        n_val = int(round(0.1 * len(fit_idx)))
        val, train = x[fit_idx[:n_val]], x[fit_idx[n_val:]]
        if args.ensemble:
            results.append(ensemble(args, f, fold, anomaly, family, difficulty, started))
            continue
        model = make_model(args.model, width, args, f + 1 + args.seed_offset).fit(train, val)
        kept = [(f'{e}:{p}', model.kept[(e, p)]) for (e, p) in getattr(model, 'checkpoints', [])] + [('', getattr(model, 'final', None))]
        for suffix, state in kept:
            if state is not None:
                model.use(state)
            scorings = {'plain': model.score}
            if args.weights in ('std', 'both'):
                w = weighted(model, val, args.floor)
                scorings['std'] = lambda m, w=w: (model.errors(m) * w).mean(axis=1)
                if args.weights == 'std':
                    del scorings['plain']
            for name, score in scorings.items():
                key = name + (f' {suffix}' if suffix else '')
                r = run_scoring(score, x, val, fold, f, anomaly, family, difficulty, started, model, saved.setdefault(key, {}) if args.scores else None)
                r['scoring'] = key
                results.append(r)
    if args.scores:
        np.savez(args.scores, **{f'{k}|{f}|{part}': v for k, per in saved.items() for f, parts in per.items() for part, v in parts.items()})
    report(results, args)


def ensemble(args, f, fold, anomaly, family, difficulty, started):
    """The mean over members of each member's scores (its scoring `--member-scoring`)."""
    parts = {}
    for path in args.ensemble.split(','):
        z = np.load(path)
        key = args.member_scoring
        for part in ('held', 'normal', 'attacks'):
            parts.setdefault(part, []).append(z[f'{key}|{f}|{part}'])
    held, normal, attacks = (np.mean(parts[p], axis=0) for p in ('held', 'normal', 'attacks'))
    r = measure(held, normal, attacks, fold, f, anomaly, family, difficulty, {'seconds': time.time() - started, 'members': len(parts['held'])})
    r['scoring'] = 'ensemble'
    return r


def test_sets(meta, args):
    """Fit on all of KDDTrain+'s normal rows (10 % held out for the threshold); measure on KDDTest+ and KDDTest-21."""
    width = meta['width']
    train_all = recode(matrix(args.dir, 'train', width), meta['numeric'], args)
    normal = np.where(np.array(meta['parts']['train']['anomaly']) == 0)[0]
    results = []
    for seed in [int(s) for s in (args.seeds or '1').split(',')]:
        order = np.random.default_rng(seed).permutation(normal)
        n_val = int(round(0.1 * len(order)))
        val = train_all[order[:n_val]]
        model = make_model(args.model, width, args, seed).fit(train_all[order[n_val:]], val)
        t = fpr_threshold(model.score(val))
        row = {'seed': seed}
        for part in ('test', 'test21'):
            x = recode(matrix(args.dir, part, width), meta['numeric'], args)
            s = model.score(x)
            a = np.array(meta['parts'][part]['anomaly'], dtype=bool)
            tp, fp = int((s[a] >= t).sum()), int((s[~a] >= t).sum())
            precision, recall = tp / max(1, tp + fp), tp / a.sum()
            row[part] = {'rocAuc': roc_auc(s[~a], s[a]), 'f1': 2 * precision * recall / max(1e-12, precision + recall),
                         'precision': precision, 'recall': recall, 'fpr': fp / (~a).sum()}
        print(f"{args.label} {args.model} seed {seed}: KDDTest+ ROC-AUC {row['test']['rocAuc']:.4f} F1 {row['test']['f1']:.3f} "
              f"(precision {row['test']['precision']:.3f}, recall {row['test']['recall']:.3f}, FPR {row['test']['fpr']:.3f}) "
              f"KDDTest-21 ROC-AUC {row['test21']['rocAuc']:.4f}", flush=True)
        results.append(row)
    if args.json:
        json.dump({'dir': args.dir, 'label': args.label, 'args': vars(args), 'results': results}, open(args.json, 'w'))


def run_scoring(score, x, val, fold, f, anomaly, family, difficulty, started, model, save=None):
    held = score(val)
    normal = score(x[fold == f])
    attacks = score(x[np.where(anomaly)[0]])
    if save is not None:
        save[f] = {'held': held, 'normal': normal, 'attacks': attacks}
    extra = {'seconds': time.time() - started}
    for k in ('rank', 'iterations', 'best_epoch', 'stopped_epoch'):
        if hasattr(model, k):
            extra[k] = int(getattr(model, k))
    r = measure(held, normal, attacks, fold, f, anomaly, family, difficulty, extra)
    if hasattr(model, 'history'):
        r['history'] = model.history
    return r


def measure(held, normal, attacks, fold, f, anomaly, family, difficulty, extra):
    t = fpr_threshold(held)
    attack_idx = np.where(anomaly)[0]
    r = evaluate(normal, attacks, family[attack_idx], t, extra)
    if difficulty is not None:
        hard_n = normal[difficulty[fold == f] < 21]
        hard_a = attacks[difficulty[attack_idx] < 21]
        r['hardAuc'] = roc_auc(hard_n, hard_a)
        r['hardFpr'] = float((hard_n >= t).mean())
    fam = ' '.join(f"{k} {v['rocAuc']:.4f}/{v['recall']:.2f}" for k, v in r['families'].items())
    print(f"fold {f}: AUC {r['rocAuc']:.4f} macro AUC {r['macroAuc']:.4f} macro recall {r['macroRecall']:.3f} "
          f"FPR {r['fpr']:.4f} | {fam}" + (f" | hard AUC {r['hardAuc']:.4f}" if 'hardAuc' in r else '')
          + f" | {json.dumps(extra)}", flush=True)
    return r


def report(all_results, args):
    for scoring in dict.fromkeys(r['scoring'] for r in all_results):
        results = [r for r in all_results if r['scoring'] == scoring]

        def ms(key, sub=None):
            v = [r[key] if sub is None else r['families'][sub][key] for r in results]
            return f'{np.mean(v):.4f} ± {np.std(v, ddof=1) if len(v) > 1 else 0:.4f}'
        fams = list(results[0]['families'].keys())
        print(f"MEAN {args.label or args.dir} {args.model} {scoring}: AUC {ms('rocAuc')} | macro AUC {ms('macroAuc')} "
              f"| macro recall {ms('macroRecall')} | FPR {ms('fpr')}"
              + (f" | hard AUC {ms('hardAuc')}" if 'hardAuc' in results[0] else '')
              + ' | ' + ' '.join(f"{k} {ms('rocAuc', k)} / {ms('recall', k)}" for k in fams), flush=True)
    if args.json:
        json.dump({'dir': args.dir, 'label': args.label, 'args': vars(args), 'results': all_results}, open(args.json, 'w'))


if __name__ == '__main__':
    main()
