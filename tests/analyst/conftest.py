"""One real alert log for the analyst-tool tests: `monitor run --once` over loopback feeds.

Feeds in English, Chinese and Japanese are served on 127.0.0.1; the monitor
polls them once with no Slack token (alerts go to the console and are logged
as sent).  One source carries a syndicated copy and a near-identical
headline (a story with several outlets), one only publishes old news (gone
silent), one answers 500 (failing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.feeds import FeedServer, _handler, rss
from tests.fakes.server import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


def _at(hours: float, **item: object) -> dict[str, object]:
    return dict(item, published=NOW - timedelta(hours=hours))


EN = [
    _at(1, title="China imposes export controls on gallium and germanium",
        summary="MOFCOM said exporters must apply for a dual-use licence from August 1.",
        link="https://wire.example/gallium", guid="en1"),
    _at(2, title="US adds 30 Chinese firms to Entity List over chip exports",
        summary="The Commerce Department's BIS requires licences for US technology sales.",
        link="https://wire.example/entity", guid="en2"),
    _at(26, title="Japan tightens export controls on semiconductor manufacturing equipment",
        summary="METI said 23 types of chipmaking tools will need an export licence.",
        link="https://wire.example/japan-chips", guid="en3"),
    _at(27, title="Rare earth miner reports record quarterly profit",
        summary="Shares rose after strong magnet demand.", link="https://wire.example/miner",
        guid="en4"),
    _at(50, title="Local football club wins the cup final",
        summary="Fans celebrated late into the night.", link="https://wire.example/f", guid="en5"),
]
ZH = [
    _at(3, title="商务部公告：对镓、锗相关物项实施出口管制",
        summary="商务部和海关总署宣布，自8月1日起对镓、锗相关物项实施出口管制，出口须申请许可。",
        link="https://mofcom.example/ga", guid="zh1"),
    _at(28, title="稀土价格本周小幅上涨", summary="市场成交活跃，企业库存下降。",
        link="https://mofcom.example/re", guid="zh2"),
    _at(52, title="本市举办春季马拉松比赛", summary="两万名选手参加了比赛。",
        link="https://mofcom.example/run", guid="zh3"),
]
JA = [
    _at(4, title="経済産業省、先端半導体製造装置23品目を輸出管理の対象に追加",
        summary="外為法に基づく輸出貿易管理令を改正し、輸出には経済産業大臣の許可が必要となる。",
        link="https://meti.example/chips", guid="ja1"),
    _at(29, title="レアアース供給網の強化へ　政府が新方針",
        summary="政府は重要鉱物の調達先の多様化を進める。", link="https://meti.example/re",
        guid="ja2"),
    _at(53, title="週末は全国的に晴れ　気温上昇へ", summary="行楽日和となりそうだ。",
        link="https://meti.example/weather", guid="ja3"),
]
OUTLET_B = [  # the gallium story again: one syndicated copy, one own headline
    _at(1, title="China imposes export controls on gallium and germanium",
        summary="Syndicated.", link="https://wire.example/gallium", guid="b1"),
    _at(1, title="China imposes export controls on gallium, germanium",
        summary="Beijing restricts two chipmaking metals.", link="https://b.example/gallium",
        guid="b2"),
]
OLD = [dict(_at(24 * 20, title="Quarterly trade statistics released",
                summary="Exports grew two percent.", link="https://quiet.example/q", guid="q1"))]

RULES = """\
watch:
  - name: rare-earths
    keywords: ["rare earth", "稀土", "レアアース"]
    channel: "#rare-earths"
  - name: japan
    labels: {jurisdiction: [JP]}
    channel: "#japan"
"""


@dataclass
class AlertLog:
    root: Path
    config: Path
    db: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "monitor", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if check:
            assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        return proc


def write_config(path: Path, db: Path, sources: dict[str, str], extra: str = "",
                 threshold: float = 0.5) -> Path:
    lines = [f"database: {db}", "defaults: {interval: 15m, backlog: 3d, timeout: 5s}",
             f'alerts: {{channel: "#export-controls", threshold: {threshold}, pace: 0s}}',
             "sources:"]
    for name, url in sources.items():
        lines += [f"  - name: {name}", f"    url: {url}"]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def alert_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertLog]:
    state = FeedServer()
    state.server = LoopbackServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(target=state.server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        root = tmp_path_factory.mktemp("alert_log")
        sources = {
            "wire-en": state.set("/en.xml", rss(EN)),
            "mofcom-zh": state.set("/zh.xml", rss(ZH)),
            "meti-ja": state.set("/ja.xml", rss(JA)),
            "outlet-b": state.set("/b.xml", rss(OUTLET_B)),
            "quiet": state.set("/quiet.xml", rss(OLD)),
            "broken": state.set("/broken.xml", "oops", status=500),
        }
        db = root / "monitor.db"
        config = write_config(root / "monitor.yaml", db, sources, RULES)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MONITOR_"))}
        env.update(MONITOR_CONFIG=str(config), MONITOR_DB=str(db), COLUMNS="200")
        log = AlertLog(root, config, db, env)
        log.run("run", "--once")
        yield log
    finally:
        state.stop.set()
        state.server.shutdown()
        state.server.server_close()
