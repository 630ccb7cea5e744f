"""Keyboard navigation and the window-level actions: stations, log, palette, shortcut list.

``install(window)`` adds to the main window's menus (built in ``MainWindow._build_menus``):
next/previous station, go to the CSMS console, find in the message log, export the
log, the palette (follow the system, light, dark) and a list of every shortcut (F1). Each action
only moves the selection, focuses a widget or clicks an existing button, so the
behaviour behind it stays in one place (the views and ``ui/operations``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.theme import CHOICES, ThemeController

if TYPE_CHECKING:
    from ui.main_window import MainWindow

NEXT_STATION = ("Ctrl+PgDown", "Alt+Down")
PREVIOUS_STATION = ("Ctrl+PgUp", "Alt+Up")
FIND_IN_LOG = QKeySequence.StandardKey.Find  # Ctrl+F
EXPORT_LOG = "Ctrl+E"
SHOW_CONSOLE = "Ctrl+K"
SHORTCUT_LIST = QKeySequence.StandardKey.HelpContents  # F1
THEME_KEY = "ui/theme"
THEME_LABELS = {"auto": "Follow the system", "light": "Light", "dark": "Dark"}


class WindowActions:
    """The actions ``install`` adds; kept on the window as ``window.window_actions``."""

    def __init__(self, window: MainWindow, theme: ThemeController | None) -> None:
        self.window = window
        self.theme = theme
        self.next_station = _action(window, "Next station", NEXT_STATION, self.next)
        self.previous_station = _action(window, "Previous station", PREVIOUS_STATION, self.previous)
        self.find_in_log = _action(window, "Find in message log", (FIND_IN_LOG,), self.focus_log)
        self.export_log = _action(window, "Export message log…", (EXPORT_LOG,), self.export)
        self.show_console = _action(
            window, "Go to CSMS console", (SHOW_CONSOLE,), self.focus_console
        )
        self.shortcut_list = _action(window, "Keyboard shortcuts", (SHORTCUT_LIST,), self.show_list)
        # Only a palette picked in the menu is remembered; `--theme` chooses for one start.
        self.theme_picked = False
        self.theme_group = QActionGroup(window)
        self.theme_actions: dict[str, QAction] = {}
        for choice in CHOICES:
            action = QAction(THEME_LABELS[choice], window, checkable=True)
            action.triggered.connect(lambda _=False, c=choice: self.set_theme(c))
            self.theme_group.addAction(action)
            self.theme_actions[choice] = action
        self.theme_actions[theme.choice if theme else "auto"].setChecked(True)

    # ------------------------------------------------------------ stations
    def step(self, delta: int) -> str | None:
        """Select the station ``delta`` rows away in the (filtered) list, wrapping around."""
        stations = self.window.station_list
        rows = stations.proxy.rowCount()
        if rows == 0:
            self.window.show_error("No station to select")
            return None
        current = stations.view.currentIndex()
        row = (current.row() + delta) % rows if current.isValid() else 0
        stations.select_row(row)
        stations.view.scrollTo(stations.view.currentIndex())
        return stations.current_station_id()

    def next(self) -> str | None:
        return self.step(+1)

    def previous(self) -> str | None:
        return self.step(-1)

    # ------------------------------------------------------------ log
    def focus_log(self) -> bool:
        panel = self.window.log_panel
        if panel is None:
            self.window.show_error("The message log opens once the workspace has started")
            return False
        self.window.log_dock.show()
        self.window.log_dock.raise_()
        panel.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        panel.text.selectAll()
        return True

    # ------------------------------------------------------------ console
    def focus_console(self) -> bool:
        """Show the CSMS console, bring its tab to the front and put the focus in it.

        Never hides it: the dock's own toggle (View menu) is a show/hide switch, and
        with the console tabbed behind the log "shown" already meant "hidden" to it.
        """
        dock = self.window.console_dock
        dock.show()
        dock.raise_()  # the front tab when tabbed with the log
        if dock.isFloating():
            dock.activateWindow()
        console = self.window.csms_console
        if console is None:
            self.window.show_error("The CSMS console opens once the built-in CSMS has started")
            return False
        console.action_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    def export(self) -> None:
        panel = self.window.log_panel
        if panel is None:
            self.window.show_error("The message log opens once the workspace has started")
            return
        panel.export_button.click()  # the panel's own dialog: the filtered view, JSONL or CSV

    # ------------------------------------------------------------ palette
    def set_theme(self, choice: str) -> None:
        if self.theme is None:
            return
        scheme = self.theme.set_choice(choice)
        self.theme_picked = True
        self.theme_actions[choice].setChecked(True)
        label = THEME_LABELS[choice]
        self.window.show_info(f"Palette: {label}" + (f" ({scheme})" if choice == "auto" else ""))

    def save(self, settings: QSettings) -> None:
        if self.theme is not None and self.theme_picked:
            settings.setValue(THEME_KEY, self.theme.choice)

    # ------------------------------------------------------------ help
    def show_list(self) -> QDialog:
        dialog = ShortcutList(shortcut_table(self.window), self.window)
        dialog.show()
        return dialog


def _action(parent: QWidget, text: str, keys: tuple, slot) -> QAction:
    action = QAction(text, parent)
    action.setShortcuts([QKeySequence(k) for k in keys])
    # Window-wide: they work wherever the focus is (the log table, a card, the list).
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _=False: slot())
    return action


def shortcut_table(window: QWidget) -> list[tuple[str, str]]:
    """(action, shortcut) for every action of the window that has one, menus first."""
    seen: set[int] = set()
    rows: list[tuple[str, str]] = []

    def visit(actions) -> None:
        for action in actions:
            if id(action) in seen:
                continue
            seen.add(id(action))
            if action.menu() is not None:
                visit(action.menu().actions())
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
            if keys and not action.isSeparator():
                rows.append((action.text().replace("&", ""), ", ".join(keys)))

    visit(window.menuBar().actions())
    visit(window.findChildren(QAction))
    return rows


class ShortcutList(QDialog):
    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (text, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(text))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnToContents(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(460, 520)


def _menu(window: MainWindow, title: str) -> QMenu:
    """The window's menu called ``title`` (ignoring the & mnemonic), created if missing."""
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return window.menuBar().addMenu(f"&{title}")


def install(window: MainWindow, theme: ThemeController | None = None) -> WindowActions:
    """Add the window-level actions to the window's menus; returns them."""
    if theme is None:
        app = QApplication.instance()
        theme = app.findChild(ThemeController) if app is not None else None
    actions = WindowActions(window, theme)
    file_menu = _menu(window, "File")
    first = file_menu.actions()[0] if file_menu.actions() else None
    file_menu.insertAction(first, actions.export_log)
    file_menu.insertSeparator(first)
    station_menu = _menu(window, "Station")
    station_menu.addSeparator()
    station_menu.addAction(actions.previous_station)
    station_menu.addAction(actions.next_station)
    view_menu = _menu(window, "View")
    # Ctrl+K belongs to "Go to CSMS console", which never hides the console; the
    # dock's toggle stays in the menu as the show/hide switch, without the key.
    window.console_dock.toggleViewAction().setShortcut(QKeySequence())
    view_menu.addAction(actions.show_console)
    view_menu.addAction(actions.find_in_log)
    view_menu.addSeparator()
    palette = view_menu.addMenu("Palette")
    for action in actions.theme_actions.values():
        palette.addAction(action)
    palette.setEnabled(theme is not None)
    help_menu = _menu(window, "Help")
    help_menu.insertAction(
        help_menu.actions()[0] if help_menu.actions() else None, actions.shortcut_list
    )
    return actions
