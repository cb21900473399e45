"""A result of the analysis layer depends on its inputs only, not on what the process did
before it: which module loaded numpy first, which analyses ran earlier.

Each case runs in fresh Python processes (what came first in a process is the point), two at
once: the 2-core machine runs them side by side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# the golden test's synthetic merge (4 trees x 250 labels: the static model's neighbour
# search), as a hash of its whole result and its count of suggestions
MERGE = """
import json
from test_analysis_golden import summary, synthetic_problem_trees
from trees.analysis.merge import merge
print(json.dumps(summary(merge(synthetic_problem_trees(4, 250)))))
"""

# what a test module, a tool or the server may do before its first merge: load numpy itself
# (OpenBLAS reads its thread count then), and run other analyses
OTHER_WORK_FIRST = """
import numpy
numpy.ones((64, 64), dtype=numpy.float32) @ numpy.ones((64, 64), dtype=numpy.float32)
from test_analysis_golden import synthetic_game_tree
from trees.analysis import TreeInput, recurring
recurring([TreeInput(1, synthetic_game_tree(200), kind="game")])
"""


def run_in_fresh_processes(*codes: str) -> list[str]:
    # the default thread count, not the one this process passed on in its environment
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[1]), str(HERE)])
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for code in codes
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs)
    return outs


def test_a_merge_is_the_same_alone_and_after_numpy_was_loaded_and_other_analyses_ran() -> None:
    alone, after = run_in_fresh_processes(MERGE, OTHER_WORK_FIRST + MERGE)
    assert json.loads(after) == json.loads(alone)


def test_the_analysis_layer_runs_one_blas_thread_whoever_loaded_numpy() -> None:
    code = (
        "import numpy, threadpoolctl, trees.analysis\n"
        "print(sorted({p['num_threads'] for p in threadpoolctl.threadpool_info()"
        " if p['user_api'] == 'blas'}))"
    )
    (out,) = run_in_fresh_processes(code)
    assert json.loads(out) == [1]
