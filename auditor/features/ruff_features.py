"""`ruff.*`: ruff diagnostics counted per rule family and for a few pinned codes.

One ruff process per batch: the batch's programs are written to a temporary directory
as `<sha256>.py` and checked together. The rule selection is an explicit list of codes
(stable rules of ruff 0.17, see `SELECT`), so a ruff upgrade that adds rules to a
family changes no count silently. `--isolated` ignores any user configuration and
`--ignore-noqa` keeps candidates from silencing the check.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from auditor.features.base import Extraction, Item
from auditor.types import Confidence, Finding, Severity

# family -> selected codes (stable in ruff 0.17.6; regenerate deliberately, bump VERSION).
FAMILIES: Mapping[str, tuple[str, ...]] = {
    "F": (
        "F401",
        "F402",
        "F403",
        "F404",
        "F405",
        "F406",
        "F407",
        "F501",
        "F502",
        "F503",
        "F504",
        "F505",
        "F506",
        "F507",
        "F508",
        "F509",
        "F521",
        "F522",
        "F523",
        "F524",
        "F525",
        "F541",
        "F601",
        "F602",
        "F621",
        "F622",
        "F631",
        "F632",
        "F633",
        "F634",
        "F701",
        "F702",
        "F704",
        "F706",
        "F707",
        "F722",
        "F811",
        "F821",
        "F822",
        "F823",
        "F841",
        "F842",
        "F901",
    ),
    "E": (
        "E101",
        "E401",
        "E402",
        "E501",
        "E701",
        "E702",
        "E703",
        "E711",
        "E712",
        "E713",
        "E714",
        "E721",
        "E722",
        "E731",
        "E741",
        "E742",
        "E743",
        "E902",
    ),
    "W": (
        "W191",
        "W291",
        "W292",
        "W293",
        "W505",
        "W605",
    ),
    "B": (
        "B002",
        "B003",
        "B004",
        "B005",
        "B006",
        "B007",
        "B008",
        "B009",
        "B010",
        "B011",
        "B012",
        "B013",
        "B014",
        "B015",
        "B016",
        "B017",
        "B018",
        "B019",
        "B020",
        "B021",
        "B022",
        "B023",
        "B024",
        "B025",
        "B026",
        "B027",
        "B028",
        "B029",
        "B030",
        "B031",
        "B032",
        "B033",
        "B034",
        "B035",
        "B039",
        "B904",
        "B905",
        "B911",
        "B912",
    ),
    "SIM": (
        "SIM101",
        "SIM102",
        "SIM103",
        "SIM105",
        "SIM107",
        "SIM108",
        "SIM109",
        "SIM110",
        "SIM112",
        "SIM113",
        "SIM114",
        "SIM115",
        "SIM116",
        "SIM117",
        "SIM118",
        "SIM201",
        "SIM202",
        "SIM208",
        "SIM210",
        "SIM211",
        "SIM212",
        "SIM220",
        "SIM221",
        "SIM222",
        "SIM223",
        "SIM300",
        "SIM401",
        "SIM905",
        "SIM910",
        "SIM911",
    ),
    "C4": (
        "C400",
        "C401",
        "C402",
        "C403",
        "C404",
        "C405",
        "C406",
        "C408",
        "C409",
        "C410",
        "C411",
        "C413",
        "C414",
        "C415",
        "C416",
        "C417",
        "C418",
        "C419",
        "C420",
    ),
    "C90": ("C901",),
    "PLC": (
        "PLC0105",
        "PLC0131",
        "PLC0132",
        "PLC0205",
        "PLC0206",
        "PLC0207",
        "PLC0208",
        "PLC0414",
        "PLC0415",
        "PLC1802",
        "PLC2401",
        "PLC2403",
        "PLC3002",
    ),
    "PLE": (
        "PLE0100",
        "PLE0101",
        "PLE0115",
        "PLE0116",
        "PLE0117",
        "PLE0118",
        "PLE0237",
        "PLE0241",
        "PLE0302",
        "PLE0303",
        "PLE0304",
        "PLE0305",
        "PLE0307",
        "PLE0308",
        "PLE0309",
        "PLE0604",
        "PLE0605",
        "PLE0643",
        "PLE0704",
        "PLE1132",
        "PLE1142",
        "PLE1205",
        "PLE1206",
        "PLE1300",
        "PLE1307",
        "PLE1310",
        "PLE1507",
        "PLE1519",
        "PLE1520",
        "PLE1700",
        "PLE2502",
        "PLE2510",
        "PLE2512",
        "PLE2513",
        "PLE2514",
        "PLE2515",
    ),
    "PLR": (
        "PLR0124",
        "PLR0133",
        "PLR0206",
        "PLR0402",
        "PLR0911",
        "PLR0912",
        "PLR0913",
        "PLR0915",
        "PLR0917",
        "PLR1704",
        "PLR1708",
        "PLR1711",
        "PLR1714",
        "PLR1716",
        "PLR1722",
        "PLR1730",
        "PLR1733",
        "PLR1736",
        "PLR2004",
        "PLR2044",
        "PLR5501",
    ),
    "PLW": (
        "PLW0108",
        "PLW0120",
        "PLW0127",
        "PLW0128",
        "PLW0129",
        "PLW0131",
        "PLW0133",
        "PLW0177",
        "PLW0211",
        "PLW0245",
        "PLW0406",
        "PLW0602",
        "PLW0603",
        "PLW0604",
        "PLW0642",
        "PLW0711",
        "PLW1501",
        "PLW1507",
        "PLW1508",
        "PLW1509",
        "PLW1510",
        "PLW1641",
        "PLW2101",
        "PLW2901",
        "PLW3301",
    ),
    "RET": (
        "RET501",
        "RET502",
        "RET503",
        "RET504",
        "RET505",
        "RET506",
        "RET507",
        "RET508",
    ),
    "PIE": (
        "PIE790",
        "PIE794",
        "PIE796",
        "PIE800",
        "PIE804",
        "PIE807",
        "PIE808",
        "PIE810",
    ),
    "A": (
        "A001",
        "A002",
        "A003",
        "A004",
        "A005",
        "A006",
    ),
    "ARG": (
        "ARG001",
        "ARG002",
        "ARG003",
        "ARG004",
        "ARG005",
    ),
    "ERA": ("ERA001",),
    "T20": (
        "T201",
        "T203",
    ),
    "PERF": (
        "PERF101",
        "PERF102",
        "PERF203",
        "PERF401",
        "PERF402",
        "PERF403",
    ),
    "N": (
        "N801",
        "N802",
        "N803",
        "N804",
        "N805",
        "N806",
        "N807",
        "N811",
        "N812",
        "N813",
        "N814",
        "N815",
        "N816",
        "N817",
        "N818",
        "N999",
    ),
    "UP": (
        "UP001",
        "UP003",
        "UP004",
        "UP005",
        "UP006",
        "UP007",
        "UP008",
        "UP009",
        "UP010",
        "UP011",
        "UP012",
        "UP013",
        "UP014",
        "UP015",
        "UP017",
        "UP018",
        "UP019",
        "UP020",
        "UP021",
        "UP022",
        "UP023",
        "UP024",
        "UP025",
        "UP026",
        "UP028",
        "UP029",
        "UP030",
        "UP031",
        "UP032",
        "UP033",
        "UP034",
        "UP035",
        "UP036",
        "UP037",
        "UP039",
        "UP040",
        "UP041",
        "UP042",
        "UP043",
        "UP044",
        "UP045",
        "UP046",
        "UP047",
        "UP049",
        "UP050",
    ),
    "RUF": (
        "RUF001",
        "RUF002",
        "RUF003",
        "RUF005",
        "RUF006",
        "RUF007",
        "RUF008",
        "RUF009",
        "RUF010",
        "RUF012",
        "RUF013",
        "RUF015",
        "RUF016",
        "RUF017",
        "RUF018",
        "RUF019",
        "RUF020",
        "RUF021",
        "RUF022",
        "RUF023",
        "RUF024",
        "RUF026",
        "RUF028",
        "RUF030",
        "RUF032",
        "RUF033",
        "RUF034",
        "RUF036",
        "RUF037",
        "RUF040",
        "RUF041",
        "RUF043",
        "RUF046",
        "RUF048",
        "RUF049",
        "RUF051",
        "RUF053",
        "RUF057",
        "RUF058",
        "RUF059",
        "RUF060",
        "RUF061",
        "RUF063",
        "RUF064",
        "RUF068",
        "RUF071",
        "RUF100",
        "RUF101",
        "RUF102",
        "RUF103",
        "RUF104",
        "RUF200",
    ),
    "BLE": ("BLE001",),
    "S": (
        "S101",
        "S102",
        "S103",
        "S104",
        "S105",
        "S106",
        "S107",
        "S108",
        "S110",
        "S112",
        "S113",
        "S201",
        "S202",
        "S301",
        "S302",
        "S303",
        "S304",
        "S305",
        "S306",
        "S307",
        "S308",
        "S310",
        "S311",
        "S312",
        "S313",
        "S314",
        "S315",
        "S316",
        "S317",
        "S318",
        "S319",
        "S321",
        "S323",
        "S324",
        "S501",
        "S502",
        "S503",
        "S504",
        "S505",
        "S506",
        "S507",
        "S508",
        "S509",
        "S601",
        "S602",
        "S603",
        "S604",
        "S605",
        "S606",
        "S607",
        "S608",
        "S609",
        "S610",
        "S611",
        "S612",
        "S701",
        "S702",
        "S704",
    ),
    "TRY": (
        "TRY002",
        "TRY003",
        "TRY004",
        "TRY201",
        "TRY203",
        "TRY300",
        "TRY301",
        "TRY400",
        "TRY401",
    ),
    "FURB": (
        "FURB105",
        "FURB110",
        "FURB116",
        "FURB122",
        "FURB129",
        "FURB132",
        "FURB136",
        "FURB157",
        "FURB161",
        "FURB162",
        "FURB163",
        "FURB164",
        "FURB166",
        "FURB167",
        "FURB168",
        "FURB169",
        "FURB171",
        "FURB177",
        "FURB181",
        "FURB187",
        "FURB188",
        "FURB192",
    ),
    "RSE": ("RSE102",),
}
SELECT: tuple[str, ...] = tuple(c for codes in FAMILIES.values() for c in codes)

# Codes that also get their own column: special-casing, size and hygiene signals.
PINNED: tuple[str, ...] = (
    "PLR2004",  # magic-value-comparison
    "PLR0911",  # too-many-return-statements
    "PLR0912",  # too-many-branches
    "PLR1714",  # repeated-equality-comparison
    "C901",  # complex-structure
    "SIM102",  # collapsible-if
    "SIM108",  # if-else-block-instead-of-if-exp
    "SIM114",  # if-with-same-arms
    "SIM103",  # needless-bool
    "RET505",  # superfluous-else-return
    "F841",  # unused-variable
    "F821",  # undefined-name
    "F401",  # unused-import
    "ARG001",  # unused-function-argument
    "E501",  # line-too-long
    "E741",  # ambiguous-variable-name
    "B006",  # mutable-argument-default
    "T201",  # print
    "S101",  # assert
    "ERA001",  # commented-out-code
    "PLW2901",  # redefined-loop-name
    "E722",  # bare-except
    "BLE001",  # blind-except
    "A001",  # builtin-variable-shadowing
)

# Codes whose findings are no style signal but code that misleads its reader: `check`
# fails on them by default (`fail-on = "high"`). Only the finding's severity changes; the
# feature columns count them as before, so the model's schema stays. PLE2502
# (bidirectional-unicode): Trojan Source, CVE-2021-42574, control characters U+202A-U+202E,
# U+2066-U+2069 (and U+200F, U+061C) anywhere, strings and comments too, make the code a
# reviewer sees differ from the code that runs (red team s19, S2).
_SEVERITY: Mapping[str, Severity] = {"PLE2502": Severity.HIGH}
# Bump when the findings change for the same ruff: the cache keys extractions by it.
_FINDINGS_VERSION = "2"

_BY_LENGTH = sorted(FAMILIES, key=len, reverse=True)


def family(code: str) -> str | None:
    """The selected family a code belongs to (longest matching prefix)."""
    for fam in _BY_LENGTH:
        if code.startswith(fam) and code[len(fam) : len(fam) + 1].isdigit():
            return fam
    return None


@cache
def ruff_bin() -> str:
    from ruff.__main__ import find_ruff_bin

    return str(find_ruff_bin())


@cache
def ruff_version() -> str:
    out = subprocess.run([ruff_bin(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip().split()[-1]


def run_ruff(directory: Path) -> list[dict[str, object]]:
    """Diagnostics (ruff JSON) for every .py file under directory, one process."""
    cmd = [
        ruff_bin(),
        "check",
        "--isolated",
        "--no-cache",
        "--ignore-noqa",
        "--exit-zero",
        "--output-format=json",
        "--target-version=py311",
        "--line-length=79",
        f"--select={','.join(SELECT)}",
        str(directory),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"ruff failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    out = json.loads(proc.stdout or "[]")
    if not isinstance(out, list):
        raise RuntimeError("ruff: unexpected JSON output")
    return out


class RuffExtractor:
    """Counts per family (and pinned codes) and the findings, from one ruff run per batch."""

    name = "ruff"
    version = "1"

    @property
    def fingerprint(self) -> str:
        # Not `version`: that one is part of the model's schema hash (see _SEVERITY).
        return f"{ruff_version()}+findings{_FINDINGS_VERSION}"

    columns: tuple[str, ...] = (
        "ruff.total",
        *(f"ruff.{f}" for f in FAMILIES),
        *(f"ruff.{c}" for c in PINNED),
    )

    def extract(self, batch: Sequence[Item]) -> list[Extraction]:
        with tempfile.TemporaryDirectory(prefix="auditor-ruff-") as tmp:
            for item in batch:
                # UTF-8 whatever the coding cookie says: ruff reads no other encoding (and
                # ignores cookies), unlike pylint (see `python_source_bytes`).
                (Path(tmp) / f"{item.sha256}.py").write_text(item.text, encoding="utf-8")
            diagnostics = run_ruff(Path(tmp))
        by_sha: dict[str, list[dict[str, object]]] = {}
        for d in diagnostics:
            by_sha.setdefault(Path(str(d.get("filename", ""))).stem, []).append(d)
        return [self._one(by_sha.get(item.sha256, [])) for item in batch]

    def _one(self, diagnostics: list[dict[str, object]]) -> Extraction:
        findings: list[Finding] = []
        found: Counter[str] = Counter()
        syntax_error = False
        for d in diagnostics:
            code = d.get("code")
            loc = d.get("location") or {}
            assert isinstance(loc, dict)
            line, col = int(loc.get("row") or 0), int(loc.get("column") or 0)
            if not code or code == "invalid-syntax":  # ruff could not analyse the file
                syntax_error = True
                continue
            code = str(code)
            fam = family(code)
            if fam is None:
                continue
            found["ruff.total"] += 1
            found[f"ruff.{fam}"] += 1
            found[f"ruff.{code}"] += 1
            findings.append(
                Finding(
                    code=f"ruff:{code}",
                    symbol=str(d.get("name") or code),
                    message=str(d.get("message") or ""),
                    line=line,
                    col=col,
                    severity=_SEVERITY.get(code, Severity.LOW),
                    confidence=Confidence.HIGH if code in _SEVERITY else Confidence.MEDIUM,
                    source="ruff",
                )
            )
        if syntax_error:
            return Extraction(failed=True)
        row = {c: float(found.get(c, 0)) for c in self.columns}
        return Extraction(features=row, findings=tuple(findings))
