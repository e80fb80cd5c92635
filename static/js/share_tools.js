/* Assetport: "copy link" buttons, and the search grid's selection (managers: share or collect it). */
(function () {
  'use strict';

  // [data-copy="#field"] copies that field's value and says so in #copy-status.
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    var field = document.querySelector(button.getAttribute('data-copy'));
    var status = document.getElementById('copy-status');
    if (!field) return;
    var done = function () { if (status) status.textContent = 'Link copied to the clipboard.'; };
    var fallback = function () {
      field.focus();
      field.select();
      // The older API still works where the async clipboard is refused (e.g. plain http).
      if (document.execCommand && document.execCommand('copy')) done();
      else if (status) status.textContent = 'Press Ctrl+C (or \u2318C) to copy the selected link.';
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, fallback);
    } else {
      fallback();
    }
  });

  var form = document.getElementById('selection-form');
  if (!form) return;
  var selected = new Set();

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll('[data-select-tile]'));
  }

  function refresh() {
    var n = selected.size;
    var count = document.getElementById('selection-count');
    if (count) count.textContent = n ? n + (n === 1 ? ' asset' : ' assets') + ' selected' : 'No assets selected';
    form.querySelectorAll('[data-needs-selection]').forEach(function (b) { b.disabled = n === 0; });
    form.classList.toggle('has-selection', n > 0);
    boxes().forEach(function (box) {
      box.checked = selected.has(box.value);
      box.closest('.tile').classList.toggle('is-selected', box.checked);
    });
  }

  document.addEventListener('change', function (event) {
    var box = event.target;
    if (!box.hasAttribute || !box.hasAttribute('data-select-tile')) return;
    if (box.checked) selected.add(box.value); else selected.delete(box.value);
    refresh();
  });

  // "x" on a focused tile toggles its checkbox (the grid's arrow keys move between tiles).
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'x' || event.ctrlKey || event.metaKey || event.altKey) return;
    var tile = event.target.closest ? event.target.closest('.tile') : null;
    var box = tile ? tile.querySelector('[data-select-tile]') : null;
    if (!box || event.target === box) return;
    event.preventDefault();
    box.checked = !box.checked;
    box.dispatchEvent(new Event('change', { bubbles: true }));
  });

  form.querySelector('[data-select-all]').addEventListener('click', function () {
    boxes().forEach(function (box) { selected.add(box.value); });
    refresh();
  });
  form.querySelector('[data-select-none]').addEventListener('click', function () {
    selected.clear();
    refresh();
  });

  // The selection survives paging and filtering (htmx swaps the grid): ticks come back after a swap,
  // and assets selected on other pages travel as hidden fields.
  document.body.addEventListener('htmx:afterSwap', refresh);
  form.addEventListener('submit', function () {
    form.querySelectorAll('[data-carried]').forEach(function (el) { el.remove(); });
    var onPage = new Set(boxes().map(function (box) { return box.value; }));
    selected.forEach(function (id) {
      if (onPage.has(id)) return;
      var hidden = document.createElement('input');
      hidden.type = 'hidden';
      hidden.name = 'asset_ids';
      hidden.value = id;
      hidden.setAttribute('data-carried', '');
      form.appendChild(hidden);
    });
    var back = form.querySelector('[data-selection-back]');
    if (back) back.value = window.location.pathname + window.location.search;
  });

  boxes().forEach(function (box) { if (box.checked) selected.add(box.value); });
  refresh();
})();
