"""LS102 preprocessing-leakage."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from lineage_scan.model import DataStep, Finding, PathStep, RelatedLocation, Severity, StepOp
from lineage_scan.rules.rule import Rule

PREPROCESSING = {
    "scaler": ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "Normalizer", "QuantileTransformer",
               "PowerTransformer", "KBinsDiscretizer", "SplineTransformer"),
    "encoder": ("OneHotEncoder", "OrdinalEncoder", "TargetEncoder", "CountEncoder", "WOEEncoder", "CatBoostEncoder",
                "BinaryEncoder", "HashingEncoder", "JamesSteinEncoder", "LeaveOneOutEncoder", "MEstimateEncoder"),
    "imputer": ("SimpleImputer", "KNNImputer", "IterativeImputer"),
    "feature selector": ("SelectKBest", "SelectPercentile", "SelectFpr", "SelectFdr", "SelectFwe",
                         "GenericUnivariateSelect", "RFE", "RFECV", "SelectFromModel", "VarianceThreshold",
                         "SequentialFeatureSelector"),
    "decomposition": ("PCA", "IncrementalPCA", "KernelPCA", "SparsePCA", "TruncatedSVD", "FastICA", "NMF",
                      "FactorAnalysis", "LatentDirichletAllocation", "DictionaryLearning"),
    "vectoriser": ("CountVectorizer", "TfidfVectorizer", "TfidfTransformer", "DictVectorizer"),
}
CATEGORY = {name: category for category, names in PREPROCESSING.items() for name in names}
COMBINERS = ("ColumnTransformer", "FeatureUnion")
"""Transformers side by side: preprocessing when any transformer inside is (a `Pipeline`: when all are)."""
OVERSAMPLERS = ("SMOTE", "SMOTENC", "SMOTEN", "ADASYN", "BorderlineSMOTE", "SVMSMOTE", "KMeansSMOTE", "RandomOverSampler",
                "resample")
"""Oversampling classes; `resample` is `sklearn.utils.resample(..., replace=True)` (the analysis reports no
step for sampling without replacement)."""
SPLITS = (StepOp.SPLIT, StepOp.CROSS_VALIDATE)
DATA_OPS = (StepOp.SPLIT, StepOp.FIT_TRANSFORM, StepOp.TRANSFORM, StepOp.RESAMPLE, StepOp.DERIVE, StepOp.PREDICT)
FITS = (StepOp.FIT, StepOp.FIT_TRANSFORM)


class PreprocessingLeakage(Rule):
    """Preprocessing leakage: test rows shape what the model is trained or judged with.

    ## What it does
    Reads the ML steps of Python training code and notebooks (as the Python analysis reports them:
    splits, fits, transforms, resampling, predictions and metrics, linked by the dataset values
    they read and write) and flags the leakage patterns of Yang et al., "Data Leakage in
    Notebooks: Static Detection and Better Processes" (ASE 2022):

    * **preprocessing before the split**: a scaler, encoder, imputer, feature selector,
      decomposition or vectoriser — or a `ColumnTransformer` / `FeatureUnion` holding one, or a
      `Pipeline` made only of them — fitted on data that is later split into train and test (or
      cross-validated), when its output or its transform is then used on that data;
    * **oversampling before the split**: SMOTE-style oversampling (or `sklearn.utils.resample` with
      `replace=True`) of data that is later split, so copies of the same rows land in train and test;
    * **test rows in training**: an estimator fitted on a test split (alone, or combined with the
      train split and then evaluated on the test split), or trained on all rows before the split
      and then evaluated on its test part;
    * **evaluation on training data**: a model whose every evaluation uses the rows it was fitted on.

    A split is `train_test_split`, a cross-validation splitter's `split` (`for tr, te in
    KFold().split(X)`), `cross_val_score` & co., `xgboost.cv` / `lightgbm.cv` or a search's `fit`
    (`GridSearchCV`); a fit is also `xgboost.train` / `lightgbm.train` on a `DMatrix` / `Dataset`.
    Datasets are followed by variable, through assignments, `if` branches, the repository's own
    functions, containers read by constant key (`parts["train"]`, `splits[0]`) and attributes of
    `self` set in one method and read in another. Only what the analysis is sure of is used:
    estimators of unknown class (`joblib.load`, a library factory) are never preprocessing, and
    values it cannot follow break a path rather than extend it. A `Pipeline` fitted on the
    training split (or passed to `cross_val_score`) is clean, whatever it holds.

    ## Why is this bad?
    The test score is meant to predict how the model does on rows it has never seen. When the test
    rows shaped the preprocessing (the scaler's mean, the selected features, the categories), were
    copied into training, or were the training rows themselves, the score is optimistic and the
    model disappoints in production.

    ## Example
    ```python
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    model = LogisticRegression().fit(X_train, y_train)
    ```

    ## Use instead
    Split first, and fit every preprocessing step on the training rows only — a `Pipeline` does it
    for you, in cross-validation too:
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    print(model.score(X_test, y_test))
    ```

    ## Configuration
    No options.
    """

    id = "LS102"
    slug = "preprocessing-leakage"
    level = Severity.ERROR
    precision = "high"
    tags = ("ml", "leakage", "python")

    def check(self) -> Iterator[Finding]:
        flow = _Flow(self.graph.data_steps())
        seen: Counter[tuple[str, ...]] = Counter()
        issues = chain(flow.fitted_before_split(), flow.oversampled_before_split(), flow.test_rows_in_training(),
                       flow.evaluated_on_training_data())
        for kind, step, estimator, message, related, path in issues:
            parts = (step.location.path if step.location else "?", kind, _short(estimator) or step.op.value)
            seen[parts] += 1
            if seen[parts] > 1:  # the same estimator class leaking twice in one file
                parts = (*parts[:-1], f"{parts[-1]}#{seen[parts]}")
            yield self.finding(parts, message, step.location, related, path)


Issue = tuple[str, DataStep, str | None, str, list[RelatedLocation], list[PathStep]]
"""(kind of leak, the step to change, the estimator concerned, message, related locations, path)."""


@dataclass
class _Flow:
    """The dataset values of the analysed programs: what each is derived from and its split role."""

    steps: list[DataStep]

    def __post_init__(self) -> None:
        self.children: dict[str, set[str]] = defaultdict(set)
        self.parents: dict[str, set[str]] = defaultdict(set)
        self.roles: dict[str, tuple[DataStep, str]] = {}
        self.by_instance: dict[str, list[DataStep]] = defaultdict(list)
        self.producer: dict[str, DataStep] = {}
        for step in self.steps:
            if step.op in DATA_OPS:
                for value in step.inputs:
                    for output in step.outputs:
                        self.children[value].add(output)
                        self.parents[output].add(value)
            for output in step.outputs:
                self.producer.setdefault(output, step)
            if step.op == StepOp.SPLIT:
                for output, role in zip(step.outputs, step.roles, strict=False):
                    self.roles[output] = (step, "test" if role != "train" else "train")
            if step.instance:
                self.by_instance[step.instance].append(step)
        self.splits = [s for s in self.steps if s.op in SPLITS]

    # ----------------------------------------------------------------- value queries
    def _closure(self, value: str, edges: dict[str, set[str]]) -> set[str]:
        seen, todo = {value}, [value]
        while todo:
            for other in edges.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen

    def descendants(self, value: str) -> set[str]:
        return self._closure(value, self.children)

    def role_set(self, value: str) -> set[str]:
        """`train`/`test` for each split output ``value`` is derived from (empty: never split)."""
        return {self.roles[a][1] for a in self._closure(value, self.parents) if a in self.roles}

    def splits_of(self, value: str) -> list[DataStep]:
        """The splits (and cross-validations) of data derived from ``value``."""
        below = self.descendants(value)
        return [s for s in self.splits if any(i in below for i in s.inputs)]

    # ----------------------------------------------------------------- checks
    def fitted_before_split(self) -> Iterator[Issue]:
        for step in self.steps:
            category = _category(step)
            if step.op not in FITS or category is None or not step.inputs or self.role_set(step.inputs[0]):
                continue
            splits = self.splits_of(step.inputs[0])
            use = self._use_on_split_data(step)
            if not splits or use is None:
                continue
            split = splits[0]
            message = (f"{_short(step.estimator)} ({category}) is fitted on {_value(step.inputs[0])} before it is "
                       f"{_split_words(split)} (line {_line(split)}): the test rows shape what the model is trained with")
            path = [PathStep(f"{_short(step.estimator)} is fitted on all rows", step.location)]
            if use is not step:
                path.append(PathStep(f"its {use.op.value} is applied to the data", use.location))
            words = _split_words(split)
            path.append(PathStep(f"{_value(split.inputs[0]) if split.inputs else 'the data'} is {words}", split.location))
            yield "fit-before-split", step, step.estimator, message, [RelatedLocation(f"the data is {words} here", split.location)], path

    def _use_on_split_data(self, fit: DataStep) -> DataStep | None:
        """The step through which a fitted transformer's state reaches data that is split, if any."""
        split_inputs = {i for s in self.splits for i in s.inputs}
        if fit.op == StepOp.FIT_TRANSFORM and any(split_inputs & self.descendants(o) for o in fit.outputs):
            return fit
        for use in self.by_instance.get(fit.instance or "", []):
            if use.op != StepOp.TRANSFORM or not use.inputs:
                continue
            if self.role_set(use.inputs[0]) or any(split_inputs & self.descendants(o) for o in use.outputs):
                return use
        return None

    def oversampled_before_split(self) -> Iterator[Issue]:
        for step in self.steps:
            if step.op != StepOp.RESAMPLE or _short(step.estimator) not in OVERSAMPLERS or not step.inputs:
                continue
            if self.role_set(step.inputs[0]):
                continue
            split_inputs = {i for s in self.splits for i in s.inputs}
            splits = [s for s in self.splits if any(set(s.inputs) & self.descendants(o) for o in step.outputs)]
            if not splits or not any(split_inputs & self.descendants(o) for o in step.outputs):
                continue
            split = splits[0]
            message = (f"{_short(step.estimator)} oversamples {_value(step.inputs[0])} before it is split (line "
                       f"{_line(split)}): copies and synthetic neighbours of the same rows land in both train and test")
            path = [PathStep("rows are oversampled", step.location), PathStep("then split", split.location)]
            yield "oversample-before-split", step, step.estimator, message, [RelatedLocation("the data is split here", split.location)], path

    def test_rows_in_training(self) -> Iterator[Issue]:
        for step in self.steps:
            if step.op not in FITS or not step.inputs:
                continue
            roles = self.role_set(step.inputs[0])
            evaluation = self._evaluation_on(step, "test")
            if roles == {"test"}:
                message = f"{_short(step.estimator) or 'the estimator'} is fitted on {_value(step.inputs[0])}, a test split"
            elif roles == {"train", "test"} and evaluation is not None:
                message = (f"{_short(step.estimator) or 'the estimator'} is fitted on {_value(step.inputs[0])}, which includes "
                           f"the test split, and then evaluated on the test split (line {_line(evaluation)})")
            elif not roles and evaluation is not None and self.splits_of(step.inputs[0]) and not self._refitted_on_train(step):
                message = (f"{_short(step.estimator) or 'the estimator'} is fitted on {_value(step.inputs[0])} before it is "
                           f"split, then evaluated on the test split (line {_line(evaluation)}): it has seen those rows")
            else:
                continue
            related = [RelatedLocation("evaluated here", evaluation.location)] if evaluation is not None else []
            path = [PathStep("fitted here", step.location), *([PathStep("evaluated here", evaluation.location)] if evaluation else [])]
            yield "test-rows-in-training", step, step.estimator, message, related, path

    def _refitted_on_train(self, fit: DataStep) -> bool:
        return any(
            other.op in FITS and other.inputs and self.role_set(other.inputs[0]) == {"train"}
            for other in self.by_instance.get(fit.instance or "", [])
        )

    def _evaluations(self, instance: str | None) -> list[tuple[DataStep, str]]:
        """(evaluation step, the X it evaluates) for an estimator instance: `score` or a metric of its predictions."""
        if not instance:
            return []
        found = []
        for step in self.by_instance.get(instance, []):
            if step.op == StepOp.EVALUATE and step.inputs:
                found.append((step, step.inputs[0]))
            if step.op == StepOp.CROSS_VALIDATE:
                found.append((step, ""))
        predictions = {o: s for s in self.by_instance.get(instance, []) if s.op == StepOp.PREDICT for o in s.outputs}
        for step in self.steps:
            if step.op == StepOp.EVALUATE and not step.instance:
                for value in step.inputs:
                    predict = predictions.get(value)
                    if predict is not None and predict.inputs:
                        found.append((step, predict.inputs[0]))
        return found

    def _evaluation_on(self, fit: DataStep, role: str) -> DataStep | None:
        for step, value in self._evaluations(fit.instance):
            if value and role in self.role_set(value) and _after(step, fit):
                return step
        return None

    def evaluated_on_training_data(self) -> Iterator[Issue]:
        for instance in sorted(self.by_instance):
            fits = [s for s in self.by_instance[instance] if s.op in FITS and s.inputs and not _category(s)]
            evaluations = self._evaluations(instance)
            if not fits or not evaluations:
                continue
            fitted = {f.inputs[0] for f in fits}
            train_parts = {
                self.roles[a] for f in fits for a in self._closure(f.inputs[0], self.parents)
                if a in self.roles and self.roles[a][1] == "train"
            }
            on_train, held_out = [], False
            for step, value in evaluations:
                parts = {self.roles[a] for a in self._closure(value, self.parents) if a in self.roles} if value else set()
                if value and (value in fitted or (parts and parts <= train_parts)):
                    on_train.append(step)
                else:
                    held_out = True  # a test split, a cross-validation or data it was not fitted on
            if held_out or not on_train:
                continue
            fit, first = fits[0], on_train[0]
            message = (f"{_short(fit.estimator) or 'the model'} is only evaluated on the rows it was fitted on "
                       f"({_value(fit.inputs[0])}): the score says nothing about unseen data")
            related = [RelatedLocation("fitted here", fit.location)]
            path = [PathStep("fitted here", fit.location), PathStep("evaluated on the same rows here", first.location)]
            yield "evaluated-on-training-data", first, fit.estimator, message, related, path


def _category(step: DataStep) -> str | None:
    """What kind of preprocessing a step's estimator is (None: not known to be preprocessing)."""
    short = _short(step.estimator)
    if short in CATEGORY:
        return CATEGORY[short]
    inner = [CATEGORY.get(_short(c)) for c in step.components]
    if (short in COMBINERS and any(inner)) or (short == "Pipeline" and inner and all(inner)):
        return ", ".join(dict.fromkeys(c for c in inner if c))
    return None


def _split_words(split: DataStep) -> str:
    return "cross-validated" if split.op == StepOp.CROSS_VALIDATE else "split into train and test"


def _short(estimator: str | None) -> str:
    return (estimator or "").rsplit(".", 1)[-1]


def _value(value: str) -> str:
    """A value id's variable name for messages (`python:train.py:X@12` -> `X`)."""
    return value.rsplit(":", 1)[-1].split("@", 1)[0] or value


def _line(step: DataStep) -> str:
    return str(step.location.start_line) if step.location else "?"


def _after(step: DataStep, other: DataStep) -> bool:
    """Whether ``step`` comes after ``other`` in the same file (unknown order counts as after)."""
    a, b = step.location, other.location
    if a is None or b is None or a.path != b.path:
        return True
    return (a.start_line, a.start_col) > (b.start_line, b.start_col)
