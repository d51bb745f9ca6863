"""mlmon's own HTML pages, and Evidently's report for those who want it.

A page is a :class:`~.page.Page` of :class:`~.page.Section` s holding charts
(:class:`~.page.Figure`: inline SVG from :mod:`.svg` with a table that says the same in text),
tables, text and headline figures; :func:`~.page.render_page` makes one self-contained file of
it. One module per result builds its page: :mod:`.drift`, :mod:`.perf`, :mod:`.diagnose`,
:mod:`.ab`. :mod:`.evidently` writes Evidently's interactive report (``--evidently-html``).
"""

from mlmon.render.html.page import Figure, Page, Raw, Section, Stats, Table, Text, render_page

__all__ = ["Figure", "Page", "Raw", "Section", "Stats", "Table", "Text", "render_page"]
