"""translate-toolkit (`pip install translate-toolkit`), imported so that nothing can shadow it.

The toolkit's import name is `translate`, which is also the name of this repository's `translate/` folder (the
source of `seedmt.translate`): run from a checkout, `import translate` would find the folder. `toolkit_module`
loads the installed toolkit package from its own distribution files, registers it as `translate` (the toolkit
imports its own submodules by that name) and then imports the submodule asked for."""
from __future__ import annotations

import importlib
import importlib.util
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

from seedmt.core.errors import SeedMTError

DISTRIBUTION = "translate-toolkit"


def _toolkit_root() -> Path:
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise SeedMTError("translate-toolkit is not installed: pip install translate-toolkit") from None
    return Path(distribution.locate_file("translate")).resolve()


def _is_toolkit(module: ModuleType, root: Path) -> bool:
    location = getattr(module, "__file__", None)
    return location is not None and Path(location).resolve().parent == root


def toolkit_module(name: str) -> ModuleType:
    """translate-toolkit's `translate.<name>` (e.g. "storage.xliff", "filters.checks")."""
    root = _toolkit_root()
    package = sys.modules.get("translate")
    if package is None:
        spec = importlib.util.spec_from_file_location("translate", root / "__init__.py",
                                                      submodule_search_locations=[str(root)])
        if spec is None or spec.loader is None:
            raise SeedMTError(f"translate-toolkit's package at {root} cannot be loaded")
        package = importlib.util.module_from_spec(spec)
        sys.modules["translate"] = package
        try:
            spec.loader.exec_module(package)
        except BaseException:
            del sys.modules["translate"]
            raise
    elif not _is_toolkit(package, root):
        raise SeedMTError(f"another module named 'translate' is already imported ({package.__file__}); "
                          "translate-toolkit cannot be loaded beside it")
    return importlib.import_module(f"translate.{name}")
