// Picture input: built-in samples, file picker, drag and drop, paste, webcam; working size.
import { canDelete, deleteUpload, upload } from "./api.js";
import { catalog } from "./data.js";
import { state, update } from "./state.js";

let report = console.error; // eslint-disable-line no-console
let stream = null;
const $ = (id) => document.getElementById(id);

async function usePicture(blob, name) {
  if (!blob) return;
  $("busy").hidden = false;
  try {
    const info = await upload(blob, name);
    update({ img: info.image_id, pos: 0, pp: 0 });
  } catch (e) {
    report(e);
  } finally {
    $("busy").hidden = true;
  }
}

async function deletePicture() {
  const id = state.img;
  try {
    await deleteUpload(id);
    update({ img: "sample-car", pos: 0, pp: 0 });
    report({ title: "Picture deleted", detail: "Your picture is gone from the server. Links to it no longer work." });
  } catch (e) {
    report(e);
  }
}

function buildSamples() {
  const box = $("samples");
  box.replaceChildren();
  for (const s of catalog.samples) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "sample";
    b.dataset.image = s.image_id;
    b.title = s.description;
    b.setAttribute("aria-label", `Sample picture: ${s.title}`);
    const img = document.createElement("img");
    img.src = `/api/images/${s.image_id}?size=48`;
    img.alt = "";
    img.width = 48;
    img.height = 48;
    const cap = document.createElement("span");
    cap.textContent = s.title;
    b.append(img, cap);
    b.addEventListener("click", () => update({ img: s.image_id, pos: 0, pp: 0 }));
    box.append(b);
  }
  sync();
}

async function openWebcam() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  } catch (e) {
    report({ title: "No webcam", detail: `The browser could not open a camera (${e.message || e.name}). Check the permission, or pick a file instead.` });
    return;
  }
  $("webcam-video").srcObject = stream;
  $("webcam").hidden = false;
  $("webcam-snap").focus();
}

function closeWebcam() {
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  $("webcam").hidden = true;
}

function snap() {
  const video = $("webcam-video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth || 640;
  canvas.height = video.videoHeight || 480;
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  canvas.toBlob((blob) => { closeWebcam(); usePicture(blob, "webcam.png"); }, "image/png");
}

export function init(onError) {
  report = onError;
  $("file-input").addEventListener("change", (e) => {
    const file = e.target.files[0];
    if (file) usePicture(file, file.name);
    e.target.value = "";
  });
  const drop = $("dropzone");
  for (const ev of ["dragenter", "dragover"]) {
    document.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const ev of ["dragleave", "drop"]) {
    document.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  }
  document.addEventListener("drop", (e) => {
    const file = e.dataTransfer?.files?.[0];
    if (file) usePicture(file, file.name);
  });
  document.addEventListener("paste", (e) => {
    const item = [...(e.clipboardData?.items || [])].find((i) => i.kind === "file");
    if (item) usePicture(item.getAsFile(), "pasted.png");
  });
  $("delete-picture").addEventListener("click", deletePicture);
  $("webcam-button").addEventListener("click", openWebcam);
  $("webcam-close").addEventListener("click", closeWebcam);
  $("webcam-snap").addEventListener("click", snap);
  const size = $("size-input");
  size.addEventListener("input", () => { $("size-out").textContent = size.value; });
  size.addEventListener("change", () => update({ size: Number(size.value), pos: 0, pp: 0 }));
  for (const b of document.querySelectorAll("[data-size]")) {
    b.addEventListener("click", () => update({ size: Number(b.dataset.size), pos: 0, pp: 0 }));
  }
}

/** Reflect the state in the controls (after a change or a URL load). */
export function sync() {
  if (!catalog.samples.length) return;
  if (!$("samples").children.length) buildSamples();
  for (const b of document.querySelectorAll(".sample")) {
    b.setAttribute("aria-pressed", String(b.dataset.image === state.img));
  }
  $("delete-picture").hidden = !canDelete(state.img);
  $("size-input").value = state.size;
  $("size-out").textContent = state.size;
  for (const b of document.querySelectorAll("[data-size]")) {
    b.setAttribute("aria-pressed", String(Number(b.dataset.size) === state.size));
  }
}
