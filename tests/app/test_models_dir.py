"""CONVSCOPE_MODELS_DIR is read by the app alone: gunicorn warms what the requests use."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path
from types import SimpleNamespace

from app import create_app, networks
from cnn_core.model import MODELS_DIR, list_models, load_model

ROOT = Path(__file__).resolve().parents[2]


def test_each_worker_loads_each_model_once(tmp_path, monkeypatch):
    for ext in ("json", "npz"):
        shutil.copy(MODELS_DIR / f"lenet.{ext}", tmp_path / f"lenet.{ext}")
    monkeypatch.setenv("CONVSCOPE_MODELS_DIR", str(tmp_path))
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path / "data", "STORE": "disk"})
    assert app.config["MODELS_DIR"] == str(tmp_path)
    networks._load.cache_clear()
    networks._names.cache_clear()
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["post_worker_init"](SimpleNamespace(wsgi=app))  # what gunicorn calls in a worker
    assert networks._load.cache_info().currsize == 1
    out = app.test_client().post("/api/models/lenet/predict",
                                 json={"image_id": "sample-cat"})
    assert out.status_code == 200, out.get_json()
    info = networks._load.cache_info()
    assert info.currsize == 1 and info.misses == 1  # the warm load, then hits only
    networks._load.cache_clear()
    networks._names.cache_clear()


def test_cnn_core_ignores_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_MODELS_DIR", str(tmp_path))  # empty
    assert set(list_models()) >= {"lenet", "convnet"}
    assert load_model("lenet").name == "lenet"
    assert list_models(tmp_path) == []
