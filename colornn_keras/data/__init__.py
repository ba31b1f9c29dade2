"""Data: still images for training and evaluation (images.py); videos read (video.py) and written
(video_encoding.py, clean_aperture.py) as streams, with their colour format (yuv.py), frame times
(frame_timing.py), numbered-frame folders (frame_folders.py), identity during a run
(input_changes.py), scene cuts (scene_cuts.py) and ffmpeg's view of a file (ffmpeg_scan.py); the
threads of a video run (video_pipeline.py), clips for the consistency models (clips.py), and the
pictures (pictures.py) and keyframes (keyframes.py) a user colours."""
