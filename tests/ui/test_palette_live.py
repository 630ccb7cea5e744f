"""Switching the palette while the app runs: plots, the JSON pane and badges follow at once.

Every check reads what is painted (pixels of a grab, pens, the highlighter's formats in
the document) and compares colours by WCAG contrast ratio: 4.5:1 for text (AA), 3:1
for lines and shapes (WCAG 2.1 §1.4.11).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QListView,
    QPlainTextEdit,
    QStyle,
    QStyleOptionViewItem,
)

from bench.kernel.frames import FrameRecord
from tests.ui.test_graphs import T0, FakeBridge, charging_under_a_step
from ui.models.badges import BADGE_TEXT, LINK_COLOURS, STATUS_COLOURS
from ui.models.stations import BADGE_ROLE, SUBTITLE_ROLE, VERSION_ROLE
from ui.theme import DARK_PLOTS, LIGHT_PLOTS, apply_theme
from ui.views.graphs import LiveGraphs
from ui.views.json_view import JsonHighlighter, JsonView
from ui.views.smart_panel import CompositeChart
from ui.views.station_list import StationDelegate


def luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor | str, b: QColor | str) -> float:
    high, low = sorted((luminance(QColor(a)), luminance(QColor(b))), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def palette() -> Iterator[QApplication]:
    """The app in the light palette; back to light whatever the test switched to."""
    app = QApplication.instance()
    apply_theme(app, "light")
    yield app
    apply_theme(app, "light")


def background_pixel(widget) -> QColor:
    """The most common colour of a grab: the background the plots are painted on."""
    image = widget.grab().toImage()
    counts: Counter[int] = Counter()
    for y in range(0, image.height(), 7):
        for x in range(0, image.width(), 7):
            counts[image.pixel(x, y)] += 1
    return QColor.fromRgb(counts.most_common(1)[0][0])


# ------------------------------------------------------------------ live graphs
@pytest.fixture
def graphs(qtbot, palette):
    widget = LiveGraphs()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    bridge = FakeBridge()
    charging_under_a_step(bridge)
    widget.set_bridge(bridge)
    widget.read_at(T0 + 130)
    return widget


def test_switching_to_dark_repaints_the_graphs_dark_at_once_with_light_axes_and_legends(
    graphs, palette
):
    assert background_pixel(graphs.canvas).lightness() > 200
    apply_theme(palette, "dark")  # what View ▸ Palette ▸ Dark does, no tab change after it
    canvas_bg = background_pixel(graphs.canvas)
    assert canvas_bg.lightness() < 60
    base = palette.palette().color(QPalette.ColorRole.Base)
    for plot in graphs.plots.values():
        axis = plot.getAxis("left")
        assert contrast(axis.textPen().color(), base) >= 4.5
        assert DARK_PLOTS.foreground in axis.label.toHtml()  # the axis title, re-rendered
    for key, legend in graphs.legends.items():
        html = legend.item.toHtml()
        assert DARK_PLOTS.foreground in html and LIGHT_PLOTS.foreground not in html, key
    lines = ["power_kw", "limit_kw", "g0", "session_kwh", "soc"]
    for name in lines:
        assert contrast(graphs.curves[name].opts["pen"].color(), canvas_bg) >= 3.0, name
    assert DARK_PLOTS.power in graphs.readout.text()  # the readout in the new colours too
    apply_theme(palette, "light")
    assert background_pixel(graphs.canvas).lightness() > 200
    assert graphs.curves["power_kw"].opts["pen"].color().name() == LIGHT_PLOTS.power


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_series_colour_stands_out_from_the_plot_background(scheme):
    colours = DARK_PLOTS if scheme == "dark" else LIGHT_PLOTS
    series = [
        colours.power,
        colours.limit,
        colours.energy,
        colours.soc,
        colours.voltage,
        colours.dc_current,
        colours.together,
        colours.schedule,
        *colours.phases,
    ]
    assert all(contrast(c, colours.background) >= 3.0 for c in series)
    assert contrast(colours.foreground, colours.background) >= 4.5


def test_the_composite_chart_follows_the_palette_live(qtbot, palette):
    chart = CompositeChart()
    qtbot.addWidget(chart)
    chart.resize(700, 300)
    chart.show()
    qtbot.waitExposed(chart)
    periods = [{"startPeriod": 0, "limit": 16.0}, {"startPeriod": 7200, "limit": 10.0}]
    chart.show_schedule(T0, periods, "A", 32.0)
    apply_theme(palette, "dark")
    bg = background_pixel(chart)
    assert bg.lightness() < 60
    plot = chart.getPlotItem()
    assert contrast(plot.getAxis("left").textPen().color(), bg) >= 4.5
    assert contrast(chart.curve.opts["pen"].color(), bg) >= 3.0
    assert all(contrast(label.color, bg) >= 4.5 for label in chart.labels)
    legend_html = [label.item.toHtml() for _sample, label in plot.legend.items]
    assert legend_html and all(DARK_PLOTS.foreground in html for html in legend_html)


# ------------------------------------------------------------------ the JSON pane
def key_colour(editor: QPlainTextEdit) -> QColor:
    """The colour the highlighter gave the first key ("idTag") of the text."""
    block = editor.document().firstBlock()
    for _ in range(50):
        if '"' in block.text():
            break
        block = block.next()
    column = block.text().index('"')
    for fmt in block.layout().formats():
        if fmt.start <= column < fmt.start + fmt.length:
            return fmt.format.foreground().color()
    raise AssertionError("the key is not highlighted")


def test_the_json_detail_pane_rehighlights_keys_readably_when_the_palette_switches(qtbot, palette):
    view = JsonView()
    qtbot.addWidget(view)
    view.show()
    rec = FrameRecord(
        ts=T0, station="CP-1", direction="tx", type="CALL", id="m1", action="Authorize",
        payload={"idTag": "TAG-1"}, valid=True,
    )  # fmt: skip
    view.show_record(rec)
    reply = QPlainTextEdit()  # the console's reply pane: a plain editor with the highlighter
    qtbot.addWidget(reply)
    highlighter = JsonHighlighter(reply.document())
    reply.setPlainText('{\n  "idTagInfo": {"status": "Accepted"}\n}')
    for scheme in ("dark", "light"):
        apply_theme(palette, scheme)
        base = palette.palette().color(QPalette.ColorRole.Base)
        assert contrast(key_colour(view), base) >= 4.5, scheme
        assert contrast(key_colour(reply), base) >= 4.5, scheme
    assert highlighter.formats is JsonHighlighter.FORMATS


# ------------------------------------------------------------------ badges
def test_every_status_and_link_colour_carries_white_text_at_aa_contrast():
    """The station badges and the connector cards' status pills write white on these."""
    for name, colour in {**STATUS_COLOURS, **LINK_COLOURS}.items():
        assert contrast(BADGE_TEXT, colour) >= 4.5, name


def paint_station_row(label: str, colour: str, selected: bool):
    """Paint one station row as the list does; returns the image and the pills on it."""
    view = QListView()
    model = QStandardItemModel()
    item = QStandardItem("LAB-V201-AC22-0007")
    item.setData((label, colour), BADGE_ROLE)
    item.setData("OCPP 2.0.1", VERSION_ROLE)
    item.setData("PP-22D · 2 connectors", SUBTITLE_ROLE)
    model.appendRow(item)
    view.setModel(model)
    delegate = StationDelegate(view)
    index = model.index(0, 0)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    delegate.initStyleOption(option, index)
    option.rect = QRect(0, 0, 300, 52)
    option.widget = view
    option.state |= QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Active
    if selected:
        option.state |= QStyle.StateFlag.State_Selected
    image = QImage(300, 52, QImage.Format.Format_RGB32)
    image.fill(view.palette().color(QPalette.ColorRole.Base))
    painter = QPainter(image)
    try:
        delegate.paint(painter, option, index)
    finally:
        painter.end()
    return image, delegate.pills(option, index)


def text_contrast(image: QImage, rect) -> float:
    """Contrast of a pill's text with its background, read from the painted pixels."""
    inner = rect.toRect().adjusted(3, 3, -3, -3)
    pixels = [
        QColor.fromRgb(image.pixel(x, y))
        for y in range(inner.top(), inner.bottom() + 1)
        for x in range(inner.left(), inner.right() + 1)
    ]
    background = Counter(p.rgb() for p in pixels).most_common(1)[0][0]
    ground = QColor.fromRgb(background)
    return max(contrast(p, ground) for p in pixels)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("selected", [False, True], ids=["plain row", "selected row"])
@pytest.mark.parametrize("link", sorted(LINK_COLOURS))
def test_the_station_rows_badges_are_readable_in_both_palettes_selected_or_not(
    palette, scheme, selected, link
):
    apply_theme(palette, scheme)
    image, pills = paint_station_row(link, LINK_COLOURS[link], selected)
    for pill in pills:
        assert text_contrast(image, pill.rect) >= 4.5, pill.text
    if selected:  # the badge keeps an outline that stands out on the selection
        highlight = palette.palette().color(QPalette.ColorRole.Highlight)
        assert pills[0].outline is not None and contrast(pills[0].outline, highlight) >= 3.0


def test_the_version_pill_on_a_selected_row_is_not_grey_on_blue(palette):
    image, pills = paint_station_row("booted", LINK_COLOURS["booted"], selected=True)
    version = pills[1]
    assert version.text == "OCPP 2.0.1"
    assert version.text_colour == palette.palette().color(QPalette.ColorRole.HighlightedText)
    assert text_contrast(image, version.rect) >= 4.5
