"""The Python side of the spreadsheet differential tests.

  spreadsheets.py write <out.xlsx> <case>     writes a case's workbook with openpyxl
  spreadsheets.py read <in.xlsx> <spec.json>  prints what pandas.read_excel (openpyxl engine) reads, as JSON

`spec.json` is a list of {"sheet": name, "header": row index for pandas' `header=`}. Each value is printed as
[kind, text] with the text exact (ints as digits, floats as repr, dates ISO), or null.
"""
import datetime as dt
import json
import math
import sys

import openpyxl
import pandas as pd
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904


def typed_sheet(ws):
    """Every kind of cell, one column each, with NULLs (gaps) in most columns."""
    ws.append(["int", "int_nulls", "float", "big_int", "bool", "date", "datetime", "time", "text", "digits", "rich", "errors"])
    rich = CellRichText([TextBlock(InlineFont(b=True), "bold"), " and ", TextBlock(InlineFont(i=True), "italic")])
    rows = [
        [1, 10, 0.1, 9007199254740993, True, dt.date(2024, 2, 29), dt.datetime(2024, 1, 31, 13, 45, 30, 123000), dt.time(8, 30), "Zoë", "00123", rich, 1.5],
        [-2, None, 1e-300, -9223372036854775807, False, dt.date(1900, 3, 1), dt.datetime(1999, 12, 31, 23, 59, 59), dt.time(23, 59, 59, 500000), "multi\nline, \"quoted\"", "2024-01-01", "plain", "#N/A"],
        [3, 30, 123456789.12345679, 0, None, dt.date(2100, 12, 31), None, None, "  padded  ", "1e5", None, "#DIV/0!"],
        [4, None, -2.5e10, 12, True, None, dt.datetime(2024, 6, 1, 0, 0), dt.time(0, 0, 1), None, "TRUE", "x", 2],
    ]
    for row in rows:
        ws.append(row)
    ws["F1"].number_format = "General"
    for cell in ws["F"][1:]:
        cell.number_format = "yyyy-mm-dd"
    for cell in ws["G"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm:ss.000"
    for cell in ws["H"][1:]:
        cell.number_format = "hh:mm:ss.000"


def write(path, case):
    wb = openpyxl.Workbook()
    if case == "named":
        # Created out of tab order, then moved: the tab order is Summary, Data 2024, Notes (hidden).
        notes = wb.active
        notes.title = "Notes"
        notes.append(["note"])
        notes.append(["hidden sheet"])
        notes.sheet_state = "hidden"
        data = wb.create_sheet("Data 2024")
        data.append(["id", "city"])
        data.append([1, "Genève"])
        data.append([2, "Łódź"])
        summary = wb.create_sheet("Summary")
        summary.append(["total"])
        summary.append([3])
        wb.move_sheet("Summary", offset=-2)
        wb.move_sheet("Notes", offset=2)
    elif case == "titled":
        ws = wb.active
        ws.title = "Report"
        ws.append(["Quarterly report"])
        ws.merge_cells("A1:D1")
        ws.append(["Generated", dt.date(2024, 4, 1)])
        ws.append([])
        ws.append(["region", "q1", "q2", "q3"])
        ws.append(["north", 10, 11, 12])
        ws.append(["south", 20, None, 22, "wider than the header"])
        ws.append([])
        ws.append(["east", 30, 31, 32])
    elif case == "typed":
        typed_sheet(wb.active)
        wb.active.title = "Types"
        mixed = wb.create_sheet("Mixed")
        for row in [["mixed", "label"], [1, "a"], ["two", "b"], [3.5, "c"], [True, "d"], [None, "e"]]:
            mixed.append(row)
    elif case == "mac1904":
        wb.epoch = CALENDAR_MAC_1904
        typed_sheet(wb.active)
        wb.active.title = "Mac"
    else:
        raise SystemExit(f"unknown case {case}")
    wb.save(path)


def cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return ["bool", "true" if value else "false"]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, pd.Timestamp):
        return ["datetime", value.isoformat(sep=" ")]
    if isinstance(value, dt.datetime):
        return ["datetime", value.isoformat(sep=" ")]
    if isinstance(value, dt.date):
        return ["date", value.isoformat()]
    if isinstance(value, dt.time):
        return ["time", value.isoformat()]
    if isinstance(value, (dt.timedelta, pd.Timedelta)):
        return ["timedelta", str(int(pd.Timedelta(value).total_seconds() * 1000))]
    return ["str", str(value)]


def read(path, spec):
    book = pd.ExcelFile(path, engine="openpyxl")
    out = {"sheets": book.sheet_names, "frames": []}
    for item in spec:
        df = pd.read_excel(path, sheet_name=item["sheet"], header=item["header"], engine="openpyxl")
        out["frames"].append({
            "sheet": item["sheet"],
            "columns": [str(c) for c in df.columns],
            "dtypes": [str(t) for t in df.dtypes],
            "values": [[cell(v) for v in df[c].astype(object).tolist()] for c in df.columns],
        })
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        read(sys.argv[2], json.loads(sys.argv[3]))
