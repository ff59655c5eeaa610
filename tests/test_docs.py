"""The documentation's generated tables come from the code, without TensorFlow."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("hooks", sys.argv[1])
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)
pages = {name: hooks.on_page_markdown(f"<!-- generated: {name} -->")
         for name in ("presets", "subcommands")}
pages["help"] = hooks.on_page_markdown("<!-- generated: help train -->")
print(json.dumps({"pages": pages, "tensorflow": "tensorflow" in sys.modules,
                  "keras": "keras" in sys.modules}))
"""


def test_generated_blocks_come_from_the_code_without_tensorflow():
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "docs" / "hooks.py")],
                          capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["tensorflow"] is False and result["keras"] is False
    pages = result["pages"]
    from vaegan_tf.presets import PRESETS

    assert all(f"| `{name}` |" in pages["presets"] for name in PRESETS)
    # The recipe column shows the fields that change what trains, the noise's scale among them.
    recipe = {line.split(" | ")[0]: line.split(" | ")[-1] for line in pages["presets"].splitlines()}
    assert "λ 1 / 0.1, z × 0.1, generator EMA" in recipe["| `infogan-plus-mnist`"]
    assert "z ×" not in recipe["| `infogan-mnist`"]
    assert "| `presets` |" in pages["subcommands"] and "| `train` |" in pages["subcommands"]
    assert pages["help"].startswith("```text\nusage: vaegan-tf train") and "--fast-paths" in (
        pages["help"])
    printed = subprocess.run([sys.executable, "-m", "vaegan_tf", "presets"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert printed.strip() == pages["presets"].strip()


def test_every_page_is_in_the_navigation():
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = {next(iter(entry.values())) for entry in config["nav"]}
    pages = {path.name for path in (ROOT / "docs").glob("*.md")}
    assert pages == listed
