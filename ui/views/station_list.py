"""The stations panel: a filter box and a list where each row carries a link badge."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QListView,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.models.badges import BADGE_TEXT, UNKNOWN_COLOUR
from ui.models.bridge import StationBridge
from ui.models.proxied_source import ProxiedSource
from ui.models.stations import (
    BADGE_ROLE,
    ENTRY_ROLE,
    PROXIED_BADGE,
    PROXIED_ROLE,
    SUBTITLE_ROLE,
    VERSION_ROLE,
    StationListModel,
)

BUTTONS_A_ROW = 2
PROXIED_ICON_W = 26  # the proxied mark left of a proxied row's name


class Pill(NamedTuple):
    """One rounded label on a station row: where, what, and in which colours."""

    rect: QRectF
    text: str
    fill: QColor | None  # None: outlined on the row's own background
    outline: QColor | None
    text_colour: QColor


class StationDelegate(QStyledItemDelegate):
    """Two lines (name, model) on the left; link and version pills on the right.

    Every pill's text keeps a contrast ratio of at least 4.5:1 (WCAG AA) with what
    is behind it, on a plain or a selected row, in either palette: the link badge
    writes white on its own dark colour (``ui.models.badges``) and gets a light
    outline on a selected row so it stays a shape on the selection's blue; the
    version pill is outlined and written in the row's text colour.
    """

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(240, 52)

    @staticmethod
    def pill_font(option: QStyleOptionViewItem) -> QFont:
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1.5))
        small.setBold(True)
        return small

    def pills(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> list[Pill]:
        rect = option.rect.adjusted(10, 6, -8, -6)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        row_text = palette.highlightedText().color() if selected else palette.text().color()
        label, colour = index.data(BADGE_ROLE) or ("", UNKNOWN_COLOUR)
        version = index.data(VERSION_ROLE) or ""
        metrics = QFontMetrics(self.pill_font(option))
        badge_w = metrics.horizontalAdvance(label) + 16
        version_w = metrics.horizontalAdvance(version) + 14
        pill_h = metrics.height() + 4
        right = rect.right()
        return [
            Pill(
                QRectF(right - badge_w, rect.top(), badge_w, pill_h),
                label,
                QColor(colour),
                QColor(row_text) if selected else None,
                QColor(BADGE_TEXT),
            ),
            Pill(
                QRectF(right - version_w, rect.top() + pill_h + 3, version_w, pill_h),
                version,
                None,
                QColor(row_text),
                QColor(row_text),
            ),
        ]

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
            )
        rect = option.rect.adjusted(10, 6, -8, -6)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_colour = palette.highlightedText().color() if selected else palette.text().color()

        pills = self.pills(option, index)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self.pill_font(option))
        for pill in pills:
            radius = pill.rect.height() / 2
            painter.setPen(pill.outline if pill.outline is not None else Qt.PenStyle.NoPen)
            painter.setBrush(pill.fill if pill.fill is not None else Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(pill.rect, radius, radius)
            painter.setPen(pill.text_colour)
            painter.drawText(pill.rect, Qt.AlignmentFlag.AlignCenter, pill.text)

        text_right = min(p.rect.left() for p in pills) - 8
        if index.data(PROXIED_ROLE):
            rect = rect.adjusted(PROXIED_ICON_W, 0, 0, 0)
            mark = QRectF(rect.left() - PROXIED_ICON_W, rect.top() + 4, 20, 20)
            self.paint_proxied_mark(painter, mark)
        name_font = QFont(option.font)
        name_font.setBold(True)
        painter.setFont(name_font)
        painter.setPen(text_colour)
        half = rect.height() / 2
        name_rect = QRectF(rect.left(), rect.top(), text_right - rect.left(), half)
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(name_font).elidedText(
                str(index.data()), Qt.TextElideMode.ElideRight, int(name_rect.width())
            ),
        )
        painter.setFont(option.font)
        # The model line is muted on a plain row; on the selection it keeps full contrast.
        painter.setPen(text_colour if selected else palette.placeholderText().color())
        sub_rect = QRectF(rect.left(), rect.top() + half, text_right - rect.left(), half)
        painter.drawText(
            sub_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            str(index.data(SUBTITLE_ROLE) or ""),
        )
        painter.restore()

    @staticmethod
    def paint_proxied_mark(painter: QPainter, box: QRectF) -> None:
        """Two arrows passing each other in a disc: a charger seen through the proxy."""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(PROXIED_BADGE[1]))
        painter.drawEllipse(box)
        pen = QPen(QColor(BADGE_TEXT), 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        x0, x1 = box.left() + 5, box.right() - 5
        upper, lower = box.top() + box.height() * 0.38, box.top() + box.height() * 0.62
        for y, tip, back in ((upper, x1, -1), (lower, x0, 1)):
            painter.drawLine(QPointF(x0, y), QPointF(x1, y))
            painter.drawLine(QPointF(tip, y), QPointF(tip + back * 3, y - 3))
            painter.drawLine(QPointF(tip, y), QPointF(tip + back * 3, y + 3))


class StationList(QWidget):
    selected = Signal(object)  # StationBridge | ProxiedSource (a proxied row) | None

    def __init__(self, model: StationListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(placeholderText="Filter stations…", clearButtonEnabled=True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QListView()
        self.view.setObjectName("stationList")
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(StationDelegate(self.view))
        self.view.setUniformItemSizes(True)  # hundreds of rows: no per-row measuring
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.count = QLabel()
        self.count.setProperty("role", "muted")
        # Two buttons a row: four in one row would make the panel wider than the
        # station rows need (and the space beside it is the graphs').
        self.buttons = QGridLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.buttons)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)
        layout.addWidget(self.count)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._show_count)
        self.proxy.rowsInserted.connect(self._show_count)
        self.proxy.rowsRemoved.connect(self._show_count)
        self._show_count()

    def set_actions(self, actions: list[QAction]) -> None:
        """One small button per action above the list, and the same actions on right-click."""
        for n, action in enumerate(actions):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.buttons.addWidget(button, n // BUTTONS_A_ROW, n % BUTTONS_A_ROW)
            self.view.addAction(action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def select_row(self, row: int) -> None:
        self.view.setCurrentIndex(self.proxy.index(row, 0))

    def select_station(self, station_id: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data() == station_id:
                self.select_row(row)
                return True
        return False

    def current_station_id(self) -> str | None:
        index = self.view.currentIndex()
        return str(index.data()) if index.isValid() else None

    def _show_count(self, *_args: object) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        plural = "s" if total != 1 else ""
        text = f"{total} station{plural}" if shown == total else f"{shown} of {total} stations"
        self.count.setText(text)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry: StationBridge | ProxiedSource | None = (
            current.data(ENTRY_ROLE) if current.isValid() else None
        )
        self.selected.emit(entry)
