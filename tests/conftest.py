# sphere_toy must be imported before JAX initialises its backend, so that the grid can use every CPU core.
import sphere_toy  # noqa: F401
