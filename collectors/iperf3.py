"""A bandwidth measurement towards an iperf3 server (``iperf3 -c ADDRESS -J``): what a shaped link carries,
in bit/s on the wire.

iperf3 counts TCP payload; shapers count whole frames. With Ethernet's MTU of 1500 and TCP timestamps,
each full frame of 1514 bytes carries 1448 bytes of payload, so the wire rate is the payload rate times
1514/1448. A server busy with another client's test is asked again, up to three times.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

from collectors.errors import CollectorError
from i18n import Msg

#: wire bytes per payload byte of a full-size TCP segment over Ethernet (1514-byte frames, 1448-byte MSS)
FRAME_PER_PAYLOAD = 1514 / 1448


class MeasureError(CollectorError):
    reason = "iperf3"


def wire_rate(address: str, port: int = 5201, seconds: int = 5) -> float:
    """Bit/s on the wire sent towards ``address`` over ``seconds``, as its iperf3 server received it.

    Raises:
        MeasureError: iperf3 is not installed, the server does not answer or stays busy.
    """
    binary = shutil.which("iperf3")
    if binary is None:
        raise MeasureError(Msg("iperf3 is not installed here (Debian package iperf3); it measures a change"))
    argv = [binary, "-c", address, "-p", str(port), "-t", str(seconds), "-J", "--connect-timeout", "3000"]
    error = ""
    for attempt in range(3):
        if attempt:
            time.sleep(1.0)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 15, check=False)
        except subprocess.TimeoutExpired:
            error = f"no result within {seconds + 15} s"
            continue
        try:
            report = json.loads(done.stdout or "{}")
        except json.JSONDecodeError:
            report = {}
        if "error" not in report and "end" in report:
            return float(report["end"]["sum_received"]["bits_per_second"]) * FRAME_PER_PAYLOAD
        error = str(report.get("error") or done.stderr.strip() or f"exit {done.returncode}")
        if "busy" not in error:
            break
    raise MeasureError(
        Msg("iperf3 towards {address}:{port}: {error}", address=address, port=port, error=error), address
    )
