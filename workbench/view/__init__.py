"""What the viewers show, as plain data: view state, viewport, overlays, labels, key images."""
