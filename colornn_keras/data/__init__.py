"""Data: still images (images.py), videos read and written as streams (video.py), and clips
for the consistency models (clips.py)."""
