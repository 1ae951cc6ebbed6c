"""Print a pip constraints file pinning every dependency of polygov to its lowest supported version.

Used by ``.ci/run`` for the oldest-versions test run: each ``name>=X`` in pyproject.toml
(core and extras) becomes ``name==X``.
"""

import re
import sys
from pathlib import Path

import tomllib

meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
reqs = list(meta["dependencies"]) + [r for extra in meta["optional-dependencies"].values() for r in extra]
seen = {}
for r in reqs:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][^,;#\s]*)", r)
    if m:
        seen[m.group(1).lower()] = m.group(2)
sys.stdout.write("".join(f"{n}=={v}\n" for n, v in sorted(seen.items())))
