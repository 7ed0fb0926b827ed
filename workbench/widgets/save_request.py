"""A front end that asks JupyterLab to save the open notebook (before an export).

JupyterLab does not run a plain ``Javascript`` output of a kernel reliably, and the
kernel cannot see unsaved edits, so the export displays this anywidget: in the browser it
runs JupyterLab's own ``docmanager:save`` command (through the application when the page
exposes it, otherwise by the Ctrl/Cmd+S shortcut the command is bound to). The kernel
then waits for the file on disk to change (:mod:`workbench.export.freshness`).
"""

from __future__ import annotations

import anywidget
import traitlets

__all__ = ["SaveRequest"]

_ESM = """
function render({ model, el }) {
  el.textContent = "Saving the notebook before the export ...";
  const app = window.jupyterapp || window.jupyterlab;
  if (app && app.commands && app.commands.hasCommand("docmanager:save")) {
    app.commands.execute("docmanager:save");
    return;
  }
  const mac = /Mac/.test(navigator.platform);
  const init = { key: "s", code: "KeyS", keyCode: 83, which: 83, ctrlKey: !mac, metaKey: mac,
                 bubbles: true, cancelable: true, composed: true };
  (document.activeElement || document.body).dispatchEvent(new KeyboardEvent("keydown", init));
}
export default { render };
"""


class SaveRequest(anywidget.AnyWidget):
    """Displayed once; its front end saves the notebook it is shown in."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    path = traitlets.Unicode("").tag(sync=True)
