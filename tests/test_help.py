"""The help says what each option does (issue 17): the options that need --ray are listed under
it, a video is one file unless --ray, and --ray's address is optional."""

from __future__ import annotations

import argparse

from alignment.cli.main import build_parser


def subcommand(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def group_of(parser: argparse.ArgumentParser, option: str) -> str:
    for group in parser._action_groups:
        if any(option in action.option_strings for action in group._group_actions):
            return group.title or ""
    raise AssertionError(option)


def test_the_options_that_need_ray_are_grouped_under_it() -> None:
    video = subcommand("video")
    for option in ("--ray", "--results", "--resume", "--parquet", "--actors", "--annotate",
                   "--overwrite"):  # fmt: skip
        assert "need --ray" in group_of(video, option), option
    for option in ("--out", "--json", "--plot", "--rate", "--verbose"):
        assert "need --ray" not in group_of(video, option), option
    image = subcommand("image")
    # A photo batch annotates without Ray.
    assert "need --ray" not in group_of(image, "--annotate")
    assert "need --ray" in group_of(image, "--results")


def test_the_usage_says_one_video_unless_ray() -> None:
    text = subcommand("video").format_help()
    assert "INPUT [INPUT ...]" not in text
    assert "alignment video VIDEO [options]" in text
    assert "--ray [ADDRESS]" in text


def test_every_option_has_help() -> None:
    for name in ("image", "video", "app"):
        for action in subcommand(name)._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"
