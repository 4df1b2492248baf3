"""The math: ψ(θ) and the losses (`losses`), the registry that declares each loss once (`margins`), and the
embedding net (`models`). Nothing here knows about the app."""
