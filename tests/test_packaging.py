"""The wheel installs everything under `rulewatch.` and nothing else: a Prefect project with a `flows`
package of its own (most have one) installs rulewatch beside it, and neither shadows the other."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools builds in the source tree (build/, *.egg-info), and the links under
    # rulewatch/ are kept as links, as a clone has them.
    tree = tmp_path_factory.mktemp("tree") / "rulewatch"
    shutil.copytree(ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "tests", "bench", "build", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "-w", str(out), str(tree)], check=True, timeout=300)
    (built,) = out.glob("rulewatch-*.whl")
    return built


def test_the_wheel_holds_one_top_level_package_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"rulewatch", wheel.name.split("-py")[0] + ".dist-info"}
    for expected in ("rulewatch/flows/check.py", "rulewatch/scrapers/extract/__init__.py",
                     "rulewatch/detection/glossary.yaml", "rulewatch/state/migrations/script.py.mako",
                     "rulewatch/state/migrations/versions/0001_initial.py", "rulewatch/demo/site/phase1/api/list.json"):
        assert expected in names, f"{expected} is missing from the wheel"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "prefect = rulewatch.flows.plugin" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_an_installed_rulewatch_lives_beside_a_project_flows_package(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=300)
    # rulewatch's dependencies come from the test environment, after the new environment's own packages
    # (a path line in a .pth adds the folder alone: the editable rulewatch there is not installed).
    own = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip())
    (own / "zz-test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "flows" / "__init__.py").write_text("WHOSE = 'the team'\n", encoding="utf-8")
    probe = textwrap.dedent(f"""
        import flows, rulewatch, rulewatch.flows.check, rulewatch.detection.tables
        from prefect.flows import load_flow_from_entrypoint
        from rulewatch.cli.plugins import plugin
        assert flows.WHOSE == "the team", flows.__file__
        assert rulewatch.__file__.startswith({str(own)!r}), rulewatch.__file__
        assert rulewatch.flows.check.__file__.startswith({str(own)!r})
        assert load_flow_from_entrypoint("rulewatch.flows.check:check_sources").name == "check-sources"
        assert plugin("prefect", "serve").__name__ == "rulewatch.flows.plugin"
        print("both")
    """)
    done = subprocess.run([str(python), "-c", probe], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "both"
    cli = subprocess.run([str(env / "bin" / "rulewatch"), "--help"], cwd=project, capture_output=True,
                         text=True, timeout=60)
    assert cli.returncode == 0 and "run" in cli.stdout, cli.stderr
