"""Is this path a profile? Answered from the file's first bytes, importing nothing heavy.

The drift command asks it of both inputs on every run; answering it must not cost the rows path
the import of the profile machinery (pandas, the sketch library, scipy through the summary
tests). A ``.mlprofile`` file starts with a gzip header whose content starts with the format
name; a name ending in ``.mlprofile`` also counts, so that a damaged profile reaches the
profile reader and its one-line explanation instead of the table reader's.
"""

from __future__ import annotations

import os
import zlib

SUFFIX = ".mlprofile"
GZIP_MAGIC = b"\x1f\x8b"
CONTENT_MAGIC = b'{"format":"mlmon-profile"'


def is_profile_path(path: str) -> bool:
    """Whether ``path`` names a profile (by its name, or by its content's first bytes).

    >>> is_profile_path("reference.mlprofile"), is_profile_path("no-such-file.parquet")
    (True, False)
    """
    if str(path).lower().endswith(SUFFIX):
        return True
    return has_profile_magic(path)


def has_profile_magic(path: str) -> bool:
    """Whether the file at ``path`` starts as a ``.mlprofile`` does (gzip, then the format name)."""
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    if not head.startswith(GZIP_MAGIC):
        return False
    try:
        text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, len(CONTENT_MAGIC))
    except zlib.error:
        return False
    return text == CONTENT_MAGIC
