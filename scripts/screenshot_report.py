"""Screenshot a report page in headless Chromium, to look at it as a reader would.

    python scripts/screenshot_report.py reports/suite/report.html --out /tmp/report.png

Needs a Chromium binary (Debian: ``apt-get install -y chromium``). The page is opened from a
``file://`` URL with networking features off, which also shows that the page is self-contained.
Exit code 2 when the HTML file or the browser is missing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    return None


def screenshot(html: Path, png: Path, width: int = 1400, height: int = 3000,
               browser: str | None = None, timeout: float = 120.0) -> Path:
    """Render ``html`` to ``png`` at ``width`` x ``height`` CSS pixels; return ``png``."""
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError(f"no Chromium found (looked for {', '.join(BROWSERS)}); "
                                "install it: apt-get install -y chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
            f"--screenshot={png.resolve()}", f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"{browser} wrote no screenshot to {png}")
    return png


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the report's HTML file")
    parser.add_argument("--out", type=Path, default=None,
                        help="PNG to write (default: <html>.png beside it)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)
    if not args.html.is_file():
        parser.error(f"HTML file {str(args.html)!r} does not exist")
    out = args.out or args.html.with_suffix(".png")
    try:
        screenshot(args.html, out, args.width, args.height)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"screenshot written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
