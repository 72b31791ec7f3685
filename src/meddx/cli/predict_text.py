"""``meddx predict`` for a text bundle: documents from ``--text``, ``.txt`` files or a table.

Output is the label and class probabilities per document (never the document itself, which may
hold PHI); with ``--explain DIR`` one HTML page per document shows its token attributions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from meddx.cli import streams
from meddx.core.errors import DataError


def _named(path: Path) -> str:
    """``path`` for an error message, unless it looks like note text typed without ``--text``
    (spaces, no folder and no document suffix): that is never echoed, since it may hold PHI."""
    raw = str(path)
    from meddx.data.text import RECORD_SUFFIXES, TABLE_SUFFIXES

    known = path.suffix.lower() in (".txt", *TABLE_SUFFIXES, *RECORD_SUFFIXES)
    if not known and "/" not in raw and "\\" not in raw and (any(c.isspace() for c in raw) or len(raw) > 80):
        return f"an argument of {len(raw)} characters that is not a file (not shown: it may be note text)"
    return raw


def read_documents(files: list[Path], text_column: Optional[str], id_column: Optional[str] = None,
                   encoding: str = "utf-8", bundle: Optional[str] = None) -> tuple[list[str], list[str]]:
    """Documents and their names: a ``.txt`` file is one document; a CSV/TSV/JSONL/Parquet file
    gives one per row from ``text_column`` (default ``text``), named ``FILE:ID`` or ``FILE:rowN``;
    a folder stands for those files beneath it. An image file is refused naming ``bundle`` (its
    name) and what it reads instead."""
    from meddx.bundle.text_predictor import documents_not_images
    from meddx.data.inputs import expand_files
    from meddx.data.io import IMAGE_EXTENSIONS, UNREAD_FORMATS, image_suffix
    from meddx.data.text import RECORD_SUFFIXES, TABLE_SUFFIXES, _decode, _read_table
    from meddx.data.text_columns import find_column, missing_column
    from meddx.data.text_exports import nul_free_cells, remove_nul, utf8_note
    from meddx.transforms.text_checks import text_problem, wordless

    texts: list[str] = []
    names: list[str] = []
    id_notes: list[str] = []  # NULs removed from the id column: they would be printed inside the names
    as_utf8: list[Path] = []  # files that are UTF-8 despite --encoding (or the bundle's): read as UTF-8
    for path in expand_files(files, (".txt", *TABLE_SUFFIXES, *RECORD_SUFFIXES), "documents"):
        if not path.is_file():
            raise DataError(f"{_named(path)}: no such file; expected .txt documents or a CSV/JSONL/Parquet of "
                            "documents (note text goes after --text)")
        suffix = path.suffix.lower()
        if suffix == ".txt":
            texts.append(_decode(path.read_bytes(), path, encoding, as_utf8))
            names.append(str(path))
            continue
        if image_suffix(path) in IMAGE_EXTENSIONS or suffix in UNREAD_FORMATS:  # a picture, to an image bundle
            raise DataError(f"{path}: {documents_not_images(bundle)}")
        if suffix not in (*TABLE_SUFFIXES, ".jsonl", ".ndjson", ".parquet"):
            raise DataError(f"{path}: unsupported document file {suffix or '(no extension)'!r}; expected .txt, "
                            ".csv, .tsv, .jsonl or .parquet")
        table = _read_table(path, encoding, as_utf8)
        # as training reads a file: a column named in another case is that column (Text for text)
        column = find_column(list(table), text_column or "text")
        if column is None:
            raise missing_column(path, text_column or "text", "text", list(table), "--text-column")
        id_found = find_column(list(table), id_column) if id_column else None
        ids, nul = nul_free_cells(id_found, table[id_found], "id") if id_found else (None, None)  # else row numbers
        id_notes += [f"{path.name}: {nul}"] if nul else []
        for row, value in enumerate(table[column], start=1):
            value = _as_text(value)
            # "..." too; bytes that were not UTF-8 are named below, as for --text
            problem = ("empty or not text" if not isinstance(value, str)
                       else None if text_problem(value) else wordless(value))
            if problem:
                raise DataError(f"{path}: row {row}, column {column!r}: {problem}; there is nothing to classify: "
                                "drop the row or fill it")
            texts.append(value)
            names.append(f"{path}:{ids[row - 1] if ids else f'row{row}'}")
    texts, nul = remove_nul(texts, names, encoding)
    for note in ([utf8_note(as_utf8, encoding)] if as_utf8 else []) + id_notes + ([nul] if nul else []):
        streams.note(note)  # on stderr: stdout stays the predictions
    return texts, names


def _as_text(value: Any) -> Any:
    """A JSON/Parquet number or boolean as its text (``12345`` -> ``"12345"``), as training reads the
    column (``data.text_columns.text_values``), so a file that trained is also one that predicts;
    anything else (a string, a missing value, a list) is returned unchanged."""
    import numpy as np

    numeric = isinstance(value, (int, float, np.integer, np.floating, np.bool_))
    return str(value) if numeric and value == value else value  # NaN stays missing: "empty or not text"


_READS = {None: "images", "series": "ICU records (series files)", "tabular": "table rows (CSV files)"}


def refuse_text(predictor: Any) -> None:
    """Refuse ``--text`` for a bundle that does not read documents, in one line (``meddx predict``
    and ``meddx explain``): a usage box would break the one-line error rule, and a series or
    table bundle would otherwise ignore the flag. The text itself is never echoed."""
    from meddx.core.errors import ConfigError

    reads = _READS.get(predictor.config.get("modality"), str(predictor.config.get("modality")))
    raise ConfigError(f"--text: bundle {predictor.name!r} reads {reads}, not documents; give it those as files, "
                      "or pass --text to a text bundle (`meddx registry list` names each bundle's model)")


def bundle_encoding(predictor: Any) -> str:
    """The encoding the bundle's training files were read with (utf-8 unless ``--encoding`` was given)."""
    return predictor.config.get("training", {}).get("text_options", {}).get("encoding") or "utf-8"


def bundle_text_column(predictor: Any) -> Optional[str]:
    """The column the bundle was trained on (found or given at training), for reading tables."""
    return predictor.config.get("training", {}).get("text_options", {}).get("text_column")


def predict_text(predictor: Any, files: list[Path], texts: list[str], explain: Optional[Path], attribution: str,
                 text_column: Optional[str], as_json: bool, encoding: Optional[str] = None,
                 overwrite: bool = False) -> None:
    """Classify the documents and print one row (or JSON line) per document; with ``explain``, an
    HTML page per document, never over an existing page unless ``overwrite``."""
    if overwrite and explain is None:  # a flag that changed nothing would look like it had
        from meddx.core.errors import ConfigError

        raise ConfigError("--overwrite: replaces the pages of --explain DIR; give --explain DIR, or leave it out")
    recorded = predictor.config.get("training", {}).get("text_options", {})
    # Rows are named FILE:ID by the training file's id column when this file has it (as in
    # evaluate's predictions.csv), else FILE:rowN.
    file_texts, file_names = read_documents(files, text_column or bundle_text_column(predictor),
                                            id_column=recorded.get("id_column"),
                                            encoding=encoding or bundle_encoding(predictor), bundle=predictor.name)
    docs = [*texts, *file_texts]
    names = [f"text{i + 1}" for i in range(len(texts))] + file_names
    if not docs:
        raise typer.BadParameter("give documents with --text or as files (.txt, CSV/JSONL/Parquet)",
                                 param_hint="--text / FILES")
    from meddx.transforms.text_checks import nothing_to

    for name, doc in zip(names, docs):  # named here: the tokenizer can only count documents
        # empty, "..." or "--- ///" (no word: any score would be the prior); bytes that were not UTF-8
        problem = nothing_to("classify", doc)
        if problem:
            raise DataError(f"{name}: {problem}")
    targets, stale = explanation_pages(explain, len(docs), overwrite) if explain else ([], [])  # before any work
    # One tokenization gives the network's rows, the documents read as [UNK] only and those cut at
    # max_length (the warnings used to encode each document again, one at a time, and once uncut)
    encodings = predictor.tokenizer.encode_rows(docs, max_length=predictor.max_length)
    predictions = predictor.predict_encodings(encodings, names)
    unread = [name for name, enc in zip(names, encodings) if all_unknown(enc)]
    if unread:  # on stderr: stdout stays the predictions (JSON lines with --json)
        streams.warning(f"{len(unread)} document(s) ({', '.join(unread[:5])}{', ...' if len(unread) > 5 else ''})"
                        " hold no word of the bundle's vocabulary (every token [UNK]): their scores answer unknown "
                        "words, not the document (another language, or notes unlike the training notes?)")
    cut = [name for name, enc in zip(names, encodings) if enc.overflowing]  # tokens past max_length
    if cut:  # on stderr, counts and names only: the words past the limit changed nothing
        streams.note(f"{len(cut)} document(s) ({', '.join(cut[:5])}{', ...' if len(cut) > 5 else ''}) are longer "
                     f"than the bundle's maximum of {predictor.max_length} tokens: only their first "
                     f"{predictor.max_length} tokens were read (split long notes, or train with a larger --max-length)")
    pages = _write_explanations(predictor, docs, predictions, targets, attribution, overwrite, stale) if explain else []
    from meddx.cli.train import print_predictions

    # each document its own page, in order (two may share a name: a CSV id column with a repeated id)
    extra = [{"explanation": str(page)} for _, page in pages] if pages else None
    print_predictions(predictions, predictor.label_names, as_json, "document", extra,
                      decision=predictor.config.get("decision"))
    if pages and not as_json:
        typer.echo(f"explanations: {explain} ({len(pages)} HTML page{'' if len(pages) == 1 else 's'}), listed in "
                   f"{explain / 'explanations.json'}")
    if stale:  # with --json on stderr, so that stdout stays JSON lines
        from meddx.explain.outputs import removed_line

        typer.echo(removed_line(stale, explain), err=as_json)  # type: ignore[arg-type]


def all_unknown(enc: Any) -> bool:
    """Whether every token of ``enc`` the model reads is the unknown token: a word-level vocabulary
    maps a note in another language, or of words seen fewer than twice in training, to a row of
    [UNK], which still gets a confident-looking score (byte-level BPE never gives [UNK])."""
    from meddx.transforms.text import _UNK_NAMES

    tokens = [token for token, special in zip(enc.tokens, enc.special_tokens_mask) if not special]
    return bool(tokens) and all(token in _UNK_NAMES for token in tokens)


def explanation_pages(folder: Path, count: int, overwrite: bool) -> tuple[list[Path], list[Path]]:
    """The pages ``--explain FOLDER`` will write for ``count`` documents (``document0001.html``...)
    and the earlier run's pages it leaves behind, checked before anything is predicted: a page or
    ``explanations.json`` already there (an earlier run's, showing other documents) is never
    replaced without ``--overwrite``, nor is a file taken for the folder; with it, the pages the
    earlier ``explanations.json`` lists past this run's count are the second list, removed once this
    run's pages and summary are written (``explain.outputs``, as ``meddx explain --out`` does)."""
    from meddx.explain.outputs import PAGE, SUMMARY, plan_run

    pages = [folder / PAGE.format(i) for i in range(1, count + 1)]
    return pages, plan_run(folder, [*pages, folder / SUMMARY], "--explain", overwrite)


def _write_explanations(predictor: Any, docs: list[str], predictions: list[Any], pages: list[Path],
                        attribution: str, overwrite: bool, stale: list[Path]) -> list[tuple[str, Path]]:
    """Write each page atomically, then ``explanations.json`` listing them (document name, method,
    explained class and its probability, page: never the text) and remove ``stale``; without
    ``overwrite`` never over a page that appeared meanwhile."""
    from meddx.core.files import write_text_atomic
    from meddx.explain.outputs import appeared, finish_run
    from meddx.explain.text import render_attribution_html, token_attributions

    written: list[tuple[str, Path]] = []
    summary: list[dict[str, Any]] = []
    for page, doc, pred in zip(pages, docs, predictions):
        result = token_attributions(predictor, doc, method=attribution)
        html = render_attribution_html(doc, result, title=f"{predictor.name}: {pred.source}",
                                       probabilities=pred.probabilities)
        try:
            write_text_atomic(page, html, exclusive=not overwrite, private=True)  # the note: mode 0600
        except FileExistsError:
            raise appeared("--explain", page, len(written)) from None
        written.append((pred.source, page))
        summary.append({"source": pred.source, "method": result.method, "target": result.target,
                        "probability": round(float(result.probability), 6), "page": page.name})
    if pages:
        finish_run(pages[0].parent, summary, stale, "--explain", overwrite, len(written))
    return written
