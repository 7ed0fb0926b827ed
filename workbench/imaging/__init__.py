"""Pixels and geometry: volumes, frames, windowing, MPR and measurements in mm."""
