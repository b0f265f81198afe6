"""Report what the fuzzer sent and what came back, for CI logs and the issue's totals."""

import sys


def pytest_terminal_summary(terminalreporter):
    module = sys.modules.get("tests.fuzz.test_schemathesis")
    STATS = getattr(module, "STATS", None)
    if not STATS:
        return
    by_status: dict[int, int] = {}
    operations = set()
    for (operation, status), count in STATS.items():
        by_status[status] = by_status.get(status, 0) + count
        operations.add(operation)
    terminalreporter.section("schemathesis")
    terminalreporter.write_line(
        f"{sum(STATS.values())} calls over {len(operations)} operations; by status: "
        + ", ".join(f"{status}: {count}" for status, count in sorted(by_status.items()))
    )
    for operation in sorted(operations):
        counts = {status: count for (op, status), count in STATS.items() if op == operation}
        terminalreporter.write_line(
            f"  {operation}: " + ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
        )
