# SQL -> pandas hand-over, run inside the Python kernel (sent as source, so no install step).
#
# The server writes the kept result to Parquet with a "carrier" projection (values Parquet or pyarrow cannot carry
# faithfully go as text or numbers, see kernels/src/session/hand-over.ts) and sends a type spec per column. This
# builds the DataFrame the way duckdb's own `.df()` does (docs/kernels.md has the table), except where `.df()`
# loses data: HUGEINT and wide DECIMAL stay exact, ENUM lists keep labels, BIT is its text, TIMETZ works.


def __wb_hand_over(path, columns, time_zone):
    import datetime as dt
    import decimal
    import uuid

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    nullable = {
        "int8": pd.Int8Dtype(), "int16": pd.Int16Dtype(), "int32": pd.Int32Dtype(), "int64": pd.Int64Dtype(),
        "uint8": pd.UInt8Dtype(), "uint16": pd.UInt16Dtype(), "uint32": pd.UInt32Dtype(),
        "uint64": pd.UInt64Dtype(),
    }

    def timetz(text):
        # DuckDB spells offsets `+02` or `+05:30`; Python wants `+02:00`.
        if len(text) >= 3 and text[-3] in "+-":
            text += ":00"
        return dt.time.fromisoformat(text)

    def py(v, s):
        """A value inside a STRUCT, MAP or UNION: plain Python objects, as duckdb's fetchall gives them."""
        if v is None:
            return None
        k = s["k"]
        if k == "list":
            return [py(x, s["child"]) for x in v]
        if k == "struct":
            return {name: py(v.get(name), f) for name, f in s["fields"]}
        if k == "map":
            return {py(key, s["key"]): py(val, s["value"]) for key, val in v}
        if k == "union":
            tag = v["tag"]
            return py(v.get(tag), dict(s["members"])[tag])
        if k == "hugeint":
            return int(v)
        if k == "interval":
            return dt.timedelta(microseconds=v)
        if k == "uuid":
            return uuid.UUID(v)
        if k == "timetz":
            return timetz(v)
        if k == "blob":
            return bytes(v)
        if k == "timestamptz" and time_zone and isinstance(v, dt.datetime):
            return v.astimezone(_zone(time_zone))
        if k == "decimal" and not isinstance(v, decimal.Decimal):
            return decimal.Decimal(v)
        return v

    def items(values, s):
        """A LIST/ARRAY value at the top level: a numpy array of its items converted as a column would be,
        masked where an item is NULL (strings and labels keep None instead), as duckdb's .df() builds it."""
        k = s["k"]
        mask = [x is None for x in values]
        if k in ("int", "bool", "float"):
            dtype = np.bool_ if k == "bool" else np.dtype(s["dtype"])
            data = np.array([x if x is not None else 0 for x in values], dtype=dtype)
        elif k == "decimal" and not s.get("exact"):
            data = np.array([0.0 if x is None else float(x) for x in values], dtype=np.float64)
        elif k in ("date", "timestamp", "timestamptz"):
            unit = s.get("unit", "us")
            data = np.array([np.datetime64(0, unit) if x is None else _naive(x) for x in values],
                            dtype=f"datetime64[{unit}]")
        elif k == "interval":
            data = np.array([np.timedelta64(0 if x is None else x, "us") for x in values], dtype="timedelta64[us]")
        else:
            data = np.empty(len(values), dtype=object)
            for n, x in enumerate(values):
                if x is not None:
                    data[n] = items(x, s["child"]) if k == "list" else bytearray(x) if k == "blob" else py(x, s)
            if k in ("str", "json", "enum"):
                return data
        return np.ma.masked_array(data, mask=mask) if any(mask) else data

    def _naive(x):
        if isinstance(x, dt.datetime):
            return np.datetime64(x.astimezone(dt.timezone.utc).replace(tzinfo=None) if x.tzinfo else x)
        return np.datetime64(x)

    def objects(values):
        # duckdb's .df() marks NULLs of object columns with pd.NA.
        return pd.Series(np.array([pd.NA if x is None else x for x in values] + [None], dtype=object)[:-1])

    def column(arr, s):
        k = s["k"]
        nulls = arr.null_count > 0
        if k == "int":
            if nulls:
                return pa.table({"c": arr}).to_pandas(types_mapper={arr.type: nullable[s["dtype"]]}.get)["c"]
            return pd.Series(arr.to_numpy().astype(s["dtype"], copy=False))
        if k == "bool":
            if nulls:
                return pa.table({"c": arr}).to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)["c"]
            return pd.Series(arr.to_numpy(zero_copy_only=False).astype(bool))
        if k == "float":
            return pd.Series(arr.to_numpy(zero_copy_only=False).astype(s["dtype"], copy=False))
        if k == "decimal":
            if s.get("exact"):
                return objects([None if x is None else decimal.Decimal(x) for x in arr.to_pylist()])
            return pd.Series(arr.cast(pa.float64()).to_numpy(zero_copy_only=False))
        if k in ("str", "json", "bit", "other"):
            return arr.to_pandas()
        if k == "enum":
            return pd.Series(pd.Categorical(arr.to_pylist(), categories=s["categories"]))
        if k == "date":
            # datetime64[us] spans +-290,000 years: DATE 'infinity' and friends cannot be in it, so such a column
            # keeps each date's text instead (duckdb's .df() fails on them).
            bounds = pc.min_max(arr.cast(pa.int32())).as_py()
            if bounds["min"] is not None and (bounds["min"] < -106_000_000 or bounds["max"] > 106_000_000):
                return objects([None if d is None else _date_text(d) for d in arr.cast(pa.int32()).to_pylist()])
            return arr.cast(pa.timestamp("us")).to_pandas().astype("datetime64[us]")
        if k == "timestamp":
            series = arr.to_pandas()
            return series.astype(f"datetime64[{s['unit']}]")
        if k == "timestamptz":
            series = arr.to_pandas()
            return series.dt.tz_convert(time_zone) if time_zone else series
        if k == "interval":
            return arr.cast(pa.duration("us")).to_pandas().astype("timedelta64[us]")
        if k == "time":
            return objects(arr.to_pylist())
        if k == "hugeint":
            return objects([None if x is None else int(x) for x in arr.to_pylist()])
        if k == "uuid":
            return objects([None if x is None else uuid.UUID(x) for x in arr.to_pylist()])
        if k == "timetz":
            return objects([None if x is None else timetz(x) for x in arr.to_pylist()])
        if k == "blob":
            return objects([None if x is None else bytearray(x) for x in arr.to_pylist()])
        if k == "list":
            return objects([None if x is None else items(x, s["child"]) for x in arr.to_pylist()])
        if k == "null":
            return objects([None] * len(arr))
        return objects([py(x, s) for x in arr.to_pylist()])

    frame = pd.DataFrame({i: column(table.column(i), spec) for i, (_, spec) in enumerate(columns)})
    frame.columns = [name for name, _ in columns]
    return frame


def _date_text(days):
    import numpy as np

    if days == 2_147_483_647:
        return "infinity"
    if days == -2_147_483_647:
        return "-infinity"
    return str(np.datetime64(days, "D"))


def _zone(name):
    import zoneinfo

    return zoneinfo.ZoneInfo(name)
