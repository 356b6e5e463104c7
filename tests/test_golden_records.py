"""A month of jingxing_2019's per-issue records, hashed per arrangement: any change to what the
model records shows here, and is made only on purpose (update the hashes with
`.venv/bin/python tests/test_golden_records.py --update` and say why in the CHANGELOG)."""

import hashlib
import json
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "data" / "golden_records.json"
SETTING = {"scenario": "jingxing_2019", "days": 30, "seed": 1}


def record_hashes() -> dict[str, str]:
    """Each arrangement's records, column by column in order, as one sha256."""
    from streetchief import load_scenario, run_scenario

    res = run_scenario(
        load_scenario(SETTING["scenario"]), days=SETTING["days"], seed=SETTING["seed"]
    )
    out = {}
    for name, table in res.tables.items():
        h = hashlib.sha256()
        for column in table.column_names:
            h.update(column.encode())
            h.update(json.dumps(table[column].to_pylist(), default=str).encode())
        out[name] = h.hexdigest()
    return out


def test_a_months_records_are_what_they_were():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["setting"] == SETTING
    now = record_hashes()
    changed = [a for a in golden["records"] if now.get(a) != golden["records"][a]]
    assert not changed and set(now) == set(golden["records"]), (
        f"the per-issue records of {', '.join(changed) or 'the arrangements'} changed; if on "
        "purpose: .venv/bin/python tests/test_golden_records.py --update, and a CHANGELOG line"
    )


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    GOLDEN.write_text(
        json.dumps({"setting": SETTING, "records": record_hashes()}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {GOLDEN}")
