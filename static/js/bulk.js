/* Assetport: the bulk edit form's product pickers (type, choose from the list with the keyboard or the
   mouse; the choice becomes a chip with a hidden field). No typed ids: only listed products are chosen. */
(function () {
  'use strict';

  function chip(picker, name, key, label) {
    var chosen = picker.querySelector('[data-chosen]');
    var exists = Array.prototype.some.call(chosen.querySelectorAll('input'), function (i) { return i.value === key; });
    if (exists) return;
    var li = document.createElement('li');
    li.className = 'filter-chip';
    var hidden = document.createElement('input');
    hidden.type = 'hidden';
    hidden.name = name;
    hidden.value = key;
    var remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'btn btn-sm btn-link p-0';
    remove.setAttribute('data-remove-chip', '');
    remove.setAttribute('aria-label', 'Remove ' + key);
    remove.textContent = '×';
    li.appendChild(hidden);
    li.appendChild(document.createTextNode(label + ' '));
    li.appendChild(remove);
    chosen.appendChild(li);
  }

  function setup(picker) {
    var name = picker.getAttribute('data-product-picker');
    var source = picker.getAttribute('data-source');
    var input = picker.querySelector('input[type=search]');
    var list = picker.querySelector('[role=listbox]');
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function highlight(n) {
      var options = list.querySelectorAll('[role=option]');
      if (!options.length) return;
      active = (n + options.length) % options.length;
      options.forEach(function (o, i) {
        o.classList.toggle('active', i === active);
        o.setAttribute('aria-selected', i === active ? 'true' : 'false');
      });
      input.setAttribute('aria-activedescendant', options[active].id);
    }

    function choose(n) {
      var item = items[n];
      if (!item) return;
      chip(picker, name, item.article_number, item.article_number + (item.name ? ' · ' + item.name : ''));
      input.value = '';
      close();
      input.focus();
    }

    function render(found) {
      items = found;
      list.textContent = '';
      found.forEach(function (p, i) {
        var li = document.createElement('li');
        li.className = 'list-group-item list-group-item-action';
        li.id = name + '-option-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.textContent = p.article_number + (p.name ? ' · ' + p.name : '');
        li.addEventListener('mousedown', function (event) { event.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      if (!found.length) {
        var none = document.createElement('li');
        none.className = 'list-group-item text-body-secondary';
        none.textContent = 'No product matches';
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      active = -1;
    }

    function lookup() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var ticket = ++asked;
      fetch(source + '?q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { if (ticket === asked) render(data.items || []); })
        .catch(function () { if (ticket === asked) render([]); });
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown') { event.preventDefault(); if (list.hidden) lookup(); else highlight(active + 1); }
      else if (event.key === 'ArrowUp') { event.preventDefault(); highlight(active - 1); }
      else if (event.key === 'Enter') {
        if (!list.hidden) { event.preventDefault(); choose(active >= 0 ? active : 0); }
      } else if (event.key === 'Escape') { close(); }
    });
    input.addEventListener('blur', function () { setTimeout(close, 100); });
    picker.addEventListener('click', function (event) {
      var button = event.target.closest ? event.target.closest('[data-remove-chip]') : null;
      if (!button) return;
      button.closest('li').remove();
      input.focus();
    });
  }

  document.querySelectorAll('[data-product-picker]').forEach(setup);

  // A custom field row: typing or choosing a value means "Set to" (the mode select says so).
  document.querySelectorAll('[data-bulk-field]').forEach(function (row) {
    var mode = row.querySelector('[data-bulk-field-mode]');
    if (!mode) return;
    function touched(event) {
      if (event.target !== mode && mode.value === 'keep') mode.value = 'set';
    }
    row.addEventListener('input', touched);
    row.addEventListener('change', touched);
  });
})();
