"""The three dependency specifications (pyproject, lock, environment.yml) must agree exactly."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from analysis.paths import PROJECT_ROOT


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line!r} is not an exact pin"
        pins[re.sub(r"[-_.]+", "-", req.name).lower()] = specs[0].version
    return pins


def _pyproject_pins():
    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return _pins(meta["dependencies"] + meta["optional-dependencies"]["test"])


def _environment_pins():
    spec = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_block = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    conda = [d for d in spec["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda
    return _pins(pip_block)


def test_every_dependency_is_pinned_exactly():
    assert len(_pyproject_pins()) >= 20


def test_environment_yml_lists_the_same_packages_and_pins_as_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_lock_contains_every_direct_pin_at_the_same_version():
    lock = _pins((PROJECT_ROOT / "requirements-lock.txt").read_text().splitlines())
    direct = _pyproject_pins()
    mismatched = {name: (ver, lock.get(name)) for name, ver in direct.items() if lock.get(name) != ver}
    assert mismatched == {}


def test_torch_is_the_cpu_build_pin_everywhere():
    assert _pyproject_pins()["torch"] == "2.13.0"
    assert "torch==2.13.0\n" in (PROJECT_ROOT / "requirements-lock.txt").read_text()
