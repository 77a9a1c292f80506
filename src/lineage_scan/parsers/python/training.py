"""ML training: estimators, `train_test_split`, `fit(X, y)` and the `MLModelDef` it produces.

A model's features are the columns of `X` traced upstream: a feature that is a column read unchanged
(possibly renamed) from a relation is that relation's column itself; a feature computed in Python
(`df["ratio"] = df.a / df.b`) is a column of a `dataset` relation named after the training matrix,
`python:<path>:<function>.<X variable>`, with edges from what it is computed from, so a reviewer sees
the feature under the name the model uses. The target is traced the same way from `y`.
Columns of `X` read from a relation whose columns are not known (`SELECT *`) become a `t.*` feature
with the columns the code dropped listed as excluded; the build expands it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lineage_scan.model import STAR, ColumnRef, EdgeKind, MLModelDef, RelationKind, Severity, StepOp
from lineage_scan.parsers.python import effects as fx
from lineage_scan.parsers.python.flow import EstimatorAt, estimator_step
from lineage_scan.parsers.python.nulls import is_zero
from lineage_scan.parsers.python.values import (
    NONE,
    UNKNOWN,
    ColumnValue,
    Const,
    Estimator,
    Frame,
    Lineage,
    Seq,
    Trained,
    TrainingData,
    Unknown,
    bind,
)

if TYPE_CHECKING:
    from lineage_scan.parsers.python.interpreter import Call, Interpreter

ML_LIBRARIES = ("sklearn.", "xgboost.", "lightgbm.", "catboost.", "imblearn.", "tensorflow.keras.", "keras.",
                "statsmodels.", "ngboost.", "interpret.")
PREPROCESSORS = ("Scaler", "Encoder", "Imputer", "Transformer", "Vectorizer", "Binarizer", "Normalizer",
                 "Discretizer", "PolynomialFeatures", "PCA", "TruncatedSVD", "NMF", "Select", "VarianceThreshold",
                 "RFE", "RFECV", "SplineTransformer", "Nystroem", "FeatureHasher", "SMOTE", "RandomUnderSampler",
                 "RandomOverSampler", "FeatureUnion")
NOT_ESTIMATORS = ("KFold", "StratifiedKFold", "GroupKFold", "TimeSeriesSplit", "ShuffleSplit", "StratifiedShuffleSplit",
                  "LeaveOneOut", "RepeatedKFold")
PIPELINES = ("sklearn.pipeline.Pipeline", "sklearn.pipeline.make_pipeline", "imblearn.pipeline.Pipeline",
             "imblearn.pipeline.make_pipeline")
COMBINERS = {"ColumnTransformer": "sklearn.compose.ColumnTransformer",
             "make_column_transformer": "sklearn.compose.ColumnTransformer",
             "FeatureUnion": "sklearn.pipeline.FeatureUnion", "make_union": "sklearn.pipeline.FeatureUnion"}
"""Transformers that apply several transformers side by side, by the class their factory makes."""
FACTORIES = (*PIPELINES, "sklearn.compose.make_column_transformer", "sklearn.pipeline.make_union")
"""Functions that make a composite estimator."""
WRAPPERS = ("GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
            "CalibratedClassifierCV", "BaggingClassifier", "BaggingRegressor", "OneVsRestClassifier",
            "MultiOutputClassifier", "MultiOutputRegressor", "TransformedTargetRegressor", "SelectFromModel")
SPLITTERS = ("train_test_split",)
PREDICT = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function", "score_samples"})


def is_ml_class(path: str) -> bool:
    """A class of a known ML library (CamelCase name under sklearn, xgboost, lightgbm, ...)."""
    last = path.rsplit(".", 1)[-1]
    return path.startswith(ML_LIBRARIES) and last[:1].isupper() and last not in NOT_ESTIMATORS


def is_preprocessor(estimator: Estimator) -> bool:
    """A transformer by its class name (a pipeline or a wrapper: by its last step's; a `ColumnTransformer`
    and a `SelectFromModel` are ones whatever they hold)."""
    last = estimator.path.rsplit(".", 1)[-1]
    if estimator.steps and last not in ("ColumnTransformer", "FeatureUnion", "SelectFromModel"):
        last = estimator.steps[-1].split("(", 1)[0]
    return any(last.startswith(p) or last.endswith(p) for p in PREPROCESSORS)


def make_estimator(ix: Interpreter, path: str, call: Call) -> Estimator:
    """An estimator object, known by where it is made; a pipeline remembers its steps' classes, a
    search wrapper its estimator."""
    last = path.rsplit(".", 1)[-1]
    instance = ix.flow.expression(call.node, last)
    if path in PIPELINES or last in ("Pipeline", "make_pipeline"):
        steps: list[Estimator] = []
        items = call.get(0, "steps")
        for item in (items.items if isinstance(items, Seq) else tuple(call.args)):
            step = item.items[-1] if isinstance(item, Seq) and item.items else item
            if isinstance(step, Estimator):
                steps.append(step)
        return EstimatorAt("sklearn.pipeline.Pipeline", tuple(s.name for s in steps), instance, _components(steps))
    if last in COMBINERS:
        parts = _combined(call, last)
        return EstimatorAt(COMBINERS[last], tuple(s.name for s in parts), instance, _components(parts))
    if last in WRAPPERS:
        inner = call.get(0, "estimator") or call.get(None, "base_estimator")
        if isinstance(inner, Estimator):
            return EstimatorAt(path, (inner.name,), instance, _components([inner]))
    strategy, fill = call.get(None, "strategy"), call.get(None, "fill_value")
    fills_zero = last == "SimpleImputer" and isinstance(strategy, Const) and strategy.value == "constant" and (
        fill is None or is_zero(fill))
    return EstimatorAt(path, (), instance, fills_zero=fills_zero)


def _combined(call: Call, last: str) -> list[Estimator]:
    """The transformers of a `ColumnTransformer([(name, est, columns)...], remainder=est)`,
    `make_column_transformer((est, columns)...)`, `FeatureUnion([(name, est)...])` or `make_union(est...)`."""
    if last in ("ColumnTransformer", "FeatureUnion"):
        items = call.get(0, "transformers" if last == "ColumnTransformer" else "transformer_list")
        items = items.items if isinstance(items, Seq) else ()
    else:
        items = tuple(call.args)
    found = []
    for item in (*items, call.get(None, "remainder")):
        for part in (item.items if isinstance(item, Seq) else (item,)):
            if isinstance(part, Estimator):
                found.append(part)
                break
    return found


def _components(estimators: list[Estimator]) -> tuple[str, ...]:
    """The classes inside a pipeline or wrapper, dotted as imported (a nested pipeline's own ones)."""
    found: list[str] = []
    for estimator in estimators:
        inner = estimator.components if isinstance(estimator, EstimatorAt) else ()
        found.extend(inner or (estimator.path,))
    return tuple(found)


def split(ix: Interpreter, call: Call) -> object:
    """`train_test_split(X, y, ...)` -> (X_train, X_test, y_train, y_test): each part has its input's
    columns (the split picks rows at random; no column decides them)."""
    arrays = [a for a in call.args]
    if not arrays:
        return UNKNOWN
    parts: list[object] = []
    for array in arrays:
        parts.extend([array, array])
    return Seq(tuple(parts))


def estimator_method(ix: Interpreter, model: object, name: str, call: Call, receiver: cst.CSTNode) -> object:
    estimator_step(ix, model, name, call, receiver)
    estimator = model.estimator if isinstance(model, Trained) else model if isinstance(model, Estimator) else None
    if name == "fit" or name == "fit_predict" or name == "fit_resample":
        features = call.get(0, "X")
        label = call.get(1, "y")
        if label is None or (isinstance(label, Const) and label.value is None) or (
                estimator is not None and is_preprocessor(estimator) and name != "fit_resample"):
            return model
        if name == "fit_resample":
            return Seq((features, label))
        trained = fit(ix, estimator, features, label, call, receiver)
        ix.rebind(receiver, trained)
        return trained if name == "fit" else _predictions(trained, features, call)
    if name in ("fit_transform", "transform", "inverse_transform") and estimator is not None and is_preprocessor(estimator):
        features = call.get(0, "X")
        if name != "inverse_transform" and isinstance(estimator, EstimatorAt) and estimator.fills_zero \
                and isinstance(features, Frame):
            return ix.nulls.frame_zero_filled(features, call.location)
        return features
    if name in PREDICT or name == "transform":
        return _predictions(model, call.get(0, "X"), call)
    if name in ("set_params", "set_output"):
        return model
    return UNKNOWN


def _predictions(model: object, features: object, call: Call) -> object:
    from lineage_scan.parsers.python.frames import predictions

    return predictions(model, call.location) if not isinstance(features, Frame) else _combine_predictions(model, features, call)


def _combine_predictions(model: object, features: Frame, call: Call) -> object:
    from lineage_scan.parsers.python.frames import predictions

    trained = predictions(model, call.location)
    frame_part = predictions(features, call.location)
    return ColumnValue(trained.terms | frame_part.terms, None)


def train_function(ix: Interpreter, path: str, call: Call) -> object:
    """`xgboost.train(params, DMatrix(X, label=y))`, `lightgbm.train(params, Dataset(X, label=y))`: a FIT
    step of a booster known by the variable it is assigned to, and the model."""
    keyword = "dtrain" if "dtrain" in call.kwarg_nodes or not path.startswith("lightgbm") else "train_set"
    flow = ix.flow
    booster = Estimator(path.rsplit(".", 1)[0] + ".Booster")
    inputs = [flow.argument(call, 1, keyword)]
    instance = flow.results(call)
    flow.step(StepOp.FIT, call.location, inputs, (), (), booster.path, (), instance[0] if len(instance) == 1 else None)
    flow.outputs[id(call.node)] = ()  # a model, not a dataset
    data = call.get(1, keyword)
    if not isinstance(data, TrainingData):
        return Trained(booster, NONE)
    return fit(ix, booster, data.features, data.label, call, None)


def training_data(call: Call) -> object:
    return TrainingData(call.get(0, "data"), call.get(None, "label") or call.get(1, "label"))


def fit(ix: Interpreter, estimator: Estimator | None, features: object, label: object, call: Call,
        receiver: cst.CSTNode | None) -> Trained:
    """Record the ML model trained by a `fit(X, y)` call; return the fitted model."""
    module = ix.module
    variable = _variable(ix, receiver)
    scope = ix.scope_name()
    model_id = f"python:{module.rel}" + (f":{scope}" if scope else "") + f"#{variable}"
    base = f"python:{module.rel}:" + (f"{scope}." if scope else "")
    feature_refs, excluded, unresolved, names, lineage = _features(ix, features, base, call)
    target, target_name = _target(ix, label, base, call)
    attributes = [("features_in_code", ", ".join(names))] if names else []
    if target_name:
        attributes.append(("target_in_code", target_name))
    if estimator is not None:
        attributes.append(("estimator_class", estimator.path))
    unknown_inputs = [what for what, value in (("features", features), ("label", label))
                      if _unknown(value) and not (isinstance(value, Unknown) and value.param)]
    if unresolved:
        ix.diagnose(call.location, f"{variable}.fit: feature columns {', '.join(unresolved)} are not traced to any "
                    "relation", fx.CODE_MODEL_UNRESOLVED)
    if unknown_inputs:
        ix.diagnose(call.location, f"{variable}.fit: {' and '.join(unknown_inputs)} not traced to dataframe "
                    "columns", fx.CODE_MODEL_UNRESOLVED, Severity.NOTE)
    ix.effects.model(MLModelDef(
        model_id,
        f"{scope}.{variable}" if scope else variable,
        ix.module.location(call.node),
        tuple(feature_refs),
        target,
        estimator.name if estimator is not None else None,
        tuple(sorted(attributes)),
        excluded=tuple(sorted(excluded)),
    ))
    return Trained(estimator, lineage)


def _unknown(value: object) -> bool:
    return not isinstance(value, Frame | ColumnValue)


def _variable(ix: Interpreter, receiver: cst.CSTNode | None) -> str:
    """The name the model is known by: the receiver of `.fit`, else the variable assigned."""
    if isinstance(receiver, cst.Name | cst.Attribute):
        return ix.module.tree.code_for_node(receiver)
    target = ix.assigned_name()
    return target or "model"


def _features(ix: Interpreter, features: object, base: str, call: Call):
    """(feature columns, excluded names of star features, unresolved names, names in code, lineage)."""
    if isinstance(features, ColumnValue):
        label = features.name or "x"
        lineage, _ = bind(features, Frame(), label, call.location)
        features = Frame(((label, lineage),), features.rows)
    if not isinstance(features, Frame):
        return [], set(), [], [], NONE
    refs: list[ColumnRef] = []
    derived: list[tuple[str, Lineage]] = []
    unresolved: list[str] = []
    for name, lineage in features.columns:
        source = _single_source(lineage)
        if source is not None:
            refs.append(source)
        elif any(d.kind.is_direct for d in lineage):
            derived.append((name, lineage))
        else:
            unresolved.append(name)
    excluded: set[str] = set()
    for star in sorted(features.stars, key=lambda d: str(d.source)):
        if star.source.table is not None:
            refs.append(ColumnRef(star.source.table, STAR))
            excluded |= set(features.names) | set(features.excluded)
    for dep in sorted(features.unknown, key=lambda d: str(d.source)):
        if dep.kind.is_direct and dep.source.table is not None:
            refs.append(dep.source)
    if derived:
        refs.extend(_derived_relation(ix, f"{base}{_argument_name(ix, call, 0, 'X')}", derived, features.rows, call))
    lineage = features.all_lineage() | features.rows
    return list(dict.fromkeys(refs)), excluded, unresolved, list(features.names), lineage


def _single_source(lineage: Lineage) -> ColumnRef | None:
    """The one upstream column a value is an unchanged copy of, if it is one."""
    direct = [d for d in lineage if d.kind.is_direct]
    if len(direct) == 1 and direct[0].kind == EdgeKind.IDENTITY and direct[0].source.table is not None:
        return direct[0].source
    return None


def _target(ix: Interpreter, label: object, base: str, call: Call) -> tuple[ColumnRef | None, str | None]:
    if isinstance(label, Frame) and len(label.columns) == 1:
        name, lineage = label.columns[0]
        label = ColumnValue(frozenset(), name, label.rows)
        lineage = lineage | label.rows
    elif isinstance(label, ColumnValue):
        name = label.name or _argument_name(ix, call, 1, "y")
        lineage, _ = bind(label, Frame(), name, call.location)
    else:
        return None, None
    source = _single_source(lineage)
    if source is not None:
        return source, name
    if not any(d.kind.is_direct for d in lineage):
        if lineage or label.name:
            ix.diagnose(call.location, f"label {name!r} is not traced to any relation", fx.CODE_MODEL_UNRESOLVED)
        return None, name
    refs = _derived_relation(ix, f"{base}{_argument_name(ix, call, 1, 'y')}", [(name, lineage)], NONE, call)
    return refs[0], name


def _derived_relation(ix: Interpreter, relation: str, columns: list[tuple[str, Lineage]], rows: Lineage,
                      call: Call) -> list[ColumnRef]:
    """Columns computed in Python before training, as a `dataset` relation with their lineage."""
    from lineage_scan.parsers.python.sinks import emit

    emit(ix, Frame(tuple(columns), rows), relation, RelationKind.DATASET, call.location, task_write=False)
    return [ColumnRef(relation, name) for name, _ in columns]


def _argument_name(ix: Interpreter, call: Call, index: int, keyword: str) -> str:
    node = call.kwarg_nodes.get(keyword)
    if node is not None:
        node = node.value
    elif index < len(call.arg_nodes):
        node = call.arg_nodes[index]
    if isinstance(node, cst.Name | cst.Attribute):
        return ix.module.tree.code_for_node(node)
    return keyword

