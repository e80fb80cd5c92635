/* Assetport product picker ([data-product-picker]): type, see matching products from GET /api/v1/products,
 * pick one with a click or Enter (arrows move); each pick is a chip carrying a hidden input. Nothing is
 * ever typed as an id. Built with DOM calls (textContent), never HTML strings. */
(function () {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function setup(root) {
    var input = root.querySelector('[data-picker-input]');
    var list = root.querySelector('[data-picker-list]');
    var chosen = root.querySelector('[data-picker-chosen]');
    var endpoint = root.getAttribute('data-endpoint');
    var name = root.getAttribute('data-name') || 'product';
    if (!input || !list || !chosen || !endpoint) return;
    var items = [];
    var active = -1;
    var timer = null;
    var seq = 0;

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      active = -1;
    }

    function has(key) {
      return Array.prototype.some.call(chosen.querySelectorAll('input'), function (i) { return i.value === key; });
    }

    function pick(item) {
      if (!item || has(item.key)) { close(); return; }
      var chip = el('li', 'picker-chip');
      chip.setAttribute('data-picked', item.key);
      chip.appendChild(el('span', 'picker-chip-key', item.key));
      if (item.name) chip.appendChild(el('span', 'picker-chip-name', item.name));
      var hidden = el('input');
      hidden.type = 'hidden';
      hidden.name = name;
      hidden.value = item.key;
      chip.appendChild(hidden);
      var remove = el('button', 'btn btn-link btn-sm picker-remove', '\u00d7');
      remove.type = 'button';
      remove.setAttribute('aria-label', 'Remove ' + item.key);
      remove.addEventListener('click', function () { chip.remove(); input.focus(); });
      chip.appendChild(remove);
      chosen.appendChild(chip);
      input.value = '';
      close();
      root.dispatchEvent(new CustomEvent('picker:change', { bubbles: true }));
    }

    function highlight(index) {
      var options = list.querySelectorAll('[role=option]');
      active = Math.max(-1, Math.min(options.length - 1, index));
      options.forEach(function (o, i) { o.setAttribute('aria-selected', i === active ? 'true' : 'false'); });
      if (active >= 0) input.setAttribute('aria-activedescendant', options[active].id);
      else input.removeAttribute('aria-activedescendant');
    }

    function render(found) {
      items = found;
      list.textContent = '';
      if (!found.length) {
        list.appendChild(el('li', 'picker-empty', 'No product matches.'));
      }
      found.forEach(function (item, i) {
        var option = el('li', 'picker-option');
        option.id = list.id + '-' + i;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', 'false');
        option.setAttribute('data-key', item.key);
        option.appendChild(el('span', 'picker-option-key', item.key));
        option.appendChild(el('span', 'picker-option-name', item.name || ''));
        option.addEventListener('mousedown', function (event) { event.preventDefault(); pick(item); });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      highlight(found.length ? 0 : -1);
    }

    function search() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var mine = ++seq;
      fetch(endpoint + '?size=8&q=' + encodeURIComponent(text), {
        headers: { Accept: 'application/json' }, credentials: 'same-origin'
      }).then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (body) {
        if (mine !== seq) return;
        render((body.items || []).map(function (p) {
          return { key: p.article_number, name: p.name };
        }));
      }).catch(function () { if (mine === seq) close(); });
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown') { event.preventDefault(); highlight(active + 1); }
      else if (event.key === 'ArrowUp') { event.preventDefault(); highlight(active - 1); }
      else if (event.key === 'Enter') {
        if (!list.hidden && active >= 0) { event.preventDefault(); pick(items[active]); }
        else if (!list.hidden) event.preventDefault();
      } else if (event.key === 'Escape') close();
    });
    input.addEventListener('blur', function () { setTimeout(close, 150); });
  }

  document.querySelectorAll('[data-product-picker]').forEach(setup);
})();
