"""Reads wrk --latency output on stdin; prints "req_per_s p50_ms p99_ms non2xx requests"."""
import re
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def main():
    out = sys.stdin.read()
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors:.*", out)
    if not (rps and p50 and p99 and total):
        sys.exit("wrk output not understood:\n" + out)
    if errors:
        print(errors.group(0), file=sys.stderr)
    print(f"{float(rps.group(1)):.0f} {ms(p50.group(1)):.3f} {ms(p99.group(1)):.3f} "
          f"{int(non2xx.group(1)) if non2xx else 0} {total.group(1)}")


if __name__ == "__main__":
    main()
