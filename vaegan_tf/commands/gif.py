"""``vaegan-tf gif``: render a progress GIF from a folder of sample grids (spec 6's rule).

Example:
    vaegan-tf gif runs/mnist --out runs/mnist/number.gif
"""

from __future__ import annotations

import sys
from pathlib import Path

from vaegan_tf import cli
from vaegan_tf.animation import FRAME_DURATION_MS, render_gif, select_gif_frames


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = cli.ArgumentParser(
        prog=prog, description=__doc__.splitlines()[0], formatter_class=cli.HelpFormatter,
    )
    parser.add_argument("folder", type=Path, help="folder holding the grid images")
    parser.add_argument("--pattern", default="image_at_epoch_*.png", help="glob of the grids")
    parser.add_argument("--out", type=Path, default=None,
                        help="GIF path (default: FOLDER/number.gif)")
    parser.add_argument("--frame-ms", type=cli.positive_int, default=FRAME_DURATION_MS,
                        help="display time of each frame")
    args = parser.parse_args(argv)
    output = args.out or args.folder / "number.gif"
    try:
        cli.check_output(output, "--out", own=("number.gif",))
    except ValueError as error:
        parser.error(str(error))
    try:
        path = render_gif(args.folder, output, pattern=args.pattern,
                          frame_duration_ms=args.frame_ms)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    count = len(sorted(args.folder.glob(args.pattern)))
    print(f"{path}: {len(select_gif_frames(count))} frames from {count} grids")
    return 0
