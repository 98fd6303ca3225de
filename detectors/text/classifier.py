"""A learnt threat/hate classifier per language, trained on this machine from labelled posts.

Rules catch the phrasings someone wrote down; a classifier trained on examples generalises to
nearby wordings. Nothing is downloaded, ever: a control room may be air-gapped, and a model
fetched at run time is a model nobody reviewed. Each language gets its own ``spacy.blank``
pipeline with a ``textcat_multilabel`` component (labels ``threat`` and ``hate``, not
exclusive: a post can be both), trained from the bundled seed corpus plus the operator's own
labelled files. Training is deterministic for a given seed and corpus, so two consoles trained
from the same files score a post the same, and a held-out share of every language is kept back
to report precision, recall and F1: a model whose numbers were never shown is not trusted.

``TextClassifier`` is the optional learnt signal the text analyzer accepts; a language without
a model scores nothing rather than borrowing another language's model.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import shutil
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch
from thinc.api import Adam

from app import bundled, paths

log = logging.getLogger(__name__)

LABELS = ("threat", "hate")
SEED_CORPUS = "text/seed_corpus.jsonl"
DEFAULT_EPOCHS = 20
THRESHOLD = 0.5  # a label counts as predicted at or above this probability
MIN_EXAMPLES = 10  # fewer examples than this in a language teach nothing worth shipping
MAX_CHARS = 10_000  # a pasted novel is scored on its beginning, not allowed to stall a thread
META_FILE = "meta.json"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
EXIT_OK, EXIT_USAGE, EXIT_OUTPUT = 0, 2, 4

# A linear model over hashed words and word pairs ("bring knives", "those vermin"). With a few
# dozen examples per language it is what the data can support: on the seed corpus the spaCy
# default (this plus a CNN over word pieces) scored lower on held-out threats and varied more
# from seed to seed, and took three times as long. The learning rate is ten times Adam's
# default because a bag of words on this little data otherwise barely leaves 0.5 in 20 epochs.
_MODEL_CONFIG: dict[str, Any] = {
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 2**18,
        "nO": None,
    },
    "threshold": THRESHOLD,
}
LEARN_RATE = 0.01
BATCH_SIZE = 8


class CorpusError(Exception):
    """A corpus file cannot be read at all (a bad line is only rejected, not fatal)."""


class ModelWriteError(Exception):
    """The trained pipelines cannot be written where they were asked to go."""


@dataclass(frozen=True, slots=True)
class LabelledPost:
    text: str
    language: str
    threat: bool
    hate: bool

    @property
    def cats(self) -> dict[str, float]:
        return {"threat": float(self.threat), "hate": float(self.hate)}

    @property
    def kind(self) -> tuple[bool, bool]:
        return (self.threat, self.hate)


@dataclass(frozen=True, slots=True)
class Corpus:
    """The accepted examples of one or more files and, per rejected line, ``file:line: why``."""

    examples: tuple[LabelledPost, ...]
    rejected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelScores:
    """Held-out scores of one label; ``None`` where undefined (nothing predicted or present)."""

    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int


@dataclass(frozen=True, slots=True)
class LanguageReport:
    language: str
    train_size: int
    dev_size: int
    scores: tuple[LabelScores, ...]

    def score(self, label: str) -> LabelScores:
        return next(s for s in self.scores if s.label == label)


@dataclass(frozen=True, slots=True)
class TrainingReport:
    """What was trained, from what, and how well it did on examples it never saw."""

    trained_at: datetime
    seed: int
    epochs: int
    languages: tuple[LanguageReport, ...]
    skipped: tuple[str, ...] = ()  # "xx: why", languages that got no model
    rejected: tuple[str, ...] = ()  # "file:line: why"
    corpora: tuple[str, ...] = ()

    def language(self, code: str) -> LanguageReport:
        return next(r for r in self.languages if r.language == code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trained_at": self.trained_at.isoformat(),
            "seed": self.seed,
            "epochs": self.epochs,
            "labels": list(LABELS),
            "threshold": THRESHOLD,
            "corpora": list(self.corpora),
            "rejected_lines": len(self.rejected),
            "skipped": list(self.skipped),
            "languages": {
                r.language: {
                    "train": r.train_size,
                    "dev": r.dev_size,
                    "scores": {s.label: asdict(s) for s in r.scores},
                }
                for r in self.languages
            },
        }

    def to_table(self) -> str:
        header = ("language", "train", "dev", "label", "precision", "recall", "F1", "support")
        rows = [header] + [_row(r, s) for r in self.languages for s in r.scores]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.extend(f"skipped {reason}" for reason in self.skipped)
        return "\n".join(line.rstrip() for line in lines)


def _row(r: LanguageReport, s: LabelScores) -> tuple[str, ...]:
    sizes = (str(r.train_size), str(r.dev_size))
    return (r.language, *sizes, s.label, *map(_fmt, (s.precision, s.recall, s.f1)), str(s.support))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def seed_corpus_path() -> Path:
    return bundled.resource_path(SEED_CORPUS)


def _known_language(code: str) -> bool:
    if not _LANGUAGE_CODE.match(code) or code == "xx":  # "xx" is spaCy's "any language"
        return False
    try:
        spacy.util.get_lang_class(code)
    except (ImportError, KeyError, ValueError):
        return False
    return True


def _parse_line(line: str) -> LabelledPost:
    """One JSONL line as an example; ``ValueError`` says in words what is wrong with it."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(item, dict):
        raise ValueError("not a JSON object")
    text, language, labels = item.get("text"), item.get("language"), item.get("labels")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' must be a non-empty string")
    if not isinstance(language, str) or not _known_language(language):
        raise ValueError(f"'language' {language!r} is not a language code spaCy knows")
    if not isinstance(labels, dict) or set(labels) != set(LABELS):
        raise ValueError(f"'labels' must be an object with exactly {', '.join(LABELS)}")
    for name, value in labels.items():
        if value not in (0, 1) or isinstance(value, float):
            raise ValueError(f"label {name!r} must be 0 or 1 (got {value!r})")
    return LabelledPost(text.strip(), language, bool(labels["threat"]), bool(labels["hate"]))


def read_corpus(path: Path) -> Corpus:
    """Every valid line of a JSONL file; bad lines are rejected with their line number."""
    try:
        with path.open(encoding="utf-8") as handle:
            lines = handle.readlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read ({exc})") from exc
    examples: list[LabelledPost] = []
    rejected: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            examples.append(_parse_line(line))
        except ValueError as exc:
            rejected.append(f"{path}:{number}: {exc}")
    for reason in rejected:
        log.warning("Rejected training line %s", reason)
    return Corpus(tuple(examples), tuple(rejected))


def split(
    examples: Sequence[LabelledPost], dev_share: float, seed: int
) -> tuple[list[LabelledPost], list[LabelledPost]]:
    """Train and dev sets, stratified by label combination so that a small dev set still
    holds threats, hate and benign posts in the corpus's proportions."""
    rng = random.Random(seed)
    groups: dict[tuple[bool, bool], list[LabelledPost]] = defaultdict(list)
    for example in examples:
        groups[example.kind].append(example)
    train_set: list[LabelledPost] = []
    dev_set: list[LabelledPost] = []
    for kind in sorted(groups):
        group = groups[kind]
        rng.shuffle(group)
        cut = round(len(group) * dev_share) if len(group) > 1 else 0
        dev_set.extend(group[:cut])
        train_set.extend(group[cut:])
    return train_set, dev_set


def _new_pipeline(language: str) -> Language:
    nlp = spacy.blank(language)
    textcat = nlp.add_pipe("textcat_multilabel", config=_MODEL_CONFIG)
    for label in LABELS:
        textcat.add_label(label)
    nlp.meta["name"] = f"watchfloor_text_{language}"
    nlp.meta["description"] = "Watchfloor threat/hate classifier, trained locally"
    return nlp


def _fit(nlp: Language, examples: Sequence[LabelledPost], epochs: int, seed: int) -> None:
    fix_random_seed(seed)
    data = [Example.from_dict(nlp.make_doc(e.text), {"cats": e.cats}) for e in examples]
    nlp.initialize(lambda: data)
    optimizer = Adam(learn_rate=LEARN_RATE)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(data)
        for batch in minibatch(data, size=BATCH_SIZE):
            nlp.update(batch, sgd=optimizer)


def _label_scores(label: str, truth: Sequence[bool], predicted: Sequence[bool]) -> LabelScores:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    n_pred, n_true = sum(predicted), sum(truth)
    precision = tp / n_pred if n_pred else None
    recall = tp / n_true if n_true else None
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return LabelScores(label, precision, recall, f1, n_true)


def evaluate(nlp: Language, examples: Sequence[LabelledPost]) -> tuple[LabelScores, ...]:
    docs = list(nlp.pipe(e.text for e in examples))
    return tuple(
        _label_scores(
            label,
            [getattr(e, label) for e in examples],
            [doc.cats[label] >= THRESHOLD for doc in docs],
        )
        for label in LABELS
    )


def _load_corpora(corpus_paths: Sequence[Path]) -> Corpus:
    examples: list[LabelledPost] = []
    rejected: list[str] = []
    for path in corpus_paths:
        corpus = read_corpus(Path(path))
        examples.extend(corpus.examples)
        rejected.extend(corpus.rejected)
    return Corpus(tuple(examples), tuple(rejected))


def train(
    corpus_paths: Sequence[Path],
    out_dir: Path,
    *,
    seed: int = 0,
    epochs: int = DEFAULT_EPOCHS,
    dev_share: float = 0.2,
) -> TrainingReport:
    """Train, evaluate and save one pipeline per language found in the corpora.

    Raises ``CorpusError`` for an unreadable file (before any training) and
    ``ModelWriteError`` when the output cannot be written.
    """
    if not 0.0 <= dev_share < 1.0:
        raise ValueError(f"dev_share must be in [0, 1) (got {dev_share})")
    corpus = _load_corpora(corpus_paths)
    _prepare_output(out_dir)
    by_language: dict[str, list[LabelledPost]] = defaultdict(list)
    for example in corpus.examples:
        by_language[example.language].append(example)
    pipelines: dict[str, Language] = {}
    reports: list[LanguageReport] = []
    skipped: list[str] = []
    for language in sorted(by_language):
        examples = by_language[language]
        if len(examples) < MIN_EXAMPLES:
            skipped.append(f"{language}: {len(examples)} examples, at least {MIN_EXAMPLES} needed")
            continue
        started = time.perf_counter()
        train_set, dev_set = split(examples, dev_share, seed)
        nlp = _new_pipeline(language)
        _fit(nlp, train_set, epochs, seed)
        scores = evaluate(nlp, dev_set) if dev_set else ()
        pipelines[language] = nlp
        reports.append(LanguageReport(language, len(train_set), len(dev_set), scores))
        elapsed = time.perf_counter() - started
        log.info("Trained %s on %d examples in %.1f s", language, len(train_set), elapsed)
    report = TrainingReport(
        trained_at=datetime.now(UTC),
        seed=seed,
        epochs=epochs,
        languages=tuple(reports),
        skipped=tuple(skipped),
        rejected=corpus.rejected,
        corpora=tuple(str(p) for p in corpus_paths),
    )
    _save(pipelines, report, out_dir)
    return report


def _prepare_output(out_dir: Path) -> None:
    # Fail before minutes of training, not after.
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ModelWriteError(f"{out_dir}: cannot write ({exc})") from exc


def _replace_dir(staged: Path, target: Path) -> None:
    if target.exists():
        # Only ever delete what this module wrote: a folder holding a saved pipeline.
        if not (target / "config.cfg").is_file():
            shutil.rmtree(staged, ignore_errors=True)
            raise ModelWriteError(f"{target} exists and is not a saved pipeline; not replaced")
        shutil.rmtree(target)
    staged.rename(target)


def _save(pipelines: Mapping[str, Language], report: TrainingReport, out_dir: Path) -> None:
    """Each pipeline is written beside its final place and then moved in, and ``meta.json``
    (which ``load`` trusts for the list of languages) is replaced last: a console loading
    while training runs sees the old models or the new, never half of one."""
    try:
        for language, nlp in pipelines.items():
            staged = out_dir / f".{language}.staging"
            shutil.rmtree(staged, ignore_errors=True)
            nlp.to_disk(staged)
            _replace_dir(staged, out_dir / language)
        meta = out_dir / f".{META_FILE}.staging"
        meta.write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
        meta.replace(out_dir / META_FILE)
    except OSError as exc:
        raise ModelWriteError(f"{out_dir}: cannot write the models ({exc})") from exc


class TextClassifier:
    """Loaded pipelines, one per language. ``score`` may be called from any thread: a spaCy
    pipeline is not safe to run concurrently, so each language has its own lock."""

    def __init__(self, pipelines: Mapping[str, Language], meta: Mapping[str, Any]) -> None:
        self._pipelines = dict(pipelines)
        self._locks = {language: threading.Lock() for language in self._pipelines}
        self.meta: Mapping[str, Any] = meta

    @classmethod
    def load(cls, model_dir: Path) -> TextClassifier:
        """The pipelines listed in ``model_dir/meta.json``; ``FileNotFoundError`` when there
        is no trained model there."""
        meta_path = Path(model_dir) / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"no trained text model in {model_dir}") from None
        pipelines = {
            language: spacy.load(Path(model_dir) / language) for language in meta["languages"]
        }
        log.info("Loaded text classifiers for %s", ", ".join(sorted(pipelines)) or "nothing")
        return cls(pipelines, meta)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._pipelines)

    def score(self, text: str, language: str) -> dict[str, float]:
        """Probability of each label, or ``{}`` when there is no model for the language."""
        code = language.split("-")[0].split("_")[0].lower() if language else ""
        nlp = self._pipelines.get(code)
        if nlp is None:
            return {}
        with self._locks[code]:
            doc = nlp(text[:MAX_CHARS])
        return {label: float(doc.cats.get(label, 0.0)) for label in LABELS}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchfloor train-text",
        description="Train the threat/hate text classifiers from the bundled seed corpus plus "
        "labelled JSONL files, and print their scores on held-out examples.",
    )
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="labelled posts, one JSON object a line (repeatable)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where to save the models (default: text-models in the data folder)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, metavar="N")
    return parser


def train_main(argv: list[str]) -> int:
    """``watchfloor train-text``: 0 trained, 2 bad arguments or unreadable file, 4 the models
    could not be written."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed why
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.epochs < 1:
        print("watchfloor train-text: --epochs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    out_dir = args.out if args.out is not None else paths.data_dir() / "text-models"
    try:
        corpora = [seed_corpus_path(), *args.data]
        report = train(corpora, out_dir, seed=args.seed, epochs=args.epochs)
    except CorpusError as exc:
        print(f"watchfloor train-text: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ModelWriteError as exc:
        print(f"watchfloor train-text: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    for reason in report.rejected:
        print(f"rejected {reason}", file=sys.stderr)
    print(report.to_table())
    print(f"models saved in {out_dir}")
    return EXIT_OK
