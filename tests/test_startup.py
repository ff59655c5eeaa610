"""A fast, quiet start: help and usage errors import no TensorFlow; TensorFlow's start-up
notices are hidden unless --verbose, while real messages still reach stderr."""

import json
import os
import subprocess
import sys
from pathlib import Path

from vaegan_tf import startup

MODEL = Path(__file__).parent / "data" / "before_base" / "vaegan_toy.keras"

PROBE = """
import json, sys
from vaegan_tf.__main__ import main

codes = {}
for argv in json.loads(sys.argv[1]):
    try:
        codes[" ".join(argv)] = main(argv)
    except SystemExit as exit_info:
        codes[" ".join(argv)] = exit_info.code
print(json.dumps({"codes": codes, "tensorflow": "tensorflow" in sys.modules,
                  "keras": "keras" in sys.modules}))
"""


def test_help_and_usage_errors_import_no_tensorflow():
    argvs = [["--help"], ["nope"], *([name, "--help"] for name in (
        "train", "evaluate", "gif", "sample", "reconstruct", "variations", "interpolate", "walk",
        "arithmetic")),
        ["train", "--preset", "nope"], ["train", "--set", "image_size=28"],
        ["train", "--epochs", "-1"], ["train", "--preset", "wgan-mnist", "--attributes", "x"],
        ["sample"], ["evaluate", "--model", "m.keras", "--images", "folder"]]
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argvs)],
                            capture_output=True, text=True, timeout=120, check=True)
    probe = json.loads(result.stdout.splitlines()[-1])
    assert probe["tensorflow"] is False and probe["keras"] is False
    codes = probe["codes"]
    assert codes["--help"] == 0 and codes["nope"] == 2
    assert all(code == 0 for argv, code in codes.items() if argv.endswith(" --help"))
    assert all(code == 2 for argv, code in codes.items()
               if not argv.endswith("--help") and argv != "nope")


NOTICES = ("oneDNN custom operations", "cuda drivers", "cuInit", "cpu_feature_guard",
           "absl::InitializeLog")


def test_a_real_command_hides_the_start_up_notices_unless_verbose(tmp_path):
    runs = {}
    for flag in ([], ["--verbose"]):
        runs[bool(flag)] = subprocess.run(
            [sys.executable, "-m", "vaegan_tf", "sample", "--model", str(MODEL), "--n", "4",
             "--out", str(tmp_path / f"s{len(flag)}.png"), *flag],
            capture_output=True, text=True, timeout=300)
    quiet, verbose = runs[False], runs[True]
    assert quiet.returncode == verbose.returncode == 0
    assert not any(notice in quiet.stderr for notice in NOTICES), quiet.stderr
    assert "oneDNN custom operations" in verbose.stderr
    assert (tmp_path / "s0.png").is_file() and (tmp_path / "s1.png").is_file()


def test_the_filter_keeps_every_other_line_written_to_descriptor_2():
    source, sink = os.pipe()
    result, target = os.pipe()
    os.write(sink, b"I0000 port.cc:153] oneDNN custom operations are on. You may see\n")
    os.write(sink, b"E0000 real_op.cc:1] something actually failed\n")
    os.write(sink, b"E0000 node_def_util.cc:682] NodeDef mentions attribute "
                   b"use_unbounded_threadpool which is not in the op definition\n")
    os.write(sink, b"a Python warning\nwithout a newline at the end")
    os.close(sink)
    startup._pump(source, target, startup.NOTICES)
    os.close(target)
    with os.fdopen(result, "rb") as read:
        error = read.read().decode()
    assert error == ("E0000 real_op.cc:1] something actually failed\na Python warning\n"
                     "without a newline at the end")
