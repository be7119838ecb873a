"""The front end's JavaScript passes ESLint (eslint.config.js, pinned in package.json and
package-lock.json, installed by `npm ci`). Skipped where node_modules is absent, except in CI
(CI=true), where a missing linter is a failure."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ESLINT = ROOT / "node_modules" / ".bin" / "eslint"


def test_eslint_finds_nothing_in_static_js():
    if not ESLINT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("ESLint is not installed: run `npm ci` (.ci/run does)")
        pytest.skip("ESLint not installed (npm ci)")
    result = subprocess.run([str(ESLINT), "--max-warnings", "0", "static/js"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_eslint_would_catch_a_view_importing_a_view(tmp_path):
    """The config's own rule works: a view that imports another view is an error."""
    if not ESLINT.exists():
        pytest.skip("ESLint not installed (npm ci)")
    bad = ROOT / "static" / "js" / "params.js"
    text = bad.read_text() + '\nimport { render as other } from "./layer.js";\nother();\n'
    result = subprocess.run([str(ESLINT), "--stdin", "--stdin-filename", str(bad)], cwd=ROOT,
                            input=text, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "never imports another view" in result.stdout


def test_every_named_import_is_exported():
    """`import { a, b as c } from "./m.js"`: m.js exports a and b (a module that lost an export
    stops the whole page; ESLint's core rules do not see it)."""
    import re

    js = ROOT / "static" / "js"
    exported = {}
    for module in js.glob("*.js"):
        text = module.read_text()
        declared = r"export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+(\w+)"
        names = set(re.findall(declared, text))
        for group in re.findall(r"export\s*\{([^}]*)\}", text):
            names |= {part.split(" as ")[-1].strip() for part in group.split(",") if part.strip()}
        exported[module.name] = names
    missing = []
    for module in js.glob("*.js"):
        for group, target in re.findall(r"import\s*\{([^}]*)\}\s*from\s*[\"']\./([\w.]+)[\"']",
                                        module.read_text()):
            for part in group.split(","):
                name = part.split(" as ")[0].strip()
                if name and name not in exported.get(target, set()):
                    missing.append(f"{module.name}: {name} from {target}")
    assert missing == []
