"""SphereFace in the classroom: `streamlit run app.py`.

Thin by design: this file only starts the app. The page is `sphere_toy.ui` (the only Streamlit code: `ui.page.main`
runs for every page), its views are declared in `sphere_toy.views`, and everything computed or drawn lives below
(training: `sphere_toy.serving.jobs`; figures: `sphere_toy.plots`; the experiment and its URL form:
`sphere_toy.experiment`).

State: the experiment lives in the URL as `Settings.to_query()`; the view (tab, model, bins, ψ sliders, snapshot) in
its own URL keys, English in every language (`lang=zh-TW` picks Chinese). A link therefore reproduces the run and the
view. Training runs in a background thread shared by every session that asks for the same settings.
"""

import sphere_toy  # noqa: F401  (first: gives JAX one CPU device per core before it starts)

import logging  # noqa: E402

import streamlit as st  # noqa: E402

# Imported once to be served (the end of this file), before Streamlit's runtime exists: every st.cache_data of the
# page's modules would log "No runtime found" as it is defined. The pages' own runs, with the runtime, use them.
_CACHE_LOG = logging.getLogger("streamlit.runtime.caching.cache_data_api")
_CACHE_LOG.disabled = __name__ != "__main__"

from sphere_toy.serving import serve  # noqa: E402
from sphere_toy.ui.page import main  # noqa: E402
from sphere_toy.ui.tabs.target import FIRST_FIGURES  # noqa: E402

if __name__ == "__main__":  # a page: Streamlit runs this file as __main__ for every page, at every rerun
    main()
else:  # `streamlit run app.py` imports this file once, as the module `app`, to serve it (sphere_toy/serving/serve.py)
    _CACHE_LOG.disabled = False
    app = st.App(__file__, lifespan=serve.lifespan(FIRST_FIGURES))
