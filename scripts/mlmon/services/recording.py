"""Writing results into the history store: one function per kind of result, the same for a
command run by hand and for a scheduled ``mlmon run``.

Each ``record_*`` takes the store and a result's ``to_dict()`` and returns the run id; the run's
model, version and data period come from the result or from the caller's ``identity``. A result
whose texts still name options by field (a surface shows them as it names them, e.g. the CLI's
flags, before recording) is stored with the field names.
:func:`record_or_warn` is what a single command uses: the computed result stands even when it
cannot be recorded, so a failure becomes a warning in the result instead of an error.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional

from mlmon.errors import render_options_in


def record_drift(store, data: Dict[str, Any], created_at: Optional[float] = None,
                 identity: Optional[Dict[str, Any]] = None) -> int:
    return store.append_drift(render_options_in(data), created_at=created_at, identity=identity)


def record_performance(store, data: Dict[str, Any], reference_path: Optional[str] = None,
                       current_path: Optional[str] = None, created_at: Optional[float] = None,
                       rows: Optional[Iterable[Dict[str, Any]]] = None,
                       identity: Optional[Dict[str, Any]] = None) -> int:
    """A performance run and its ``ml_metrics`` rows (from :func:`mlmon.store.rows.metric_rows`
    unless ``rows`` are given), in one transaction. ``identity``: model, version and data period
    where the caller knows them (see :func:`mlmon.store.rows.run_identity`)."""
    from mlmon.store.rows import metric_rows

    with store.transaction():
        return store.append_metrics(render_options_in(data), metric_rows(data) if rows is None else rows,
                                    created_at=created_at, identity=identity,
                                    reference_path=reference_path, current_path=current_path,
                                    reference_rows=(data.get("baseline") or {}).get("n"),
                                    current_rows=data.get("rows"), severity=data.get("severity"))


def record_ab(store, data: Dict[str, Any], created_at: Optional[float] = None) -> int:
    return store.append_ab(render_options_in(data), created_at=created_at)


def record_diagnosis(store, data: Dict[str, Any], created_at: Optional[float] = None) -> int:
    return store.append_diagnosis(render_options_in(data), created_at=created_at)


def record_or_warn(data: Dict[str, Any], store, write: Callable[[Any, Dict[str, Any]], object],
                   todo: str = "") -> Optional[object]:
    """``write(store, data)``, or, when it fails, a warning appended to ``data["warnings"]``
    (``todo`` says what to do about it) and None."""
    try:
        return write(store, data)
    except Exception as exc:
        data.setdefault("warnings", []).append(
            f"history not recorded ({store.path}: {exc})" + (f"; {todo}" if todo else ""))
        return None
