"""Request and response models: one declaration gives validation and the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Literal

from flask_openapi3 import FileStorage
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from werkzeug.datastructures import FileStorage as _FileStorage

from app.arrays import TypedArray

IMAGE_ID = r"^([0-9a-f]{64}|sample-[a-z0-9_]{1,40})$"
ImageId = Annotated[str, Field(pattern=IMAGE_ID, description="an upload's id or sample-<name>")]
Weight = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]
Size = Annotated[int, Field(ge=8, le=512, description="working size S: the picture is S×S")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _odd(n: int) -> int:
    if n % 2 == 0:
        raise ValueError(f"presets have odd sizes (3, 5, 7…), not {n}")
    return n


# An odd size, said in the OpenAPI document too (JSON Schema has no "odd": not a multiple of 2)
OddSize = Annotated[int, Field(ge=1, le=15, json_schema_extra={"not": {"multipleOf": 2}}),
                    AfterValidator(_odd)]


def _exactly_one_of(*names: str) -> dict:
    """JSON Schema for "exactly one of these properties is given (and not null)"."""
    return {"oneOf": [{"required": [n], "properties": {n: {"not": {"type": "null"}}}}
                      for n in names]}


class Kernel(Strict):
    """One filter: a preset, a trained network's filter, or hand-made weights (kh×kw×3)."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra=_exactly_one_of("preset", "model", "weights"))

    preset: str | None = Field(None, max_length=40, examples=["sobel_x"])
    size: OddSize = Field(5, description="a preset's size (odd)")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="the random preset's seed")
    model: str | None = Field(None, max_length=40, examples=["lenet"])
    layer: str = Field("conv1", max_length=40)
    index: int = Field(0, ge=0, le=1023)
    epoch: int | None = Field(None, ge=0, le=1000, description="a model's filter after epoch E")
    weights: list[list[list[Weight]]] | None = Field(
        None, min_length=1, max_length=15, description="kh×kw×3 nested lists")
    bias: Weight = 0.0

    @model_validator(mode="after")
    def _one_source(self) -> Kernel:
        given = [k for k in ("preset", "model", "weights") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of preset, model or weights")
        return self


class Pool(Strict):
    op: Literal["max", "avg"] = "max"
    size: int = Field(2, ge=1, le=8)
    stride: int = Field(2, ge=1, le=8)


class ConvBody(Strict):
    image_id: ImageId
    size: Size = 32
    filters: list[Kernel] = Field(min_length=1, max_length=16)
    stride: int = Field(1, ge=1, le=16)
    padding: int = Field(0, ge=0, le=16)
    dilation: int = Field(1, ge=1, le=8)
    pool: Pool = Pool()


Output = Literal["maps", "relu", "pooled"]
MapsDtype = Literal["f4", "f2"]
DTYPE_HELP = ("f4: float32, exactly the engine's numbers; f2: float16, half the bytes, rounded "
              "to about 3 significant digits (decode it yourself: not a Plotly dtype)")


class ConvLayerBody(ConvBody):
    """The conv body of POST /api/conv: which stacks to send, and in what precision."""

    outputs: list[Output] = Field(
        ["maps", "relu", "pooled"], min_length=1, max_length=3,
        description="stacks to send (default all three); relu and pooled follow from maps "
                    "(relu = max(maps, 0), pooled = pool(relu)), so a page may ask for maps "
                    "alone and derive the rest")
    dtype: MapsDtype = Field("f4", description=DTYPE_HELP)


class OneFilterBody(ConvBody):
    """A conv body that also names one of its filters."""

    filter: int = Field(0, ge=0, le=15, description="which of the filters")


class StepBody(OneFilterBody):
    row: int = Field(ge=0, le=1023)
    col: int = Field(ge=0, le=1023)


class GifBody(OneFilterBody):
    frames: int = Field(120, ge=2, le=400, description="animation frames (positions are sampled)")


class CsvBody(OneFilterBody):
    stage: Literal["maps", "relu", "pooled"] = "maps"


class Geometry(BaseModel):
    input: list[int]
    kernel: list[int]
    filters: int
    stride: int
    padding: int
    dilation: int
    output: list[int]
    formula: str
    params: dict[str, int]
    pooled: list[int]


class FilterOut(BaseModel):
    label: str
    weights: TypedArray
    bias: float
    tile: TypedArray


class ConvResponse(BaseModel):
    geometry: Geometry
    image: TypedArray
    filters: list[FilterOut]
    maps: list[TypedArray] | None = Field(None, description="when in the request's outputs")
    relu: list[TypedArray] | None = Field(None, description="when in the request's outputs")
    pooled: list[TypedArray] | None = Field(None, description="when in the request's outputs")


class Window(BaseModel):
    top: int
    left: int
    rows: list[int]
    cols: list[int]


class StepResponse(BaseModel):
    window: Window
    patch: list[list[list[float]]]
    weights: list[list[list[float]]]
    products: list[list[list[float]]]
    channel_sums: list[float]
    bias: float
    value: float


class PoolStepResponse(BaseModel):
    window: Window
    values: list[list[float]]
    value: float
    argmax: list[int] | None


class UploadForm(BaseModel):
    image: FileStorage

    @field_validator("image", mode="before")
    @classmethod
    def _a_file(cls, v: object) -> object:
        if not isinstance(v, _FileStorage):
            raise ValueError("send the picture as a file in the multipart field image, not text")
        return v


class UploadResponse(BaseModel):
    image_id: str
    width: int
    height: int
    format: str
    delete_token: str = Field(description="send as header X-Delete-Token to delete it")
    expires_in: int = Field(description="seconds until the server forgets the picture")


class DeleteHeader(BaseModel):
    x_delete_token: str = Field(pattern=r"^[0-9a-f]{64}$", description="the upload's token")


class ImagePath(BaseModel):
    image_id: ImageId


class SizeQuery(BaseModel):
    size: Size = 32


class Sample(BaseModel):
    image_id: str
    title: str
    description: str


class SamplesResponse(BaseModel):
    samples: list[Sample]


class PresetQuery(BaseModel):
    size: OddSize = 5


class Preset(BaseModel):
    name: str
    title: str
    description: str
    weights: list[list[list[float]]]
    bias: float


class PresetsResponse(BaseModel):
    presets: list[Preset]


class ModelPath(BaseModel):
    name: str = Field(max_length=40)


class PredictBody(Strict):
    image_id: ImageId
    dtype: MapsDtype = Field("f4", description="of the activations: " + DTYPE_HELP)


class LayerInfo(BaseModel):
    name: str
    kind: str
    output_shape: list[int]
    params: int


class ModelInfo(BaseModel):
    name: str
    title: str
    dataset: str
    classes: list[str]
    input: list[int]
    layers: list[LayerInfo]
    total_params: int
    accuracy: float | None


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class Activation(BaseModel):
    layer: str
    kind: str
    shape: list[int]
    maps: list[TypedArray] | TypedArray


class PredictResponse(BaseModel):
    classes: list[str]
    probabilities: list[float]
    temperature: float = Field(description="probabilities = softmax(last activation / temperature)")
    activations: list[Activation]


class FiltersQuery(BaseModel):
    layer: str = Field("conv1", max_length=40)
    epoch: int | None = Field(None, ge=0, le=1000)


class FiltersResponse(BaseModel):
    layer: str
    epoch: int | None
    epochs: list[int]
    shape: list[int]
    weights: TypedArray
    tiles: TypedArray


class EpochRecord(BaseModel):
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: float


class HistoryResponse(BaseModel):
    epochs: list[EpochRecord]


class Health(BaseModel):
    status: str
    version: str


def file_response(mimetype: str, description: str) -> dict:
    """An OpenAPI 200 response that is a file (PNG, GIF, CSV), not JSON."""
    return {"description": description,
            "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}}}
