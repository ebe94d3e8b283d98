"""The house: the layers import only downward, the pure core imports no model, image or UI
library, and one function decides what a frame says, whatever the frame came from."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from fakes import StillEstimator, recorded
from shared_paths import ROOT

from alignment.core.analysis import analyse
from alignment.core.feedback import feedback
from alignment.core.skeleton import Skeleton
from alignment.core.status import STATUSES
from alignment.io.rule_files import load_pose
from alignment.pipeline.live import LiveSession
from alignment.present.overlay import draw_frame, frame_view
from alignment.present.style import STATUS_COLOURS
from alignment.session.tracker import SessionTracker

PACKAGE = ROOT / "alignment"
# Lower layers first; a module may import its own layer and the ones before it.
# The journal (figures of past sessions, in a database) reads the core's rules; no analysis
# imports it: only the commands and the app record and read sessions.
LAYERS = [
    "settings",
    "core",
    "session",
    "journal",
    "io",
    "estimators",
    "present",
    "pipeline",
    "cli|app",
    "testing",
]
# The model adapters: front ends open them through estimators.presets only.
MODEL_ADAPTERS = {
    f"alignment.estimators.{m}" for m in ("mediapipe", "movenet", "landmark_crop", "fused")
}
PURE = ("core", "session")  # numpy in, numbers out
NOT_IN_PURE = {"mediapipe", "cv2", "streamlit", "streamlit_webrtc", "onnxruntime", "av", "PIL",
               "matplotlib", "ray", "ai_edge_litert", "sqlalchemy"}  # fmt: skip


def layer_of(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else module
    for i, names in enumerate(LAYERS):
        if top in names.split("|"):
            return i
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


MODULES = {
    ".".join(p.relative_to(ROOT).with_suffix("").parts): p
    for p in PACKAGE.rglob("*.py")
    if p.name != "__init__.py"
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module: str) -> None:
    own = layer_of(module)
    for name in imports(MODULES[module]):
        root = name.split(".")[0]
        if root == "alignment":
            target = layer_of(name)
            assert target <= own, f"{module} (layer {LAYERS[own]}) imports {name}"
            if module.startswith(("alignment.app.", "alignment.cli.")):
                assert name not in MODEL_ADAPTERS and not name.startswith("alignment.core.body"), (
                    f"a front end opens models through the presets, not {name}"
                )
        elif module.split(".")[1] in PURE:
            assert root not in NOT_IN_PURE, f"{module} is pure but imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[1] in PURE))
def test_the_pure_layers_read_no_file(module: str) -> None:
    """Files are read at the edges (io); the core and the session get what was read."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    called = {
        node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)
    }
    reading = called & {"open", "read_text", "read_bytes"}
    assert not reading, f"{module} reads files: {sorted(reading)}"
    assert not {"json", "tomllib", "csv"} & set(imports(MODULES[module])), module


def _package_imports(module: str) -> set[str]:
    """The alignment modules a module imports (at any depth of its code, relative or not)."""
    path = MODULES[module]
    package = module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES and name != module}
    return found


def test_no_import_cycle() -> None:
    """No module needs, through others, a module that needs it (each layer's modules too)."""
    graph = {module: _package_imports(module) for module in MODULES}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_every_module_is_checked() -> None:
    assert len(MODULES) > 30 and all(layer_of(m) >= 0 for m in MODULES)


# ---------------------------------------------------------------------------- one voice

POSE = load_pose("janu_sirsasana")
HOLD_FRAMES = 45  # 1.5 s at 30 frames/s: past the 1 s a session waits before showing a mistake


# Real readings, one of each thing a frame can say (see test_the_cases_cover_every_status).
CASES = [
    ("fast", "janu/y82ukr_22.jpg"),  # nobody found
    ("fast", "janu/gymweb_1.jpg"),  # uncertain
    ("fast", "other/y82ukr_warrior2_1.jpg"),  # not in the pose
    ("fast", "janu/y82ukr_17.jpg"),  # corrections
    ("accurate", "janu/y82ukr_2.jpg"),  # good (the back judged from its outline)
    ("fast", "janu/y82ukr_2.jpg"),  # in the pose; a long back is not seen without an outline
    ("accurate", "janu/y82ukr_24.jpg"),  # in the pose, not fully judged
    ("accurate", "janu/y82ukr_26.jpg"),  # one leg hides the other
    ("accurate", "other/suraj_butterfly_1.jpg"),
    ("accurate", "janu/y82ukr_30.jpg"),
    ("accurate", "janu/gymweb_1.jpg"),
]


def test_the_cases_cover_every_status() -> None:
    said = {analyse(recorded(name, q), load_pose("janu_sirsasana", q)).status for q, name in CASES}
    assert said == set(STATUSES)


@pytest.mark.parametrize(("quality", "name"), CASES)
def test_photo_video_and_live_say_the_same(name: str, quality: str) -> None:
    """The same skeleton as a photo, as a still video and as live frames (1.5 s): the same
    status, message, score and colour once the session's hold-off has passed."""
    seen = recorded(name, quality)
    skeleton = small(seen) if seen else None
    photo = feedback(analyse(skeleton, POSE))

    tracker = SessionTracker(POSE)
    for i in range(HOLD_FRAMES):
        video = tracker.update(i / 30, skeleton)

    live = LiveSession(lambda: StillEstimator(skeleton), POSE, "standard")
    size = (skeleton.height, skeleton.width, 3) if skeleton else (480, 640, 3)
    blank = np.zeros(size, np.uint8)
    for i in range(HOLD_FRAMES):
        drawn = live.analyse(blank, i / 30)
    snap = live.snapshot()
    live.close()

    assert video.feedback == photo
    # The video's smoothing keeps what the fused reading said of itself (issue 16).
    if skeleton is not None:
        assert video.skeleton is not None
        assert video.skeleton.sides == skeleton.sides
        assert video.skeleton.agreement == skeleton.agreement
        assert len(video.skeleton.outlines) == len(skeleton.outlines)
        assert video.verdict.trust.sides_doubtful == analyse(skeleton, POSE).trust.sides_doubtful
    assert (snap.status, snap.cue, snap.limits, snap.score) == (
        photo.status,
        photo.message,
        photo.limits,
        photo.score,
    )
    # The colour drawn is the status colour, in the photo's drawing and the live frame alike.
    photo_drawn = draw_frame(blank, frame_view(analyse(skeleton, POSE), photo, skeleton, POSE))
    for picture in (photo_drawn, drawn):
        assert tuple(edge_colour(picture)) == STATUS_COLOURS[photo.status]


def small(skeleton: Skeleton) -> Skeleton:
    """The same skeleton on a picture 640 pixels wide (drawing is quicker; nothing else
    changes: the measurements are ratios and angles)."""
    return skeleton.resized(640, round(skeleton.height * 640 / skeleton.width))


def edge_colour(picture: np.ndarray) -> np.ndarray:
    """The colour of the bar along the banner's edge: the most common bright colour in the
    picture's first column."""
    column = picture[:, 0].reshape(-1, 3)
    bright = column[column.max(axis=1) > 120]
    colours, counts = np.unique(bright, axis=0, return_counts=True)
    return colours[np.argmax(counts)]
