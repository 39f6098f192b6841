# Compares a DataFrame handed over by the workbench (`%%sql df <<`) with duckdb's own `.df()` of the same SQL,
# column by column: dtype and every value. Where docs/kernels.md says the hand-over deliberately differs from
# `.df()` (it keeps what `.df()` loses), the column is checked against DuckDB's exact text instead.
# Runs inside the real Jupyter kernel of the notebook session; prints a JSON list of mismatches.


def __wb_compare(ours, sql, time_zone):
    import datetime as dt
    import decimal
    import math
    import re
    import warnings

    import duckdb
    import numpy as np
    import pandas as pd

    warnings.simplefilter("ignore")
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{time_zone}'")
    relation = con.sql(sql)
    types = [str(t) for t in relation.types]
    names = relation.columns
    problems = []
    texts = con.sql(f"SELECT {', '.join(f'CAST({quote(n)} AS VARCHAR)' for n in names)} FROM ({sql})").fetchall()

    if list(ours.columns) != list(names):
        return [f"columns {list(ours.columns)} != {names}"]
    if len(ours) != len(texts):
        return [f"{len(ours)} rows != {len(texts)}"]

    def null(v):
        if v is None or v is pd.NA or v is pd.NaT:
            return True
        try:
            return bool(isinstance(v, float) and math.isnan(v)) or (isinstance(v, (np.floating,)) and np.isnan(v))
        except TypeError:
            return False

    def same(a, b):
        if isinstance(a, np.ma.MaskedArray) or isinstance(b, np.ma.MaskedArray):
            return (isinstance(a, np.ma.MaskedArray) and isinstance(b, np.ma.MaskedArray) and a.dtype == b.dtype
                    and list(np.ma.getmaskarray(a)) == list(np.ma.getmaskarray(b))
                    and all(same(x, y) for x, y, m in zip(a.data, b.data, np.ma.getmaskarray(a)) if not m))
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                    and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)))
        if null(a) or null(b):
            return null(a) and null(b) and type(a) is type(b)
        if isinstance(a, dict):
            return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, (float, np.floating)):
            return type(a) is type(b) and a == b and math.copysign(1, a) == math.copysign(1, b)
        return type(a) is type(b) and a == b

    def timetz(text):
        if len(text) >= 3 and text[-3] in "+-":
            text += ":00"
        return dt.time.fromisoformat(text)

    for c, (name, kind) in enumerate(zip(names, types)):
        column = ours[name]
        try:
            ref = con.sql(f"SELECT {quote(name)} FROM ({sql})").df()
        except Exception as err:  # noqa: BLE001 - .df() cannot convert some types (UHUGEINT, TIMETZ, DATE 'infinity')
            ref = None
            ref_error = str(err)
        exact = [row[c] for row in texts]
        wide_decimal = re.fullmatch(r"DECIMAL\((\d+),\d+\)", kind) and int(re.findall(r"\d+", kind)[0]) > 15
        if kind in ("HUGEINT", "UHUGEINT") or wide_decimal:
            # Deviation: exact Python ints / Decimals where .df() rounds to float64.
            convert = int if kind.endswith("HUGEINT") else decimal.Decimal
            want = [None if t is None else convert(t) for t in exact]
            if str(column.dtype) != "object":
                problems.append(f"{name}: dtype {column.dtype}, want object")
            for r, (v, w) in enumerate(zip(column, want)):
                if (null(v) and w is not None) or (w is not None and (type(v) is not type(w) or v != w)):
                    problems.append(f"{name}[{r}]: {v!r} != exact {w!r}")
                if ref is not None and w is not None and float(v) != ref[name].iloc[r]:
                    problems.append(f"{name}[{r}]: float {float(v)!r} != .df() {ref[name].iloc[r]!r}")
            continue
        if kind == "BIT" or kind == "TIME WITH TIME ZONE" or (ref is None and kind == "DATE"):
            # Deviation: .df() gives BIT's internal bytes, and fails on TIMETZ and infinite DATEs.
            convert = timetz if kind == "TIME WITH TIME ZONE" else str
            for r, (v, t) in enumerate(zip(column, exact)):
                w = None if t is None else convert(t)
                if (w is None) != null(v) or (w is not None and v != w):
                    problems.append(f"{name}[{r}]: {v!r} != DuckDB text {t!r}")
            continue
        if ref is None:
            problems.append(f"{name}: duckdb .df() failed ({ref_error}) and no documented rule covers {kind}")
            continue
        theirs = ref[name]
        if str(column.dtype) != str(theirs.dtype):
            problems.append(f"{name}: dtype {column.dtype} != .df() {theirs.dtype}")
        for r, (v, w) in enumerate(zip(column, theirs)):
            if not same(v, w):
                problems.append(f"{name}[{r}]: {v!r} != .df() {w!r}")
    return problems


def quote(name):
    return '"' + name.replace('"', '""') + '"'
