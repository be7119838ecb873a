"""Pictures: the built-in samples, uploads, and the working image as a PNG."""

from __future__ import annotations

import io

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from PIL import Image

from app import budget, imaging, limits, samples
from app.problems import ApiError, documented
from app.schemas import (
    DeleteHeader,
    ImagePath,
    SamplesResponse,
    SizeQuery,
    UploadForm,
    UploadResponse,
    file_response,
)

bp = APIBlueprint("images", __name__, url_prefix="/api", abp_tags=[Tag(name="images")],
                  abp_responses=documented(422))


@bp.get("/samples", responses={200: SamplesResponse})
def list_samples() -> dict:
    """The built-in pictures: made by our own code, nothing to download."""
    return {"samples": [{"image_id": samples.sample_id(s["name"]), "title": s["title"],
                         "description": s["description"]} for s in samples.SAMPLES]}


@bp.post("/images",
         responses={201: UploadResponse, **documented(400, 413, 415, 429, 503, 507)})
@limits.limit("UPLOAD_RATE")
def upload(form: UploadForm) -> tuple[dict, int]:
    """Upload a picture (multipart field `image`). The same bytes always get the same id (an
    HMAC under a server secret: it tells nothing about the picture); `delete_token` lets
    whoever uploaded it delete it; it expires `expires_in` seconds after it was stored."""
    data = form.image.read()
    try:
        up = imaging.decode_upload(data, max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
                                   max_decoded_bytes=current_app.config["MAX_DECODED_BYTES"],
                                   slot=budget.upload_slot)
    except imaging.ImageError as e:
        raise ApiError(e.status, e.title, e.detail, field="image") from None
    store = current_app.extensions["store"]
    image_id = store.image_id(data)
    store.put(image_id, imaging.encode_png(up.image))
    return {"image_id": image_id, "width": up.width, "height": up.height, "format": up.format,
            "delete_token": store.delete_token(image_id),
            "expires_in": round(store.ttl_seconds)}, 201


@bp.delete("/images/<image_id>", responses={"204": {"description": "deleted (or already gone)"},
                                            **documented(403)})
def delete_upload(path: ImagePath, header: DeleteHeader) -> tuple[str, int]:
    """Delete an upload now: header X-Delete-Token is the `delete_token` its upload returned."""
    store = current_app.extensions["store"]
    if samples.sample_name(path.image_id) is not None or not store.may_delete(
            path.image_id, header.x_delete_token):
        raise ApiError(403, "Not yours to delete",
                       "Only the page that uploaded a picture can delete it.",
                       field="X-Delete-Token")
    store.delete(path.image_id)
    return "", 204


@bp.get("/images/<image_id>",
        responses={"200": file_response("image/png", "the picture"), **documented(404)})
def working_image(path: ImagePath, query: SizeQuery) -> Response:
    """The working picture: centre-cropped square, resized to size×size, as a PNG."""
    x = current_app.extensions["pictures"].working(path.image_id, query.size)
    buf = io.BytesIO()
    Image.fromarray((x * 255).round().astype("uint8")).save(buf, "PNG")
    response = Response(buf.getvalue(), mimetype="image/png")
    if samples.sample_name(path.image_id) is not None:
        response.cache_control.public = True
        response.cache_control.max_age = 3600
    else:  # a student's photo: no shared cache (a school proxy) may keep it
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response
