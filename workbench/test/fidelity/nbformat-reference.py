"""What nbformat itself makes of notebooks: the reference the .ipynb fidelity tests compare against.

stdin: a JSON list of requests, each {"op": "read", "text": ...} or {"op": "numbers", "text": ...}.
stdout: a JSON list of answers, one per request.

read: whether nbformat accepts the notebook (reads it, normalizes it as `validate` does, finds it valid), the cell
ids it ends up with and the warnings it gave.
numbers: the notebook as nbformat reads it, with every metadata object and output written back by Python's json
(which tells 1 from 1.0, -0.0 from 0 and keeps every digit of a big integer).
"""

import json
import sys
import warnings

import nbformat


def read(text):
    captured = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            nb = nbformat.reads(text, as_version=4, capture_validation_error=captured)
        except Exception as e:  # NotJSONError, NBFormatError, a ValidationError raised while converting
            return {"accepted": False, "error": f"{type(e).__name__}: {e}"}
    if "ValidationError" in captured:
        return {"accepted": False, "error": str(captured["ValidationError"]).splitlines()[0]}
    return {
        "accepted": True,
        "ids": [cell.get("id") for cell in nb.cells],
        "warnings": [str(w.message) for w in caught],
    }


def numbers(text):
    nb = nbformat.reads(text, as_version=4)
    dump = lambda value: json.dumps(value, sort_keys=True)  # noqa: E731
    return {
        "metadata": dump(nb.metadata),
        "cells": [
            {"metadata": dump(cell.metadata), "outputs": dump(cell.get("outputs"))} for cell in nb.cells
        ],
    }


answers = []
for request in json.load(sys.stdin):
    answers.append(read(request["text"]) if request["op"] == "read" else numbers(request["text"]))
json.dump(answers, sys.stdout)
