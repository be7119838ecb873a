"""GET /api/health."""

from flask_openapi3 import APIBlueprint, Tag

from app.schemas import Health

bp = APIBlueprint("health", __name__, url_prefix="/api", abp_tags=[Tag(name="health")])


@bp.get("/health", responses={200: Health})
def health() -> dict:
    """Is the service up, and which version."""
    from app import __version__

    return {"status": "ok", "version": __version__}
