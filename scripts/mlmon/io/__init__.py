"""Reading data: whole tables (:mod:`mlmon.io.tables`), batches (:mod:`mlmon.io.stream`),
column typing, infrastructure series and change events.

Constants the command line needs while it builds its parser live here, so that building it
imports no pandas.
"""

#: Rows read at a time when a source is streamed (bounds memory; see references/profiles-and-scale.md, "Streaming").
DEFAULT_BATCH_ROWS = 250_000
