"""Many synthetic reports over several years, with consistent carry-over, written beside ``truth.jsonl``.

An agency appears in consecutive years; its 上年结转 (R02) is last year's 结转下年度继续办理 (R25) per column unless
a ``carry_over_break`` defect says otherwise. Everything is drawn from one ``random.Random(seed)``, so a seed
fixes the corpus byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xxgk.schema.keys import TABLE3_PART_COLS
from xxgk.synth.build import build_report, truth_dict
from xxgk.synth.defects import choose_defect_kinds, missing_tables
from xxgk.synth.population import Agency, sample_agencies
from xxgk.synth.render import render
from xxgk.synth.style import HTML_SERIALIZATIONS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusItem:
    file_name: str
    data: bytes
    truth: dict[str, Any]


@dataclass
class CorpusStats:
    reports: int = 0
    agencies: int = 0
    bytes_written: int = 0
    by_serialization: Counter = field(default_factory=Counter)
    by_level: Counter = field(default_factory=Counter)
    by_year: Counter = field(default_factory=Counter)
    by_defect: Counter = field(default_factory=Counter)
    defective: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "reports": self.reports, "agencies": self.agencies, "bytes": self.bytes_written,
            "defective": self.defective,
            "by_serialization": dict(sorted(self.by_serialization.items())),
            "by_level": dict(sorted(self.by_level.items())),
            "by_year": dict(sorted(self.by_year.items())),
            "by_defect": dict(sorted(self.by_defect.items())),
        }


def parse_years(text: str) -> tuple[int, ...]:
    """``"2022-2024"`` → (2022, 2023, 2024); ``"2021,2023"`` → (2021, 2023)."""
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            if b < a:
                raise ValueError(f"empty year range {part!r}")
            years.extend(range(a, b + 1))
        else:
            years.append(int(part))
    if not years or any(y < 2008 or y > 2100 for y in years):
        raise ValueError(f"not a usable list of report years: {text!r}")
    return tuple(sorted(set(years)))


def _agency_years(rng: random.Random, years: Sequence[int]) -> list[int]:
    if len(years) == 1 or rng.random() < 0.7:
        return list(years)
    a = rng.randrange(len(years))
    b = rng.randrange(a, len(years))
    return list(years[a:b + 1])


@dataclass(frozen=True)
class Chain:
    """One agency's run of consecutive report years; ``first_index`` numbers its first file."""

    first_index: int
    agency: Agency
    years: tuple[int, ...]
    seed: int


def plan_corpus(n: int, *, seed: int = 0, years: Sequence[int] = (2022, 2023, 2024)) -> list[Chain]:
    """Which agency reports which years, totalling ``n`` reports. Each chain gets its own seed, so chains can be
    built in any order or in parallel and still give the same bytes."""
    rng = random.Random(seed)
    years = sorted(years)
    chains: list[Chain] = []
    produced = 0
    seen: set[str] = set()
    while produced < n:
        batch = sample_agencies(rng, max(1, math.ceil((n - produced) / len(years) * 1.2)))
        for agency in batch:
            if agency.name in seen:
                continue
            seen.add(agency.name)
            span = _agency_years(rng, years)[: n - produced]
            chains.append(Chain(produced, agency, tuple(span), rng.getrandbits(64)))
            produced += len(span)
            if produced >= n:
                break
    return chains


def build_chain(chain: Chain, defect_rate: float) -> Iterator[CorpusItem]:
    """The reports of one chain, year by year, 上年结转 carried from the previous year's 结转下年度."""
    rng = random.Random(chain.seed)
    carried = None
    previous_t2 = None
    previous_forward_shown = False
    for offset, year in enumerate(chain.years):
        kinds = choose_defect_kinds(rng, defect_rate)
        if not previous_forward_shown:
            # A broken 上年结转 shows only against a 结转下年度 last year's report published (X1).
            kinds = tuple(k for k in kinds if k != "carry_over_break")
        report = build_report(rng, chain.agency, year, defect_kinds=kinds, carried_over=carried,
                              previous_table2=previous_t2)
        carried = {c: int(report.intended.table3["carried_forward"][c] or 0) for c in TABLE3_PART_COLS}
        previous_t2 = report.intended.table2
        previous_forward_shown = "table3" not in missing_tables(report.defects)
        data = render(report)
        ext = "html" if report.style.serialization in HTML_SERIALIZATIONS else "txt"
        name = f"{chain.first_index + offset:06d}_{hashlib.sha1(data).hexdigest()[:16]}.{ext}"
        yield CorpusItem(name, data, truth_dict(report, file=name))


def generate_corpus(n: int, *, seed: int = 0, years: Sequence[int] = (2022, 2023, 2024),
                    defect_rate: float = 0.2) -> Iterator[CorpusItem]:
    """``n`` rendered reports with their ground truth, agency by agency, year by year."""
    for chain in plan_corpus(n, seed=seed, years=years):
        yield from build_chain(chain, defect_rate)


_Summary = tuple[str, int, str, str, int, str, tuple[str, ...]]  # truth line, size, ser, level, year, agency, kinds


def _write_chains(args: tuple[str, list[Chain], float]) -> list[_Summary]:
    """Worker: build and write a batch of chains; return their truth lines (with a summary) in order."""
    out_dir, chains, defect_rate = Path(args[0]), args[1], args[2]
    out: list[_Summary] = []
    for chain in chains:
        for item in build_chain(chain, defect_rate):
            (out_dir / item.file_name).write_bytes(item.data)
            t = item.truth
            level = ("summary_" if t["is_summary"] else "") + t["level"]
            out.append((json.dumps(t, ensure_ascii=False, separators=(",", ":")), len(item.data), t["serialization"],
                        level, t["year"], t["agency"], tuple(d["kind"] for d in t["defects"])))
    return out


def write_corpus(out_dir: Path, n: int, *, seed: int = 0, years: Sequence[int] = (2022, 2023, 2024),
                 defect_rate: float = 0.2, jobs: int = 1) -> CorpusStats:
    """Write ``n`` reports as ``out_dir/<id>.<ext>`` and one JSON line per report to ``out_dir/truth.jsonl``.

    ``jobs`` > 1 builds chains in worker processes; the files are the same whatever ``jobs`` is.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    chains = plan_corpus(n, seed=seed, years=years)
    batches = [chains[i:i + 100] for i in range(0, len(chains), 100)]
    tasks = [(str(out_dir), batch, defect_rate) for batch in batches]
    stats = CorpusStats()
    agencies: set[str] = set()
    if jobs > 1 and len(batches) > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=jobs)
        results: Iterator[list[_Summary]] = pool.map(_write_chains, tasks)
    else:
        pool = None
        results = map(_write_chains, tasks)
    try:
        with (out_dir / "truth.jsonl").open("w", encoding="utf-8") as truth_file:
            for batch in results:
                for line, size, serialization, level, year, agency, kinds in batch:
                    truth_file.write(line + "\n")
                    stats.reports += 1
                    stats.bytes_written += size
                    stats.by_serialization[serialization] += 1
                    stats.by_level[level] += 1
                    stats.by_year[year] += 1
                    agencies.add(agency)
                    stats.defective += bool(kinds)
                    stats.by_defect.update(kinds)
    finally:
        if pool is not None:
            pool.shutdown()
    stats.agencies = len(agencies)
    logger.info("wrote %d reports (%d agencies) to %s", stats.reports, stats.agencies, out_dir)
    return stats
