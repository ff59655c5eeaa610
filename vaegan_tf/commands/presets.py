"""``vaegan-tf presets``: every registered preset, one row each (the table the docs show).

Example:
    vaegan-tf presets
"""

from __future__ import annotations

from vaegan_tf import cli
from vaegan_tf.presets import presets_table


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = cli.ArgumentParser(prog=prog, description=__doc__.splitlines()[0],
                                formatter_class=cli.HelpFormatter)
    parser.parse_args(argv)
    print(presets_table())
    return 0
