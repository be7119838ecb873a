"""Pictures: the built-in samples, uploads, and the working image as a PNG."""

from __future__ import annotations

import hashlib
import io

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag
from PIL import Image

from app import budget, imaging, samples
from app.problems import ApiError, documented
from app.schemas import (
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


@bp.post("/images", responses={201: UploadResponse, **documented(400, 413, 415, 503)})
def upload(form: UploadForm) -> tuple[dict, int]:
    """Upload a picture (multipart field `image`); the same bytes always get the same id."""
    data = form.image.read()
    try:
        up = imaging.decode_upload(data, max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
                                   max_decoded_bytes=current_app.config["MAX_DECODED_BYTES"],
                                   slot=budget.upload_slot)
    except imaging.ImageError as e:
        raise ApiError(e.status, e.title, e.detail, field="image") from None
    image_id = hashlib.sha256(data).hexdigest()
    current_app.extensions["store"].put(image_id, imaging.encode_png(up.image))
    return {"image_id": image_id, "width": up.width, "height": up.height,
            "format": up.format}, 201


@bp.get("/images/<image_id>",
        responses={"200": file_response("image/png", "the picture"), **documented(404)})
def working_image(path: ImagePath, query: SizeQuery) -> Response:
    """The working picture: centre-cropped square, resized to size×size, as a PNG."""
    x = current_app.extensions["pictures"].working(path.image_id, query.size)
    buf = io.BytesIO()
    Image.fromarray((x * 255).round().astype("uint8")).save(buf, "PNG")
    response = Response(buf.getvalue(), mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
