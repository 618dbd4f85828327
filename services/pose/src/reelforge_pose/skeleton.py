"""The 33 MediaPipe pose landmarks, the joints measured from them, and mirroring."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


LANDMARKS = len(Landmark)
# Landmarks of the body proper (no face, hands or feet details): what a box
# and a motion measure are made of.
BODY = (
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_ELBOW,
    Landmark.RIGHT_ELBOW,
    Landmark.LEFT_WRIST,
    Landmark.RIGHT_WRIST,
    Landmark.LEFT_HIP,
    Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE,
    Landmark.RIGHT_KNEE,
    Landmark.LEFT_ANKLE,
    Landmark.RIGHT_ANKLE,
)


def _mirror_index(landmark: Landmark) -> int:
    name = landmark.name
    if name.startswith("LEFT_"):
        return Landmark["RIGHT_" + name.removeprefix("LEFT_")]
    if name.startswith("RIGHT_"):
        return Landmark["LEFT_" + name.removeprefix("RIGHT_")]
    return landmark


# MIRROR[i]: the landmark that plays i's part in a mirror image (left <-> right).
MIRROR = tuple(_mirror_index(landmark) for landmark in Landmark)


@dataclass(frozen=True)
class Joint:
    """An angle at ``vertex`` between the segments to ``first`` and ``second``.

    ``verb`` says in feedback what a larger angle difference means for the
    person: "bends" for joints whose angle closes as they flex.
    """

    name: str
    first: Landmark
    vertex: Landmark
    second: Landmark
    # The feedback's verb, and whether a smaller angle means "more" of it.
    verb: str
    closes: bool

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


def _pair(name: str, first: str, vertex: str, second: str, verb: str, *, closes: bool) -> tuple[Joint, Joint]:
    """The left and the right joint called ``name``."""
    left, right = (
        Joint(
            f"{side}_{name}",
            Landmark[f"{side.upper()}_{first}"],
            Landmark[f"{side.upper()}_{vertex}"],
            Landmark[f"{side.upper()}_{second}"],
            verb,
            closes,
        )
        for side in ("left", "right")
    )
    return left, right


JOINTS: tuple[Joint, ...] = (
    *_pair("elbow", "SHOULDER", "ELBOW", "WRIST", "bends", closes=True),
    *_pair("shoulder", "HIP", "SHOULDER", "ELBOW", "lifts the arm", closes=False),
    *_pair("hip", "SHOULDER", "HIP", "KNEE", "bends", closes=True),
    *_pair("knee", "HIP", "KNEE", "ANKLE", "bends", closes=True),
)
# The trunk's angle is its lean from the vertical (computed apart: no vertex).
TRUNK = "trunk"
JOINT_NAMES: tuple[str, ...] = (*(joint.name for joint in JOINTS), TRUNK)


def mirrored_joint(name: str) -> str:
    """The joint that plays ``name``'s part in a mirror image."""
    if name.startswith("left_"):
        return "right_" + name.removeprefix("left_")
    if name.startswith("right_"):
        return "left_" + name.removeprefix("right_")
    return name
