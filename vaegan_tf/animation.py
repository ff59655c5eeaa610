"""Animated GIFs written frame by frame (used for progress GIFs and latent-space animations)."""

from __future__ import annotations

import io
import math
import os
import struct
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

FRAME_DURATION_MS = 100


def _opened(frame: Image.Image | str | os.PathLike) -> Image.Image:
    if isinstance(frame, Image.Image):
        return frame
    with Image.open(frame) as image:
        return image.convert("RGB")


def _encoded_frame(image: Image.Image) -> tuple[int, bytes, bytes]:
    """One image as a complete GIF frame: (color-table size bits, color table, LZW data).

    Pillow encodes the frame (palette, LZW) as a one-frame GIF; its blocks are then reused.
    """
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="GIF")
    data = buffer.getvalue()
    size_bits = data[10] & 0x07  # logical screen descriptor: global color table size
    table_end = 13 + 3 * 2 ** (size_bits + 1)
    position = table_end
    while data[position] == 0x21:  # skip extension blocks up to the image descriptor
        position += 2
        while data[position]:
            position += data[position] + 1
        position += 1
    if data[position] != 0x2C:
        raise ValueError("Unexpected GIF layout from Pillow's encoder")
    return size_bits, data[13:table_end], data[position + 10 : -1]


def write_gif(
    frames: Sequence[Image.Image | str | os.PathLike],
    output: str | os.PathLike,
    frame_duration_ms: int = FRAME_DURATION_MS,
    loop: int = 0,
) -> Path:
    """Writes an animated GIF, every frame in full with its own color table.

    No frame is merged or dropped: Pillow's and imageio's writers merge identical consecutive
    frames, and imageio's legacy writer corrupts GIFs with fewer than 256 colors. The file is
    written beside ``output`` and renamed onto it.

    Args:
        frames: Pillow images or image files, all of one size.
        output: GIF path (parent folders are created).
        frame_duration_ms: Display time of each frame (GIF resolution: 10 ms).
        loop: Loop count; 0 loops forever.
    """
    if not frames:
        raise ValueError("write_gif needs at least one frame")
    images = [_opened(frame) for frame in frames]
    width, height = images[0].size
    delay = struct.pack("<H", round(frame_duration_ms / 10))  # GIF delays are centiseconds
    parts = [
        b"GIF89a",
        struct.pack("<HHBBB", width, height, 0, 0, 0),  # no global color table
        b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00",
    ]
    for image in images:
        if image.size != (width, height):
            raise ValueError(f"Frames differ in size: {image.size} vs {(width, height)}")
        size_bits, table, image_data = _encoded_frame(image)
        parts += [
            b"\x21\xf9\x04\x04" + delay + b"\x00\x00",  # graphic control: keep, delay
            b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0x80 | size_bits),
            table,
            image_data,
        ]
    parts.append(b"\x3b")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f"{output.stem}.partial{output.suffix}")
    partial.write_bytes(b"".join(parts))
    partial.replace(output)
    return output


def select_gif_frames(count: int) -> list[int]:
    """Indices of the grids that become GIF frames, out of ``count`` sorted grids.

    The TF DCGAN tutorial's rule, which the original used: keep grid i when round(2·√i) exceeds
    the last kept value, then repeat the last grid once. For 20 grids (epochs 4, 9, ..., 99):
    ``[0, 1, 2, 4, 6, 8, 11, 15, 19, 19]``.
    """
    if count <= 0:
        return []
    kept: list[int] = []
    last = -1
    for index in range(count):
        value = round(2 * math.sqrt(index))
        if value > last:
            kept.append(index)
            last = value
    return [*kept, count - 1]


def render_gif(
    grids: Sequence[str | os.PathLike] | str | os.PathLike,
    output: str | os.PathLike,
    pattern: str = "image_at_epoch_*.png",
    frame_duration_ms: int = FRAME_DURATION_MS,
) -> Path:
    """Writes the progress GIF of a sequence of grid images (or a folder of them).

    Frames follow ``select_gif_frames`` over the grids in sorted order, so the last grid
    appears twice; every frame lasts ``frame_duration_ms``; the GIF loops forever.

    Args:
        grids: Grid image paths, or a folder whose files matching ``pattern`` are the grids.
        output: GIF path; written to a temporary file first and then renamed.
        pattern: Glob for the grids when ``grids`` is a folder.
        frame_duration_ms: Display time of each frame (GIF resolution: 10 ms).

    Example:
        >>> render_gif("runs/mnist", "runs/mnist/number.gif")  # doctest: +SKIP
    """
    if isinstance(grids, (str, os.PathLike)):
        folder = Path(grids)
        if not folder.is_dir():
            raise FileNotFoundError(f"No such folder of grid images: {folder}")
        paths = sorted(folder.glob(pattern))
        if not paths:
            raise FileNotFoundError(f"No grid images matching {pattern!r} in {folder}")
    else:
        paths = sorted(Path(path) for path in grids)
        if not paths:
            raise ValueError("render_gif needs at least one grid image")
    return write_gif([paths[index] for index in select_gif_frames(len(paths))], output,
                     frame_duration_ms)
