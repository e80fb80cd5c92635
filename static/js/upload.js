/* Assetport upload page: drag and drop or pick files; each file goes on its own to POST /api/v1/assets
 * (XMLHttpRequest for progress events), at most three at a time. Results are built with DOM calls
 * (textContent), never HTML strings, so a file name cannot inject markup. */
(function () {
  'use strict';

  var zone = document.getElementById('drop-zone');
  var input = document.getElementById('file-input');
  var list = document.getElementById('upload-list');
  var summary = document.getElementById('upload-summary');
  if (!zone || !input || !list) return;

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute('content') : '';
  var endpoint = zone.getAttribute('data-endpoint');
  var maxBytes = parseInt(zone.getAttribute('data-max-bytes'), 10) || 0;
  var parallel = parseInt(zone.getAttribute('data-parallel'), 10) || 3;

  var queue = [];
  var active = 0;
  var counts = { created: 0, duplicate: 0, failed: 0, waiting: 0 };

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

  function updateSummary() {
    var parts = [];
    if (counts.created) parts.push(counts.created + ' uploaded');
    if (counts.duplicate) parts.push(counts.duplicate + ' already stored');
    if (counts.failed) parts.push(counts.failed + ' failed');
    if (counts.waiting) parts.push(counts.waiting + ' in progress');
    summary.hidden = parts.length === 0;
    summary.textContent = parts.join(' · ');
  }

  function makeRow(file) {
    var row = el('li', 'upload-item is-waiting');
    var head = el('div', 'upload-head');
    head.appendChild(el('span', 'upload-name', file.name));
    head.appendChild(el('span', 'upload-size', formatSize(file.size)));
    var bar = el('div', 'progress upload-progress');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-label', 'Upload of ' + file.name);
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.setAttribute('aria-valuenow', '0');
    var fill = el('div', 'progress-bar');
    bar.appendChild(fill);
    var status = el('div', 'upload-status', 'Waiting…');
    row.appendChild(head);
    row.appendChild(bar);
    row.appendChild(status);
    list.insertBefore(row, list.firstChild);
    return { row: row, bar: bar, fill: fill, status: status };
  }

  function setProgress(ui, percent) {
    var value = Math.max(0, Math.min(100, Math.round(percent)));
    ui.fill.style.width = value + '%';
    ui.bar.setAttribute('aria-valuenow', String(value));
  }

  function finish(ui, kind, parts) {
    ui.row.classList.remove('is-waiting', 'is-sending');
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

  function errorMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error && body.error.message) return body.error.message;
    } catch (ignored) { /* not JSON: fall through */ }
    if (xhr.status === 413) return 'The file is larger than the upload limit.';
    if (xhr.status === 0) return 'The connection failed.';
    return 'HTTP ' + xhr.status + (xhr.statusText ? ' ' + xhr.statusText : '');
  }

  function handleResponse(ui, xhr) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
    if ((xhr.status === 200 || xhr.status === 201) && body && body.id !== undefined) {
      if (body.duplicate) {
        finish(ui, 'duplicate', [
          document.createTextNode('Already stored as '),
          assetLink(body.id, 'asset ' + body.id),
          document.createTextNode(' (' + (body.title || '') + ')'),
        ]);
      } else {
        var parts = [document.createTextNode('Uploaded: '), assetLink(body.id, body.title || 'asset ' + body.id)];
        var numbers = body.article_numbers || [];
        if (numbers.length) parts.push(document.createTextNode(' · linked to ' + numbers.join(', ')));
        finish(ui, 'created', parts);
      }
      return;
    }
    if (xhr.status === 401) {
      finish(ui, 'failed', [document.createTextNode('Your session has ended; log in again and retry.')]);
      return;
    }
    finish(ui, 'failed', [document.createTextNode(errorMessage(xhr))]);
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
    xhr.upload.addEventListener('load', function () {
      ui.status.textContent = 'Processing…';
    });
    xhr.addEventListener('load', function () { handleResponse(ui, xhr); done(); });
    xhr.addEventListener('error', function () {
      finish(ui, 'failed', [document.createTextNode('The connection failed.')]);
      done();
    });
    xhr.addEventListener('abort', function () {
      finish(ui, 'failed', [document.createTextNode('Cancelled.')]);
      done();
    });
    var form = new FormData();
    form.append('file', job.file, job.file.name);
    xhr.send(form);
  }

  function done() {
    active -= 1;
    pump();
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
      counts.waiting += 1;
      if (maxBytes && file.size > maxBytes) {
        finish(ui, 'failed', [document.createTextNode(
          'Too large: the limit is ' + formatSize(maxBytes) + '.')]);
        continue;
      }
      if (file.size === 0) {
        finish(ui, 'failed', [document.createTextNode('The file is empty (or a folder).')]);
        continue;
      }
      queue.push({ file: file, ui: ui });
    }
    updateSummary();
    pump();
  }

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

  // Warn before leaving while uploads are still running.
  window.addEventListener('beforeunload', function (event) {
    if (active > 0 || queue.length > 0) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
})();
