"""Pure renderers for the pages: no Streamlit here (a test checks), only text, HTML and figures.

escape     the one escaping helper for third-party text
palette    colours, marks, area titles, review-status icons
cells      a fact as the UI shows it (`Cell`), ranking, paging
fragments  the shared style sheet, badges, highlighted evidence, one fact, the legend
matrix     the comparison matrix as HTML
figures    Plotly heat-map, ranking, radar
review     override notes and version diffs
tables     the score table (pandas, on first use)
"""
