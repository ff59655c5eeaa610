"""MkDocs hook: tables made from the code at build time, so the pages cannot go stale.

A page line ``<!-- generated: presets -->`` becomes the preset registry's table
(``vaegan_tf.presets.presets_table``, what ``vaegan-tf presets`` prints);
``<!-- generated: subcommands -->`` the subcommand list; ``<!-- generated: help NAME -->`` the
``--help`` text of ``vaegan-tf NAME`` (argparse's, with every default);
``<!-- generated: step-comparison FILE -->`` the table of ``benchmarks/FILE`` (a committed
``step_comparison.py`` result, rendered by that script's own ``comparison_table``). None of it
imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

MARKER = re.compile(r"^<!-- generated: (\w[\w-]*)(?: ([\w.-]+))? -->$", re.MULTILINE)
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _help(name: str) -> str:
    from vaegan_tf.__main__ import main

    text = io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.suppress(SystemExit):
        main([name, "--help"])
    return f"```text\n{text.getvalue().rstrip()}\n```"


def _subcommands() -> str:
    from vaegan_tf.__main__ import SUBCOMMANDS

    rows = ["| subcommand | what it does |", "|---|---|"]
    rows += [f"| `{name}` | {summary} |" for name, (_, _, summary) in SUBCOMMANDS.items()]
    return "\n".join(rows)


def _generated(match: re.Match[str]) -> str:
    kind, argument = match.group(1), match.group(2)
    if kind == "presets":
        from vaegan_tf.presets import presets_table

        return presets_table()
    if kind == "subcommands":
        return _subcommands()
    if kind == "help" and argument:
        return _help(argument)
    if kind == "step-comparison" and argument:
        sys.path.insert(0, str(BENCHMARKS))
        from step_comparison import comparison_table

        return comparison_table(json.loads((BENCHMARKS / argument).read_text())["results"])
    raise ValueError(f"unknown generated block {match.group(0)!r}")


def on_page_markdown(markdown: str, **_: object) -> str:
    return MARKER.sub(_generated, markdown)
