"""The ★ button of a viewer with several panes: one key image of all of them, from the page.

A comparison (prior | current) or a layout gets a caption field, a "★ key image of the
panes" button and the list of the key images it made, each with × to take it back
(:func:`workbench.view.key_images.remove_key_image`). The image is the one
:func:`workbench.widgets.pane_snapshot.panes_snapshot` makes in code; its record carries
:data:`~workbench.view.key_images.TOOLBAR` and ``made_in`` (which viewer made it), so the
export takes it from the workspace's list, as it takes a single viewer's.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from workbench.errors import WorkbenchError
from workbench.view.key_images import (
    TOOLBAR,
    KeyImage,
    remove_key_image,
    toolbar_key_images,
)

__all__ = ["PanesKeyButton"]


class PanesKeyButton(widgets.VBox):
    """Caption, ★ button and the list of key images made here (see the module docstring).

    Parameters
    ----------
    workspace : Path
        The case workspace (its key-image list).
    made_in : str
        Which viewer this is, stable across sessions (``compare:<prior>|<current>``, a
        layout's name), so that the list comes back when the notebook is reopened.
    snapshot : callable
        ``snapshot(caption, extra)`` makes and saves the key image, *extra* added to its
        record.
    """

    def __init__(
        self,
        workspace: Path,
        made_in: str,
        snapshot: Callable[[str, dict[str, Any]], KeyImage],
    ) -> None:
        super().__init__()
        self.workspace = Path(workspace)
        self.made_in = made_in
        self._snapshot = snapshot
        self.caption = widgets.Text(placeholder="key-image caption", layout={"width": "18em"})
        self.button = widgets.Button(
            description="★ key image of the panes",
            tooltip="one key image of every pane as it is, with its measurements",
        )
        self.button.add_class("wb-panes-key")
        self.button.on_click(lambda _: self.make())
        self.status = widgets.HTML()
        self.made = widgets.HBox(layout={"flex_flow": "row wrap"})
        self.made.add_class("wb-panes-keys")
        self.children = [widgets.HBox([self.caption, self.button, self.status]), self.made]
        self.refresh()

    def make(self) -> KeyImage | None:
        """The key image of the panes, saved with the caption typed (the button's action)."""
        try:
            shot = self._snapshot(self.caption.value, {**TOOLBAR, "made_in": self.made_in})
        except (WorkbenchError, ValueError, KeyError, TypeError, IndexError, OSError) as exc:
            # shown where the reviewer clicked (as a viewer's own action errors are)
            self.status.value = f"<b>{html.escape(str(exc))}</b>"
            return None
        self.status.value = "key image saved"
        self.refresh()
        return shot

    def take_back(self, number: int) -> bool:
        """Take key image *number* back (its × button)."""
        removed = remove_key_image(self.workspace, number)
        self.status.value = f"key image {number} taken back" if removed else ""
        self.refresh()
        return removed

    def refresh(self) -> None:
        """List the key images made here that are not taken back."""
        chips = []
        for item in toolbar_key_images(self.workspace, made_in=self.made_in):
            number = int(item["number"])
            label = widgets.Label(f"★{number} {item['caption'] or '(no caption)'}")
            drop = widgets.Button(
                description="×",
                tooltip="take this key image back (it leaves the export)",
                layout={"width": "2.2em"},
            )
            drop.add_class("wb-panes-keydel")
            drop.on_click(lambda _, n=number: self.take_back(n))
            chip = widgets.HBox([label, drop])
            chip.add_class("wb-panes-keyimg")
            chips.append(chip)
        self.made.children = chips
