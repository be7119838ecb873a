"""Convscope's Flask application: `create_app()` builds it."""

from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    if test_config:
        app.config.update(test_config)

    @app.get("/api/health")
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    from app import pages

    app.register_blueprint(pages.bp)
    return app
