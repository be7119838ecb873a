"""Request and response models of the live class (app/api/classes.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from the back of a room
CODE_LENGTH = 6
CODE = rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$"
STATE_MAX_BYTES = 16_000
Label = Annotated[str, Field(min_length=1, max_length=60)]
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]

CHOICE_KINDS = ("which_filter", "which_class")
QuestionKind = Literal["output_size", "next_value", "which_filter", "which_class", "number"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClassPath(BaseModel):
    code: str = Field(pattern=CODE, description="the join code (6 of " + CODE_ALPHABET + ")")


class QuestionPath(ClassPath):
    qid: str = Field(pattern=r"^q[0-9]{1,6}$")


class TeacherHeader(BaseModel):
    x_class_secret: str = Field(alias="X-Class-Secret", min_length=20, max_length=100,
                                description="the teacher's secret, from POST /api/classes")


class StudentHeader(BaseModel):
    x_student_token: str = Field(alias="X-Student-Token", min_length=20, max_length=100,
                                 description="the student's token, from joining")


class EventsHeader(BaseModel):
    last_event_id: str | None = Field(None, alias="Last-Event-ID", max_length=40)


class EventsQuery(BaseModel):
    last: str | None = Field(None, max_length=40, description="Last-Event-ID, for a client "
                             "that opens a new EventSource (it cannot set the header)")
    # in the query because a browser's EventSource cannot send headers; the access logs
    # leave it out (app/accesslog.py)
    token: str | None = Field(None, min_length=20, max_length=100,
                              description="required: a student's token of this class (from "
                              "joining) or the teacher's secret")


def _check_state(value: dict[str, Any]) -> dict[str, Any]:
    """The teacher's view state: the front end's URL keys (static/js/state.js), small."""
    if len(json.dumps(value)) > STATE_MAX_BYTES:
        raise ValueError(f"state is larger than {STATE_MAX_BYTES} bytes")
    return value


StateValue = str | int | float | bool | None | list[str]
ViewState = Annotated[dict[Annotated[str, Field(pattern=r"^\w{1,20}$")], StateValue],
                      Field(max_length=40)]


class StartBody(Strict):
    state: ViewState = Field(default_factory=dict)
    names: bool = Field(False, description="show students' nicknames on the teacher's tally")

    _state = field_validator("state")(_check_state)


class StateBody(Strict):
    state: ViewState

    _state = field_validator("state")(_check_state)


class ControlBody(Strict):
    locked: bool | None = Field(None, description="students follow strictly (no exploring)")
    paused: bool | None = Field(None, description="students see a pause screen")
    names: bool | None = Field(None, description="show nicknames on the teacher's tally")


class QuestionBody(Strict):
    kind: QuestionKind
    prompt: str = Field(min_length=1, max_length=200)
    options: list[Label] = Field(default_factory=list, max_length=100,
                                 description="the choices (which_filter, which_class)")
    answer: Finite | None = Field(None, description="the right answer (a choice's index)")
    tolerance: float = Field(0.0, ge=0, le=1e6, description="numbers within it count as right")
    min: Finite = -1e6
    max: Finite = 1e6

    @model_validator(mode="after")
    def _consistent(self) -> QuestionBody:
        choice = self.kind in CHOICE_KINDS
        if choice and len(self.options) < 2:
            raise ValueError(f"a {self.kind} question needs at least 2 options")
        if not choice and self.options:
            raise ValueError(f"a {self.kind} question has no options")
        if self.kind == "output_size":
            self.min, self.max = max(self.min, 0), min(self.max, 4096)
        if choice:
            self.min, self.max = 0, len(self.options) - 1
        if self.min > self.max:
            raise ValueError("min is larger than max")
        if self.answer is not None:
            if self.kind in ("output_size", *CHOICE_KINDS) and self.answer != int(self.answer):
                raise ValueError(f"a {self.kind} answer is a whole number")
            if not self.min <= self.answer <= self.max:
                raise ValueError("the answer is outside min..max (or the options)")
        return self


class QuestionPatch(Strict):
    open: bool | None = Field(None, description="false closes it to answers")
    revealed: bool | None = Field(None, description="true shows the right answer to all")


class JoinBody(Strict):
    nickname: str = Field("", max_length=20, pattern=r"^[\w .'-]*$",
                          description="optional; shown only if the teacher turns names on")


class AnswerBody(Strict):
    value: Finite


class StartResponse(BaseModel):
    code: str
    secret: str
    join_url: str
    qr_url: str
    idle_hours: float


class JoinResponse(BaseModel):
    token: str
    joined: int


class PublicQuestion(BaseModel):
    id: str
    kind: str
    prompt: str
    options: list[str]
    min: float
    max: float
    open: bool
    revealed: bool
    answer: float | None


class ClassSnapshot(BaseModel):
    code: str
    seq: int
    at: float
    kind: str
    state: dict[str, Any]
    locked: bool
    paused: bool
    question: PublicQuestion | None


class Bar(BaseModel):
    label: str
    value: float
    count: int
    correct: bool | None


class Named(BaseModel):
    nickname: str
    value: float


class TallyResponse(BaseModel):
    question: PublicQuestion | None
    joined: int
    answered: int
    bars: list[Bar]
    names: list[Named] | None


class AnswerResponse(BaseModel):
    accepted: bool
    value: float
