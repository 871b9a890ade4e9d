"""The HTML report in a real headless browser (Debian's chromium through its chromedriver, driven by
Selenium): every image loads, and what the browser paints is not blank.

``.ci/run`` installs ``chromium`` and ``chromium-driver`` when they are missing. Elsewhere, without
them, the test skips and says why; under CI (``CI`` set) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest

from sim.report import main

from .report_helpers import base_and_option

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)


def _browser():
    if not (CHROMIUM and CHROMEDRIVER):
        reason = ("Debian's chromium and chromedriver are not installed (apt-get install chromium chromium-driver; "
                  ".ci/run does it)")
        if os.environ.get("CI"):
            pytest.fail(f"under CI the browser test must run: {reason}")
        pytest.skip(reason)
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra: pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--window-size=1280,1600", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    # the Debian driver by path: Selenium Manager never looks for (or downloads) another one
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def _spread(png: bytes) -> float:
    """Standard deviation of the grey levels of a PNG: about 0 for a blank (one-colour) picture."""
    from PIL import Image, ImageStat

    return ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).stddev[0]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    base, alt = base_and_option(root, replications=3)
    assert main([str(alt), "--baseline", str(base), "--wage-per-hour", "25", "--out", str(root / "report")]) == 0
    # the HTML alone, away from its figures folder: it must need nothing beside it
    alone = root / "alone"
    alone.mkdir()
    shutil.copy(root / "report" / "report.html", alone / "report.html")
    return alone / "report.html"


def test_html_report_renders_in_headless_chromium_with_every_image_loaded(report_html, tmp_path):
    driver = _browser()
    try:
        driver.set_page_load_timeout(60)
        driver.get(report_html.as_uri())
        from selenium.webdriver.support.ui import WebDriverWait

        # the data-URI images decode after get() returns on a busy machine: wait for the load event
        WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert driver.title.startswith("Strategy report: more_generalists against default")
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt]);")
        assert len(images) == 6, images
        for complete, width, height, alt in images:
            assert complete and width > 0 and height > 0, f"image not loaded: {alt}"
            assert width == 1200, f"{alt}: figures are 1200 px wide, slide size"
        text = driver.find_element("tag name", "body").text
        assert "significantly better" in text and "Paired differences" in text
        # what the browser paints: the top of the page, and the first chart
        page = driver.get_screenshot_as_png()
        (tmp_path / "page.png").write_bytes(page)
        assert _spread(page) > 10.0, "the page screenshot is blank"
        figure = driver.find_elements("tag name", "img")[0]
        driver.execute_script("arguments[0].scrollIntoView();", figure)
        chart = figure.screenshot_as_png
        assert _spread(chart) > 10.0, "the chart is painted blank"
    finally:
        driver.quit()


def test_ci_installs_the_browser_without_a_prompt_then_runs_the_readmes_test_command():
    from .conftest import REPO

    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")][-1]
    assert command.endswith("python -m pytest") and command in readme, "the README's test command is CI's"
    assert "chromium chromium-driver" in ci and "DEBIAN_FRONTEND=noninteractive" in ci and "</dev/null" in ci
    assert "apt-get install chromium chromium-driver" in readme


def test_every_page_kind_opens_in_chromium_unclipped_and_not_blank(tmp_path):
    """A run alone, a run against a baseline, a sweep over the default centre and a what-if study in
    one report: every page is painted (not blank), every image loads, and no page is wider than its
    column (wide tables scroll inside their own box)."""
    import importlib
    import subprocess
    import sys

    from selenium.webdriver.support.ui import WebDriverWait

    from .conftest import REPO

    if str(REPO / "experiments") not in sys.path:
        sys.path.insert(0, str(REPO / "experiments"))
    base, alt = base_and_option(tmp_path, replications=2)
    sweep = tmp_path / "sweep"
    proc = subprocess.run([sys.executable, "-m", "sim", "-m", "scenario.agent_groups.generalists.staffing_delta=0,2",
                           "run.replications=2", "run.horizon_hours=3", f"hydra.sweep.dir={sweep}"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    study = tmp_path / "staffing_sweep"
    assert importlib.import_module("staffing_sweep").main(["--replications", "2", "--hours", "2", "--quiet",
                                                           "--out", str(study)]) == 0
    out = tmp_path / "report"
    assert main([str(base), str(alt), str(sweep), str(study), "--out", str(out)]) == 0
    driver = _browser()
    try:
        driver.set_page_load_timeout(120)
        driver.get((out / "report.html").as_uri())
        WebDriverWait(driver, 120).until(lambda d: d.execute_script("return document.readyState") == "complete")
        pages = driver.find_elements("css selector", "section.page")
        assert len(pages) == 4
        images = driver.execute_script("return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
        assert images and all(done and width > 0 for done, width in images)
        widths = driver.execute_script("return Array.from(document.querySelectorAll('section.page')).map("
                                       "s => [s.scrollWidth, s.clientWidth]);")
        assert all(scroll <= client + 1 for scroll, client in widths), f"a page wider than its column: {widths}"
        for page in pages:
            driver.execute_script("arguments[0].scrollIntoView();", page)
            assert _spread(page.screenshot_as_png) > 10.0, f"a blank page: {page.text[:60]!r}"
    finally:
        driver.quit()
