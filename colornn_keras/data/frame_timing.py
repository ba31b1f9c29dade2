"""When each frame of a video file is shown (`FrameTimes`): read from its packets, and given back
to the frames written from it, so that a variable-frame-rate clip's picture stays in step with
its sound."""

import dataclasses
import fractions
import functools
import re
import subprocess

import imageio_ffmpeg

# How far a video file's frames may be from a constant rate's times before a written file carries
# their own times: within it, the plain constant-rate stream that players and editors handle best
# keeps every frame within a millisecond of its time (a frame at 60 fps lasts 17).
TIMING_TOLERANCE_SECONDS = 0.001
# The first ffmpeg that reads an option's value from a file ("-/filter:v script") and hands the
# filters' time base to the encoder ("-enc_time_base filter"), which writing frames' own times needs.
FRAME_TIMES_FFMPEG = (7, 0)
_NO_TIMESTAMP = -(2**63)  # AV_NOPTS_VALUE, as ffmpeg's framecrc listing prints a packet without a time.


@dataclasses.dataclass(frozen=True)
class FrameTimes:
    """When each frame of a video file is shown: its presentation timestamps in order, in ticks of
    `time_base` seconds, as ffmpeg reads them (from the file's start, as it reads the audio too).

    A variable-frame-rate clip (a phone's, a screen recording) holds its frames at uneven times,
    which its audio follows. `VideoWriter` gives the colourised frames these times back
    (`setpts_filter`) wherever a constant rate would move one by more than
    `TIMING_TOLERANCE_SECONDS`, so picture and sound stay in step.
    """

    ticks: tuple
    time_base: fractions.Fraction

    def seconds(self):
        return [tick * float(self.time_base) for tick in self.ticks]

    def off_constant_rate(self, fps):
        """How far (seconds) the furthest frame is from where a constant `fps` from time 0 puts it."""
        return max(abs(time - index / fps) for index, time in enumerate(self.seconds()))

    def _runs(self):
        """The frames in runs of even steps: (first frame's index, its tick, step) for each. A
        run of one frame (the last) takes the step of the run before."""
        runs, ticks, start = [], self.ticks, 0
        while start < len(ticks):
            end = start + 1  # The run's last frame.
            if end == len(ticks):
                runs.append((start, ticks[start], runs[-1][2] if runs else 1))
                break
            step = ticks[end] - ticks[start]
            while end + 1 < len(ticks) and ticks[end + 1] - ticks[end] == step:
                end += 1
            runs.append((start, ticks[start], step))
            start = end + 1
        return runs

    def setpts_filter(self):
        """ffmpeg's filters that give the n-th frame through them these times: in `time_base`,
        each frame's tick found in a balanced tree of `if`s over the runs of evenly spaced frames
        (a line each), so ffmpeg evaluates about log2(runs) comparisons a frame. Frames past the
        last go on at its step. Long: a filter script, not a command-line argument."""
        runs = self._runs()

        def tree(low, high):
            if high - low == 1:
                start, tick, step = runs[low]
                return f"{tick}+(N-{start})*{step}"
            middle = (low + high) // 2
            return f"if(lt(N,{runs[middle][0]}),{tree(low, middle)},{tree(middle, high)})"

        return (f"settb={self.time_base.numerator}/{self.time_base.denominator},"
                f"setpts='{tree(0, len(runs))}'")


@functools.cache
def ffmpeg_writes_frame_times():
    """Whether imageio-ffmpeg's ffmpeg is `FRAME_TIMES_FFMPEG` or later (a build named by its git
    commit, "N-113000-g...", is taken as recent)."""
    version = re.match(r"n?(\d+)\.(\d+)", imageio_ffmpeg.get_ffmpeg_version())
    return version is None or (int(version[1]), int(version[2])) >= FRAME_TIMES_FFMPEG


def read_frame_times(path):
    """The `FrameTimes` of a video file's first video stream, from its packets (not decoded: a
    pass over the file's bytes); None where a packet has no time, two share one, or ffmpeg cannot
    list them, which leaves the frames at a constant rate."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
               "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    result = subprocess.run(command, capture_output=True, text=True, errors="replace")
    base = re.search(r"^#tb 0: (\d+)/(\d+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or base is None:
        return None
    # "stream, dts, pts, duration, size, checksum": packets in decoding order, frames shown by pts.
    ticks = sorted(int(pts) for pts in re.findall(r"^0,\s*-?\d+,\s*(-?\d+),", result.stdout, re.MULTILINE))
    if not ticks or ticks[0] == _NO_TIMESTAMP or any(later <= earlier for earlier, later in zip(ticks, ticks[1:])):
        return None
    # Packets before the file's start are a trimmed clip's pre-roll, which its edit list hides:
    # decoded, never shown.
    ticks = [tick for tick in ticks if tick >= 0]
    if not ticks:
        return None
    return FrameTimes(tuple(ticks), fractions.Fraction(int(base[1]), int(base[2])))

