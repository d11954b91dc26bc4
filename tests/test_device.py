import os
import subprocess
import sys

import pytest

from engines.core.device import DeviceError, cpu_device, detect, parse_device

from conftest import ROOT


@pytest.mark.parametrize("text, value", [(None, "auto"), ("CPU", "cpu"), ("gpu", "cuda"), ("cuda:1", "cuda:1")])
def test_device_spellings(text, value):
    assert parse_device(text) == value


def test_a_misspelt_device_gets_a_sentence_listing_the_choices():
    with pytest.raises(DeviceError, match="Unknown device 'tpu'; choose auto, cpu, cuda"):
        parse_device("tpu")


def test_cpu_label_names_the_threads():
    assert detect("cpu", threads=3).label == "cpu · 3 threads"
    assert cpu_device(1).label == "cpu · 1 thread"


def test_cuda_hidden_by_cuda_visible_devices_is_explained():
    """Where no GPU is visible (always so in CI), asking for one says why."""
    code = (
        "from engines.core.device import detect, DeviceError\n"
        "try:\n    print(detect('cuda:0').label)\nexcept DeviceError as e:\n    print('ERR', e)\n"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env).stdout
    assert out.startswith("ERR cuda:0 was requested but this machine has no usable CUDA GPU.")
    assert "CUDA_VISIBLE_DEVICES='' hides every GPU" in out


def test_auto_always_finds_a_device():
    info = detect("auto")
    assert info.kind in ("cuda", "mps", "cpu") and info.label
