"""simcore imports nothing beyond NumPy and the standard library, so it runs in Pyodide."""

import subprocess
import sys

CODE = """
import sys
before = set(sys.modules)
import simcore, simcore.api, simcore.train, simcore.data, simcore.nets, simcore.blocks
import simcore.layers, simcore.losses, simcore.init, simcore.optim, simcore.__main__
new = {m.split('.')[0] for m in set(sys.modules) - before}
std = set(sys.stdlib_module_names) | {'simcore', 'numpy', '_distutils_hack'}
print(sorted(new - std))
"""


def test_only_numpy_and_stdlib_are_imported():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_digits_file_is_package_data():
    from importlib import resources
    assert resources.files("simcore").joinpath("_data/digits.npz").is_file()
