/* Assetport: the one picker of the pages ([data-picker], templates/partials/_picker.html). Type, see the
 * matching entries of a JSON search endpoint (data-endpoint; where the entries and their values are is
 * named by data-list-field, data-key-field, data-label-field, data-thumb-field, data-group-field), move with
 * the arrow keys, pick with Enter or a click, close with Escape. Each pick is a chip holding a hidden input
 * (data-name); its × button removes it, by keyboard too. Chips the server rendered (a form shown again, the
 * current value) work the same. Only listed entries become values: the text box loses its name here (it is
 * posted only without JavaScript, and the server checks it then). Built with DOM calls, never HTML strings. */
(function () {
  'use strict';

  var DELAY_MS = 180;
  var SIZE = 8;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function thumb(url) {
    if (!url) return el('span', 'picker-thumb picker-thumb-none');
    var img = el('img', 'picker-thumb');
    img.src = url;
    img.alt = '';
    img.width = 24;
    img.height = 24;
    img.loading = 'lazy';
    // A thumbnail not built yet (or gone) leaves the empty square, not a broken image.
    img.addEventListener('error', function () { img.replaceWith(el('span', 'picker-thumb picker-thumb-none')); });
    return img;
  }

  function setup(root) {
    var input = root.querySelector('[data-picker-input]');
    var list = root.querySelector('[data-picker-list]');
    var chosen = root.querySelector('[data-picker-chosen]');
    var status = root.querySelector('[data-picker-status]');
    var endpoint = root.getAttribute('data-endpoint');
    var name = root.getAttribute('data-name');
    if (!input || !list || !chosen || !endpoint || !name) return;
    var field = {
      list: root.getAttribute('data-list-field') || 'items',
      key: root.getAttribute('data-key-field') || 'key',
      label: root.getAttribute('data-label-field') || 'label',
      thumb: root.getAttribute('data-thumb-field') || '',
      group: root.getAttribute('data-group-field') || '',
      groupLabel: root.getAttribute('data-group-label') || ''
    };
    var prefix = root.getAttribute('data-key-prefix') || '';
    var what = root.getAttribute('data-what') || 'entries';
    var single = root.hasAttribute('data-single');
    // From here on only the chips' hidden inputs carry values: what is typed is a search, never an id.
    input.removeAttribute('name');
    var items = [];
    var active = -1;
    var timer = null;
    var seq = 0;

    function say(text) { if (status) status.textContent = text; }

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function picked() {
      return Array.prototype.map.call(chosen.querySelectorAll('input[type=hidden]'), function (i) { return i.value; });
    }

    function changed() { root.dispatchEvent(new CustomEvent('picker:change', { bubbles: true })); }

    function pick(item) {
      if (!item) return;
      input.value = '';
      close();
      if (picked().indexOf(item.key) >= 0) { say(prefix + item.key + ' is already chosen'); return; }
      if (single) chosen.textContent = '';
      var chip = el('li', 'picker-chip');
      chip.setAttribute('data-picked', item.key);
      if (item.thumb) chip.appendChild(thumb(item.thumb));
      chip.appendChild(el('span', 'picker-chip-key', prefix + item.key));
      if (item.label) chip.appendChild(el('span', 'picker-chip-name', item.label));
      var hidden = el('input');
      hidden.type = 'hidden';
      hidden.name = name;
      hidden.value = item.key;
      chip.appendChild(hidden);
      var remove = el('button', 'btn btn-link btn-sm picker-remove', '\u00d7');
      remove.type = 'button';
      remove.setAttribute('data-picker-remove', '');
      remove.setAttribute('aria-label', 'Remove ' + prefix + item.key);
      chip.appendChild(remove);
      chosen.appendChild(chip);
      say('Added ' + prefix + item.key);
      changed();
    }

    function highlight(index) {
      var options = list.querySelectorAll('[role=option]');
      if (!options.length) { active = -1; return; }
      active = (index + options.length) % options.length;
      options.forEach(function (o, i) { o.setAttribute('aria-selected', i === active ? 'true' : 'false'); });
      input.setAttribute('aria-activedescendant', options[active].id);
      if (options[active].scrollIntoView) options[active].scrollIntoView({ block: 'nearest' });
    }

    function entries(body) {
      var found = (body && body[field.list]) || [];
      var out = [];
      var groups = [];
      found.forEach(function (p) {
        var key = p[field.key];
        if (key === undefined || key === null || key === '') return;
        out.push({ key: String(key), label: p[field.label] || '', thumb: field.thumb ? p[field.thumb] : null });
        var group = field.group ? p[field.group] : null;
        if (group && String(group) !== String(key) && groups.indexOf(String(group)) < 0) groups.push(String(group));
      });
      groups.forEach(function (g) { out.push({ key: g, label: field.groupLabel, thumb: null, group: true }); });
      return out;
    }

    function render(found) {
      items = found;
      list.textContent = '';
      var taken = picked();
      found.forEach(function (item, i) {
        var option = el('li', 'picker-option' + (item.group ? ' picker-option-group' : ''));
        option.id = list.id + '-' + i;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', 'false');
        option.setAttribute('data-key', item.key);
        if (taken.indexOf(item.key) >= 0) option.classList.add('is-chosen');
        option.appendChild(thumb(item.thumb));
        option.appendChild(el('span', 'picker-option-key', prefix + item.key));
        option.appendChild(el('span', 'picker-option-name', item.label || ''));
        option.addEventListener('mousedown', function (event) { event.preventDefault(); pick(item); input.focus(); });
        list.appendChild(option);
      });
      if (!found.length) list.appendChild(el('li', 'picker-empty', 'No ' + what + ' match.'));
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      say(found.length ? found.length + ' ' + what + ' found; arrow keys to move, Enter to choose' : 'No ' + what + ' match');
      active = -1;
      highlight(0);
    }

    function search() {
      clearTimeout(timer);
      var text = input.value.trim();
      if (!text) { close(); return; }
      var mine = ++seq;
      var url = endpoint + (endpoint.indexOf('?') >= 0 ? '&' : '?') + 'size=' + SIZE + '&q=' + encodeURIComponent(text);
      fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (body) { if (mine === seq) render(entries(body)); })
        .catch(function () { if (mine === seq) render([]); });
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener('keydown', function (event) {
      var open = !list.hidden;
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        if (open) highlight(active + 1); else search();
      } else if (event.key === 'ArrowUp') {
        event.preventDefault();
        if (open) highlight(active - 1);
      } else if (event.key === 'Enter') {
        // Enter picks; with text typed but no list yet it searches now. It never submits a half-typed
        // search; with an empty box it submits the form as usual.
        if (open && active >= 0) { event.preventDefault(); pick(items[active]); }
        else if (input.value.trim()) { event.preventDefault(); search(); }
      } else if (event.key === 'Escape') {
        if (open) { event.preventDefault(); event.stopPropagation(); close(); }
        else if (input.value) { event.preventDefault(); input.value = ''; }
      } else if (event.key === 'Tab') {
        close();
      }
    });
    input.addEventListener('blur', function () { setTimeout(close, 150); });

    // Removing a chip (rendered here or by the server): the focus goes to the next chip's button, or the box.
    chosen.addEventListener('click', function (event) {
      var button = event.target.closest ? event.target.closest('[data-picker-remove]') : null;
      if (!button) return;
      var chip = button.closest('.picker-chip');
      var next = chip.nextElementSibling || chip.previousElementSibling;
      var key = chip.getAttribute('data-picked') || '';
      chip.remove();
      var target = next ? next.querySelector('[data-picker-remove]') : null;
      (target || input).focus();
      say('Removed ' + prefix + key);
      changed();
    });
  }

  document.querySelectorAll('[data-picker]').forEach(setup);
})();
