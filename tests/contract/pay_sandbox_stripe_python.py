#!/usr/bin/env python3
"""pay-sandbox driven by Stripe's official Python library, as a merchant's code would.

Usage: pay_sandbox_stripe_python.py --binary <path to pay-sandbox>

Starts the sandbox on a free port, points the `stripe` library (PyPI, pinned in
deploy/local/setup) at it, and runs the calls our connector makes plus what the
library does on its own: a manual-capture PaymentIntent confirmed with a card
token, retrieve with `expand=["latest_charge"]` (the library sends it as
`expand[0]=latest_charge`), capture, partial refund, idempotent replay, a
declined card (CardError), a wrong key (AuthenticationError), and an unknown
query parameter (InvalidRequestError `parameter_unknown`). Exit 0 when all hold.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import stripe

KEY = "sk_test_sandbox"
START_TIMEOUT_S = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    """A pay-sandbox process on a free port, stopped with SIGTERM."""

    def __init__(self, binary, log_path):
        self.port = free_port()
        env = dict(os.environ, PAY_SANDBOX_PORT=str(self.port), LOG_LEVEL="warn",
                   PAY_SANDBOX_API_KEY=KEY)
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([binary], env=env, stdout=self.log, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"FAILED: pay-sandbox did not start (log: {log_path})")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                code = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        else:
            code = self.proc.returncode
        self.log.close()
        return code


class Checks:
    def __init__(self):
        self.passed, self.failures = 0, []

    def that(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAIL: {what}", flush=True)


def client(base, key=KEY):
    # no retries: every answer the sandbox gives is seen as it is
    return stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)


def authorize(sc, token="tok_visa", key=None):
    opts = {"idempotency_key": key} if key else None
    return sc.v1.payment_intents.create(
        params={
            "amount": 250000,
            "currency": "krw",
            "capture_method": "manual",
            "confirm": True,
            "payment_method_types": ["card"],
            "payment_method_data": {"type": "card", "card": {"token": token}},
            "error_on_requires_action": True,
            "metadata": {"booking_id": "bk_python"},
            "description": "lodging booking",
        },
        options=opts,
    )


def run(base, c):
    sc = client(base)
    pi = authorize(sc, key="py-authorize-1")
    c.that(pi.status == "requires_capture", f"authorised: {pi.status}")
    c.that(pi.amount == 250000 and pi.currency == "krw", "KRW is zero-decimal: 250000")
    c.that(pi.metadata["booking_id"] == "bk_python", "metadata kept")

    again = authorize(sc, key="py-authorize-1")
    c.that(again.id == pi.id, "the same Idempotency-Key replays the same intent")

    got = sc.v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge"]})
    charge = got.latest_charge
    c.that(not isinstance(charge, str) and charge is not None and charge.object == "charge",
           f"expand[0]=latest_charge expands the charge, got {type(charge).__name__}")

    captured = sc.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 250000})
    c.that(captured.status == "succeeded" and captured.amount_received == 250000,
           f"captured: {captured.status} {captured.amount_received}")

    refund = sc.v1.refunds.create(params={"payment_intent": pi.id, "amount": 50000})
    c.that(refund.status == "succeeded" and refund.amount == 50000, f"refund: {refund.status}")
    got = sc.v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge"]})
    c.that(got.latest_charge.amount_refunded == 50000, "the expanded charge shows the refund")
    c.that(sc.v1.refunds.retrieve(refund.id).id == refund.id, "refund retrieved")

    voidable = authorize(sc)
    canceled = sc.v1.payment_intents.cancel(voidable.id)
    c.that(canceled.status == "canceled", f"voided: {canceled.status}")

    try:
        authorize(sc, token="tok_chargeDeclinedInsufficientFunds")
        c.that(False, "a declined card raises CardError")
    except stripe.CardError as e:
        c.that(e.code == "card_declined" and e.error.decline_code == "insufficient_funds",
               f"declined: {e.code} {e.error.decline_code}")

    try:
        sc.v1.payment_intents.retrieve(pi.id, params={"colour": "blue"})
        c.that(False, "an unknown query parameter is refused")
    except stripe.InvalidRequestError as e:
        c.that(e.http_status == 400 and e.code == "parameter_unknown" and e.param == "colour",
               f"unknown parameter: {e.http_status} {e.code} {e.param}")

    try:
        sc.v1.payment_intents.create(params={"amount": 1000, "currency": "krw", "colour": "blue"})
        c.that(False, "an unknown body parameter is refused")
    except stripe.InvalidRequestError as e:
        c.that(e.code == "parameter_unknown", f"unknown body parameter: {e.code}")

    try:
        client(base, "sk_test_wrong_key_1234").v1.payment_intents.retrieve(pi.id)
        c.that(False, "a wrong key raises AuthenticationError")
    except stripe.AuthenticationError as e:
        c.that(e.http_status == 401, f"wrong key: {e.http_status}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, help="the pay-sandbox executable")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="pay_sandbox_stripe_")
    log_path = os.path.join(workdir, "pay-sandbox.log")
    sandbox = Sandbox(args.binary, log_path)
    c = Checks()
    try:
        print(f"stripe {stripe.VERSION} against {sandbox.base} (log: {log_path})", flush=True)
        run(sandbox.base, c)
    except Exception as e:  # an unexpected error from the library is a failure too
        c.that(False, f"unexpected {type(e).__name__}: {e}")
    finally:
        code = sandbox.stop()
    c.that(code == 0, f"pay-sandbox exited with {code}")
    print(f"{c.passed} passed, {len(c.failures)} failed")
    if not c.failures:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if not c.failures else 1


if __name__ == "__main__":
    sys.exit(main())
