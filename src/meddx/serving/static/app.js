// meddx web page: plain JS, no build step. Everything from the server is inserted as text
// (textContent), never as HTML. The key lives in sessionStorage (this tab only).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem("meddx-key") || "", models: [], current: null, file: null };

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + state.key }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.detail || response.statusText || "request failed");
    error.status = response.status;
    throw error;
  }
  return body;
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

const pct = (v) => (v === null || v === undefined ? "n/a" : (100 * v).toFixed(1) + "%");
const num = (v, d = 3) => (v === null || v === undefined ? "n/a" : Number(v).toFixed(d));

async function signIn(event) {
  if (event) event.preventDefault();
  const typed = $("key").value.trim();
  if (typed) state.key = typed;
  $("signin-error").textContent = "";
  try {
    const data = await api("/v1/models");
    sessionStorage.setItem("meddx-key", state.key);
    state.models = data.models;
    $("key").value = "";
    $("signin-panel").hidden = true;
    $("main").hidden = false;
    $("whoami").textContent = "signed in (key " + state.key.split("_")[1] + ")";
    fillModels(data);
  } catch (err) {
    sessionStorage.removeItem("meddx-key");
    $("signin-error").textContent = err.status === 401 ? "This key is not valid." : "Sign-in failed: " + err.message;
  }
}

function signOut() {
  sessionStorage.removeItem("meddx-key");
  state.key = "";
  $("main").hidden = true;
  $("signin-panel").hidden = false;
}

function fillModels(data) {
  const select = $("model");
  select.replaceChildren();
  for (const m of data.models) {
    select.appendChild(el("option", `${m.name} v${m.version} (${m.stage}, ${m.task})`)).value = m.name;
  }
  if (!data.models.length) select.appendChild(el("option", "no models served"));
  chooseModel();
}

// Series and table models take JSON: {"record": {...}} (one stay) or {"row": {...}} (one row).
const JSON_KEY = { series: "record", tabular: "row" };
const JSON_HINT = {
  series: '{"id": "stay1", "static": {"Age": 70}, "observations": [{"time": 1.5, "variable": "HR", "value": 88}]}',
  tabular: '{"column": value, ...} with every feature column of the model',
};

async function chooseModel() {
  const name = $("model").value;
  $("result").hidden = true;
  $("card").replaceChildren();
  if (!state.models.some((m) => m.name === name)) return;
  const detail = await api("/v1/models/" + encodeURIComponent(name));
  state.current = detail;
  const text = detail.modality !== "image";
  $("image-input").hidden = text;
  $("text-input").hidden = !text;
  const json = Boolean(JSON_KEY[detail.modality]);
  $("note").placeholder = json ? `Paste one JSON object: ${JSON_HINT[detail.modality]}` : "Paste the note here";
  document.querySelector('label[for="note"]').textContent =
    json ? (detail.modality === "series" ? "One ICU stay (JSON)" : "One patient row (JSON)") : "Clinical note";
  renderCard(detail);
}

function renderCard(m) {
  const op = m.operating_point || {};
  const grid = el("div", null, "card-grid");
  const item = (label, value) => { const d = el("div"); d.appendChild(el("strong", label + ": ")); d.appendChild(document.createTextNode(value)); grid.appendChild(d); };
  item("Task", `${m.task} (${m.labels.join(", ")})`);
  item("Version", `v${m.version}, ${m.stage}`);
  if (m.task === "segmentation") {
    const i = m.input || {};
    item("Input", `${i.spatial_dims}D, ${i.channels} channel(s)` + (i.target_spacing_mm ? `, resampled to ${i.target_spacing_mm.join(" x ")} mm` : ""));
    const dice = (m.metrics || {}).test_dice || {};
    for (const [k, v] of Object.entries(dice)) item(`Test Dice, ${k}`, num(v.value) + (v.ci95 ? ` (95% CI ${num(v.ci95[0])}-${num(v.ci95[1])})` : ""));
  } else item("Decision", op.threshold !== null && op.threshold !== undefined
    ? `${op.positive_label || "positive"} when P >= ${num(op.threshold, 4)} (rule ${op.rule}, chosen on ${op.chosen_on})`
    : op.rule_words ? op.rule_words : `rule ${op.rule || "argmax"}`);
  for (const split of ["val", "test"]) {
    const s = op[split];
    if (!s) continue;
    if (s.sensitivity !== undefined) item(`At this point, ${split} (n=${s.n})`, `sensitivity ${pct(s.sensitivity)}, specificity ${pct(s.specificity)}`);
    else if (s.per_class) item(`Per class, ${split} (n=${s.n})`, Object.entries(s.per_class).map(([k, v]) => `${k}: sens ${pct(v.sensitivity)} / spec ${pct(v.specificity)}`).join("; "));
  }
  for (const [k, v] of Object.entries(m.metrics || {})) {
    if (!k.endsWith("_auc")) continue;
    item(k.replace("_", " ").toUpperCase(), num(v.value) + (v.ci95 ? ` (95% CI ${num(v.ci95[0])}-${num(v.ci95[1])})` : ""));
  }
  if (m.calibration && m.calibration.temperature_by_label) item("Calibration", `temperature per label: ${Object.entries(m.calibration.temperature_by_label).map(([k, v]) => `${k} ${num(v, 2)}`).join(", ")} (fitted on ${m.calibration.fitted_on || "n/a"})` + (m.calibration.not_fitted ? `; T = 1, not fitted (a single class on validation, or a loss that ignored the label's positives): ${m.calibration.not_fitted.join(", ")}` : ""));
  else if (m.calibration && m.calibration.temperature) item("Calibration", `temperature ${num(m.calibration.temperature)} (fitted on ${m.calibration.fitted_on || "n/a"})`);
  if (m.calibration && m.calibration.by_label) item(`Calibration per label, ${m.calibration.by_label.split} split`, labelCalibration(m.calibration.by_label.labels));
  item("Intended use", m.card.intended_use);
  item("Outcome", m.card.outcome);
  const card = $("card");
  card.appendChild(grid);
  for (const w of m.card.warnings || []) card.appendChild(el("p", "Warning: " + w, "error"));
  const details = el("details");
  details.appendChild(el("summary", "Full model card"));
  details.appendChild(el("pre", m.card.model_card_markdown));
  card.appendChild(details);
}

// Each label's ECE before -> after its temperature, calibration-in-the-large after (below 0: risks too high)
// and mean predicted risk against the observed rate; the first 20 labels, as `meddx evaluate` prints them.
function labelCalibration(labels) {
  const rows = Object.entries(labels || {});
  const signed = (v) => (v === null || v === undefined ? "n/a" : (v >= 0 ? "+" : "") + Number(v).toFixed(2));
  const text = rows.slice(0, 20).map(([k, v]) => `${k}: ECE ${num(v.ece_before)}`
    + (v.ece_after !== null && v.ece_after !== undefined ? ` → ${num(v.ece_after)}, in the large ${signed(v.in_the_large_after)}, mean P ${num(v.mean_predicted_after)}` : " (no temperature)")
    + ` vs rate ${num(v.prevalence)}`).join("; ");
  return text + (rows.length > 20 ? `; ${rows.length - 20} more labels in metrics.json` : "");
}

function takeFile(file) {
  if (!file) return;
  state.file = file;
  predict();
}

async function predict() {
  const m = state.current;
  if (!m) return;
  $("predict-error").textContent = "";
  const explain = $("explain").checked && m.explain_methods.length ? (m.modality === "image" ? "gradcam" : "auto") : null;
  const query = m.task === "segmentation" ? "?mask=none" : (explain ? "?explain=" + explain : "");  // the page shows sizes only
  const url = "/v1/models/" + encodeURIComponent(m.name) + "/predict" + query;
  let options;
  if (m.modality === "image") {
    if (!state.file) { $("predict-error").textContent = "Choose or drop an image first."; return; }
    const form = new FormData();
    form.append("file", state.file);
    options = { method: "POST", body: form };
  } else {
    const note = $("note").value;
    const key = JSON_KEY[m.modality];
    if (!note.trim()) { $("predict-error").textContent = key ? "Paste the JSON first." : "Paste a note first."; return; }
    let body = { text: note };
    if (key) {
      try { body = { [key]: JSON.parse(note) }; } catch (err) {
        $("predict-error").textContent = `Not valid JSON (${err.message}); expected ${JSON_HINT[m.modality]}`;
        return;
      }
    }
    options = { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } };
  }
  $("predict").disabled = true;
  try {
    showResult(m, await api(url, options));
  } catch (err) {
    $("result").hidden = true;
    $("predict-error").textContent = `Error ${err.status || ""}: ${err.message}`;
  } finally {
    $("predict").disabled = false;
  }
}

function tableHeader(cells) {
  const row = el("tr");
  for (const h of cells) row.appendChild(el("th", h));
  $("probs").querySelector("thead").replaceChildren(row);
}

// A segmentation: each structure's size (pixels or voxels) and area or volume, and its bounding box.
function showSegmentation(m, r) {
  const found = Object.entries(r.structures).filter(([, s]) => s.voxels > 0).map(([k]) => k);
  $("label").textContent = found.join(", ") || "no structure found";
  $("headline").textContent = r.note || `spacing ${r.geometry.spacing_mm.map((v) => num(v, 3)).join(" x ")} mm`;
  tableHeader(["structure", "size", "bounding box"]);
  const body = $("probs").querySelector("tbody");
  body.replaceChildren();
  for (const [name, s] of Object.entries(r.structures)) {
    const size = s.volume_ml !== undefined ? (s.volume_ml === null ? `${s.voxels} voxels` : `${num(s.volume_ml, 3)} mL (${s.voxels} voxels)`)
      : (s.area_mm2 === null ? `${s.voxels} pixels` : `${num(s.area_mm2, 1)} mm² (${s.voxels} pixels)`);
    const row = el("tr");
    row.appendChild(el("td", name));
    row.appendChild(el("td", size));
    row.appendChild(el("td", s.bbox ? `${s.bbox.min.join(",")} to ${s.bbox.max.join(",")} (${r.geometry.axes.join(", ")})` : "-"));
    body.appendChild(row);
  }
  $("timing").textContent = `v${r.version}, ${num(r.milliseconds, 1)} ms, input SHA-256 ${r.input.sha256.slice(0, 12)}...`;
  document.querySelector(".images").hidden = true;
  $("token-view").hidden = true;
  $("result").hidden = false;
}

// What the answer says about its input, one line each: an upload unlike the training images, channels
// converted with colour lost or made up, a stay without observations, notes on a row or a stay (values far
// outside the training range, categories no training row had). They may quote the input: text only.
const ANSWER_WARNINGS = ["typicality_warning", "channels_warning", "empty_stay_warning"];

function answerWarnings(r) {
  const lines = ANSWER_WARNINGS.filter((k) => r[k]).map((k) => String(r[k]));
  return lines.concat((Array.isArray(r.notes) ? r.notes : []).map(String));
}

function renderWarnings(r) {
  const list = $("warnings");
  const lines = answerWarnings(r);
  list.replaceChildren();
  for (const line of lines) list.appendChild(el("li", line));
  list.hidden = lines.length === 0;
}

function showResult(m, r) {
  renderWarnings(r);
  if (r.task === "segmentation") { showSegmentation(m, r); return; }
  tableHeader(["class", "calibrated probability", ""]);  // a segmentation shown before put its own
  $("label").textContent = Array.isArray(r.label) ? (r.label.join(", ") || "none") : r.label;
  $("headline").textContent = r.calibrated_probability !== null && r.calibrated_probability !== undefined
    ? `calibrated probability ${num(r.calibrated_probability)}` + (typeof r.threshold === "number" ? `, threshold ${num(r.threshold, 4)}` : "")
    : "";
  const body = $("probs").querySelector("tbody");
  body.replaceChildren();
  for (const [name, p] of Object.entries(r.probabilities)) {
    const row = el("tr");
    row.appendChild(el("td", name));
    row.appendChild(el("td", num(p)));
    const cell = el("td", null, "bar-cell");
    const bar = el("div", null, "bar");
    bar.style.width = Math.round(100 * p) + "%";
    cell.appendChild(bar);
    row.appendChild(cell);
    body.appendChild(row);
  }
  $("timing").textContent = `v${r.version}, ${num(r.milliseconds, 1)} ms, input SHA-256 ${r.input.sha256.slice(0, 12)}...`;
  const e = r.explanation;
  const images = document.querySelector(".images");
  images.hidden = m.modality !== "image";
  if (m.modality === "image") {
    if (state.file) $("preview").src = URL.createObjectURL(state.file);
    $("overlay").hidden = !e;
    if (e) {
      $("overlay").src = "data:image/png;base64," + e.overlay_png_base64;
      $("overlay-caption").textContent = `${e.method} for "${e.target}" (${num(e.milliseconds, 1)} ms)`;
    }
  }
  renderTokens(m, e);
  $("result").hidden = false;
}

function renderTokens(m, e) {
  const view = $("token-view");
  view.replaceChildren();
  view.hidden = !(e && e.tokens);
  if (view.hidden) return;
  const text = $("note").value;
  const top = Math.max(1e-9, ...e.tokens.map((t) => Math.abs(t.score)));
  let at = 0;
  for (const t of e.tokens) {
    if (t.start > at) view.appendChild(document.createTextNode(text.slice(at, t.start)));
    const span = el("span", text.slice(t.start, t.end));
    span.style.background = `rgba(230, 80, 40, ${(Math.abs(t.score) / top).toFixed(2)})`;
    view.appendChild(span);
    at = Math.max(at, t.end);
  }
  view.appendChild(document.createTextNode(text.slice(at)));
}

function wireDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    takeFile(ev.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", (ev) => takeFile(ev.target.files[0]));
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("model").addEventListener("change", () => chooseModel().catch((err) => { $("predict-error").textContent = err.message; }));
  $("predict").addEventListener("click", predict);
  wireDrop();
  if (state.key) signIn();
});
