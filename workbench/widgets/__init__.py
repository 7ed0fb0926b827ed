"""ipywidgets front ends: series viewer, prior/current comparison, intake form (widgets layer)."""
