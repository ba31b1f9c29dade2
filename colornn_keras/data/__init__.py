"""Data: still images for training and evaluation (images.py), videos read and written as
streams (video.py) and the threads of a video run (video_pipeline.py), clips for the consistency
models (clips.py), and the pictures (pictures.py) and keyframes (keyframes.py) a user colours."""
