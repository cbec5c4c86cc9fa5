"""Regenerate a package's bindings when it is built: a setuptools `build_py` command that runs
`lazybind generate` for every `[tool.lazybind.bindings.NAME]` of the project's pyproject.toml
before setuptools collects the modules. In the package's pyproject.toml:

    [build-system]
    requires = ["setuptools>=64", "lazybind"]
    build-backend = "setuptools.build_meta"

    [tool.setuptools.cmdclass]
    build_py = "lazybind.build.build_py"

Only a build imports this module, and a setuptools build has setuptools: lazybind itself needs
nothing beyond the standard library and libclang. See docs/build.md.
"""

from __future__ import annotations

import os

from setuptools.command.build_py import build_py as _setuptools_build_py

from .config import generate_from_pyproject
from .emit.extension import extension_name
from .extension_build import extension_path


class build_py(_setuptools_build_py):
    """setuptools' build_py, after writing every binding the project's pyproject.toml declares."""

    def run(self) -> None:
        # A PEP 517 backend runs in the project's directory, where the binding paths are rooted.
        generate_from_pyproject(path=os.path.join(os.getcwd(), "pyproject.toml"),
                                report=lambda line: self.announce(f"lazybind: {line}", level=2))
        super().run()
        self._copy_compiled_extensions()

    def _copy_compiled_extensions(self) -> None:
        """A binding generated with `compiled = true` has its extension beside the module: it
        goes into the build with it. Where it cannot load (another Python version or platform
        installs the wheel), the module uses ctypes, so the wheel stays usable everywhere."""
        for package, _, source in self.find_all_modules():
            directory = os.path.dirname(source)
            extension = extension_path(directory, extension_name(source))
            if os.path.isfile(extension):
                target = os.path.join(self.build_lib, *package.split("."), os.path.basename(extension))
                self.copy_file(extension, target)
