"""Print a pip constraints file holding polygov's run-time dependencies at their oldest supported release.

For an oldest-versions test run: each ``name>=X`` of ``[project.dependencies]`` in
pyproject.toml becomes ``name==X.*`` (the newest patch release of the oldest
supported minor version). The test tools (extras) stay at their newest.
"""

import re
import sys
from pathlib import Path

import tomllib

meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
reqs = list(meta["dependencies"])
seen = {}
for r in reqs:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][^,;#\s]*)", r)
    if m:
        seen[m.group(1).lower()] = m.group(2)
sys.stdout.write("".join(f"{n}=={v}.*\n" for n, v in sorted(seen.items())))
