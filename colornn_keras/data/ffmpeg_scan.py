"""What ffmpeg tells of a video file without decoding it: its description of the file
(`header`), and in one pass over its packets, the frames and time the file holds (`scan`)."""

import dataclasses
import pathlib
import re
import subprocess
import tempfile

import imageio_ffmpeg


def header(path):
    """ffmpeg's description of a file, its streams and their side data (its stderr for `-i path`)."""
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                            capture_output=True, text=True, errors="replace")
    return result.stderr


@dataclasses.dataclass
class Scan:
    """What one pass of ffmpeg over a file's packets found."""

    header: str  # ffmpeg's description of the input, up to its streams.
    log: str  # Everything ffmpeg said on stderr.
    frames: int  # Video frames it went through: packets shown (pre-roll left out), or decoded frames.
    seconds: float  # Time reached, in seconds (None: none).
    returncode: int

    def duration(self):
        """The duration the header declares, in seconds (None: not stated)."""
        match = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", self.header)
        return None if match is None else int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])

    def streams(self, kind):
        return re.findall(rf"Stream #\S+.*: {kind}:", self.header)

    def reason(self, path):
        """ffmpeg's first complaint, without its component tags or the file's path. Indented lines
        are its description of the input ("  Metadata:"), not complaints."""
        lines = [re.sub(r"^\[[^\]]*\]\s*", "", line).strip() for line in self.log.splitlines()
                 if not line[:1].isspace()]
        lines = [line for line in lines if line and not line.startswith(("Input #", "Error opening input file"))
                 and "misdetection possible" not in line]
        return (lines[0] if lines else f"ffmpeg exit status {self.returncode}").replace(str(path), pathlib.Path(path).name)


# ffmpeg's flag of a packet decoded only for the frames after it (AV_PKT_FLAG_DISCARD): a trimmed
# clip's pre-roll, which its edit list hides.
_DISCARDED_PACKET = 0x4


def scan(path, decode=False):
    """Runs ffmpeg over a file's first video stream (and its audio, so that a complete file's
    time reaches its declared duration): copying packets, or decoding every frame.

    Copying, it lists the packets and counts the video's that are shown: a clip trimmed by stream
    copy (`ffmpeg -ss 10 -i in.mp4 -c copy`) keeps the frames from the key frame before its start
    as pre-roll, which decoding drops.
    """
    with tempfile.NamedTemporaryFile() as progress, tempfile.TemporaryFile() as log:
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-progress", progress.name]
        if decode:
            command += ["-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"]
        else:
            command += ["-i", str(path), "-map", "0:v:0", "-map", "0:a?", "-c", "copy", "-f", "framecrc", "-"]
        scanner = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, errors="replace")
        shown = 0
        try:
            # Counted as listed: a long film's list of packets is not held. A flag is listed where
            # it is not a key frame's alone: "0, dts, pts, duration, size, checksum, F=0x5".
            for line in scanner.stdout:
                if line.startswith("0,"):
                    flags = line.partition(", F=0x")[2].split(",")[0]
                    shown += not (flags and int(flags, 16) & _DISCARDED_PACKET)
            returncode = scanner.wait()
        finally:
            if scanner.poll() is None:  # Interrupted (Ctrl-C): ffmpeg must not outlive the scan.
                scanner.kill()
                scanner.wait()
            scanner.stdout.close()
        log.seek(0)
        stderr = log.read().decode(errors="replace")
        report = pathlib.Path(progress.name).read_text(errors="replace")
    frames = re.findall(r"^frame=(\d+)$", report, re.MULTILINE)
    times = re.findall(r"^out_time_us=(-?\d+)$", report, re.MULTILINE)
    description = re.split(r"^(?:Stream mapping:|Output #0)", stderr, maxsplit=1, flags=re.MULTILINE)[0]
    return Scan(description, stderr, (int(frames[-1]) if frames else 0) if decode else shown,
                int(times[-1]) / 1e6 if times else None, returncode)
