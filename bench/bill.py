#!/usr/bin/env python3
"""The reference for `cargo xtask bench bill`: an Alipay bill ZIP parsed with the standard
library only, doing the work `bench/src/bin/bill.rs` does with the SDK.

`bill.py PATH` opens the ZIP (`zipfile`; entry names stored as GBK are decoded as GBK), streams
the detail entry through `io.TextIOWrapper(..., encoding="gbk")` and `csv`, skips the `#` lines,
finds the columns by header name, strips the padding (spaces, tabs, a leading backquote) from
every cell, makes each row a dict by column name, parses every amount column (`...（元）`) with
`decimal.Decimal` and sums it, counts payments and refunds, checks `#交易合计：N笔，退款合计：M笔`
and the `合计` row of the summary entry against the rows, converts the totals to fen exactly, and
prints the same JSON line as the Rust driver:
`{"rows":N,"payments":P,"refunds":R,"order_fen":O,"received_fen":F,"seconds":S,"cpu_seconds":C,"peak_rss_kib":K}`
(`seconds` wall and `cpu_seconds` from `time.process_time()`, both from opening the file to the
end of the summary check; `peak_rss_kib` from `resource.getrusage`). Exits with status 1 and a message on stderr when a total does not add up.
"""
import csv
import io
import json
import re
import resource
import sys
import time
import zipfile
from decimal import Decimal

PAD = " \t\u3000"
ORDER = "订单金额（元）"
RECEIVED = "商家实收（元）"
KIND = "业务类型"
REQUIRED = ["支付宝交易号", "商户订单号", KIND, "创建时间", "完成时间", ORDER, RECEIVED]


def clean(cell):
    c = cell.strip(PAD)
    if c.startswith("`"):
        c = c[1:].strip(PAD)
    return c


def canonical(name):
    return clean(name).replace("(", "（").replace(")", "）")


def entry_name(info):
    """The entry name: UTF-8 when flagged (zipfile decoded it), else the raw bytes as GBK."""
    if info.flag_bits & 0x800:
        return info.filename
    return info.filename.encode("cp437").decode("gbk")


def fen(total):
    cents = total * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{total} is not a whole number of fen")
    return int(cents)


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def data_lines(text, stated):
    """The lines of the CSV that are not `#` comments; `#交易合计` lines go to `stated`."""
    for line in text:
        if line.startswith("#"):
            if line.startswith("#交易合计"):
                stated.append(line)
            continue
        yield line


def main():
    path = sys.argv[1]
    start, cpu_start = time.perf_counter(), time.process_time()
    with zipfile.ZipFile(path) as z:
        entries = {entry_name(i): i for i in z.infolist()}
        detail = next((i for n, i in entries.items() if n.endswith("业务明细.csv")), None)
        summary = next((i for n, i in entries.items()
                        if n.endswith("业务明细(汇总).csv") or n.endswith("业务明细（汇总）.csv")), None)
        if detail is None or summary is None:
            fail(f"no detail or summary entry in {list(entries)}")
        stated = []
        rows = payments = refunds = 0
        with z.open(detail) as raw:
            text = io.TextIOWrapper(raw, encoding="gbk", newline="")
            reader = csv.reader(data_lines(text, stated))
            header = next(r for r in reader if r)
            names = [canonical(c) for c in header]
            for column in REQUIRED:
                if column not in names:
                    fail(f"the header has no column {column}")
            n = len(names)
            i_kind = names.index(KIND)
            amount_cols = [i for i, c in enumerate(names) if c.endswith("（元）")]
            sums = [Decimal(0) for _ in amount_cols]
            for row in reader:
                if not row:
                    continue
                cells = [clean(c) for c in row]
                if len(cells) == n + 1 and cells[-1] == "":
                    cells.pop()
                if len(cells) != n:
                    fail(f"a row has {len(cells)} cells, the header has {n}")
                record = dict(zip(names, cells))
                kind = record[KIND]
                if kind == "交易":
                    payments += 1
                elif kind == "退款":
                    refunds += 1
                for k, i in enumerate(amount_cols):
                    cell = cells[i]
                    if cell:
                        sums[k] += Decimal(cell)
                rows += 1
        for line in stated:  # after the rows, so checked against the final counts
            m = re.search(r"交易合计：(\d+)笔，退款合计：(\d+)笔", line)
            if not m or (int(m[1]), int(m[2])) != (payments, refunds):
                fail(f"stated counts do not add up: {line.strip()} against {payments} and {refunds}")
        totals = {names[i]: fen(s) for i, s in zip(amount_cols, sums)}
        with z.open(summary) as raw:
            text = io.TextIOWrapper(raw, encoding="gbk", newline="")
            srows = [r for r in csv.reader(line for line in text if not line.startswith("#")) if r]
        columns = [canonical(c) for c in srows[0]]
        total = next((r for r in srows[1:] if any(clean(c).startswith("合计") for c in r)), None)
        if total is None:
            fail("the summary entry has no 合计 row")
        for name, cell in zip(columns, (clean(c) for c in total)):
            if not cell:
                continue
            if name == "交易订单总笔数" and int(cell) != payments:
                fail(f"汇总 {name}: {cell} against {payments}")
            if name == "退款订单总笔数" and int(cell) != refunds:
                fail(f"汇总 {name}: {cell} against {refunds}")
            if name in totals and fen(Decimal(cell)) != totals[name]:
                fail(f"汇总 {name}: {cell} against {totals[name]} fen")
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    print(json.dumps({
        "rows": rows,
        "payments": payments,
        "refunds": refunds,
        "order_fen": totals[ORDER],
        "received_fen": totals[RECEIVED],
        "seconds": round(seconds, 6),
        "cpu_seconds": round(cpu_seconds, 6),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
