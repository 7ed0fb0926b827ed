"""matplotlib: key-image figures, the timeline plot, anything exported (render layer)."""
