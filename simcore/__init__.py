"""simcore: a small, explicit NumPy core for training plain and residual networks.

Only NumPy is imported at import time, so the package runs unchanged in Pyodide.
Shapes follow one convention: a batch ``X`` is ``(n, d)``, a weight ``W`` is
``(d_in, d_out)``, a bias ``b`` is ``(d_out,)`` and ``Z = X @ W + b``.
"""

__version__ = "0.1.0"
