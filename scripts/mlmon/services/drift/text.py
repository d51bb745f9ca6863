"""Text columns as numbers: each named text column becomes three descriptors tested as numbers.

``--text COL`` replaces ``COL`` on both sides with:

- ``COL:length``: characters in the text;
- ``COL:non_letters``: the share of its characters that are not letters (digits, punctuation,
  spaces, emoji): a template change, markup or encoding damage moves it;
- ``COL:oov``: the share of its words (runs of letters, lower-cased) outside the reference's
  vocabulary: new topics, a new language, new product names. The vocabulary comes from a
  random half of the reference rows (seeded); those rows are scored against the other half's
  vocabulary, so no row is scored against its own words and reference and current rows see
  vocabularies of the same size. A text without words has no value (missing).

Missing texts stay missing in all three. The descriptors are ordinary numerical columns from
then on: typed, tested, and adjusted for false discoveries like any other.

>>> import pandas as pd
>>> d = descriptors(pd.Series(["Hello, world", None, "42"]), {"hello"})
>>> d["length"].tolist(), [round(v, 3) for v in d["non_letters"].dropna()], d["oov"].tolist()[0]
([12.0, nan, 2.0], [0.167, 1.0], 0.5)
"""

from __future__ import annotations

import re
from typing import List, Sequence, Set

import numpy as np

from mlmon.errors import MlmonError, option

DESCRIPTORS = ("length", "non_letters", "oov")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def descriptors(texts, vocabulary: Set[str]):
    """The three descriptors of a series of texts against ``vocabulary`` (a frame, the same index)."""
    import pandas as pd

    values = texts.astype(object).to_numpy()
    n = len(values)
    length, non_letters, oov = (np.full(n, np.nan) for _ in range(3))
    for i, t in enumerate(values):
        if t is None or (isinstance(t, float) and t != t):
            continue
        t = str(t)
        length[i] = len(t)
        if t:
            non_letters[i] = sum(1 for ch in t if not ch.isalpha()) / len(t)
        words = _WORD.findall(t.lower())
        if words:
            oov[i] = sum(1 for w in words if w not in vocabulary) / len(words)
    return pd.DataFrame({"length": length, "non_letters": non_letters, "oov": oov}, index=texts.index)


def vocabulary(texts) -> Set[str]:
    words: Set[str] = set()
    for t in texts.dropna().astype(str):
        words.update(_WORD.findall(t.lower()))
    return words


def with_text_descriptors(reference, current, columns: Sequence[str], seed: int = 0):
    """Copies of two tables with each of ``columns`` replaced by its descriptors (see the module docs)."""
    from mlmon.io.tables import Table

    ref_frame, cur_frame = reference.frame.copy(deep=False), current.frame.copy(deep=False)
    ref_kinds, cur_kinds = dict(reference.kinds), dict(current.kinds)
    rng = np.random.default_rng(seed)
    for col in columns:
        for table in (reference, current):
            if col not in table.frame.columns:
                raise MlmonError(f"{option('text')} names column {col!r}, which is not in the data", table.path,
                                 "name a text column both files hold")
            if table.kinds.get(col) not in ("string", "category", "empty"):
                raise MlmonError(f"{option('text')} {col}: column holds {table.kinds.get(col)} values, not text",
                                 table.path, f"drop it from {option('text')}")
        ref_texts, cur_texts = reference.frame[col], current.frame[col]
        half = rng.random(len(ref_texts)) < 0.5
        vocab_a, vocab_b = vocabulary(ref_texts[half]), vocabulary(ref_texts[~half])
        ref_desc = descriptors(ref_texts, vocab_a)
        ref_desc.loc[half] = descriptors(ref_texts[half], vocab_b).to_numpy()
        cur_desc = descriptors(cur_texts, vocab_a)
        for frame, kinds, desc in ((ref_frame, ref_kinds, ref_desc), (cur_frame, cur_kinds, cur_desc)):
            at = list(frame.columns).index(col)
            for k, name in enumerate(DESCRIPTORS):
                frame.insert(at + 1 + k, f"{col}:{name}", desc[name].to_numpy())
                kinds[f"{col}:{name}"] = "float"
            del frame[col]
            kinds.pop(col, None)
    return (Table(path=reference.path, frame=ref_frame, kinds=ref_kinds),
            Table(path=current.path, frame=cur_frame, kinds=cur_kinds))


def descriptor_names(columns: Sequence[str]) -> List[str]:
    """The columns the descriptors of ``columns`` are named.

    >>> descriptor_names(["review"])
    ['review:length', 'review:non_letters', 'review:oov']
    """
    return [f"{c}:{d}" for c in columns for d in DESCRIPTORS]

