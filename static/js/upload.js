/* Assetport batch upload: drop or pick files, they are listed with their own title and tag fields; one form
 * holds the values for the whole batch. "Upload" first asks the server whether the batch values are
 * complete (POST data-check), then sends each file on its own (XMLHttpRequest for progress events), at most
 * three at a time, to data-endpoint with the batch values. Every file reports its own result, so one corrupt
 * file never loses the others. Results are built with DOM calls (textContent), never HTML strings. */
(function () {
  'use strict';

  var zone = document.getElementById('drop-zone');
  var input = document.getElementById('file-input');
  var list = document.getElementById('upload-list');
  var summary = document.getElementById('upload-summary');
  var form = document.getElementById('batch-form');
  if (!zone || !input || !list || !form) return;

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute('content') : '';
  var endpoint = zone.getAttribute('data-endpoint');
  var checkUrl = zone.getAttribute('data-check');
  var maxBytes = parseInt(zone.getAttribute('data-max-bytes'), 10) || 0;
  var parallel = parseInt(zone.getAttribute('data-parallel'), 10) || 3;
  var startButton = form.querySelector('[data-batch-start]');
  var submitAll = form.querySelector('[data-submit-all]');
  var patternInput = form.querySelector('[data-title-pattern]');
  var errorBox = document.getElementById('batch-error');
  var hint = document.getElementById('batch-hint');

  var staged = [];   // files waiting for "Upload", in batch order
  var queue = [];
  var active = 0;
  var counts = { created: 0, duplicate: 0, failed: 0, waiting: 0, submitted: 0 };
  var numbered = 0;  // the running number {n} of the last file sent

  function formatSize(bytes) {
    var units = ['bytes', 'KB', 'MB', 'GB'];
    var size = bytes;
    for (var i = 0; i < units.length; i++) {
      if (size < 1000 || i === units.length - 1) {
        return i === 0 ? size + ' bytes' : size.toFixed(1) + ' ' + units[i];
      }
      size /= 1000;
    }
    return bytes + ' bytes';
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // The same rule as batch_upload.render_title, for the title fields' placeholders.
  function titleFor(pattern, name, n) {
    if (!pattern || !pattern.trim()) return '';
    var dot = name.lastIndexOf('.');
    var stem = dot > 0 ? name.slice(0, dot) : name;
    var ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
    var out = pattern.replace(/\{([^{}]*)\}/g, function (all, token) {
      if (token === 'name') return stem || name;
      if (token === 'ext') return ext;
      var m = /^n(?::0?(\d))?$/.exec(token);
      if (m) {
        var s = String(n);
        while (m[1] && s.length < parseInt(m[1], 10)) s = '0' + s;
        return s;
      }
      return all;
    });
    return out.split(/\s+/).filter(Boolean).join(' ');
  }

  function updateSummary() {
    var parts = [];
    if (counts.created) parts.push(counts.created + ' uploaded');
    if (counts.submitted) parts.push(counts.submitted + ' submitted for review');
    if (counts.duplicate) parts.push(counts.duplicate + ' already stored');
    if (counts.failed) parts.push(counts.failed + ' failed');
    if (counts.waiting) parts.push(counts.waiting + ' in progress');
    summary.hidden = parts.length === 0;
    summary.textContent = parts.join(' · ');
  }

  function updateStart() {
    var n = staged.length;
    startButton.disabled = n === 0 || active > 0 || queue.length > 0;
    var verb = submitAll && submitAll.checked ? 'Upload and submit ' : 'Upload ';
    startButton.textContent = n ? verb + n + (n === 1 ? ' file' : ' files') : 'Upload';
    if (hint) hint.textContent = n ? '' : 'Choose files first.';
    staged.forEach(function (job, i) {
      job.ui.titleInput.placeholder = titleFor(patternInput ? patternInput.value : '', job.file.name, numbered + i + 1) || 'Title (automatic)';
    });
  }

  function requiredForSubmit(on) {
    form.querySelectorAll('[data-required-for-submit]').forEach(function (field) { field.required = on; });
    form.querySelectorAll('[data-required-note]').forEach(function (note) { note.hidden = !on; });
  }

  function makeRow(file) {
    var row = el('li', 'upload-item is-staged');
    var head = el('div', 'upload-head');
    head.appendChild(el('span', 'upload-name', file.name));
    head.appendChild(el('span', 'upload-size', formatSize(file.size)));
    var remove = el('button', 'btn btn-link btn-sm upload-remove', 'Remove');
    remove.type = 'button';
    remove.setAttribute('aria-label', 'Remove ' + file.name + ' from the batch');
    head.appendChild(remove);
    var fields = el('div', 'upload-fields');
    var titleInput = el('input', 'form-control form-control-sm');
    titleInput.name = 'file_title';
    titleInput.maxLength = 500;
    titleInput.setAttribute('aria-label', 'Title of ' + file.name);
    titleInput.setAttribute('data-file-title', '');
    var tagsInput = el('input', 'form-control form-control-sm');
    tagsInput.name = 'file_tags';
    tagsInput.placeholder = 'Extra tags for this file';
    tagsInput.setAttribute('aria-label', 'Extra tags of ' + file.name);
    tagsInput.setAttribute('data-file-tags', '');
    fields.appendChild(titleInput);
    fields.appendChild(tagsInput);
    var bar = el('div', 'progress upload-progress');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-label', 'Upload of ' + file.name);
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.setAttribute('aria-valuenow', '0');
    var fill = el('div', 'progress-bar');
    bar.appendChild(fill);
    var status = el('div', 'upload-status', 'Ready to upload.');
    row.appendChild(head);
    row.appendChild(fields);
    row.appendChild(bar);
    row.appendChild(status);
    list.appendChild(row);
    return { row: row, bar: bar, fill: fill, status: status, titleInput: titleInput, tagsInput: tagsInput, remove: remove };
  }

  function setProgress(ui, percent) {
    var value = Math.max(0, Math.min(100, Math.round(percent)));
    ui.fill.style.width = value + '%';
    ui.bar.setAttribute('aria-valuenow', String(value));
  }

  function finish(ui, kind, parts) {
    ui.row.classList.remove('is-waiting', 'is-sending', 'is-staged');
    ui.row.classList.add('is-' + kind);
    ui.fill.classList.add(kind === 'failed' ? 'bg-danger' : kind === 'duplicate' ? 'bg-secondary' : 'bg-success');
    setProgress(ui, 100);
    ui.status.textContent = '';
    parts.forEach(function (part) { ui.status.appendChild(part); });
    counts.waiting -= 1;
    counts[kind] += 1;
    updateSummary();
  }

  function assetLink(id, text) {
    var a = el('a', null, text);
    a.href = '/assets/' + encodeURIComponent(id);
    return a;
  }

  function errorMessage(xhr, body) {
    if (body && body.error && body.error.message) return body.error.message;
    if (xhr.status === 413) return 'The file is larger than the upload limit.';
    if (xhr.status === 0) return 'The connection failed.';
    return 'HTTP ' + xhr.status + (xhr.statusText ? ' ' + xhr.statusText : '');
  }

  function handleResponse(ui, xhr) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
    if ((xhr.status === 200 || xhr.status === 201) && body && body.asset_id) {
      var parts;
      if (body.duplicate) {
        parts = [document.createTextNode('Already stored as '), assetLink(body.asset_id, body.title || 'asset ' + body.asset_id)];
      } else {
        parts = [document.createTextNode(body.submitted ? 'Uploaded and submitted: ' : 'Uploaded: '),
          assetLink(body.asset_id, body.title || 'asset ' + body.asset_id)];
        if ((body.linked || []).length) parts.push(document.createTextNode(' · linked to ' + body.linked.join(', ')));
      }
      (body.warnings || []).forEach(function (w) { parts.push(el('span', 'upload-warning', ' ' + w)); });
      if (body.submitted) counts.submitted += 1;
      ui.row.setAttribute('data-asset-id', body.asset_id);
      finish(ui, body.duplicate ? 'duplicate' : 'created', parts);
      return;
    }
    if (xhr.status === 401) {
      finish(ui, 'failed', [document.createTextNode('Your session has ended; log in again and retry.')]);
      return;
    }
    finish(ui, 'failed', [document.createTextNode(errorMessage(xhr, body))]);
  }

  function send(job) {
    var ui = job.ui;
    ui.row.classList.remove('is-waiting');
    ui.row.classList.add('is-sending');
    ui.status.textContent = 'Uploading…';
    var xhr = new XMLHttpRequest();
    xhr.open('POST', endpoint);
    xhr.setRequestHeader('X-CSRFToken', csrfToken);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', function (event) {
      if (event.lengthComputable) setProgress(ui, (event.loaded / event.total) * 95);
    });
    xhr.upload.addEventListener('load', function () { ui.status.textContent = 'Processing…'; });
    xhr.addEventListener('load', function () { handleResponse(ui, xhr); done(); });
    xhr.addEventListener('error', function () {
      finish(ui, 'failed', [document.createTextNode('The connection failed.')]);
      done();
    });
    xhr.addEventListener('abort', function () {
      finish(ui, 'failed', [document.createTextNode('Cancelled.')]);
      done();
    });
    var data = new FormData(form);
    data.append('n', String(job.n));
    data.append('file_title', ui.titleInput.value);
    data.append('file_tags', ui.tagsInput.value);
    data.append('file', job.file, job.file.name);
    xhr.send(data);
  }

  function done() {
    active -= 1;
    pump();
    updateStart();
  }

  function pump() {
    while (active < parallel && queue.length) {
      active += 1;
      send(queue.shift());
    }
  }

  function addFiles(files) {
    for (var i = 0; i < files.length; i++) {
      var file = files[i];
      var ui = makeRow(file);
      if (maxBytes && file.size > maxBytes) {
        counts.waiting += 1;
        finish(ui, 'failed', [document.createTextNode('Too large: the limit is ' + formatSize(maxBytes) + '.')]);
        continue;
      }
      if (file.size === 0) {
        counts.waiting += 1;
        finish(ui, 'failed', [document.createTextNode('The file is empty (or a folder).')]);
        continue;
      }
      var job = { file: file, ui: ui };
      staged.push(job);
      ui.remove.addEventListener('click', (function (j) {
        return function () {
          staged = staged.filter(function (s) { return s !== j; });
          j.ui.row.remove();
          updateStart();
        };
      })(job));
    }
    updateStart();
    if (staged.length) startButton.focus();
  }

  function showError(message) {
    errorBox.textContent = message || '';
    errorBox.hidden = !message;
  }

  function start() {
    var batch = staged;
    staged = [];
    batch.forEach(function (job) {
      numbered += 1;
      job.n = numbered;
      job.ui.remove.remove();
      job.ui.titleInput.disabled = true;
      job.ui.tagsInput.disabled = true;
      job.ui.row.classList.remove('is-staged');
      job.ui.row.classList.add('is-waiting');
      job.ui.status.textContent = 'Waiting…';
      counts.waiting += 1;
      queue.push(job);
    });
    updateSummary();
    pump();
    updateStart();
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (!staged.length) return;
    requiredForSubmit(!!(submitAll && submitAll.checked));
    if (!form.reportValidity()) return;
    showError('');
    startButton.disabled = true;
    // The server checks the batch values once before any file goes (and again with each file).
    fetch(checkUrl, {
      method: 'POST', body: new FormData(form), credentials: 'same-origin',
      headers: { 'X-CSRFToken': csrfToken, Accept: 'application/json' }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) { start(); return; }
        showError((body.error && body.error.message) || ('The batch was refused (HTTP ' + response.status + ').'));
        updateStart();
        errorBox.focus && errorBox.scrollIntoView({ block: 'nearest' });
      });
    }).catch(function () {
      showError('The connection failed; try again.');
      updateStart();
    });
  });

  if (submitAll) submitAll.addEventListener('change', function () {
    requiredForSubmit(submitAll.checked);
    updateStart();
  });
  if (patternInput) patternInput.addEventListener('input', updateStart);

  zone.addEventListener('click', function () { input.click(); });
  input.addEventListener('change', function () {
    addFiles(input.files);
    input.value = '';
  });

  var depth = 0;
  zone.addEventListener('dragenter', function (event) {
    event.preventDefault();
    depth += 1;
    zone.classList.add('is-dragover');
  });
  zone.addEventListener('dragover', function (event) {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', function () {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('is-dragover');
  });
  zone.addEventListener('drop', function (event) {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('is-dragover');
    if (event.dataTransfer && event.dataTransfer.files) addFiles(event.dataTransfer.files);
  });
  // A file dropped next to the zone must not make the browser navigate away to it.
  window.addEventListener('dragover', function (event) { event.preventDefault(); });
  window.addEventListener('drop', function (event) { event.preventDefault(); });

  // Warn before leaving while files are staged or still uploading.
  window.addEventListener('beforeunload', function (event) {
    if (active > 0 || queue.length > 0 || staged.length > 0) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  updateStart();
})();
