/* Assetport search suggestions: a combobox under any input with data-suggest-url. Typing asks the suggest
   API (debounced, latest answer wins); ArrowDown/ArrowUp move through the options, Enter opens the active
   one, Escape closes the list, Tab leaves it. Each option shows its kind and the count of matching assets. */
(function () {
  'use strict';

  var KIND_LABELS = { product: 'Product', article_number: 'Article number', tag: 'Tag', saved_search: 'Saved search' };

  function setup(input) {
    var list = document.getElementById(input.getAttribute('aria-controls-suggest'));
    if (!list) return;
    var url = input.getAttribute('data-suggest-url');
    var target = input.getAttribute('data-suggest-target');
    var timer = null;
    var asked = 0;
    var items = [];
    var active = -1;

    function close() {
      list.hidden = true;
      list.textContent = '';
      items = [];
      active = -1;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
    }

    function highlight(index) {
      var options = list.querySelectorAll('[role="option"]');
      for (var i = 0; i < options.length; i++) options[i].setAttribute('aria-selected', i === index ? 'true' : 'false');
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute('aria-activedescendant', options[index].id);
        options[index].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function go(item) {
      window.location.assign(target + '?' + item.query);
    }

    function render(suggestions) {
      list.textContent = '';
      items = suggestions;
      active = -1;
      if (!suggestions.length) { close(); return; }
      suggestions.forEach(function (item, index) {
        var option = document.createElement('li');
        option.id = list.id + '-' + index;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', 'false');
        option.className = 'suggest-option';
        var text = document.createElement('span');
        text.className = 'suggest-text';
        text.textContent = item.text;
        var kind = document.createElement('span');
        kind.className = 'suggest-kind';
        kind.textContent = KIND_LABELS[item.kind] || item.kind;
        var count = document.createElement('span');
        count.className = 'suggest-count';
        count.textContent = String(item.count);
        option.appendChild(text);
        option.appendChild(kind);
        option.appendChild(count);
        option.addEventListener('mousedown', function (event) { event.preventDefault(); go(item); });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }

    function ask() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var ticket = ++asked;
      fetch(url + '?q=' + encodeURIComponent(text), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (body) { if (ticket === asked) render(body.suggestions || []); })
        .catch(function () { if (ticket === asked) close(); });
    }

    input.addEventListener('input', function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 120);
    });
    input.addEventListener('keydown', function (event) {
      if (list.hidden || !items.length) return;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        event.stopPropagation(); // the page's own ArrowDown (into the results) waits until the list is closed
        var step = event.key === 'ArrowDown' ? 1 : -1;
        var next = active + step; // -1 is the input itself
        if (next >= items.length) next = -1;
        if (next < -1) next = items.length - 1;
        highlight(next);
      } else if (event.key === 'Enter' && active >= 0) {
        event.preventDefault();
        go(items[active]);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        close();
      } else if (event.key === 'Tab') {
        close();
      }
    });
    input.addEventListener('blur', function () { window.setTimeout(close, 100); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var inputs = document.querySelectorAll('input[data-suggest-url]');
    for (var i = 0; i < inputs.length; i++) setup(inputs[i]);
  });
})();
