"""Runs papermill.execute_notebook for each JSON request line on stdin; answers one JSON line per request.

Kept alive between runs so the measurement is papermill's own work (kernel start, execution, saving the
output notebook), not the Python interpreter starting and importing papermill each time."""
import json
import sys
import time

import papermill

for line in sys.stdin:
    request = json.loads(line)
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            request["input"],
            request["output"],
            parameters=request["parameters"],
            kernel_name=request["kernel"],
            progress_bar=False,
            log_output=False,
        )
        answer = {"ok": True, "ms": (time.perf_counter() - started) * 1000}
    except Exception as error:  # report, keep serving
        answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
