"""The locally trained threat/hate classifier: it learns, it round-trips, it is deterministic,
and its command line reports bad input instead of failing on it.

Training the seed corpus (five languages) takes a few seconds; it is done once per module.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from detectors.text.classifier import (
    LABELS,
    CorpusError,
    ModelWriteError,
    TextClassifier,
    TrainingReport,
    read_corpus,
    seed_corpus_path,
    train,
    train_main,
)

LANGUAGES = ("ar", "en", "fr", "it", "nb")

# Written for these tests, in none of the corpus's lines: (clear threat, benign, clear hate).
UNSEEN = {
    "en": (
        "We will bring guns and kill people at the harbour festival.",
        "The boat parade on the harbour was lovely, thank you organisers.",
        "Those people are vermin, drive them out of the harbour.",
    ),
    "it": (
        "Porteremo le pistole e uccideremo la gente al festival del porto.",
        "La parata delle barche al porto è stata bellissima, grazie agli organizzatori.",
        "Quella gente è feccia, cacciateli dal porto.",
    ),
    "nb": (
        "Vi tar med våpen og dreper folk på havnefestivalen.",
        "Båtparaden i havna var nydelig, takk til arrangørene.",
        "De folkene er skadedyr, jag dem ut av havna.",
    ),
    "fr": (
        "On va apporter des armes et tuer des gens au festival du port.",
        "La parade des bateaux sur le port était magnifique, merci aux organisateurs.",
        "Ces gens sont de la vermine, chassez-les du port.",
    ),
    "ar": (
        "سنحضر الأسلحة ونقتل الناس في مهرجان الميناء.",
        "كان موكب القوارب في الميناء جميلا، شكرا للمنظمين.",
        "هؤلاء الناس حشرات، اطردوهم من الميناء.",
    ),
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainingReport, Path]:
    out = tmp_path_factory.mktemp("text-models")
    return train([seed_corpus_path()], out, seed=0), out


@pytest.fixture(scope="module")
def classifier(trained: tuple[TrainingReport, Path]) -> TextClassifier:
    return TextClassifier.load(trained[1])


def _english_only(tmp_path: Path) -> Path:
    lines = [
        line
        for line in seed_corpus_path().read_text(encoding="utf-8").splitlines()
        if json.loads(line)["language"] == "en"
    ]
    path = tmp_path / "en.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_seed_corpus_is_balanced_across_five_languages() -> None:
    corpus = read_corpus(seed_corpus_path())
    assert corpus.rejected == ()
    for language in LANGUAGES:
        examples = [e for e in corpus.examples if e.language == language]
        assert 40 <= len(examples) <= 60
        assert sum(e.threat for e in examples) >= 10
        assert sum(e.hate for e in examples) >= 10
        assert sum(not e.threat and not e.hate for e in examples) >= 15


@pytest.mark.timeout(60)
def test_training_learns_and_reports_held_out_scores(trained) -> None:
    report, out = trained
    assert [r.language for r in report.languages] == sorted(LANGUAGES)
    english = report.language("en")
    assert english.dev_size >= 10 and english.train_size >= 40
    assert english.score("threat").support >= 3
    assert english.score("threat").f1 >= 0.6
    for language in report.languages:
        # Better than chance on both labels in every language, not only English.
        f1s = [language.score(label).f1 or 0.0 for label in LABELS]
        assert sum(f1s) / len(f1s) >= 0.4, language
    table = report.to_table()
    header = "language train dev label precision recall F1 support"
    assert table.splitlines()[0].split() == header.split()
    assert len(table.splitlines()) == 1 + 2 * len(LANGUAGES)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert sorted(meta["languages"]) == sorted(LANGUAGES)
    assert meta["languages"]["en"]["train"] == english.train_size
    assert meta["languages"]["en"]["scores"]["threat"]["f1"] == english.score("threat").f1
    assert meta["trained_at"].startswith("20")
    assert all((out / language / "config.cfg").is_file() for language in LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_unseen_threat_and_hate_outscore_a_benign_post(classifier, language) -> None:
    threat, benign, hate = (classifier.score(text, language) for text in UNSEEN[language])
    assert threat["threat"] > benign["threat"] + 0.2
    assert threat["threat"] >= 0.5
    assert hate["hate"] > benign["hate"] + 0.2
    assert hate["hate"] >= 0.5


def test_load_and_score_round_trip(classifier) -> None:
    assert classifier.languages == frozenset(LANGUAGES)
    scores = classifier.score(UNSEEN["en"][0], "en")
    assert set(scores) == set(LABELS)
    assert all(0.0 <= value <= 1.0 for value in scores.values())
    assert classifier.score(UNSEEN["en"][0], "en-GB") == scores
    assert classifier.score("Wir bringen Messer mit.", "de") == {}
    assert classifier.score("", "en").keys() == set(LABELS)


def test_scoring_from_many_threads_gives_the_serial_answers(classifier) -> None:
    texts = [(text, language) for language, triple in UNSEEN.items() for text in triple]
    expected = [classifier.score(text, language) for text, language in texts]
    results: dict[int, list[dict[str, float]]] = {}

    def worker(index: int) -> None:
        results[index] = [classifier.score(text, language) for text, language in texts]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(results[i] == expected for i in range(4))


def test_load_without_a_model_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        TextClassifier.load(tmp_path / "nothing-here")


def test_same_seed_same_model(tmp_path: Path) -> None:
    corpus = _english_only(tmp_path)
    first = train([corpus], tmp_path / "one", seed=7, epochs=8)
    second = train([corpus], tmp_path / "two", seed=7, epochs=8)
    assert first.languages == second.languages
    one = TextClassifier.load(tmp_path / "one")
    two = TextClassifier.load(tmp_path / "two")
    for text in UNSEEN["en"]:
        assert one.score(text, "en") == two.score(text, "en")


def test_bad_lines_are_rejected_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = {
        "text": "Bring knives to the quay.",
        "language": "en",
        "labels": {"threat": 1, "hate": 0},
    }
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps({**good, "language": "xx"}),
                json.dumps({**good, "language": "Klingon"}),
                json.dumps({**good, "labels": {"threat": 2, "hate": 0}}),
                "",
                json.dumps({**good, "labels": {"threat": 1}}),
                json.dumps({**good, "text": "  "}),
                json.dumps([good]),
            ]
        ),
        encoding="utf-8",
    )
    corpus = read_corpus(path)
    assert len(corpus.examples) == 1
    assert [reason.split(": ")[0] for reason in corpus.rejected] == [
        f"{path}:{n}" for n in (2, 3, 4, 5, 7, 8, 9)
    ]
    assert "not JSON" in corpus.rejected[0]
    with pytest.raises(CorpusError):
        read_corpus(tmp_path / "missing.jsonl")


def test_an_unrelated_folder_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "models"
    (out / "en").mkdir(parents=True)
    (out / "en" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ModelWriteError):
        train([_english_only(tmp_path)], out, epochs=2)
    assert (out / "en" / "notes.txt").read_text(encoding="utf-8") == "mine"


def _german(path: Path) -> Path:
    threats = ["Wir bringen Messer zum Hafenfest.", "Ich werde die Bühne anzünden."] * 4
    benign = ["Das Hafenfest war wunderschön.", "Die Fähre fährt heute länger."] * 4
    rows = [(t, 1) for t in threats] + [(b, 0) for b in benign]
    lines = [
        json.dumps({"text": f"{text} ({i})", "language": "de", "labels": {"threat": t, "hate": 0}})
        for i, (text, t) in enumerate(rows)
    ]
    path.write_text("\n".join([*lines, "oops, not json"]) + "\n", encoding="utf-8")
    return path


@pytest.mark.timeout(60)
def test_train_main_uses_seed_and_user_data_and_the_data_folder(
    tmp_path: Path, watchfloor_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user_file = _german(tmp_path / "de.jsonl")
    assert train_main(["--data", str(user_file), "--epochs", "3"]) == 0
    captured = capsys.readouterr()
    assert f"{user_file}:17: not JSON" in captured.err
    out = watchfloor_home / "data" / "text-models"
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert sorted(meta["languages"]) == sorted([*LANGUAGES, "de"])
    assert meta["rejected_lines"] == 1
    assert any(line.startswith("de ") for line in captured.out.splitlines())
    assert "threat" in captured.out


def test_train_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert train_main(["--data", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
    assert train_main(["--data", str(tmp_path)]) == 2  # a folder is no corpus
    assert train_main(["--epochs", "many"]) == 2
    assert train_main(["--epochs", "0"]) == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    assert train_main(["--out", str(blocker / "models"), "--epochs", "1"]) == 4
    assert "cannot write" in capsys.readouterr().err
