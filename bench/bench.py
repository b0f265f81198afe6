"""Drive the running servers with wrk, case by case, and report against the budgets of issue 5.

Started by bench/run.sh once the servers are up. Prints a table and writes
the figures, the budgets and their verdicts as JSON.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import urllib.parse
from http import client as httpclient
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cases import FASTAPI_FACTOR, GROWTH, MAX_QUERIES, RATIO, WRITE_P99_MS, Case, build

BENCH_DIR = Path(__file__).resolve().parent
CONCURRENCY = (1, 16)


# --- HTTP helpers (no redirects followed; cookies by hand) -------------------


def http(base: str, method: str, path: str, body: str = "", headers: dict | None = None):
    url = urllib.parse.urlsplit(base)
    conn = httpclient.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request(method, path, body=body.encode() if body else None, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.headers, data


def bearer(base: str, username: str, password: str) -> str:
    body = urllib.parse.urlencode({"username": username, "password": password})
    status, _, data = http(
        base, "POST", "/api/v1/auth/token", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 200:
        raise SystemExit(f"Could not get a token for {username}: HTTP {status} {data[:200]!r}")
    return json.loads(data)["access_token"]


def _cookies(headers) -> dict[str, str]:
    jar = {}
    for value in headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def portal_session(base: str, username: str, password: str, env: dict) -> tuple[str, str]:
    """A session cookie from the portal's login form, or, while there is none, made directly."""
    status, headers, page = http(base, "GET", "/login/")
    if status == 200:
        jar = _cookies(headers)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if match and "csrftoken" in jar:
            body = urllib.parse.urlencode(
                {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
            )
            status, headers, _ = http(
                base,
                "POST",
                "/login/",
                body,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={jar['csrftoken']}",
                    "Referer": base + "/login/",
                },
            )
            jar = _cookies(headers)
            if status in (302, 303) and "sessionid" in jar:
                return f"sessionid={jar['sessionid']}", "login form"
    out = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(BENCH_DIR / "session.py"), username],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1], "session script (no login page yet)"


# --- wrk ----------------------------------------------------------------------


def worker_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) of a gunicorn master's workers, from /proc.

    The running workers' own, plus what the master has collected from the
    workers it reaped: gunicorn.conf.py recycles a worker every
    max_requests, so workers come and go during a run.
    """
    ticks = os.sysconf("SC_CLK_TCK")

    def stat(pid: int | str) -> list[str]:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return []

    master = stat(master_pid)
    total = int(master[13]) + int(master[14]) if master else 0  # cutime, cstime: reaped workers
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        children = []
    for pid in children:
        fields = stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(base: str, case: Case, concurrency: int, duration: float, env: dict, master_pid: int = 0) -> dict:
    threads = concurrency if case.script == "add_remove" else min(concurrency, 2)
    path = case.path.split("{user_id}")[0] if case.script == "add_remove" else case.path
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "-s",
        str(BENCH_DIR / "lua" / f"{case.script}.lua"),
        base + path,
    ]
    cpu_before = worker_cpu_seconds(master_pid) if master_pid else 0.0
    out = subprocess.run(  # noqa: S603 (wrk, with arguments built here)
        cmd,
        env=env,
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            raw = json.loads(line.removeprefix("BENCH_RESULT "))
            break
    else:
        raise SystemExit(f"wrk gave no result for {case.name}:\n{out.stdout}\n{out.stderr}")
    cpu = worker_cpu_seconds(master_pid) - cpu_before if master_pid else 0.0
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    return {
        "requests": raw["requests"],
        "errors": errors,
        "error_detail": raw["errors"],
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p90_ms": raw["latency_us"]["p90"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "max_ms": raw["latency_us"]["max"] / 1000,
        # Server CPU per request (both workers, user + system): independent of other load on the machine.
        "server_cpu_ms": cpu * 1000 / raw["requests"] if raw["requests"] and master_pid else None,
    }


# --- report -------------------------------------------------------------------


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)  # noqa: S607
    return out.stdout.strip()


def machine() -> dict:
    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(  # noqa: S603 (fixed commands)
                cmd,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        except OSError:
            return ""

    lscpu = run(["lscpu"])
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line), "")
    return {
        "nproc": run(["nproc"]),
        "cpu": model,
        "lscpu_head": "\n".join(lscpu.splitlines()[:10]),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "wrk": run(["wrk", "-v"]).splitlines()[0] if run(["wrk", "-v"]) else "",
    }


def evaluate(cases: list[Case], results: dict, queries: dict) -> list[dict]:
    """Every budget of issue 5 that applies, with its verdict."""
    verdicts: list[dict] = []

    def check(case: str, budget: str, ok: bool, detail: str) -> None:
        verdicts.append({"case": case, "budget": budget, "pass": ok, "detail": detail})

    for case in cases:
        result = results.get(case.name)
        if case.kind == "floor":
            continue
        if result is None or result.get("status") != "ok":
            status = result.get("status") if result else "not run"
            if status == "missing":
                check(case.name, "page exists", True, "missing: the page is not built yet (not measured)")
            else:
                check(case.name, "runs", False, f"not measured: {status}")
            continue
        c16, c1 = result["c16"], result["c1"]
        for label, run in (("c1", c1), ("c16", c16)):
            if run["errors"]:
                check(
                    case.name, f"no errors ({label})", False, f"{run['errors']} errors: {run['error_detail']}"
                )
        if case.budget in RATIO:
            need = RATIO[case.budget]
            floor = result["floor"]["c16"]["rps"] or float("nan")
            ratio = c16["rps"] / floor
            check(
                case.name,
                f">= {need:.0%} of /healthz req/s (c16)",
                ratio >= need,
                f"{c16['rps']:.0f} / {floor:.0f} = {ratio:.0%}",
            )
        if case.twin:
            twin = results.get(case.twin)
            if twin and twin.get("status") == "ok":
                for label in ("c1", "c16"):
                    growth = result[label]["p50_ms"] / twin[label]["p50_ms"]
                    check(
                        case.name,
                        f"p50 within {GROWTH}x of {case.twin} ({label})",
                        growth <= GROWTH,
                        f"{result[label]['p50_ms']:.2f} ms / {twin[label]['p50_ms']:.2f} ms = {growth:.2f}x",
                    )
        if case.budget == "write":
            check(
                case.name,
                f"p99 < {WRITE_P99_MS:.0f} ms at c16, no errors",
                c16["p99_ms"] < WRITE_P99_MS and not c16["errors"],
                f"p99 {c16['p99_ms']:.1f} ms, {c16['errors']} errors",
            )
        if case.fastapi:
            need = FASTAPI_FACTOR * case.fastapi[1]
            check(
                case.name,
                f">= {FASTAPI_FACTOR}x FastAPI's {case.fastapi[0]}-{case.fastapi[1]} req/s (c16)",
                c16["rps"] >= need,
                f"{c16['rps']:.0f} req/s vs {need:.0f} needed",
            )
        counted = queries.get(case.name)
        if counted and counted.get("queries") is not None:
            limit = MAX_QUERIES[case.kind]
            n = counted["queries"]
            check(
                case.name, f"<= {limit} queries/request", n <= limit, f"{n} queries ({counted['by_method']})"
            )
            # Small and large data: the same request against the small organization (or, for the
            # organization list, the twin database); a different request (whole list vs one page)
            # may differ by the count query.
            same = counted.get("same_request_on_small")
            if same is None and case.twin in queries:
                same = queries[case.twin].get("queries")
            if same is not None:
                check(case.name, "same queries on small data", n == same, f"{n} here, {same} on small data")
    return verdicts


def table(cases: list[Case], results: dict, queries: dict) -> str:
    head = (
        f"{'case':<50} {'c':>3} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'healthz':>7} {'ratio':>6} "
        f"{'cpu ms':>6} {'SQL':>4} {'err':>4}"
    )
    lines = [head, "-" * len(head)]
    for case in cases:
        result = results.get(case.name, {})
        n = queries.get(case.name, {}).get("queries")
        q = "-" if n is None else str(n)
        if result.get("status") != "ok":
            lines.append(f"{case.title:<50} {'':>3} {result.get('status', 'not run')}")
            continue
        for c in CONCURRENCY:
            run = result[f"c{c}"]
            floor = result["floor"][f"c{c}"]["rps"] or float("nan")
            cpu = run["server_cpu_ms"]
            lines.append(
                f"{case.title if c == 1 else '':<50} {c:>3} {run['rps']:>7.0f} {run['p50_ms']:>7.2f} "
                f"{run['p99_ms']:>7.2f} {floor:>7.0f} {run['rps'] / floor:>6.0%} "
                f"{'-' if cpu is None else f'{cpu:.2f}':>6} {q if c == 1 else '':>4} {run['errors']:>4}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--main-url", required=True)
    parser.add_argument("--twin-url", required=True)
    parser.add_argument("--info", required=True)
    parser.add_argument("--twin-info", required=True)
    parser.add_argument("--queries", required=True, nargs="+", help="querycounts.py outputs to merge")
    parser.add_argument("--out", required=True)
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 6)))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("BENCH_WARMUP", 1)))
    parser.add_argument(
        "--floor-duration", type=float, default=float(os.environ.get("BENCH_FLOOR_DURATION", 3))
    )
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""), help="comma-separated case names")
    args = parser.parse_args()

    password = os.environ["BENCH_PASSWORD"]
    info = json.loads(Path(args.info).read_text())
    twin_info = json.loads(Path(args.twin_info).read_text())
    queries: dict = {}
    for path in args.queries:
        queries.update(json.loads(Path(path).read_text()))
    cases = build(info)
    if args.only:
        wanted = set(args.only.split(",")) | {"healthz"}
        cases = [case for case in cases if case.name in wanted]
    servers = {
        "main": (args.main_url, info, os.environ["BENCH_MAIN_DB"]),
        "twin": (args.twin_url, twin_info, os.environ["BENCH_TWIN_DB"]),
    }

    masters = {
        "main": int(os.environ.get("BENCH_MAIN_PID", 0)),
        "twin": int(os.environ.get("BENCH_TWIN_PID", 0)),
    }
    tokens: dict[tuple[str, str], str] = {}
    sessions: dict[str, str] = {}
    notes: list[str] = []
    lua_env = {**os.environ, "BENCH_LUA_DIR": str(BENCH_DIR / "lua")}
    results: dict[str, dict] = {}

    def case_env(case: Case) -> dict | None:
        base, srv_info, db = servers[case.server]
        env = {**lua_env, "BENCH_METHOD": case.method, "BENCH_BODY": case.body}
        if case.actor and case.kind == "api":
            key = (case.server, case.actor)
            if key not in tokens:
                tokens[key] = bearer(base, srv_info["accounts"][case.actor]["username"], password)
            env["BENCH_AUTH"] = f"Bearer {tokens[key]}"
        if case.actor and case.kind == "portal":
            if case.actor not in sessions:
                cookie, how = portal_session(
                    base,
                    srv_info["accounts"][case.actor]["username"],
                    password,
                    {**os.environ, "SQLITE_PATH": db},
                )
                sessions[case.actor] = cookie
                notes.append(f"portal session for {case.actor}: {how}")
            env["BENCH_COOKIE"] = sessions[case.actor]
            status, _, _ = http(base, "GET", case.path, headers={"Cookie": sessions[case.actor]})
            if status == 404:
                return None
            if status != 200:
                raise RuntimeError(f"HTTP {status}")
        if case.script == "add_remove":
            pool = srv_info["unassigned_user_ids"]
            users = pool[:16] if case.org == "small" else pool[16:32]
            env["BENCH_ORG"] = str(srv_info[f"{case.org}_org_id"])
            env["BENCH_USERS"] = ",".join(map(str, users))
        return env

    floor_env = {**lua_env, "BENCH_METHOD": "GET", "BENCH_BODY": ""}

    def run_floor(case: Case) -> dict:
        """/healthz on the case's server, at each concurrency (one half of a case's floor)."""
        base, master = servers[case.server][0], masters[case.server]
        return {f"c{c}": wrk(base, healthz, c, args.floor_duration, floor_env, master) for c in CONCURRENCY}

    def mean_floor(before: dict, after: dict) -> dict:
        """The floor a case's ratio is taken against: /healthz just before and just after it, averaged,
        so that load that comes or goes on the machine during a case moves both sides alike."""
        return {
            key: {
                "rps": (before[key]["rps"] + after[key]["rps"]) / 2,
                "before_rps": before[key]["rps"],
                "after_rps": after[key]["rps"],
                "server_cpu_ms": before[key]["server_cpu_ms"],
            }
            for key in before
        }

    def measure(case: Case) -> None:
        base, master = servers[case.server][0], masters[case.server]
        try:
            env = case_env(case)
        except RuntimeError as exc:
            results[case.name] = {"status": f"error: {exc}"}
            print(f"  {case.name}: {exc}", flush=True)
            return
        if env is None:
            results[case.name] = {"status": "missing"}
            print(f"  {case.name}: missing (HTTP 404: the page is not built yet)", flush=True)
            return
        if args.warmup:
            wrk(base, case, 16, args.warmup, env)
        result: dict = {"status": "ok"}
        before = None if case is healthz else run_floor(case)
        for c in CONCURRENCY:
            result[f"c{c}"] = wrk(base, case, c, args.duration, env, master)
        if before is None:
            result["floor"] = {f"c{c}": result[f"c{c}"] for c in CONCURRENCY}
        else:
            result["floor"] = mean_floor(before, run_floor(case))
        results[case.name] = result
        c1, c16 = result["c1"], result["c16"]
        print(
            f"  {case.name:<22} c1 {c1['rps']:6.0f} req/s p50 {c1['p50_ms']:6.2f} ms | "
            f"c16 {c16['rps']:6.0f} req/s p99 {c16['p99_ms']:7.2f} ms "
            f"({c16['rps'] / (result['floor']['c16']['rps'] or float('nan')):.0%} of /healthz) | "
            f"server CPU {c16['server_cpu_ms'] or 0:.2f} ms/request",
            flush=True,
        )

    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    print(
        f"Running {len(cases)} cases, {args.duration:g} s each at concurrency 1 and 16, "
        f"each between two {args.floor_duration:g} s runs of /healthz (its floor) ...",
        flush=True,
    )
    if load_before[0] > 0.8:
        print(
            f"Warning: the machine is busy before the start (load average {load_before[0]:.1f}); "
            "throughput figures will be low and noisy. Server CPU per request is not affected.",
            flush=True,
        )
    healthz = cases[0]
    for case in cases:
        measure(case)
    load_after = os.getloadavg()
    verdicts = evaluate(cases, results, queries)

    print()
    print(table(cases, results, queries))
    print(
        "\nratio: the case's req/s over /healthz's (mean of runs just before and just after the case, same server);"
        "\ncpu ms: server CPU time (both workers) per request at c16; SQL: queries per request."
    )
    print(f"Load average before {load_before[0]:.2f}, after {load_after[0]:.2f}.")
    for note in notes:
        print(f"Note: {note}")
    print("\nBudgets:")
    for v in verdicts:
        print(f"  {'PASS' if v['pass'] else 'FAIL'}  {v['case']:<22} {v['budget']:<48} {v['detail']}")
    failed = [v for v in verdicts if not v["pass"]]
    print(f"\n{len(verdicts) - len(failed)} PASS, {len(failed)} FAIL")

    report = {
        "date": started.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": machine(),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": list(CONCURRENCY),
            "server": os.environ.get("BENCH_SERVER_DESC", ""),
            "database": "SQLite (WAL), seeded by manage.py seed_bench",
            "data": {k: info[k] for k in ("organizations", "users", "big_members", "small_members")},
        },
        "load_average": {"before": load_before, "after": load_after},
        "cases": {
            case.name: {
                "title": case.title,
                "method": case.method if case.script != "add_remove" else "POST+DELETE",
                "path": case.path,
                "budget": case.budget,
                "twin": case.twin,
                "server": case.server,
                **{
                    key: value
                    for key, value in results.get(case.name, {}).items()
                    if key in ("status", "c1", "c16")
                },
                "healthz_floor": results.get(case.name, {}).get("floor"),
                "ratio_to_healthz": {
                    f"c{c}": results[case.name][f"c{c}"]["rps"]
                    / (results[case.name]["floor"][f"c{c}"]["rps"] or float("nan"))
                    for c in CONCURRENCY
                    if results.get(case.name, {}).get("status") == "ok"
                },
                "queries": {k: v for k, v in queries.get(case.name, {}).items() if k != "sql"},
            }
            for case in cases
        },
        "budgets": verdicts,
        "passed": not failed,
        "notes": notes,
    }
    out = Path(args.out)
    out.write_text(json.dumps(report, indent=2))
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (out.parent / f"bench-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"\nWrote {out} (and bench-{stamp}.json)")
    sys.exit(0 if not failed else 1)


if __name__ == "__main__":
    main()
