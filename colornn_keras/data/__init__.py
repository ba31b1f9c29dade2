"""Data: still images (images.py); videos and clips come with the consistency model."""
