// Nebula's own page behaviour: tool search, conditional branches, repeats, expanding
// history items, error messages of htmx requests, and uploads through tus.
// Everything else is server-rendered HTML driven by htmx attributes.
"use strict";

(function () {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  // --- htmx: swap 422 responses (a form with its errors), report the other failures ---
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
  }

  function showFlash(html) {
    const flash = document.getElementById("flash");
    if (!flash) return;
    flash.innerHTML = html;
    flash.hidden = false;
  }

  document.addEventListener("htmx:responseError", (event) => {
    const text = event.detail.xhr.responseText || "";
    // For htmx requests the server returns an escaped HTML fragment that names the problem.
    showFlash(text.trim().startsWith("<") ? text : "<p class=\"error\">The request failed (" + event.detail.xhr.status + ").</p>");
  });
  // A column field is redrawn inside its own element, which keeps its classes, so an
  // error marked before the dataset changed is cleared here.
  document.addEventListener("htmx:afterSwap", (event) => {
    const field = event.detail.target;
    if (field.classList.contains("field") && !field.querySelector(".field-error")) {
      field.classList.remove("has-error");
    }
  });

  document.addEventListener("htmx:sendError", () => {
    showFlash("<p class=\"error\">Nebula could not be reached; check your connection and try again.</p>");
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("#flash")) event.target.closest("#flash").hidden = true;
  });

  // --- tool panel search: filters as you type ---
  document.addEventListener("input", (event) => {
    if (event.target.id !== "tool-search") return;
    const words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const section of document.querySelectorAll(".tool-section")) {
      let sectionShown = 0;
      for (const link of section.querySelectorAll(".tool-link")) {
        const text = link.dataset.search || "";
        const match = words.every((word) => text.includes(word));
        link.hidden = !match;
        if (match) sectionShown++;
      }
      section.hidden = sectionShown === 0;
      shown += sectionShown;
    }
    document.getElementById("tool-search-empty").hidden = shown !== 0;
  });

  // --- conditionals: show the branch that matches the test parameter ---
  function conditionalValue(field, changed) {
    const checkbox = field.querySelector('input[type="checkbox"]');
    if (checkbox) return checkbox.checked ? "checked" : "unchecked";
    const radio = field.querySelector('input[type="radio"]:checked');
    if (radio) return radio.value;
    const select = field.querySelector("select");
    return select ? select.value : changed.value;
  }

  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-conditional-test]");
    if (!field) return;
    const conditional = field.closest(".conditional");
    const value = conditionalValue(field, event.target);
    for (const branch of conditional.querySelectorAll(":scope > .case")) {
      branch.hidden = branch.dataset.when !== value;
    }
  });

  // --- repeats: add from the template, remove, keep numbers and min/max ---
  function refreshRepeat(repeat) {
    const instances = repeat.querySelectorAll(":scope > .repeat-instances > .repeat-instance");
    const min = parseInt(repeat.dataset.min || "0", 10);
    const max = repeat.dataset.max === "" ? Infinity : parseInt(repeat.dataset.max, 10);
    instances.forEach((instance, index) => {
      const number = instance.querySelector(":scope > .repeat-instance-title .instance-number");
      if (number) number.textContent = String(index + 1);
      const remove = instance.querySelector(":scope > .repeat-instance-title [data-repeat-remove]");
      if (remove) remove.disabled = instances.length <= min;
    });
    const add = repeat.querySelector(":scope > [data-repeat-add]");
    if (add) add.disabled = instances.length >= max;
  }

  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-repeat-add]");
    if (add) {
      const repeat = add.closest("[data-repeat]");
      const template = repeat.querySelector(":scope > template.repeat-template");
      const index = parseInt(repeat.dataset.nextIndex || "0", 10);
      repeat.dataset.nextIndex = String(index + 1);
      const html = template.innerHTML.split(repeat.dataset.placeholder).join(String(index));
      const container = repeat.querySelector(":scope > .repeat-instances");
      container.insertAdjacentHTML("beforeend", html);
      const added = container.lastElementChild;
      if (window.htmx) htmx.process(added);
      refreshRepeat(repeat);
      return;
    }
    const remove = event.target.closest("[data-repeat-remove]");
    if (remove) {
      const repeat = remove.closest("[data-repeat]");
      remove.closest(".repeat-instance").remove();
      refreshRepeat(repeat);
    }
  });

  function refreshAllRepeats(root) {
    for (const repeat of root.querySelectorAll("[data-repeat]")) refreshRepeat(repeat);
  }
  document.addEventListener("DOMContentLoaded", () => refreshAllRepeats(document));
  document.addEventListener("htmx:afterSettle", (event) => refreshAllRepeats(event.target));

  // --- history items: a click on the title shows or hides the details ---
  function toggleItem(title) {
    const details = document.getElementById("item-details-" + title.dataset.item);
    if (!details) return;
    if (details.childElementCount > 0) {
      details.innerHTML = "";
      title.setAttribute("aria-expanded", "false");
      return;
    }
    title.setAttribute("aria-expanded", "true");
    htmx.ajax("GET", title.dataset.detailsUrl, { target: details, swap: "innerHTML" });
  }

  document.addEventListener("click", (event) => {
    const title = event.target.closest(".item-title");
    if (title) toggleItem(title);
  });
  document.addEventListener("keydown", (event) => {
    const title = event.target.closest && event.target.closest(".item-title");
    if (title && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      toggleItem(title);
    }
  });

  // --- uploads: tus for each file with a progress bar, then one fetch request ---
  const chosenFiles = [];

  function humanSize(bytes) {
    const units = ["bytes", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit === 0 ? value + " bytes" : value.toFixed(1) + " " + units[unit];
  }

  function addFiles(files) {
    const table = document.getElementById("upload-list");
    const body = table.querySelector("tbody");
    for (const file of files) {
      const row = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = file.name;
      const size = document.createElement("td");
      size.textContent = humanSize(file.size);
      const progressCell = document.createElement("td");
      const progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progressCell.appendChild(progress);
      row.append(name, size, progressCell);
      body.appendChild(row);
      chosenFiles.push({ file, progress });
    }
    table.hidden = chosenFiles.length === 0;
  }

  // `kind` is "progress", "success" or "error"; it becomes the status element's class.
  function setStatus(text, kind) {
    const status = document.getElementById("upload-status");
    status.textContent = text;
    status.className = "upload-status " + kind;
  }

  function errorMessage(xhr) {
    try {
      return JSON.parse(xhr.responseText).err_msg || xhr.statusText;
    } catch (ignored) {
      return xhr.statusText || "status " + xhr.status;
    }
  }

  function request(method, url, headers, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      if (onProgress) xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => (xhr.status < 300 ? resolve(xhr) : reject(new Error(errorMessage(xhr))));
      xhr.onerror = () => reject(new Error("the connection to Nebula failed"));
      xhr.send(body);
    });
  }

  async function tusUpload(entry, chunkBytes) {
    const { file, progress } = entry;
    const metadata = "filename " + btoa(unescape(encodeURIComponent(file.name)));
    const created = await request("POST", "/api/upload/resumable_upload", {
      "Tus-Resumable": "1.0.0",
      "Upload-Length": String(file.size),
      "Upload-Metadata": metadata,
    }, null);
    const location = created.getResponseHeader("Location");
    const uploadId = location.split("/").pop();
    let offset = 0;
    while (offset < file.size) {
      const chunk = file.slice(offset, offset + chunkBytes);
      const start = offset;
      const patched = await request("PATCH", location, {
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": String(offset),
        "Content-Type": "application/offset+octet-stream",
      }, chunk, (loaded) => { progress.value = Math.floor(((start + loaded) / file.size) * 100); });
      offset = parseInt(patched.getResponseHeader("Upload-Offset"), 10);
    }
    progress.value = 100;
    return uploadId;
  }

  async function startUpload(form) {
    const ext = form.querySelector("#upload-ext").value;
    const dbkey = form.querySelector("#upload-dbkey").value.trim() || "?";
    const paste = form.querySelector("#upload-paste").value;
    const pasteName = form.querySelector("#upload-paste-name").value.trim();
    const pending = chosenFiles.filter((entry) => !entry.done);
    if (pending.length === 0 && paste.trim() === "") {
      setStatus("Choose at least one file or paste some text to upload.", "error");
      return;
    }
    const chunkBytes = parseInt(form.dataset.chunkBytes, 10);
    const payload = { history_id: form.dataset.historyId, targets: [{ destination: { type: "hdas" }, elements: [] }] };
    const elements = payload.targets[0].elements;
    const button = form.querySelector("#upload-start");
    button.disabled = true;

    try {
      for (const [index, entry] of pending.entries()) {
        setStatus("Uploading " + entry.file.name + "…", "progress");
        const sessionId = await tusUpload(entry, chunkBytes);
        payload["files_" + index + "|file_data"] = { session_id: sessionId, name: entry.file.name };
        elements.push({ src: "files", name: entry.file.name, ext, dbkey });
      }
      if (paste.trim() !== "") {
        elements.push({ src: "pasted", paste_content: paste, name: pasteName || "Pasted Entry", ext, dbkey });
      }
      const response = await request("POST", "/api/tools/fetch", { "Content-Type": "application/json" }, JSON.stringify(payload));
      const outputs = JSON.parse(response.responseText).outputs || [];
      for (const entry of pending) entry.done = true;
      form.querySelector("#upload-paste").value = "";
      setStatus("Upload queued: " + outputs.map((output) => output.hid + ": " + output.name).join(", ") + ". The datasets appear in your history.", "success");
      htmx.trigger(document.body, "history-changed");
    } catch (error) {
      setStatus("Upload failed: " + error.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("change", (event) => {
    if (event.target.id === "upload-files") {
      addFiles(event.target.files);
      // The list contains the files now, and clearing lets the same file be chosen again.
      event.target.value = "";
    }
  });
  document.addEventListener("dragover", (event) => {
    const zone = event.target.closest && event.target.closest("#drop-zone");
    if (zone) {
      event.preventDefault();
      zone.classList.add("dragging");
    }
  });
  document.addEventListener("dragleave", (event) => {
    const zone = event.target.closest && event.target.closest("#drop-zone");
    if (zone) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    const zone = event.target.closest && event.target.closest("#drop-zone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    addFiles(event.dataTransfer.files);
  });
  document.addEventListener("submit", (event) => {
    if (event.target.id !== "upload-form") return;
    event.preventDefault();
    startUpload(event.target);
  });
})();
