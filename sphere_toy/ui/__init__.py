"""The app's pages: the only Streamlit code of sphere_toy, one module per part of the page.

`app.py` calls `page.main` for every page. Below it: `state` (the URL and the page's language and mode), `messages`
(errors, warnings, captions), `figures` (every figure through the cache), `runs` and `live` (the training queue on
the page), `experiment` and `sidebar` (the experiment form), `lesson` (the lesson path) and `tabs` (one module per
view of `sphere_toy.views`). Everything computed or drawn comes from below: `sphere_toy.serving.jobs`, `plots`,
`lessons`.
"""
