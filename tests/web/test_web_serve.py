"""``make run`` (``vecina serve``) prints where the simulator and the admin are."""
from __future__ import annotations

import os
import subprocess
import sys



def test_serve_prints_the_simulator_and_admin_first(line, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_PASSWORD", "REDIS_URL", "SECRET_KEY")}
    env.update(FLOWS_DIR=line.flows_dir, LOCALES_DIR=line.locales_dir, VECINA_DB=str(tmp_path / "serve.db"),
               PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for out in proc.stdout:
            lines.append(out.rstrip("\n"))
            if "Every route" in out or len(lines) > 20:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = "\n".join(lines)
    head = [l for l in lines if l.startswith("  ")][:2]
    assert "Simulator" in head[0] and head[0].endswith("/simulator  (open: no ADMIN_PASSWORD set)"), text
    assert "Admin" in head[1] and "ADMIN_PASSWORD" in head[1] and head[1].endswith("/admin"), text
